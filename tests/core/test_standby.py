"""The worker kept ready: a run handed to it trains in it at once, a new one takes its place, and one whose dispatcher
goes away ends; without one, runs start cold as before. The tests that start a real waiting worker (which imports
PyTorch) run with the end-to-end ones."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.data.splitting import split
from core.runs import jobs
from core.runs.backends.local import WORKERS
from core.runs.standby import Standby
from core.store.datasets import save_dataset
from core.store.store import FINISHED, Store
from tests.core.test_jobs import is_worker, wait_until


@pytest.fixture
def standby(workspace: Store, monkeypatch):
    """A worker kept ready for the test's workspace, as the dashboard's Supervisor keeps one."""
    waiting = Standby(workspace.root)
    monkeypatch.setattr(WORKERS, "standby", waiting)
    yield waiting
    waiting.close()


@pytest.mark.e2e
def test_a_run_trains_in_the_waiting_worker_and_another_takes_its_place(workspace, tiny_df, standby):
    standby.ensure()
    ready = standby._proc
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    run_id, _ = jobs.start(workspace, dataset.id, "tfidf", {})
    run = wait_until(workspace, run_id, lambda r: r.status in FINISHED, timeout=180, what="the run to finish")
    assert run.status == "succeeded", jobs.worker_log(workspace, run_id)
    assert run.pid == ready.pid and ready.wait(timeout=60) == 0
    assert standby._proc is not None and standby._proc.pid != ready.pid and standby._proc.poll() is None


@pytest.mark.e2e
def test_without_a_waiting_worker_a_run_starts_cold(workspace, tiny_df, standby):
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    run_id, _ = jobs.start(workspace, dataset.id, "tfidf", {})
    run = wait_until(workspace, run_id, lambda r: r.pid is not None and r.pid > 0, what="a worker")
    assert is_worker(run.pid, run_id)
    assert standby._proc is not None  # one is started for the next run
    assert wait_until(workspace, run_id, lambda r: r.status in FINISHED, timeout=180).status == "succeeded"


@pytest.mark.e2e
def test_a_waiting_worker_ends_when_its_dispatcher_goes(workspace, standby):
    standby.ensure()
    waiting = standby._proc
    standby.close()
    assert waiting.wait(timeout=120) == 0


def test_a_handed_run_brings_its_environment_and_log(tmp_path):
    """What the waiting worker does with an order, before any CUDA call: the run's GPUs in its environment, and
    everything it prints in the run's log."""
    log = tmp_path / "worker.log"
    script = ("import os, sys; from core.runs.standby import wait_for_run; run = wait_for_run(); "
              "print(run, os.environ['CUDA_VISIBLE_DEVICES']); print('to stderr', file=sys.stderr)")
    order = {"run": 7, "env": {"CUDA_VISIBLE_DEVICES": "3"}, "log": str(log)}
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(order) + "\n", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and log.read_text().splitlines() == ["7 3", "to stderr"]


def test_an_order_that_never_comes_ends_the_wait():
    script = "from core.runs.standby import wait_for_run; print(wait_for_run())"
    done = subprocess.run([sys.executable, "-c", script], input="", capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "None"


@pytest.mark.e2e
def test_getting_ready_asks_nothing_of_cuda():
    """A waiting worker learns which GPUs it may use only when its run arrives, and CUDA fixes the visible GPUs when
    first asked: getting ready must not ask it anything, or a run on a server with several GPUs could land on another
    run's GPU."""
    script = """
import torch, torch.cuda
calls = []
for name in ("is_available", "device_count", "init", "_lazy_init", "is_bf16_supported", "get_device_name"):
    original = getattr(torch.cuda, name)
    setattr(torch.cuda, name, (lambda n, o: lambda *a, **k: (calls.append(n), o(*a, **k))[1])(name, original))
import core.runs.worker  # what a waiting worker has imported before it gets ready
from core.runs.standby import warm_up
warm_up()
print(calls)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
