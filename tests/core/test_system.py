"""The system status: GPUs through NVML (a fake one here), the CPU fallback, and the run counts from the store."""
from __future__ import annotations

import os
import sys

import pytest

from core.data.splitting import split
from core.runs import system
from core.store.datasets import save_dataset
from core.store.store import Store
from tests.fake_nvml import FakeGpu, fake_nvml

GIB = 1024**3
H200 = FakeGpu("NVIDIA H200", int(12.1 * GIB), int(139.8 * GIB), 35, "GPU-aaaa-1111")
A100 = FakeGpu("NVIDIA A100-SXM4-80GB", 2 * GIB, 80 * GIB, None, "GPU-bbbb-2222")


@pytest.fixture(autouse=True)
def fresh_machine(monkeypatch):
    """NVML is initialised once per process; each test starts uninitialised, with every GPU visible and 2 slots."""
    system._nvml.cache_clear()
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "2")
    monkeypatch.setattr(system, "_mps_available", lambda: False)
    yield
    system._nvml.cache_clear()


def install(monkeypatch, module) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", module)


def test_lists_every_gpu_with_its_memory_and_utilisation(monkeypatch, workspace: Store):
    install(monkeypatch, fake_nvml([H200, A100]))
    status = system.system_status(workspace)
    assert status.device == "cuda"
    assert status.gpus == (
        system.Gpu(0, "NVIDIA H200", H200.used, H200.total, 35),
        system.Gpu(1, "NVIDIA A100-SXM4-80GB", 2 * GIB, 80 * GIB, None),
    )
    assert system.describe(status) == ("NVIDIA H200 · 12.1 of 139.8 GiB used; "
                                       "NVIDIA A100-SXM4-80GB · 2.0 of 80.0 GiB used")


def test_nvml_is_initialised_once_per_process(monkeypatch, workspace: Store):
    working = fake_nvml([H200])
    install(monkeypatch, working)
    for _ in range(3):
        system.system_status(workspace)
    assert working.inits == 1

    system._nvml.cache_clear()
    broken = fake_nvml([], fail_init=True)
    install(monkeypatch, broken)
    for _ in range(3):
        assert system.system_status(workspace).gpus == ()
    assert broken.inits == 1  # the failure is remembered too, not retried every few seconds


@pytest.mark.parametrize("visible, names", [
    ("1", ["NVIDIA A100-SXM4-80GB"]),
    ("GPU-bbbb", ["NVIDIA A100-SXM4-80GB"]),
    ("1,0,7", ["NVIDIA A100-SXM4-80GB", "NVIDIA H200"]),
    ("", []),
])
def test_only_the_gpus_cuda_may_use_are_listed(monkeypatch, workspace: Store, visible, names):
    install(monkeypatch, fake_nvml([H200, A100]))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert [g.name for g in system.system_status(workspace).gpus] == names


def test_without_nvml_it_reports_the_cpu_and_ram(monkeypatch, workspace: Store):
    install(monkeypatch, fake_nvml([], fail_init=True))
    status = system.system_status(workspace)
    assert status.device == "cpu"
    assert status.gpus == ()
    assert status.cpu.cores >= 1
    assert 0 < status.cpu.memory_used <= status.cpu.memory_total
    assert 0.0 <= status.cpu.percent <= 100.0
    line = system.describe(status)
    assert line.startswith(f"CPU · {status.cpu.cores} cores · RAM ")
    assert line.endswith(f" of {status.cpu.memory_total / GIB:.1f} GiB used")


def test_a_mac_without_nvidia_trains_on_mps(monkeypatch, workspace: Store):
    install(monkeypatch, fake_nvml([], fail_init=True))
    monkeypatch.setattr(system, "_mps_available", lambda: True)
    status = system.system_status(workspace)
    assert status.device == "mps"
    assert system.describe(status).startswith("Apple GPU (MPS) · RAM ")


def test_a_gpu_lost_after_init_shows_no_gpu_instead_of_failing(monkeypatch, workspace: Store):
    module = fake_nvml([H200])
    install(monkeypatch, module)
    assert system.system_status(workspace).gpus

    def lost(gpu):
        raise module.NVMLError("GPU is lost")

    monkeypatch.setattr(module, "nvmlDeviceGetMemoryInfo", lost)
    assert system.system_status(workspace).gpus == ()


def test_run_counts_follow_the_store(monkeypatch, workspace: Store, tiny_df):
    install(monkeypatch, fake_nvml([], fail_init=True))
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    status = system.system_status(workspace)
    assert (status.running, status.queued, status.slots) == (0, 0, 2)

    queued = [workspace.create_run(dataset.id, "tfidf", {}) for _ in range(3)]
    assert workspace.transition(queued[0], "running", pid=os.getpid())
    status = system.system_status(workspace)
    assert (status.running, status.queued) == (1, 2)

    assert workspace.transition(queued[0], "cancelled")
    assert workspace.transition(queued[1], "cancelled")
    status = system.system_status(workspace)
    assert (status.running, status.queued) == (0, 1)
