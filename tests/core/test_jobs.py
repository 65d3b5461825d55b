"""Real worker processes: `jobs.start` launches `python -m core worker RUN_ID`, which trains and reports to the store."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from core.architectures import get_architecture
from core.data.splitting import split
from core.evaluation.report import REPORT_FILE
from core.inference.prediction import load_run_model
from core.runs import jobs, run_log, run_queue
from core.runs.backends import base
from core.runs.backends.choice import backend_for
from core.runs.backends.local import GONE, WORKERS, worker_env
from core.runs.backends.processes import pid_alive, process_started, signal_process
from core.runs.worker import execute_run, training_threads
from core.runs.worker_callbacks import StopWatch
from core.store.datasets import save_dataset
from core.store.records import Progress
from core.store.store import FINISHED, DatasetRecord, Run, Store
from core.training.checkpoints import CHECKPOINT_FILE
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
        if pid_alive(run.pid) and is_worker(run.pid, run.id):
            os.kill(run.pid, signal.SIGKILL)
            killed.append(run.pid)
    deadline = time.time() + 30
    while any(pid_alive(pid) for pid in killed) and time.time() < deadline:
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


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_tfidf_run_succeeds_then_the_queued_run_follows(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    first, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    second, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {"C": "5"})
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
    assert run.progress.step == run.progress.total_steps == 1
    assert load_run_model(workspace, first).predict(["goal match team league"]).tolist() == ["sport"]

    # The finishing worker handed its slot to the queued run.
    assert wait_finished(workspace, second).status == "succeeded"


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_cancel_frees_the_slot_at_once_and_keeps_the_best_epoch_as_a_usable_model(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    run_id, _ = jobs.start(workspace, tiny_dataset.id, "textcnn", LONG)
    queued_id, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    wait_until(workspace, run_id, lambda r: r.progress.epoch >= 2, what="two epochs")
    asked = time.time()
    assert jobs.cancel(workspace, run_id).cancel_requested
    run = wait_finished(workspace, run_id, timeout=30)
    assert run.status == "cancelled" and run.error is None
    assert run.finished_at - asked < jobs.CANCEL_GRACE_SECONDS  # the loop saw the flag; no signal was needed
    assert not pid_alive(run.pid) or wait_until(workspace, run_id, lambda r: not pid_alive(r.pid), 10)
    assert run.progress.step < run.progress.total_steps
    # The slot went to the waiting run as soon as the stopped worker left.
    assert wait_until(workspace, queued_id, lambda r: r.status != "queued" or r.pid is not None, 10, "its launch")

    # The best epoch so far was measured on the test split and kept: Results and Predict can use it.
    assert run.has_model and run.result["best_epoch"] >= 1 and run.result["n_test"] == 12
    assert run.result["stopped_at_step"] == run.progress.step
    assert load_run_model(workspace, run_id).predict(["goal match team league"]).shape == (1,)
    assert workspace.runs_with_model() == [run] or run in workspace.runs_with_model()
    metrics = workspace.metrics_since(run_id)
    assert metrics and {m["split"] for m in metrics} == {"train", "val"}  # the partial curves stay
    log = run_log.read(run_dir(run_id, workspace.root))
    assert f"Stopped by the user at step {run.progress.step:,}" in log and "Test split: accuracy" in log
    assert (run_dir(run_id, workspace.root) / CHECKPOINT_FILE).exists()  # so it can resume


def kill(run: Run) -> None:
    os.kill(run.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while pid_alive(run.pid):
        assert time.monotonic() < deadline, "the killed worker did not die"
        time.sleep(0.05)


def test_a_killed_worker_is_noticed_by_its_launcher_and_the_queue_moves_on(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    long_id, _ = jobs.start(workspace, tiny_dataset.id, "textcnn", LONG)
    queued_id, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    run = wait_until(workspace, long_id, lambda r: r.status == "running", what="it to start")
    assert workspace.get_run(queued_id).pid is None

    kill(run)
    interrupted = wait_until(workspace, long_id, lambda r: r.status == "interrupted", 10, "the launcher to notice")
    assert interrupted.error == ("The training process was killed by SIGKILL (if nobody stopped it, the system does "
                                 "this when memory runs out).")
    assert "Interrupted. The training process was killed by SIGKILL" in run_log.read(run_dir(long_id, workspace.root))
    assert jobs.reconcile(workspace) == []  # nothing left to reconcile
    # The freed slot went to the waiting run.
    assert wait_until(workspace, queued_id, lambda r: r.status != "queued" or r.pid is not None, 10, "its launch")


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_a_killed_worker_whose_launcher_is_gone_is_marked_within_seconds_by_the_supervisor(workspace, tiny_dataset):
    run_id = start_elsewhere(tiny_dataset, {**LONG, "epochs": 50})
    run = wait_until(workspace, run_id, lambda r: r.status == "running", what="it to start")
    supervisor = jobs.Supervisor(workspace, every=1.0)
    try:
        kill(run)
        killed = time.monotonic()
        interrupted = wait_until(workspace, run_id, lambda r: r.status == "interrupted", 10, "the supervisor to notice")
        assert time.monotonic() - killed < 10
    finally:
        supervisor.stop()
    assert interrupted.error == GONE and interrupted.finished_at


def start_elsewhere(dataset: DatasetRecord, config: dict) -> int:
    """Start a run from a stand-in for the dashboard that exits at once, leaving the worker without a launcher."""
    server = subprocess.run(
        [sys.executable, "-c", "import os, sys; from core.runs import jobs; from core.store.store import Store; "
         f"print(jobs.start(Store(), '{dataset.id}', 'textcnn', {config!r})[0]); sys.stdout.flush(); os._exit(0)"],
        capture_output=True, text=True, check=True, timeout=60)
    return int(server.stdout.strip())


def test_failing_run_records_error_and_traceback(workspace, tiny_df):
    corrupt = save_dataset(workspace, split(tiny_df, seed=5), "corrupt")
    with open(corrupt.path, "wb") as fh:
        fh.write(b"this is not a parquet file")
    run_id, _ = jobs.start(workspace, corrupt.id, "tfidf", {})
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
    assert run.error == "epochs must be between 1 and 200; got 0."
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
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "3")
    assert jobs.slots() == 3
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "0")
    assert jobs.slots() == 1


def test_a_forced_stop_reaches_the_processes_a_worker_started_in_sessions_of_their_own():
    """As torchrun starts its workers: killing torchrun alone would leave them training on its GPUs."""
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen([sys.executable, "
                               "'-c', 'import time; time.sleep(600)'], start_new_session=True); time.sleep(600)"])
    deadline = time.monotonic() + 30
    while not (children := psutil.Process(parent.pid).children()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        signal_process(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        psutil.wait_procs(children, timeout=30)
        assert not pid_alive(children[0].pid)
    finally:  # the child, in a session of its own, outlives a failure of the test
        for child in children:
            if child.is_running():
                child.kill()


def test_pid_alive():
    assert pid_alive(os.getpid())
    assert not pid_alive(None) and not pid_alive(-1) and not pid_alive(0)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)


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
    assert workspace.get_run(being_launched).launcher == os.getpid()  # this process is launching it
    assert workspace.get_run(alive).status == "running"
    assert len(dispatched) == 1


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_worker_outlives_the_process_that_started_it(workspace, tiny_dataset):
    """A stand-in for the dashboard starts a run and dies at once; the worker trains on, and a new one reattaches."""
    run_id = start_elsewhere(tiny_dataset, {**LONG, "epochs": 3})
    wait_until(workspace, run_id, lambda r: r.status == "running", what="it to start")

    assert jobs.reconcile(workspace) == []  # the restarted dashboard finds the worker alive and keeps the run
    assert wait_finished(workspace, run_id, timeout=90).status == "succeeded"


def test_a_dead_worker_holds_no_slot(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    launched = []
    monkeypatch.setattr(WORKERS, "launch", lambda store, run, gpu, on_exit: launched.append(run.id)
                        or store.set_pid(run.id, os.getpid(), gpu))
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.transition(stale, "running", pid=proc.pid)  # its worker was killed; nobody reconciled yet

    waiting = workspace.create_run(tiny_dataset.id, "tfidf", {})
    assert jobs.dispatch(workspace) == [waiting] == launched


def test_a_run_whose_process_cannot_start_fails_with_a_message(workspace, tiny_dataset, monkeypatch):
    def cannot_start(store, run, gpu, on_exit):
        raise OSError("no such file")

    monkeypatch.setattr(WORKERS, "launch", cannot_start)
    run_id, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    run = workspace.get_run(run_id)
    assert run.status == "failed" and "could not be started" in run.error
    monkeypatch.setattr(WORKERS, "launch", lambda store, run, gpu, on_exit: store.set_pid(run.id, os.getpid(), gpu))
    assert jobs.dispatch(workspace) == []  # the failed run no longer blocks a slot or waits for one


def test_each_run_gets_a_gpu_of_its_own(workspace, tiny_dataset, monkeypatch):
    monkeypatch.delenv("CLASSIFIER_STUDIO_SLOTS", raising=False)
    monkeypatch.setattr(base, "gpu_count", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    given = {}

    def fake_launch(store, run, gpu, on_exit):
        given[run.id] = gpu
        store.set_pid(run.id, os.getpid(), gpu)

    monkeypatch.setattr(WORKERS, "launch", fake_launch)
    first, second, third = (jobs.start(workspace, tiny_dataset.id, "tfidf", {"C": c})[0] for c in (1, 2, 3))
    assert given == {first: 0, second: 1}  # two GPUs, two slots: the third run waits
    assert workspace.get_run(third).pid is None

    workspace.transition(first, "running", pid=os.getpid())
    workspace.transition(first, "succeeded")
    assert jobs.dispatch(workspace) == [third] and given[third] == 0  # the GPU the finished run freed
    assert worker_env(workspace, 1)["CUDA_VISIBLE_DEVICES"] == "1"
    assert "CUDA_VISIBLE_DEVICES" not in worker_env(workspace, None)


# Queue, resume and out of memory, with real workers

@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_a_double_click_starts_one_run_and_waiting_runs_know_their_place(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    first, new = jobs.start(workspace, tiny_dataset.id, "textcnn", LONG)
    again, new_again = jobs.start(workspace, tiny_dataset.id, "textcnn", LONG)
    assert new and not new_again and again == first
    second, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    third, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {"C": 3})
    assert len(workspace.list_runs()) == 3
    assert [run_queue.place_in_queue(workspace, r) for r in (first, second, third)] == [None, 1, 2]
    jobs.cancel(workspace, second)  # a waiting run leaves the queue at once; the one behind moves up
    assert workspace.get_run(second).status == "cancelled"
    assert run_queue.place_in_queue(workspace, third) == 1
    jobs.cancel(workspace, first)
    assert wait_finished(workspace, third).status == "succeeded"  # it started by itself once the slot was free


def predictions(store: Store, run_id: int) -> pd.DataFrame:
    return pd.read_parquet(run_dir(run_id, store.root) / PREDICTIONS_FILE)


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_interrupted_and_cancelled_runs_resume_to_the_result_of_an_unbroken_run(workspace, tiny_dataset):
    config = {**LONG, "epochs": 8}
    unbroken = wait_finished(workspace, jobs.start(workspace, tiny_dataset.id, "textcnn", config)[0], 120)
    assert unbroken.status == "succeeded", jobs.worker_log(workspace, unbroken.id)
    expected = predictions(workspace, unbroken.id)

    killed_id, _ = jobs.start(workspace, tiny_dataset.id, "textcnn", config)
    kill(wait_until(workspace, killed_id, lambda r: r.progress.epoch >= 3, what="three epochs"))
    assert wait_until(workspace, killed_id, lambda r: not r.active, 10).status == "interrupted"
    stopped_id, _ = jobs.start(workspace, tiny_dataset.id, "textcnn", config)
    wait_until(workspace, stopped_id, lambda r: r.progress.epoch >= 1, what="one epoch")
    jobs.cancel(workspace, stopped_id)
    stopped = wait_finished(workspace, stopped_id)
    assert stopped.status == "cancelled"

    for run_id in (killed_id, stopped_id):
        assert jobs.resume(workspace, run_id).status == "queued"
        run = wait_finished(workspace, run_id, 120)
        assert run.status == "succeeded", jobs.worker_log(workspace, run_id)
        assert run.progress.step == unbroken.progress.step
        assert run.result["accuracy"] == unbroken.result["accuracy"]
        assert run.result["best_epoch"] == unbroken.result["best_epoch"]
        got = predictions(workspace, run_id)
        np.testing.assert_allclose(got.filter(like="P(").to_numpy(), expected.filter(like="P(").to_numpy(),
                                   atol=1e-6, rtol=0)
        steps = [m["step"] for m in workspace.metrics_since(run_id) if (m["split"], m["name"]) == ("val", "loss")]
        assert steps == sorted(steps) and len(steps) == len(set(steps))  # steps after the checkpoint logged once
        assert "Resumed from the checkpoint at step" in run_log.read(run_dir(run_id, workspace.root))
        assert not (run_dir(run_id, workspace.root) / CHECKPOINT_FILE).exists()  # a finished run keeps none
    with pytest.raises(ValueError, match="only a cancelled or interrupted run can be resumed"):
        jobs.resume(workspace, unbroken.id)


INJECT_OOM = """
import os

