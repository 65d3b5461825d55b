"""The first minutes of a new user, timed in a real browser: how soon a run shows progress, how soon TF-IDF's results
are on screen against a bare scikit-learn fit, how soon TextCNN draws its first curve point, and how long each page
takes to be complete, side by side with `streamlit hello` on the same machine; then saving and loading a TF-IDF model
with a vocabulary of 200,000 terms.

    python -m benchmarks.first_minutes [--rounds 3] [--page-loads 5]

The app is started as the browser tests start it (tests/e2e/conftest.py: `python -m streamlit run`, a worker kept
ready) on a temporary workspace holding the full SMS spam sample; `streamlit hello` on another port. A page is
complete when Streamlit has finished running its script and every chart on it is drawn, and has stayed so for half
a second (the time taken is when that began). Every wait is bounded, and servers, workers and the browser are
stopped however the benchmark ends.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import Page, expect, sync_playwright

from benchmarks.results import publish, table
from core.data.preparation import prepare
from core.data.samples import get_sample
from core.data.splitting import split
from core.settings import env_name
from core.store.datasets import save_dataset
from core.store.store import Store
from tests.e2e.conftest import CHROMIUM_ARGS, Server, chromium_executable, free_port, kill_workers, stop_process_group

VIEWPORT = {"width": 1280, "height": 900}
WAIT_MS = 300_000
# Runs in every page from its first instant: notes when the app's script starts and ends the first time.
PHASES = """(() => {
  const phases = window.__phases = {};
  const watch = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.dataset.testScriptState;
    if (state === 'running' && phases.running === undefined) phases.running = performance.now();
    if (state === 'notRunning' && phases.running !== undefined) phases.ran = performance.now();
    else setTimeout(watch, 5);
  };
  watch();
})();"""
# Resolves with the page's time (ms since navigation) at which the page became complete and stayed so for 500 ms
# (`at`), when its script started (`starts`) and how long it ran as the browser saw it, from its start to its end,
# its elements drawn as they came (`script`), how long drawing went on after it ended (`after`), and how many
# elements it has (`elements`).
COMPLETE = """() => new Promise((resolve) => {
  let since = null;
  const drawn = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testScriptState !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
    return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
      .filter((chart) => chart.offsetParent !== null).every((chart) => chart.querySelector('.main-svg'));
  };
  const tick = () => {
    const now = performance.now();
    if (!drawn()) since = null; else if (since === null) since = now;
    if (since !== null && now - since >= 500) {
      const phases = window.__phases || {};
      resolve({at: since, starts: phases.running ?? null,
               script: phases.ran === undefined ? null : phases.ran - phases.running,
               after: phases.ran === undefined ? null : Math.max(0, since - phases.ran),
               elements: document.querySelectorAll('[data-testid^="st"]').length});
    } else setTimeout(tick, 25);
  };
  tick();
})"""
# Installed in a page before a link is clicked: notes that the page's script has started running again.
WATCH_RUN = """() => {
  window.__ran = false;
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => { if (app.dataset.testScriptState === 'running') window.__ran = true; })
    .observe(app, {attributes: true});
  return performance.now();
}"""
FLOOR_PAGE = Path(__file__).with_name("floor_page.py")
# Of each bare page (`?with=` of floor_page.py): its name in the table, and what it shows.
FLOORS = {"title": ("a bare Streamlit page: a title", "neither"),
          "table": ("a bare Streamlit page: one table", "table"),
          "chart": ("a bare Streamlit page: one Plotly chart", "Plotly chart")}
PAGE_TARGETS = {"Home": 1.5, "Data": 1.5, "Data, the sample open": 1.5, "Train": 2.0, "Results": 2.0,
                "Predict": 1.5}


FLOOR_NOTE = ("The bare pages are the floor: a page opened fresh loads the browser code of each kind of element the "
              "first time it shows one, whatever its script does ('shows' says which of these each page has). "
              "'Elements' counts what Streamlit drew (each with a data-testid). A fresh page's time is when its script "
              "starts (the page loaded and connected), how long it runs as the browser sees it (its elements drawn "
              "as they arrive) and how long drawing goes on after it ends (charts and tables laid out). The 'reached "
              "by its link' column is the same pages once that code is loaded, as a person going from page to page "
              "sees them.")
# The kinds of element whose browser code a fresh page loads on first use, as the table names them.
HEAVY_ELEMENTS = {"stPlotlyChart": "Plotly chart", "stDataFrame": "table"}


def load(page: Page, url: str) -> dict[str, float]:
    """Open `url` fresh and wait until it is complete; what COMPLETE measured."""
    page.goto(url)
    return page.evaluate(COMPLETE)


def elements_shown(page: Page, url: str) -> str:
    """Which heavy kinds of element the complete page at `url` shows."""
    load(page, url)
    return ", ".join(name for test_id, name in HEAVY_ELEMENTS.items()
                     if page.locator(f'[data-testid="{test_id}"]').count()) or "neither"


def page_times(page: Page, urls: dict[str, str], loads: int) -> dict[str, dict[str, float]]:
    """Of each page, the medians of what COMPLETE measures over `loads` fresh loads, after one load to warm it up."""
    times = {}
    for name, url in urls.items():
        load(page, url)
        measured = [load(page, url) for _ in range(loads)]
        times[name] = {key: statistics.median(m[key] for m in measured) for key in measured[0]}
    return times


def link_ms(page: Page, link: str) -> float:
    """From a click on the sidebar's link `link` to the page it opens complete, in the same browser session."""
    clicked = page.evaluate(WATCH_RUN)
    page.get_by_role("link", name=link).first.click()
    page.wait_for_function("() => window.__ran")
    return float(page.evaluate(COMPLETE)["at"]) - clicked


