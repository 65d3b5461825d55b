"""Browser tests: real headless Chromium against the real server, started the way the README says.

The server runs as `python -m streamlit run dashboard/app.py` from the repository root (see the trap in
the design notes: plain `streamlit run` puts dashboard/ on sys.path instead of the root). Each test gets
its own server on a free loopback port and its own empty workspace folder, and is driven by clicks only.
Screenshots of every step land in test-artifacts/e2e/<test name>/.

Chromium: the system browser (`apt-get install chromium`), or the one named by $CHROMIUM_PATH, or one
installed with `playwright install chromium`. Without any of them these tests fail; they never skip.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import make_texts

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError as exc:  # reported by the browser fixture as a failure, not a skip
    PLAYWRIGHT_IMPORT_ERROR: ImportError | None = exc
else:
    PLAYWRIGHT_IMPORT_ERROR = None

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]



ARTIFACTS = ROOT / "test-artifacts" / "e2e"
WORKSPACE_ENV = "CLASSIFIER_STUDIO_WORKSPACE"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Streamlit scrolls inside its own container, so a full-page screenshot is only as tall as the window.
VIEWPORT = {"width": 1400, "height": 2000}

SERVER_START_SECONDS = 90  # until /_stcore/health answers
FIRST_LOAD_MS = 120_000  # the first page imports torch and the whole app
STEP_MS = 60_000  # an ordinary rerun
TRAINING_MS = 300_000  # worker start-up (imports torch) plus a short training run on two CPU cores


# ---------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


class Server:
    def __init__(self, url: str, workspace: Path, log: Path):
        self.url, self.workspace, self.log = url, workspace, log

    def goto(self, page: "Page", path: str) -> None:
        page.goto(f"{self.url}/{path.lstrip('/')}")


def wait_healthy(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"The streamlit server exited with code {proc.returncode} before it was ready:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"The streamlit server did not answer {url}/_stcore/health within {SERVER_START_SECONDS} s:\n"
                f"{log_tail(log)}")


def stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=grace)


def worker_pids(workspace: Path) -> set[int]:
    """Live processes started for this workspace: the pids the store recorded for its runs, plus any
    process whose environment names this (unique, temporary) workspace folder, which also catches a
    worker launched in the instant before its pid was written."""
    pids: set[int] = set()
    try:
        from core.store import Store

        pids |= {r.pid for r in Store(workspace).list_runs() if r.pid and r.pid > 0}
    except Exception:  # noqa: BLE001 - cleanup must go on even if the store cannot be read
        pass
    marker = f"{WORKSPACE_ENV}={workspace}".encode()
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc_dir / "environ").read_bytes().split(b"\0"):
                pids.add(int(proc_dir.name))
        except OSError:
            continue
    pids.discard(os.getpid())
    return {pid for pid in pids if _is_worker(pid)}


def _is_worker(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"core" in argv and b"worker" in argv


def kill_workers(workspace: Path) -> None:
    """Workers run in their own session (they outlive the server on purpose), so end them one by one."""
    for _ in range(3):  # a finishing worker may launch the next queued run
        pids = worker_pids(workspace)
        if not pids:
            return
        for pid in pids:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                    break
                except (ProcessLookupError, PermissionError):
                    continue
        time.sleep(0.5)


@pytest.fixture
def artifacts(request) -> Path:
    path = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def server(tmp_path, artifacts) -> Iterator[Server]:
    """`python -m streamlit run dashboard/app.py`, as the README says, on a free loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    workspace = tmp_path / "workspace"
    log = artifacts / "server.log"
    env = {**os.environ, WORKSPACE_ENV: str(workspace)}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
               "--server.port", str(port), "--server.address", "127.0.0.1"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(proc, url, log)
        yield Server(url, workspace, log)
    finally:
        stop_process_group(proc)
        kill_workers(workspace)


# --------------------------------------------------------------------------------------------- browser


