"""`python -m core submit | runs | cancel | resume | logs`, as a user runs them: real processes and workers."""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from core.cli.main import main
from core.data.splitting import split
from core.runs import jobs
from core.runs.backends.local import GONE, WORKERS
from core.runs.backends.processes import pid_alive, signal_process
from core.store.datasets import save_dataset
from core.store.store import FINISHED, Run, Store
from core.training.checkpoints import CHECKPOINT_FILE
from core.workspace import run_dir

# A TextCNN run that trains for minutes unless stopped.
LONG = ["--arch", "textcnn", "--set", "epochs=200", "--set", "batch_size=1", "--set", "embedding_dim=16",
        "--set", "vocab_size=500", "--set", "num_filters=8", "--set", "early_stopping_patience=0"]


def wait_for(store: Store, run_id: int, done, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = store.get_run(run_id)
        if done(run):
            return run
        time.sleep(0.2)
    pytest.fail(f"run {run_id} is {store.get_run(run_id).status} after {timeout:.0f}s:\n{jobs.worker_log(store, run_id)}")


def command(capsys, *args: str) -> tuple[int, str, str]:
    """`python -m core ARGS` in this process (quicker than a new one each time); exit code, stdout, stderr."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True)
def one_slot(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def no_worker_left(workspace: Store):
    yield
    for run in workspace.list_runs(status=("queued", "running")):
        jobs.cancel(workspace, run.id)
        if run.pid and run.pid > 0 and pid_alive(run.pid):
            signal_process(run.pid, 9)


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_submit_returns_at_once_and_the_queue_commands_follow_the_run(cli, capsys, tiny_csv, workspace):
    started = time.monotonic()
    out = cli("submit", "--data", tiny_csv.name, *LONG, "--json")  # a real process, as a user runs it
    assert out.returncode == 0, out.stderr
    submitted = json.loads(out.stdout)
    run_id = submitted["run_id"]
    assert submitted["new"] and submitted["status"] == "queued"
    assert workspace.get_run(run_id).status in ("queued", "running")  # not trained by the command itself
    assert time.monotonic() - started < 60

    code, out, _ = command(capsys, "submit", "--data", str(tiny_csv), "--arch", "tfidf")
    assert code == 0 and "waiting, number 1 in the queue" in out
    waiting_id = max(r.id for r in workspace.list_runs())

    wait_for(workspace, run_id, lambda r: r.status == "running" and r.progress.epoch >= 1)
    out = cli("runs")
    assert out.returncode == 0, out.stderr
    assert f"{run_id:>5}  running" in out.stdout and "waiting, number 1 in the queue" in out.stdout
    code, out, _ = command(capsys, "runs", "--json")
    listed = {r["id"]: r for r in json.loads(out)}
    assert listed[run_id]["status"] == "running" and listed[run_id]["detail"].startswith("epoch ")
    assert listed[waiting_id]["place_in_queue"] == 1 and listed[waiting_id]["detail"] == "waiting, number 1 in the queue"

    code, out, _ = command(capsys, "cancel", str(run_id))
    assert code == 0 and out.startswith(f"run {run_id} cancelled: test accuracy")
    assert "epoch" in out and "kept" in out
    code, out, _ = command(capsys, "logs", str(run_id))
    assert "Settings: seed=42, cv_folds=1, epochs=200, batch_size=1" in out and "Stopped by the user at step" in out
    assert "Epoch 1 of 200 done" in out

    done = wait_for(workspace, waiting_id, lambda r: r.status in FINISHED)  # the freed slot went to the next run
    assert done.status == "succeeded"
    code, out, err = command(capsys, "runs", "--active")
    assert code == 0 and out == "" and "No run is training or waiting" in err


@pytest.mark.e2e  # a real worker trains to the end: with the end-to-end tests
def test_resume_carries_on_and_logs_follow_it_to_the_end(capsys, tiny_csv, workspace):
    code, out, _ = command(capsys, "submit", "--data", str(tiny_csv), *LONG[:-4], "--set", "epochs=6", "--json")
    run_id = json.loads(out)["run_id"]
    wait_for(workspace, run_id, lambda r: r.progress.epoch >= 2)
    assert command(capsys, "cancel", str(run_id))[0] == 0
    code, out, _ = command(capsys, "resume", str(run_id))
    assert code == 0
    assert out.startswith(f"run {run_id} ") and "resumes from its last checkpoint" in out
    code, out, _ = command(capsys, "logs", str(run_id), "--follow")
    assert code == 0
    assert "Resume requested: continuing from the last checkpoint." in out
    assert "Resumed from the checkpoint at step" in out and "Finished in" in out
    assert workspace.get_run(run_id).status == "succeeded"
    assert "Traceback" not in command(capsys, "logs", str(run_id), "--worker")[1]


def test_queue_commands_explain_what_they_cannot_do(capsys, tiny_csv, workspace):
    assert command(capsys, "submit", "--data", str(tiny_csv), "--arch", "tfidf", "--set", "bogus=1")[0] == 2
    code, _, err = command(capsys, "logs", "99")
    assert code == 2 and "No run with id 99" in err
    run_id = json.loads(command(capsys, "submit", "--data", str(tiny_csv), "--arch", "tfidf", "--json")[1])["run_id"]
    wait_for(workspace, run_id, lambda r: r.status in FINISHED)
    code, _, err = command(capsys, "resume", str(run_id))
    assert code == 2
    assert f"error: Run {run_id} is succeeded; only a cancelled or interrupted run can be resumed." in err
    code, out, _ = command(capsys, "cancel", str(run_id))
    assert code == 0 and out.startswith(f"run {run_id} succeeded")  # nothing to stop


@pytest.mark.parametrize("kept", [True, False], ids=["with a checkpoint", "without one"])
def test_resume_says_whether_it_carries_on_or_starts_again(capsys, workspace, tiny_df, monkeypatch, kept):
    monkeypatch.setattr(WORKERS, "launch", lambda store, run, gpu, on_exit: None)  # queued is enough: no worker needed
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    run_id = workspace.create_run(dataset.id, "tfidf", {})
    workspace.transition(run_id, "running", pid=os.getpid())
    workspace.transition(run_id, "interrupted", error="gone")
    if kept:
        checkpoint = run_dir(run_id, workspace.root) / CHECKPOINT_FILE
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        checkpoint.write_bytes(b"kept")
    code, out, _ = command(capsys, "resume", str(run_id))
    assert code == 0 and workspace.get_run(run_id).status == "queued"
    assert ("resumes from its last checkpoint" in out) is kept
    assert ("no checkpoint was kept, so it trains again from the start" in out) is not kept


def training(cli, tiny_csv, workspace: Store) -> Run:
    """A long run submitted from a command that exits at once, once it trains: when its worker is killed, no
    dashboard, launcher or other worker is left to notice."""
    out = cli("submit", "--data", tiny_csv.name, *LONG, "--json")
    assert out.returncode == 0, out.stderr
    return wait_for(workspace, json.loads(out.stdout)["run_id"], lambda r: r.status == "running")


@pytest.mark.e2e  # a real worker, started by a command in a process of its own: with the end-to-end tests
def test_following_the_log_of_a_run_whose_worker_is_killed_ends_saying_so(cli, capsys, tiny_csv, workspace):
    run = training(cli, tiny_csv, workspace)
    ended: list[int] = []
    follower = threading.Thread(target=lambda: ended.append(main(["logs", str(run.id), "--follow"])), daemon=True)
    follower.start()
    os.kill(run.pid, signal.SIGKILL)
    follower.join(timeout=120)  # it used to follow a dead run for good
    assert ended == [0]
    out = capsys.readouterr().out
    assert out.rstrip().endswith(f"Interrupted. {GONE} Resume continues from the last checkpoint.")
