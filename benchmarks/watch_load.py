"""Many browser sessions watching one live run: do they see errors, and do they slow its training down?

    python -m benchmarks.watch_load [--clients 20] [--window 120] [--arch textcnn] [--pin | --no-pin]

On loopback, with the server started as the browser tests start it, on a temporary workspace holding trec6.
Run A trains unwatched; past its first epoch, its optimizer steps per second are measured over the window from
the store's training-loss rows, then it is stopped. Run B, same settings (200 epochs, no early stopping, so
both outlast the window), is watched by `--clients` headless Chromium sessions on /train, one browser context
each, opened one after the other, and measured likewise. Target: no errors, and B at least 0.9 of A.
Errors: console and page errors, closed websockets, Streamlit exception boxes and "Connection error" dialogs
(kept by an observer in the page, so one that the next fragment run replaces still counts) and tracebacks in
the server's log.

`--pin` (the default with two CPUs or more) gives the worker the upper half of the CPUs and everything else
(this process, the server, Chromium) the lower half, so what is measured is serving the page interfering with
training, not Chromium taking the training core of a small machine. The worker inherits its CPUs from the
thread that launches it; `$CLASSIFIER_STUDIO_SLOTS` makes its `worker.training_threads` at most one thread per
CPU it has. Also reported, in CPU seconds per second: the worker, the server (what sessions cost),
and everything else on the worker's CPUs, which pinned is load from outside the benchmark: then a note says
the ratio is not a fair measure. Every wait is bounded, and the server, workers and browser are stopped
however the benchmark ends. A run smaller than 20 clients for 120 s is printed, not kept in RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from benchmarks.results import publish, table
from core.data.preparation import prepare
from core.data.samples import get_sample
from core.data.splitting import split
from core.runs import jobs
from core.settings import env_name
from core.store.datasets import save_dataset
from core.store.store import Store
from tests.e2e.conftest import CHROMIUM_ARGS, Server, chromium_executable, kill_workers

SETTINGS = {"epochs": 200, "early_stopping_patience": 0, "device": "cpu"}
TARGET_RATIO = 0.9
REQUIRED_CLIENTS, REQUIRED_WINDOW = 20, 120
RUN_START_SECONDS = 300  # worker start-up (imports torch) and the first epoch with its evaluation
PAGES_SECONDS = 300  # every session showing the live progress bar, its first load importing the whole app
STOP_SECONDS = 60
SHOWN_ERRORS = 5
SESSION_VIEWPORT = {"width": 1200, "height": 900}  # a laptop's window: the live view and its chart in sight
# Installed before each page's own scripts: counts changes of the progress text (one per fragment update that
# reached the page) and keeps every Streamlit exception box and "Connection error" dialog that ever appears.
WATCH_SCRIPT = """
window.__watch = {updates: 0, errors: []};
let last = null;
new MutationObserver(() => {
  const w = window.__watch;
  const bars = [...document.querySelectorAll('[data-testid="stProgress"]')];  // the run's, not the sidebar's
  const text = bars.map((el) => el.textContent).find((t) => t.includes('step'));
  if (text && text !== last) { last = text; w.updates++; }
  for (const el of document.querySelectorAll('[data-testid="stException"]')) {
    if (!el.__seen) { el.__seen = true; w.errors.push('exception box: ' + el.textContent.slice(0, 200)); }
  }
  const dialog = document.querySelector('[role="dialog"]');
  if (dialog && !dialog.__seen && dialog.textContent.includes('Connection error')) {
    dialog.__seen = true; w.errors.push('Connection error dialog');
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def wait_until(ready: Callable[[], bool], seconds: float, what: str, pause: Callable[[], None]) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Gave up after {seconds:.0f} s waiting for {what}.")
        pause()


def check_active(store: Store, run_id: int) -> None:
    run = store.get_run(run_id)
    if not run.active:
        raise RuntimeError(f"Run {run_id} ended ({run.status}: {run.error}) before it was measured. Its worker's "
                           f"log ends:\n{jobs.worker_log(store, run_id)[-2000:]}")


def past_first_epoch(store: Store, run_id: int) -> bool:
    check_active(store, run_id)
    return any(r["split"] == "val" for r in store.metrics_since(run_id))


def start_run(store: Store, dataset_id: str, arch: str, worker_cpus: set[int] | None) -> int:
    """Start a run with its worker on `worker_cpus` (None: wherever this thread may run); return once it is past
    its first epoch, warmed up."""
    own = os.sched_getaffinity(0)
    if worker_cpus:
        os.sched_setaffinity(0, worker_cpus)  # this thread only; the worker inherits it from its first instruction
    try:
        run_id, _ = jobs.start(store, dataset_id, arch, SETTINGS)
    finally:
        os.sched_setaffinity(0, own)
    wait_until(lambda: past_first_epoch(store, run_id), RUN_START_SECONDS, f"run {run_id}'s first epoch",
               lambda: time.sleep(1))
    return run_id


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, all threads


def busy_seconds(cpus: set[int]) -> float:
    """CPU seconds that anything at all spent on `cpus` since boot."""
    ticks = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *counts = line.split()
        if name[3:].isdigit() and int(name[3:]) in cpus:  # cpuN: user nice system idle iowait irq softirq steal
            ticks += sum(map(int, counts[:8])) - int(counts[3]) - int(counts[4])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(store: Store, run_id: int, window: float, server_pid: int, cpus: set[int],
            pause: Callable[[], None]) -> dict[str, float]:
    """Optimizer steps per second over the next `window` seconds (epoch-end evaluations count as time spent), and
    CPU seconds per second meanwhile: the worker's, the server's, and the rest's on `cpus`, the worker's CPUs."""
    pid = store.get_run(run_id).pid
    started, before = time.time(), (cpu_seconds(pid), cpu_seconds(server_pid), busy_seconds(cpus))
    wait_until(lambda: time.time() >= started + window, window + 1, "the window", pause)
    check_active(store, run_id)
    worker, server, busy = (now - then for now, then in zip(
        (cpu_seconds(pid), cpu_seconds(server_pid), busy_seconds(cpus)), before))
    wall = time.time() - started
    rows = [r for r in store.metrics_since(run_id) if r["split"] == "train" and r["name"] == "loss"
            and started <= r["time"] <= started + window]
    if len(rows) < 2:
        raise RuntimeError(f"Run {run_id} logged {len(rows)} training-loss rows in the window; too few to measure.")
    return {"steps": (rows[-1]["step"] - rows[0]["step"]) / (rows[-1]["time"] - rows[0]["time"]),
            "worker": worker / wall, "server": server / wall, "others": max(0.0, busy - worker) / wall}


def stop_run(store: Store, run_id: int) -> None:
    jobs.cancel(store, run_id)
    wait_until(lambda: not store.get_run(run_id).active, STOP_SECONDS, f"run {run_id} to stop",
               lambda: time.sleep(0.5))


def server_tracebacks(log: Path) -> list[str]:
    """The exception line that ends each traceback in the server's log."""
    text = log.read_text(errors="replace") if log.exists() else ""
    ends = re.finditer(r"Traceback \(most recent call last\):\n(?:[ \t].*\n)*(.*)", text)
    return [f"server: {m.group(1)}" for m in ends]


def streamlit_probe(msg: ConsoleMessage) -> bool:
    """A page opened at /train first looks for the server under /train/_stcore/, then under /_stcore/: Streamlit's
    own two 404s on every deep link (streamlit/streamlit#7074), not an error of this app or of its load."""
    return "404" in msg.text and msg.location.get("url", "").endswith(("/train/_stcore/health",
                                                                      "/train/_stcore/host-config"))


def open_session(browser: Browser, url: str, errors: list[str], n: int) -> Page:
    context = browser.new_context(viewport=SESSION_VIEWPORT)
    context.add_init_script(WATCH_SCRIPT)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and not streamlit_probe(msg) and errors.append(
        f"session {n} console: {msg.text} {msg.location.get('url', '')}"))
    page.on("pageerror", lambda err: errors.append(f"session {n} page error: {err}"))
    page.on("websocket", lambda ws: ws.on("close", lambda _: errors.append(f"session {n}: websocket {ws.url} closed")))
    # Twenty browsers share a core or two with the server here: the first load of each takes its turn.
    page.goto(f"{url}/train", wait_until="commit", timeout=PAGES_SECONDS * 1000)
    return page


def shows_live_run(page: Page) -> bool:
    return page.locator('[data-testid="stProgress"]').filter(has_text="step").count() > 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=REQUIRED_CLIENTS)
    parser.add_argument("--window", type=float, default=REQUIRED_WINDOW, help="seconds measured, per run")
    parser.add_argument("--arch", default="textcnn")
    cpus = sorted(os.sched_getaffinity(0))
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=len(cpus) >= 2,
                        help="worker on the upper half of the CPUs, server and browsers on the lower half")
    args = parser.parse_args()
    if args.pin and len(cpus) < 2:
        parser.error(f"--pin needs two CPUs or more; this process may use {len(cpus)}.")
    worker_cpus = set(cpus[len(cpus) // 2:]) if args.pin else None
    measured_cpus = worker_cpus or set(cpus)
    if worker_cpus:
        os.sched_setaffinity(0, set(cpus) - worker_cpus)  # inherited by the server, Playwright and Chromium
        os.environ[env_name("slots")] = str(max(1, (os.cpu_count() or 1) // len(worker_cpus)))
        placement = (f"worker on CPUs {sorted(worker_cpus)} ({len(worker_cpus)} threads), server and browsers on "
                     f"{sorted(set(cpus) - worker_cpus)}")
    else:
        placement = f"unpinned, on CPUs {cpus}"

    with tempfile.TemporaryDirectory(prefix="watch_load-") as folder:
        workspace = Path(folder) / "workspace"
        store = Store(workspace)
        dataset = save_dataset(store, split(prepare(get_sample("trec6").load(), "text", "label"), seed=42), "trec6")
        server = Server(workspace, Path(folder) / "server.log")
        try:
            server.start()
            run_a = start_run(store, dataset.id, args.arch, worker_cpus)
            print(f"Run {run_a}: measuring {args.window:.0f} s unwatched", flush=True)
            unwatched = measure(store, run_a, args.window, server.proc.pid, measured_cpus, lambda: time.sleep(1))
            stop_run(store, run_a)

            errors: list[str] = []
            with sync_playwright() as p:
                # Tabs share a few renderer processes, as a browser with many tabs does, not twenty of them.
                browser = p.chromium.launch(executable_path=chromium_executable(),
                                            args=[*CHROMIUM_ARGS, "--renderer-process-limit=4"])
                try:
                    run_b = start_run(store, dataset.id, args.arch, worker_cpus)
                    pages: list[Page] = []

                    def pump() -> None:  # waiting on a page lets Playwright deliver the sessions' events meanwhile
                        pages[0].wait_for_timeout(1000)

                    # One after the other, each once the last shows the run: twenty first loads at once would
                    # queue behind each other on the one core the server and browsers share here.
                    for n in range(args.clients):
                        pages.append(open_session(browser, server.url, errors, n))
                        wait_until(lambda: shows_live_run(pages[-1]), PAGES_SECONDS,
                                   f"session {n} to show run {run_b}", pump)
                    wait_until(lambda: all(shows_live_run(page) for page in pages), PAGES_SECONDS,
                               f"{args.clients} sessions to show run {run_b}", pump)
                    for page in pages:
                        page.evaluate("window.__watch.updates = 0")
                    print(f"Run {run_b}: measuring {args.window:.0f} s watched by {args.clients} sessions", flush=True)
                    watched = measure(store, run_b, args.window, server.proc.pid, measured_cpus, pump)
                    seen = [page.evaluate("window.__watch") for page in pages]
                    # A copy: closing the sessions afterwards closes their websockets, which is no error.
                    errors = [*errors, *(f"session {n} {e}" for n, s in enumerate(seen) for e in s["errors"])]
                    stop_run(store, run_b)
                finally:
                    browser.close()
            errors += server_tracebacks(server.log)
        finally:
            server.stop()
            kill_workers(workspace)

    rates = sorted(s["updates"] / args.window for s in seen)
    ratio = watched["steps"] / unwatched["steps"]
    passed = not errors and ratio >= TARGET_RATIO
    columns = ["clients", "window (s)", "placement", "steps/s unwatched", "steps/s watched",
               f"watched / unwatched (target ≥ {TARGET_RATIO})", "CPU s/s unwatched / watched: worker",
               "server", "others on the worker's CPUs", "page updates/s per session (min / median)",
               "errors (target 0)"]
    rows = [[args.clients, f"{args.window:.0f}", placement, f"{unwatched['steps']:.1f}", f"{watched['steps']:.1f}",
             f"{ratio:.3f}", *(f"{unwatched[k]:.2f} / {watched[k]:.2f}" for k in ("worker", "server", "others")),
             f"{rates[0]:.2f} / {statistics.median(rates):.2f}", len(errors)]]
    body = table(columns, rows)
    if errors:
        body += "\n\nFirst errors:\n" + "\n".join(f"- {e[:300]}" for e in errors[:SHOWN_ERRORS])
    if args.clients >= REQUIRED_CLIENTS and args.window >= REQUIRED_WINDOW:
        publish("watch_load", f"{args.clients} sessions watching one live run for {args.window:.0f} s", body)
    else:
        print(body)
    if worker_cpus and max(unwatched["others"], watched["others"]) > 0.1 * len(worker_cpus):
        # Pinned, nothing of the benchmark shares the worker's CPUs: the time went to processes outside it.
        print("Note: other processes ran on the worker's CPUs; the machine was not quiet, so the ratio measures "
              "their load too. Rerun on an idle machine.", flush=True)
    print(f"{'PASS' if passed else 'FAIL'}: {len(errors)} errors, watched / unwatched steps per second {ratio:.3f} "
          f"(target ≥ {TARGET_RATIO})", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