def chromium_executable() -> str | None:
    """$CHROMIUM_PATH, else a system Chromium, else None (then Playwright's own download is tried)."""
    if os.environ.get("CHROMIUM_PATH"):
        return os.environ["CHROMIUM_PATH"]
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    if PLAYWRIGHT_IMPORT_ERROR is not None:
        pytest.fail(f"Playwright is not installed ({PLAYWRIGHT_IMPORT_ERROR}); run "
                    "`pip install -r requirements-dev.txt`.", pytrace=False)
    executable = chromium_executable()
    with sync_playwright() as p:
        try:
            browser, error = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS), None
        except Exception as exc:  # noqa: BLE001 - turn any launch error into one clear message
            browser, error = None, exc
        if error is not None:
            pytest.fail("The browser tests need Chromium and could not start it "
                        f"({'at ' + executable if executable else 'none found on PATH'}): {error}\n"
                        "Install it with `apt-get install chromium` (Debian/Ubuntu), or point $CHROMIUM_PATH at "
                        "a Chromium or Chrome binary, or run `playwright install chromium`.", pytrace=False)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, artifacts):
    """Opens pages in fresh browser contexts; each context's last view is saved when the test ends, and
    the browser console (errors of the app's JavaScript) goes to console.log."""
    contexts = []
    console = open(artifacts / "console.log", "a", encoding="utf-8")

    def opener() -> "Page":
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(STEP_MS)
        contexts.append(context)
        page = context.new_page()
        n = len(contexts) - 1
        page.on("console", lambda msg: console.write(f"[page {n}] {msg.type}: {msg.text} {msg.location.get('url', '')}\n"))
        page.on("requestfailed", lambda req: console.write(f"[page {n}] request failed: {req.url} {req.failure}\n"))
        page.on("pageerror", lambda err: console.write(f"[page {n}] pageerror: {err}\n"))
        return page

    yield opener
    for i, context in enumerate(contexts):
        for page in context.pages:
            try:
                page.screenshot(path=artifacts / f"zz-last-view-{i}.png", full_page=True, timeout=10_000)
            except Exception:  # noqa: BLE001 - best effort, the test result matters more
                pass
        context.close()
    console.close()


def shot(page: "Page", artifacts: Path, name: str) -> None:
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


# ------------------------------------------------------------------------------------------- helpers


def write_csv(tmp_path: Path) -> Path:
    """~90 short texts in 3 classes (sport, food, tech) whose words give the class away."""
    path = tmp_path / "news.csv"
    make_texts(n_per_class=30).to_csv(path, index=False)
    return path


def upload_and_use(page: "Page", server: Server, csv: Path, artifacts: Path | None = None) -> None:
    """Data page: upload the CSV, check the guessed columns, save the dataset and follow the link to Train."""
    server.goto(page, "data")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.locator("input[type=file]")).to_be_attached(timeout=FIRST_LOAD_MS)
    if artifacts:
        shot(page, artifacts, "01-data-page")

    page.locator("input[type=file]").set_input_files(csv)
    expect(page.get_by_text(f"{csv.name}: 90 rows, 2 columns")).to_be_visible()
    # The first widgets of a kind load their code on first use: allow the first-load time.
    expect(page.get_by_role("combobox", name="Column with the texts")).to_have_value("text", timeout=FIRST_LOAD_MS)
    expect(page.get_by_role("combobox", name="Column with the labels")).to_have_value("label")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()  # the class distribution
    if artifacts:
        shot(page, artifacts, "02-uploaded")

    page.get_by_role("button", name="Use this dataset").click()
    expect(page.get_by_text(re.compile(r"Saved .*training"))).to_be_visible()
    if artifacts:
        shot(page, artifacts, "03-dataset-saved")
    page.get_by_role("link", name="Next: train a model").click()
    expect(page).to_have_url(re.compile(r"/train$"))
    expect(page.get_by_role("button", name="Start training")).to_be_visible()
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value(re.compile(r"90 rows · 3 classes"))


def start_textcnn(page: "Page", epochs: int) -> None:
    """Train page: choose TextCNN, set epochs and a batch of 4 in Settings, press Start.

    Four texts a step makes many steps of the tiny dataset, so the run trains for several of the page's
    one-second refreshes even on a fast idle machine (at 32 a step, 30 epochs once took 2 s).
    """
    page.get_by_text("TextCNN", exact=True).click()
    expect(page.get_by_role("radio", name="TextCNN")).to_be_checked()
    page.get_by_text("Settings:").click()
    for name, value in (("Epochs", epochs), ("Batch size", 4)):
        box = page.get_by_role("spinbutton", name=name, exact=True)
        expect(box).to_be_visible()
        box.fill(str(value))
        box.press("Enter")
        expect(box).to_have_value(str(value))
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("combobox", name="Run to watch")).to_have_value(re.compile(r"^#1 · TextCNN"))


