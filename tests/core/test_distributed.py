"""One run across several processes: DistributedDataParallel under torchrun, with gloo between CPU processes."""
from __future__ import annotations

import time
from dataclasses import fields

import numpy as np
import psutil
import pytest
import torch

from core.architectures import REGISTRY, get_architecture
from core.inference.prediction import load_run_model
from core.runs import jobs
from core.runs.backends import base
from core.runs.backends.base import worker_command
from core.runs.backends.local import WORKERS, worker_env
from core.runs.worker import execute_run
from core.store.store import Store
from core.training.distributed import Sharding, World, processes_per_run
from core.workspace import run_dir
from tests.core.test_architectures import SMALL, SMALL_FOR
from tests.core.test_jobs import LONG, one_thread_workers, tiny_dataset, wait_finished, wait_until  # noqa: F401

# No dropout: its random masks fall on other rows once a batch is shared out, and the test compares weights.
EXACT = {"epochs": 2, "batch_size": 5, "vocab_size": 500, "embedding_dim": 16, "num_filters": 8, "max_length": 16,
         "device": "cpu", "early_stopping_patience": 0, "dropout": 0.0}
TEXTS = ["goal match team league", "pasta pizza sauce", "laptop code server", "a match of pasta and code"]


def launched_processes(store: Store, run_id: int) -> list[psutil.Process]:
    """Live processes training `run_id` of this workspace (torchrun and the workers it started): other test
    sessions on the machine number their runs from 1 too."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        argv = proc.info["cmdline"] or []
        if argv[-3:] != ["core", "worker", str(run_id)]:
            continue
        try:
            if (proc.status() != psutil.STATUS_ZOMBIE
                    and proc.environ().get("CLASSIFIER_STUDIO_WORKSPACE") == str(store.root)):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture(autouse=True)
def no_process_left(workspace: Store):
    yield
    for run in workspace.list_runs():
        for proc in launched_processes(workspace, run.id):
            proc.kill()


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("n", range(1, 10))
def test_the_slices_of_a_batch_learn_what_the_whole_batch_does(n, size):
    tokens = torch.arange(n)[:, None]
    row_losses = torch.rand(n, dtype=torch.float64)
    combined, covered = 0.0, []
    for rank in range(size):
        ((inputs, targets), weight) = Sharding(World(rank, size)).split(({"tokens": tokens}, torch.arange(n)))
        rows = inputs["tokens"][:, 0].tolist()
        assert rows == targets.tolist() and rows  # every process steps, on rows of the batch
        if weight:
            covered += rows
        # DDP averages the processes' gradients: what each backpropagates is its mean loss times its weight.
        combined += float(row_losses[rows].mean()) * weight / size
    assert sorted(covered) == list(range(n))  # each row learned from once
    assert combined == pytest.approx(float(row_losses.mean()))


def test_only_torchrun_makes_a_process_one_of_several(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")  # left by another launcher in the server's environment
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    assert World.from_env() == World()
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    assert World.from_env() == World(rank=1, size=4)


def test_processes_per_run_setting(monkeypatch):
    monkeypatch.delenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", raising=False)
    assert processes_per_run(4) == 1  # one run per GPU unless the administrator says otherwise
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "all")
    assert processes_per_run(4) == 4 and processes_per_run(0) == 1
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "2")
    assert processes_per_run(0) == 2  # CPU processes on a machine without GPUs
    with pytest.raises(ValueError, match="has 1 GPU"):
        processes_per_run(1)
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", bad)
        with pytest.raises(ValueError, match="'all'"):
            processes_per_run(2)


def test_runs_across_gpus_each_take_a_group_of_them(workspace, tiny_dataset, monkeypatch):
    monkeypatch.delenv("CLASSIFIER_STUDIO_SLOTS", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(base, "gpu_count", lambda: 4)
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "2")
    given = {}

    def fake_launch(store, run, gpu, on_exit):
        given[run.id] = gpu
        store.set_pid(run.id, psutil.Process().pid, gpu)

    monkeypatch.setattr(WORKERS, "launch", fake_launch)
    first, second, third = (jobs.start(workspace, tiny_dataset.id, "textcnn", {"seed": s})[0] for s in (1, 2, 3))
    assert jobs.slots() == 2 and given == {first: 0, second: 2}  # GPUs 0-1 and 2-3; the third run waits
    assert worker_env(workspace, 2)["CUDA_VISIBLE_DEVICES"] == "2,3"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    assert worker_env(workspace, 2)["CUDA_VISIBLE_DEVICES"] == "6,7"
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "all")
    assert jobs.slots() == 1 and worker_env(workspace, 0)["CUDA_VISIBLE_DEVICES"] == "4,5,6,7"


def test_only_models_trained_over_steps_are_launched_across_processes(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "2")
    torch_run = workspace.create_run(tiny_dataset.id, "textcnn", {})
    one_go = workspace.create_run(tiny_dataset.id, "tfidf", {})
    assert worker_command(workspace.get_run(torch_run))[1:6] == [
        "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m"]
    assert worker_command(workspace.get_run(one_go))[1:] == ["-m", "core", "worker", str(one_go)]


def test_a_run_across_two_processes_learns_what_one_process_does(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "2")
    run_id, _ = jobs.start(workspace, tiny_dataset.id, "textcnn", EXACT)
    run = wait_finished(workspace, run_id, timeout=120)
    assert run.status == "succeeded", jobs.worker_log(workspace, run_id)
    assert "Training across 2 processes (gloo)" in (run_dir(run_id, workspace.root) / "run.log").read_text()

    # Only the first process writes metrics: one value per step and name, as from one process.
    metrics = workspace.metrics_since(run_id)
    keys = [(m["step"], m["split"], m["name"]) for m in metrics]
    assert len(keys) == len(set(keys)) and ("val", "macro_f1") in {(m["split"], m["name"]) for m in metrics}

    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "1")
    alone = execute_run(workspace, workspace.create_run(tiny_dataset.id, "textcnn", EXACT))
    np.testing.assert_allclose(load_run_model(workspace, run_id).predict_proba(TEXTS),
                               load_run_model(workspace, alone.id).predict_proba(TEXTS), atol=1e-6)
    val = [(m["step"], m["value"]) for m in metrics if m["split"] == "val" and m["name"] == "loss"]
    val_alone = [(m["step"], m["value"]) for m in workspace.metrics_since(alone.id)
                 if m["split"] == "val" and m["name"] == "loss"]
    assert [s for s, _ in val] == [s for s, _ in val_alone]
    np.testing.assert_allclose([v for _, v in val], [v for _, v in val_alone], atol=1e-6)


@pytest.mark.e2e
def test_stop_reaches_every_process_of_a_run(workspace, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "2")
    run_id, _ = jobs.start(workspace, tiny_dataset.id, "textcnn", LONG)
    wait_until(workspace, run_id, lambda r: r.progress.epoch >= 1, timeout=120, what="an epoch")
    assert len(launched_processes(workspace, run_id)) == 3  # torchrun and its two workers
    asked = time.time()
    jobs.cancel(workspace, run_id)
    run = wait_finished(workspace, run_id, timeout=60)
    assert run.status == "cancelled" and run.has_model, run.error
    assert run.finished_at - asked < jobs.CANCEL_GRACE_SECONDS  # seen by the loop: no signal was needed
    deadline = time.monotonic() + 30
    while launched_processes(workspace, run_id):
        assert time.monotonic() < deadline, "a process of the stopped run lingers"
        time.sleep(0.2)


@pytest.mark.e2e
@pytest.mark.parametrize("arch", [name for name, a in REGISTRY.items() if a.model_cls.distributable])
def test_every_architecture_trained_over_steps_trains_across_two_processes(arch, workspace, tiny_dataset,
                                                                           tiny_bert, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "2")
    names = {f.name for f in fields(get_architecture(arch).config_cls)}
    small = {**SMALL, **SMALL_FOR.get(arch, {}), "epochs": 2, "model": str(tiny_bert)}
    run_id, _ = jobs.start(workspace, tiny_dataset.id, arch, {k: v for k, v in small.items() if k in names})
    run = wait_finished(workspace, run_id, timeout=180)
    assert run.status == "succeeded", jobs.worker_log(workspace, run_id)
    assert run.result["n_test"] == 12 and load_run_model(workspace, run_id).predict(TEXTS).shape == (4,)