def link_times(page: Page, url: str, links: dict[str, str], loads: int) -> dict[str, float]:
    """The median time of each page reached by its link in the sidebar, the pages visited in turn, as a person
    goes through them; the first round warms them up."""
    times: dict[str, list[float]] = {name: [] for name in links}
    page.goto(url)
    page.evaluate(COMPLETE)
    for round_ in range(loads + 1):
        for name, link in links.items():
            took = link_ms(page, link)
            if round_:
                times[name].append(took)
    return {name: statistics.median(values) for name, values in times.items()}


def start_streamlit(*what: str) -> tuple[subprocess.Popen, str]:
    """`streamlit hello` (`"hello"`) or `streamlit run SCRIPT` (`"run", SCRIPT`) on a free port."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", *what, "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def standby_ready(workspace: Path, quiet: float = 2.0, seconds: float = 120.0) -> None:
    """Wait until the worker kept ready has finished importing (its CPU time stops growing)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        waiting = [p for p in psutil.process_iter(["cmdline", "environ"]) if "--standby" in (p.info["cmdline"] or [])
                   and (p.info["environ"] or {}).get(env_name("workspace")) == str(workspace)]
        try:
            if waiting:
                before = sum(waiting[0].cpu_times()[:2])
                time.sleep(quiet)
                if sum(waiting[0].cpu_times()[:2]) - before < 0.05:
                    return
                continue
        except psutil.NoSuchProcess:  # replaced meanwhile: look again
            pass
        time.sleep(0.5)
    raise TimeoutError("The worker kept ready did not settle.")


def choose(page: Page, server: Server, arch: str, preset: str) -> None:
    server.goto(page, "train")
    page.locator("label").filter(has_text=arch).first.click(timeout=WAIT_MS)
    page.get_by_role("radio", name=preset, exact=True).click()
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()


def progress_shown(page: Page) -> bool:
    texts = page.get_by_test_id("stProgress").all_inner_texts()
    return any(" of " in t and "Starting" not in t for t in texts) or page.get_by_text("Finished in").count() > 0