import torch
import torch.nn.functional as F

_cross_entropy = F.cross_entropy
MOST = int(os.environ["INJECTED_OOM_ABOVE"])


def cross_entropy(input, target, *args, **kwargs):
    # Injected by the test: a training pass of more than MOST texts runs out of GPU memory.
    if input.requires_grad and len(target) > MOST:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (injected by the test)")
    return _cross_entropy(input, target, *args, **kwargs)


F.cross_entropy = cross_entropy
"""


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_out_of_memory_in_a_worker_retries_with_smaller_passes_and_says_so(workspace, tiny_dataset, tmp_path,
                                                                             monkeypatch):
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(INJECT_OOM)  # imported first by every worker it reaches
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "inject"))
    monkeypatch.setenv("INJECTED_OOM_ABOVE", "2")
    config = {**LONG, "epochs": 2, "batch_size": 8}
    run = wait_finished(workspace, jobs.start(workspace, tiny_dataset.id, "textcnn", config)[0], 90)
    assert run.status == "succeeded", f"{run.error}\n{jobs.worker_log(workspace, run.id)}"
    assert run.progress.accumulation == 4 and run.progress.step == run.progress.total_steps == 12
    log = run_log.read(run_dir(run.id, workspace.root))
    assert "Warning: Out of memory at step 1 with 8 texts at a time; each step now takes 2 smaller passes" in log
    assert "Warning: Out of memory at step 1 with 4 texts at a time; each step now takes 4 smaller passes" in log

    # The finishing worker looks for queued runs as it exits; one it launched would inherit its environment.
    deadline = time.monotonic() + 30
    while pid_alive(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    monkeypatch.setenv("INJECTED_OOM_ABOVE", "0")  # not even one text fits
    hopeless = wait_finished(workspace, jobs.start(workspace, tiny_dataset.id, "textcnn", {**config, "seed": 1})[0], 90)
    assert hopeless.status == "failed"
    assert hopeless.error == ("The CPU ran out of memory even with one text per pass. Lower the maximum length, or "
                              "choose a smaller model.")
    assert "Error: The CPU ran out of memory" in run_log.read(run_dir(hopeless.id, workspace.root))


def test_a_worker_that_ignores_stop_is_terminated_then_marked_cancelled(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setattr(jobs, "CANCEL_GRACE_SECONDS", 0.0)
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        run_id = workspace.create_run(tiny_dataset.id, "tfidf", {})
        workspace.transition(run_id, "running", pid=stuck.pid, process_started=process_started(stuck.pid))
        jobs.cancel(workspace, run_id)
        time.sleep(0.1)
        assert jobs.reconcile(workspace) == []  # alive yet past its grace period: sent SIGTERM
        assert stuck.wait(timeout=10) == -signal.SIGTERM
        assert jobs.reconcile(workspace) == [run_id]
        run = workspace.get_run(run_id)
        assert run.status == "cancelled"
        assert "Stopped by force after Stop was asked for" in run_log.read(run_dir(run_id, workspace.root))
    finally:
        stuck.kill()


def test_a_recycled_pid_is_not_taken_for_the_worker(workspace, tiny_dataset):
    run_id = workspace.create_run(tiny_dataset.id, "tfidf", {})
    # This process is alive, but it started long before the recorded worker did: another process got its pid.
    workspace.transition(run_id, "running", pid=os.getpid(), process_started=time.time() + 3600)
    run = workspace.get_run(run_id)
    assert not backend_for(run).alive(run, workspace.root)
    assert jobs.reconcile(workspace) == [run_id]
    assert workspace.get_run(run_id).status == "interrupted"


def test_two_dispatchers_at_once_fill_one_free_slot_once(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    for c in (1, 2, 3):
        workspace.create_run(tiny_dataset.id, "tfidf", {"C": c})
    launched: list[int] = []
    waiting = jobs.waiting

    def slow_waiting(store):
        found = waiting(store)
        time.sleep(0.2)  # both dispatchers have counted the free slot before either reserves it
        return found

    monkeypatch.setattr(jobs, "waiting", slow_waiting)
    monkeypatch.setattr(WORKERS, "launch", lambda store, run, gpu, on_exit: launched.append(run.id)
                        or store.set_pid(run.id, os.getpid(), gpu))
    threads = [threading.Thread(target=jobs.dispatch, args=(workspace,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(launched) == 1


def test_a_worker_under_a_gpu_subset_gets_the_physical_gpu(workspace, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert worker_env(workspace, 1)["CUDA_VISIBLE_DEVICES"] == "3"
    assert worker_env(workspace, 0)["CUDA_VISIBLE_DEVICES"] == "2"


def test_a_worker_that_cannot_start_fails_the_run_instead_of_relaunching(workspace, tiny_dataset, tmp_path, monkeypatch):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "sitecustomize.py").write_text(
        "import os, sys\nprint('ImportError: a broken install', flush=True)\nos._exit(1)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "broken"))
    run = wait_finished(workspace, jobs.start(workspace, tiny_dataset.id, "tfidf", {})[0], 30)
    assert run.status == "failed"
    assert run.error == "The training process could not start: ImportError: a broken install"


def test_the_worker_acknowledges_stop_within_a_second_whatever_it_is_doing(workspace, tiny_dataset):
    run_id = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.transition(run_id, "running", pid=os.getpid())
    workspace.set_progress(run_id, Progress(step=0, phase="training"))
    watch = StopWatch(workspace, run_id, every=0.1)
    try:
        jobs.cancel(workspace, run_id)
        wait_until(workspace, run_id, lambda r: r.progress.phase == "stopping", 5, "the acknowledgement")
        assert watch.requested.is_set()
    finally:
        watch.close()


def test_a_run_on_the_cpu_leaves_one_core_to_the_dashboard():
    assert [training_threads(cpus, 1) for cpus in (1, 2, 4, 16)] == [1, 1, 3, 15]
    assert training_threads(16, 2) == 7 and training_threads(2, 4) == 1


def test_a_worker_whose_start_reads_a_second_off_is_still_alive(workspace, tiny_dataset):
    # The server and the worker read the boot time apart, in whole seconds: a clock set between them moves it.
    run_id = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.transition(run_id, "running", pid=os.getpid(), process_started=process_started(os.getpid()) - 1.0)
    run = workspace.get_run(run_id)
    assert backend_for(run).alive(run, workspace.root)
    assert jobs.reconcile(workspace) == []
    assert workspace.get_run(run_id).status == "running"
