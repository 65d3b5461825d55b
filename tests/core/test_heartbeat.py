"""The worker's heartbeat (core/runs/heartbeat.py): kept fresh from before the claim to the end of a run, and what
lets a reader that cannot see a worker's process tell a live worker from a dead one."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.data.splitting import split
from core.runs import heartbeat, jobs
from core.runs.backends.local import GONE
from core.runs.backends.processes import process_started
from core.runs.heartbeat import HEARTBEAT_FILE, beating, beats_elsewhere
from core.runs.worker import execute_run
from core.store.datasets import save_dataset
from core.store.store import DatasetRecord, Store
from core.workspace import run_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dataset(workspace: Store, tiny_df) -> DatasetRecord:
    return save_dataset(workspace, split(tiny_df, seed=0), "tiny")


@pytest.fixture
def elsewhere(monkeypatch):
    """This process reads the store as if on another machine: no worker's heartbeat comes from where it runs."""
    monkeypatch.setattr(heartbeat, "place", lambda: "another machine")


@pytest.fixture
def beating_elsewhere():
    """`beating_elsewhere(folder)`: a process keeping the heartbeat in `folder`, as a worker on another machine does;
    killed at the end of the test, if the test has not."""
    started: list[subprocess.Popen] = []

    def _start(folder: Path) -> subprocess.Popen:
        code = ("import sys, time; from pathlib import Path; from core.runs.heartbeat import beating\n"
                "with beating(Path(sys.argv[1])):\n    print('beating', flush=True); time.sleep(600)")
        started.append(subprocess.Popen([sys.executable, "-c", code, str(folder)], cwd=ROOT, stdout=subprocess.PIPE,
                                        text=True))
        assert started[-1].stdout.readline() == "beating\n"
        return started[-1]

    yield _start
    for proc in started:
        proc.kill()
        proc.wait()


def gone_pid() -> int:
    """The id of a process that has ended: here, no worker has it."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_worker_beats_from_before_it_claims_its_run_until_it_ends(workspace, dataset, monkeypatch):
    run_id = workspace.create_run(dataset.id, "tfidf", {})
    heartbeat_file = run_dir(run_id, workspace.root) / HEARTBEAT_FILE
    heard = []
    transition = workspace.transition

    def listening(run, status, **fields):
        heard.append((status, heartbeat_file.read_text(encoding="utf-8")))
        return transition(run, status, **fields)

    monkeypatch.setattr(workspace, "transition", listening)
    assert execute_run(workspace, run_id).status == "succeeded"
    assert heard == [("running", heartbeat.place()), ("succeeded", heartbeat.place())]
    assert not heartbeat_file.exists()  # a finished run has nothing beating


def test_a_worker_heard_beating_elsewhere_is_kept_until_its_heartbeat_stops(workspace, dataset, elsewhere,
                                                                              beating_elsewhere, monkeypatch):
    monkeypatch.setattr(jobs, "dispatch", lambda store: [])
    run_id = workspace.create_run(dataset.id, "tfidf", {})
    worker = beating_elsewhere(run_dir(run_id, workspace.root))
    assert workspace.transition(run_id, "running", pid=gone_pid())  # an id that means nothing on this machine
    # Longer than a heartbeat stays fresh: the worker keeps it so.
    deadline = time.monotonic() + heartbeat.STALE_SECONDS * 2
    while time.monotonic() < deadline:
        assert jobs.reconcile(workspace) == []
        time.sleep(0.5)
    assert workspace.get_run(run_id).status == "running"

    worker.send_signal(signal.SIGKILL)  # no clean exit: its heartbeat file stays, and goes stale
    worker.wait()
    deadline = time.monotonic() + 60  # a generous limit; the heartbeat goes stale within seconds
    while not jobs.reconcile(workspace) and time.monotonic() < deadline:
        time.sleep(0.2)
    run = workspace.get_run(run_id)
    assert run.status == "interrupted" and run.error == GONE


def test_a_worker_this_process_can_see_is_given_up_the_moment_its_process_is_gone(workspace, dataset, monkeypatch):
    monkeypatch.setattr(jobs, "dispatch", lambda store: [])
    run_id = workspace.create_run(dataset.id, "tfidf", {})
    folder = run_dir(run_id, workspace.root)
    with beating(folder):  # left behind fresh by a worker killed on this machine a moment ago
        assert not beats_elsewhere(folder)
        assert workspace.transition(run_id, "running", pid=gone_pid())
        assert jobs.reconcile(workspace) == [run_id]


def test_an_overdue_stop_never_signals_the_process_here_that_has_the_id_of_a_worker_elsewhere(
        workspace, dataset, elsewhere, beating_elsewhere, monkeypatch):
    monkeypatch.setattr(jobs, "dispatch", lambda store: [])
    monkeypatch.setattr(jobs, "CANCEL_GRACE_SECONDS", -60.0)  # Stop was asked for long ago, and never acknowledged
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        run_id = workspace.create_run(dataset.id, "tfidf", {})
        beating_elsewhere(run_dir(run_id, workspace.root))
        # The worker elsewhere has the id of a process here, started at another time.
        started_elsewhere = process_started(bystander.pid) - 3600
        assert workspace.transition(run_id, "running", pid=bystander.pid, process_started=started_elsewhere)
        workspace.request_cancel(run_id)
        assert jobs.reconcile(workspace) == []
        assert bystander.poll() is None and workspace.get_run(run_id).status == "running"
    finally:
        bystander.kill()
        bystander.wait()