def tfidf_round(page: Page, server: Server, store: Store) -> dict[str, float]:
    """Seconds from Start to each step of TF-IDF's (Quick) first minutes on the SMS sample: first progress on the
    page, the worker's claim and end of the run (from the store), and the Results page complete."""
    choose(page, server, "TF-IDF", "Quick")
    before = {r.id for r in store.list_runs()}
    clicked, started = time.time(), time.perf_counter()
    page.get_by_role("button", name="Start training").click()
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stProgress"]')]
        .some((bar) => / of /.test(bar.textContent) && !/Starting/.test(bar.textContent))
        || document.body.innerText.includes('Finished in')""", timeout=WAIT_MS, polling=50)
    first = time.perf_counter() - started
    page.get_by_role("link", name="See the results").click(timeout=WAIT_MS)
    shown = time.perf_counter() - started
    page.wait_for_url("**/results**")
    page.evaluate(COMPLETE)
    run = next(r for r in store.list_runs() if r.id not in before)
    return {"progress": first, "claimed": run.started_at - clicked, "finished": run.finished_at - clicked,
            "finish shown": shown, "results": time.perf_counter() - started}


def textcnn_first_point(page: Page, server: Server, store: Store) -> float:
    """Start → the first point of TextCNN's (Quick) training curve on screen; the run is stopped then."""
    choose(page, server, "TextCNN", "Quick")
    runs = len(store.list_runs())
    started = time.perf_counter()
    page.get_by_role("button", name="Start training").click()
    # The page watches the new run once it has started it; the previous run's curves leave with its view.
    expect(page.get_by_role("combobox", name="Run to watch")).to_have_value(re.compile(rf"^#{runs + 1} "))
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .some((chart) => chart.offsetParent !== null && chart.querySelector('.scatterlayer .trace'))""",
                           timeout=WAIT_MS, polling=50)
    seconds = time.perf_counter() - started
    page.get_by_role("button", name="Stop", exact=True).click()
    deadline = time.monotonic() + 120
    while any(r.active for r in store.list_runs()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return seconds


# The same pipeline as TF-IDF's Quick preset, written as a programmer would in a script of their own.
BARE_SCRIPT = """
import sys
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

df = pd.read_parquet(sys.argv[1])
train, test = df[df["split"] == "train"], df[df["split"] == "test"]
pipeline = Pipeline([("tfidf", TfidfVectorizer(min_df=2, sublinear_tf=True, token_pattern=r"(?u)\\b\\w+\\b",
                                               dtype=np.float32)),
                     ("clf", LogisticRegression(C=10.0, max_iter=1000, random_state=42))])
