"""Real worker processes: `jobs.start` launches `python -m core worker RUN_ID`, which trains and reports to the store."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from core import jobs
from core.architectures import get_architecture
from core.splitting import split
from core.datasets import save_dataset
from core.evaluation import REPORT_FILE
from core.prediction import load_run_model
from core.store import FINISHED, DatasetRecord, Run, Store
from core.worker import execute_run
from core.workspace import MODEL_DIR, PREDICTIONS_FILE, run_dir

# A textcnn run that would train for minutes: one text per step, 200 epochs.
LONG = {"epochs": 200, "batch_size": 1, "embedding_dim": 16, "vocab_size": 500, "num_filters": 8, "max_length": 32,
        "device": "cpu", "early_stopping_patience": 0}


def is_worker(pid: int | None, run_id: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return argv[1:5] == [b"-m", b"core", b"worker", str(run_id).encode()]


@pytest.fixture
def tiny_dataset(workspace: Store, tiny_df) -> DatasetRecord:
    """The tiny dataset, split and saved in the test's workspace."""
    return save_dataset(workspace, split(tiny_df, seed=0), "tiny")


@pytest.fixture(autouse=True)
def one_thread_workers(monkeypatch):
    """Workers inherit the environment; one torch thread each keeps the tiny runs from fighting over cores."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def stop_leftover_workers(workspace: Store):
    """A worker a test leaves running in its workspace is killed, so none outlives the test."""
    yield
    killed = []
    for run in workspace.list_runs(status=("queued", "running")):
        if jobs.pid_alive(run.pid) and is_worker(run.pid, run.id):
            os.kill(run.pid, signal.SIGKILL)
            killed.append(run.pid)
    deadline = time.time() + 30
    while any(jobs.pid_alive(pid) for pid in killed) and time.time() < deadline:
        time.sleep(0.1)


def wait_until(store: Store, run_id: int, done, timeout: float = 60.0, what: str = "") -> Run:
    deadline = time.monotonic() + timeout
    while True:
        run = store.get_run(run_id)
        if done(run):
            return run
        if time.monotonic() > deadline:
            pytest.fail(f"run {run_id} is still {run.status} after {timeout:.0f}s, waiting for {what}.\n"
                        f"worker log:\n{jobs.worker_log(store, run_id)}")
        time.sleep(0.1)


def wait_finished(store: Store, run_id: int, timeout: float = 60.0) -> Run:
    return wait_until(store, run_id, lambda r: r.status in FINISHED, timeout, "it to finish")


def test_tfidf_run_succeeds_then_the_queued_run_follows(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv(jobs.SLOTS_ENV, "1")
    first = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    second = jobs.start(workspace, tiny_dataset.id, "tfidf", {"C": "5"})
    waiting = workspace.get_run(second)
    assert waiting.status == "queued" and waiting.pid is None  # the only slot is taken
    assert waiting.config == get_architecture("tfidf").config_cls(C=5.0).to_dict()

    run = wait_finished(workspace, first)
    assert run.status == "succeeded", run.error
    assert run.pid > 0 and run.started_at <= run.finished_at and run.error is None
    assert run.result["accuracy"] >= 0.9 and run.result["n_test"] == 12 and run.result["train_seconds"] >= 0

    folder = run_dir(first, workspace.root)
    report = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
    assert report["accuracy"] == run.result["accuracy"]
    assert report["classes"] == ["food", "sport", "tech"]
    assert sum(map(sum, report["confusion_matrix"])) == 12
    assert (folder / MODEL_DIR / "bundle.json").exists()
    predictions = pd.read_parquet(folder / PREDICTIONS_FILE)
    assert list(predictions.columns) == ["text", "label", "predicted", "confidence", "P(food)", "P(sport)", "P(tech)"]
    assert len(predictions) == 12

    metrics = workspace.metrics_since(first)
    assert {(m["split"], m["name"]) for m in metrics} >= {("train", "loss"), ("val", "loss"), ("val", "accuracy"),
                                                          ("val", "macro_f1")}
    assert run.progress["step"] == run.progress["total_steps"] == 1
    assert load_run_model(workspace, first).predict(["goal match team league"]).tolist() == ["sport"]

    # The finishing worker handed its slot to the queued run.
    assert wait_finished(workspace, second).status == "succeeded"


def test_cancel_running_run_keeps_partial_metrics(workspace, tiny_dataset):
    run_id = jobs.start(workspace, tiny_dataset.id, "textcnn", LONG)
    wait_until(workspace, run_id, lambda r: r.status == "running" and workspace.metrics_since(run_id),
               what="training metrics")
    asked = time.time()
    assert jobs.cancel(workspace, run_id).cancel_requested
    run = wait_finished(workspace, run_id, timeout=30)
    assert run.status == "cancelled"
    assert run.finished_at - asked < jobs.CANCEL_GRACE_SECONDS  # the loop saw the flag; no signal was needed
    assert run.error is None and run.result == {}
    assert run.progress["step"] < run.progress["total_steps"]
    metrics = workspace.metrics_since(run_id)
    assert metrics and all(m["split"] in ("train", "val") for m in metrics)
    assert not (run_dir(run_id, workspace.root) / MODEL_DIR).exists()
    with pytest.raises(ValueError, match="cancelled"):
        load_run_model(workspace, run_id)


def test_killed_worker_is_interrupted_and_the_queue_moves_on(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv(jobs.SLOTS_ENV, "1")
    long_id = jobs.start(workspace, tiny_dataset.id, "textcnn", LONG)
    queued_id = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    run = wait_until(workspace, long_id, lambda r: r.status == "running", what="it to start")
    assert workspace.get_run(queued_id).pid is None

    os.kill(run.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while jobs.pid_alive(run.pid):
        assert time.monotonic() < deadline, "the killed worker did not die"
        time.sleep(0.05)
    assert workspace.get_run(long_id).status == "running"  # nobody has noticed yet

    assert jobs.reconcile(workspace) == [long_id]
    interrupted = workspace.get_run(long_id)
    assert interrupted.status == "interrupted" and interrupted.error and interrupted.finished_at
    assert jobs.reconcile(workspace) == []  # reconciling twice changes nothing
    assert wait_finished(workspace, queued_id).status == "succeeded"  # reconcile filled the freed slot


def test_failing_run_records_error_and_traceback(workspace, tiny_df):
    corrupt = save_dataset(workspace, split(tiny_df, seed=5), "corrupt")
    with open(corrupt.path, "wb") as fh:
        fh.write(b"this is not a parquet file")
    run_id = jobs.start(workspace, corrupt.id, "tfidf", {})
    run = wait_finished(workspace, run_id)
    assert run.status == "failed"
    assert run.error and "Traceback (most recent call last)" in run.traceback and "load_dataset" in run.traceback
    assert not (run_dir(run_id, workspace.root) / MODEL_DIR).exists()


def test_bad_settings_fail_the_run_in_the_worker(workspace, tiny_dataset):
    # jobs.start checks settings, so write a bad one straight into the store, as an older version might have,
    # and run the worker's body in-process.
    run_id = workspace.create_run(tiny_dataset.id, "textcnn", {"epochs": 0})
    run = execute_run(workspace, run_id)
    assert run.status == "failed"
    assert run.error == "ValueError: epochs must be between 1 and 200; got 0."
    assert "from_dict" in run.traceback
    assert execute_run(workspace, run_id).status == "failed"  # a finished run is not claimed again


# Without training workers

def test_start_checks_settings_and_dataset_first(workspace, tiny_dataset):
    with pytest.raises(ValueError, match="Unknown setting"):
        jobs.start(workspace, tiny_dataset.id, "tfidf", {"bogus": 1})
    with pytest.raises(ValueError, match="C must be between"):
        jobs.start(workspace, tiny_dataset.id, "tfidf", {"C": -1})
    with pytest.raises(ValueError, match="no architecture"):
        jobs.start(workspace, tiny_dataset.id, "nope", {})
    with pytest.raises(KeyError):
        jobs.start(workspace, "no-such-dataset", "tfidf", {})
    assert workspace.list_runs() == []


def test_cancel_queued_run_at_once(workspace, tiny_dataset):
    run_id = workspace.create_run(tiny_dataset.id, "tfidf", {})
    run = jobs.cancel(workspace, run_id)
    assert run.status == "cancelled" and run.finished_at is not None
    assert jobs.cancel(workspace, run_id).status == "cancelled"  # a second click is harmless


def test_slots_from_environment(monkeypatch):
    monkeypatch.setenv(jobs.SLOTS_ENV, "3")
    assert jobs.slots() == 3
    monkeypatch.setenv(jobs.SLOTS_ENV, "0")
    assert jobs.slots() == 1


def test_pid_alive():
    assert jobs.pid_alive(os.getpid())
    assert not jobs.pid_alive(None) and not jobs.pid_alive(-1) and not jobs.pid_alive(0)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not jobs.pid_alive(proc.pid)


def test_reconcile_without_live_workers(workspace, tiny_dataset, monkeypatch):
    dispatched = []
    monkeypatch.setattr(jobs, "dispatch", lambda store: dispatched.append(store) or [])
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = proc.pid
    running = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.transition(running, "running", pid=dead)
    died_before_claiming = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.set_pid(died_before_claiming, dead)
    being_launched = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.reserve_launch(being_launched)
    alive = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.transition(alive, "running", pid=os.getpid())  # any live process will do

    assert jobs.reconcile(workspace) == [running]
    assert workspace.get_run(running).status == "interrupted"
    assert workspace.get_run(died_before_claiming).pid is None  # to be launched again
    assert workspace.get_run(being_launched).pid == -1
    assert workspace.get_run(alive).status == "running"
    assert len(dispatched) == 1


def test_worker_outlives_the_process_that_started_it(workspace, tiny_dataset):
    """A stand-in for the dashboard starts a run and dies at once; the worker trains on, and a new one reattaches."""
    long_ish = {**LONG, "epochs": 3}
    server = subprocess.run(
        [sys.executable, "-c", "import os, sys; from core import jobs; from core.store import Store; "
         f"print(jobs.start(Store(), '{tiny_dataset.id}', 'textcnn', {long_ish!r})); sys.stdout.flush(); os._exit(0)"],
        capture_output=True, text=True, check=True, timeout=60)
    run_id = int(server.stdout.strip())
    wait_until(workspace, run_id, lambda r: r.status == "running", what="it to start")

    assert jobs.reconcile(workspace) == []  # the restarted dashboard finds the worker alive and keeps the run
    assert wait_finished(workspace, run_id, timeout=90).status == "succeeded"


def test_a_dead_worker_holds_no_slot(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv(jobs.SLOTS_ENV, "1")
    launched = []
    monkeypatch.setattr(jobs, "_launch", lambda store, run_id, gpu: launched.append(run_id) or os.getpid())
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.transition(stale, "running", pid=proc.pid)  # its worker was killed; nobody reconciled yet

    waiting = workspace.create_run(tiny_dataset.id, "tfidf", {})
    assert jobs.dispatch(workspace) == [waiting] == launched


def test_a_run_whose_process_cannot_start_fails_with_a_message(workspace, tiny_dataset, monkeypatch):
    def cannot_start(store, run_id, gpu):
        raise OSError("no such file")

    monkeypatch.setattr(jobs, "_launch", cannot_start)
    run_id = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    run = workspace.get_run(run_id)
    assert run.status == "failed" and "could not be started" in run.error
    monkeypatch.setattr(jobs, "_launch", lambda store, run_id, gpu: os.getpid())
    assert jobs.dispatch(workspace) == []  # the failed run no longer blocks a slot or waits for one


def test_each_run_gets_a_gpu_of_its_own(workspace, tiny_dataset, monkeypatch):
    monkeypatch.delenv(jobs.SLOTS_ENV, raising=False)
    monkeypatch.setattr(jobs, "gpu_count", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    given = {}

    def fake_launch(store, run_id, gpu):
        given[run_id] = gpu
        return os.getpid()

    monkeypatch.setattr(jobs, "_launch", fake_launch)
    first, second, third = (jobs.start(workspace, tiny_dataset.id, "tfidf", {}) for _ in range(3))
    assert given == {first: 0, second: 1}  # two GPUs, two slots: the third run waits
    assert workspace.get_run(third).pid is None

    workspace.transition(first, "running", pid=os.getpid())
    workspace.transition(first, "succeeded")
    assert jobs.dispatch(workspace) == [third] and given[third] == 0  # the GPU the finished run freed
    assert jobs.worker_env(workspace, 1)["CUDA_VISIBLE_DEVICES"] == "1"
    assert "CUDA_VISIBLE_DEVICES" not in jobs.worker_env(workspace, None)
