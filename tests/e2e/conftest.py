"""Fixtures of the browser tests: real headless Chromium against the real server, started as the README says.

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
from typing import Iterator, Sequence

import pytest

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError as exc:  # reported by the browser fixture as a failure, not a skip
    PLAYWRIGHT_IMPORT_ERROR: ImportError | None = exc
else:
    PLAYWRIGHT_IMPORT_ERROR = None

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
    """The app's server on a fixed loopback port and workspace; `restart` keeps both, as an admin would."""

    def __init__(self, workspace: Path, log: Path, args: Sequence[str] = ()):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.workspace, self.log, self.args = workspace, log, list(args)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        # As a user starts it: with a worker kept ready for the next run, which tests/conftest.py turns off elsewhere.
        env = {**os.environ, WORKSPACE_ENV: str(self.workspace), "CLASSIFIER_STUDIO_WARM_WORKER": "1"}
        command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
                   "--server.port", self.url.rsplit(":", 1)[1], "--server.address", "127.0.0.1", *self.args]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_healthy(self.proc, self.url, self.log)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_group(self.proc)

    def restart(self) -> None:
        self.stop()
        self.start()

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
        from core.store.store import Store

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
    server = Server(tmp_path / "workspace", artifacts / "server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        kill_workers(server.workspace)


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