pipeline.fit(train["text"].tolist(), train["label"].tolist())
pipeline.predict_proba(test["text"].tolist())
"""


def bare_script_seconds(store: Store, dataset_id: str, repeats: int = 3) -> float:
    """Wall time of a bare scikit-learn script that reads the same split, fits the pipeline and predicts the test
    texts: the floor a programmer would get without the app."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", BARE_SCRIPT, store.get_dataset(dataset_id).path], check=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def vocabulary_files(terms: int = 200_000, repeats: int = 3) -> list[list[object]]:
    """Saving and loading a TF-IDF model whose vocabulary has `terms` terms, as the app saves it now, in a process
    that has imported skops already (as a worker has)."""
    import skops.io  # noqa: F401 - imported once per process, most of a second, before any model is saved

    from core.architectures.tfidf import TfidfClassifier, TfidfConfig
    from core.data.text_set import TextSet

    words = [f"term{i}" for i in range(terms)]
    texts = [" ".join(words[i : i + 20]) for i in range(0, terms, 10)]
    model = TfidfClassifier(TfidfConfig(min_df=1, max_features=terms, max_ngram=1))
    model.fit(TextSet(texts, ["a", "b"] * (len(texts) // 2)))
    saves, loads = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            model.save(Path(folder))
            saves.append(time.perf_counter() - started)
            started = time.perf_counter()
            TfidfClassifier.load(Path(folder))
            loads.append(time.perf_counter() - started)
            size = sum(f.stat().st_size for f in Path(folder).iterdir()) / 1e6
    return [[f"{len(model.pipeline_.named_steps['tfidf'].vocabulary_):,}", f"{statistics.median(saves):.2f}",
             f"{statistics.median(loads):.2f}", f"{size:.1f}"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="TF-IDF and TextCNN runs timed")
    parser.add_argument("--page-loads", type=int, default=5, help="loads of each page timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "workspace"
        store = Store(workspace)
        sample = get_sample("sms_spam")
        dataset = save_dataset(store, split(prepare(sample.load(), "text", "label"), seed=42), sample.title)
        server = Server(workspace, Path(folder) / "server.log")
        hello, hello_url = start_streamlit("hello")
        floor, floor_url = start_streamlit("run", str(FLOOR_PAGE))
        try:
            server.start()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=VIEWPORT).new_page()
                page.set_default_timeout(WAIT_MS)
                page.add_init_script(PHASES)
                server.goto(page, "")  # the first load imports the pages (the server started the supervisor)
                page.evaluate(COMPLETE)
                rounds = []
                for _ in range(args.rounds):
                    standby_ready(workspace)
                    rounds.append(tfidf_round(page, server, store))
                cnn = []
                for _ in range(args.rounds):
                    standby_ready(workspace)
                    cnn.append(textcnn_first_point(page, server, store))
                run = next(r.id for r in store.list_runs() if r.arch == "tfidf")
                standby_ready(workspace)  # the worker kept ready, replaced after the last run, imports meanwhile
                urls = {"Home": server.url, "Data": f"{server.url}/data",
                        "Data, the sample open": f"{server.url}/data?sample=sms_spam", "Train": f"{server.url}/train",
                        "Results": f"{server.url}/results?run={run}", "Predict": f"{server.url}/predict?run={run}"}
                ours = page_times(page, urls, args.page_loads)
                shows = {name: elements_shown(page, url) for name, url in urls.items()}
                linked = link_times(page, f"{server.url}/results?run={run}", {
                    "Home": "Home", "Data": "1 · Data", "Train": "2 · Train", "Results": "3 · Results",
                    "Predict": "5 · Predict"}, args.page_loads)
                hello_page = page_times(page, {"hello": hello_url}, args.page_loads)["hello"]
                floors = page_times(page, {kind: f"{floor_url}/?with={kind}" for kind in FLOORS}, args.page_loads)
                browser.close()
        finally:
            server.stop()
            stop_process_group(hello)
            stop_process_group(floor)
            kill_workers(workspace)
            bare = bare_script_seconds(store, dataset.id)
    baseline = hello_page["at"]
    steps = [("progress", "Start → first progress (TF-IDF, Quick)"),
             ("claimed", "Start → the worker has the run"), ("finished", "Start → run finished"),
             ("finish shown", "Start → Train page shows it finished"),
             ("results", "Start → Results page complete (TF-IDF, Quick)")]
    targets = {"progress": 2.0, "results": 2 * bare + 3}
    rows = []
    for key, name in steps:
        median = statistics.median(r[key] for r in rounds)
        target = f"≤ {targets[key]:.1f} s" if key in targets else ""
        rows.append([name, f"{median:.1f}", ", ".join(f"{r[key]:.1f}" for r in rounds), target,
                     ("yes" if median <= targets[key] else "no") if key in targets else ""])
    cnn_median = statistics.median(cnn)
    rows.append(["Start → first curve point (TextCNN, Quick)", f"{cnn_median:.1f}", ", ".join(f"{s:.1f}" for s in cnn),
                 "≤ 4.0 s", "yes" if cnn_median <= 4 else "no"])
    rows.append(["a bare scikit-learn script: read the split, fit, predict", f"{bare:.1f}", "", "", ""])
    journey = table(["measure", "median s", f"each of {args.rounds}", "target", "met"], rows)
    pages = table(["page", "shows", "elements", "its script starts s", "runs s", "drawn after it s",
                   "opened from the address bar s", "× streamlit hello", "target", "met", "reached by its link s",
                   "× hello"], [
        [name, shows, f"{m['elements']:.0f}", f"{m['starts'] / 1000:.2f}", f"{m['script'] / 1000:.2f}",
         f"{m['after'] / 1000:.2f}", f"{m['at'] / 1000:.2f}",
         f"{m['at'] / baseline:.1f}", f"≤ {PAGE_TARGETS[name]}×" if name in PAGE_TARGETS else "",
         ("yes" if m["at"] / baseline <= PAGE_TARGETS[name] else "no") if name in PAGE_TARGETS else "",
         f"{linked[name] / 1000:.2f}" if name in linked else "",
         f"{linked[name] / baseline:.1f}" if name in linked else ""]
        for name, shows, m in [("streamlit hello", "neither", hello_page),
                               *[(*FLOORS[kind], m) for kind, m in floors.items()],
                               *[(name, shows[name], m) for name, m in ours.items()]]])
    vocabulary = table(["vocabulary terms", "save s", "load s", "files MB"], vocabulary_files())
    publish("first_minutes", "The first minutes: from Start to results, and how fast each page is complete",
            f"SMS spam sample (full), Chromium {VIEWPORT['width']}×{VIEWPORT['height']}, {args.rounds} runs and "
            f"{args.page_loads} loads of each page.\n\n{journey}\n\n{pages}\n\n{FLOOR_NOTE}\n\nA TF-IDF model "
            f"with a large vocabulary saved and loaded as the app does:\n\n{vocabulary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