def progress_text(page: "Page") -> str:
    """The live progress line ('Epoch 3 of 40 · step 5 of 80 · ...'), once the worker has begun."""
    line = page.get_by_text(re.compile(r"Epoch \d+ of \d+ · step")).first
    expect(line).to_be_visible(timeout=TRAINING_MS)
    return line.inner_text()


def step_of(progress: str) -> int:
    return int(re.search(r"step ([\d,]+) of", progress).group(1).replace(",", ""))


# --------------------------------------------------------------------------------------------- tests


def test_upload_train_results_predict(server, open_page, artifacts, tmp_path):
    """The whole journey of a first-time user, by clicking only."""
    page = open_page()
    upload_and_use(page, server, write_csv(tmp_path), artifacts)
    shot(page, artifacts, "04-train-page")

    start_textcnn(page, epochs=40)
    # While it trains: the Stop button, the progress bar and then the live curves.
    expect(page.get_by_role("button", name="Stop")).to_be_visible(timeout=TRAINING_MS)
    assert "of 40" in progress_text(page)
    expect(page.get_by_test_id("stProgress").first).to_be_visible()
    shot(page, artifacts, "05-training")
    # `.first` below: while Streamlit swaps the live view for the final one, both can be on the page for a moment.
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=TRAINING_MS)  # loss and score curves

    expect(page.get_by_text("Finished in").first).to_be_visible(timeout=TRAINING_MS)
    expect(page.get_by_text(re.compile(r"test accuracy \d+\.\d%")).first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot").first).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    shot(page, artifacts, "06-finished")

    page.get_by_role("link", name="See the results").click()
    expect(page).to_have_url(re.compile(r"/results"))
    expect(page.get_by_role("heading", name="Results", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Accuracy")).to_contain_text(re.compile(r"\d+\.\d%"))
    matrix = page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot").first
    expect(matrix).to_be_visible()
    expect(matrix).to_contain_text("predicted class")
    for label in ("sport", "food", "tech"):
        expect(matrix).to_contain_text(label)
    shot(page, artifacts, "07-results")

    page.get_by_role("link", name="Try the model on your own sentences").click()
    expect(page).to_have_url(re.compile(r"/predict"))
    box = page.get_by_role("textbox", name="Text to classify")
    expect(box).to_be_visible()
    box.fill("the coach said the team will score a goal in the match")
    page.get_by_role("button", name="Predict", exact=True).click()
    prediction = page.get_by_test_id("stMetric").filter(has_text="Predicted label")
    expect(prediction).to_be_visible()
    expect(prediction).to_contain_text("sport")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()  # the probability of each class
    shot(page, artifacts, "08-predict")


def test_training_survives_closing_the_tab(server, open_page, artifacts, tmp_path):
    """A run keeps training in its worker process after the page that started it is closed."""
    page = open_page()
    upload_and_use(page, server, write_csv(tmp_path))
    start_textcnn(page, epochs=80)  # long enough to still be training when the new page opens
    before = step_of(progress_text(page))
    shot(page, artifacts, "01-training-before-close")
    page.context.close()

    page = open_page()
    server.goto(page, "train")
    expect(page.get_by_role("combobox", name="Run to watch")).to_have_value(re.compile(r"^#1 · TextCNN"),
                                                                           timeout=FIRST_LOAD_MS)
    finished = page.get_by_text("Finished in").first
    progress = page.get_by_text(re.compile(r"Epoch \d+ of 80 · step")).first
    expect(finished.or_(progress).first).to_be_visible(timeout=TRAINING_MS)
    if progress.is_visible():  # still training: the step count keeps going up in the new page
        shot(page, artifacts, "02-still-training-after-reopen")
        deadline = time.monotonic() + TRAINING_MS / 1000
        while time.monotonic() < deadline and not finished.is_visible():
            try:
                if step_of(progress.inner_text(timeout=2_000)) > before:
                    break
            except Exception:  # noqa: BLE001 - the line vanishes when the run ends; the loop checks again
                pass
            time.sleep(0.5)
        else:
            if not finished.is_visible():
                pytest.fail(f"The run stopped advancing after the tab was closed (stuck at step {before}).")
    expect(finished).to_be_visible(timeout=TRAINING_MS)
    shot(page, artifacts, "03-finished-after-reopen")

    from core.store import Store

    runs = Store(server.workspace).list_runs()
    assert [(r.id, r.status) for r in runs] == [(1, "succeeded")], "closing the tab must neither stop nor repeat the run"
