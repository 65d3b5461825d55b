"""The sidebar's system panel: the training device and its memory, and how many runs train or wait."""
from __future__ import annotations

import sys

import pytest

from core.runs import system
from core.runs.backends import ray_cluster
from core.store.store import DatasetRecord, Run, Store
from tests.fake_nvml import FakeGpu, fake_nvml

GIB = 1024**3


@pytest.fixture(autouse=True)
def one_slot(monkeypatch):
    """One slot, every GPU visible, NVML not yet initialised in this process, and no Apple GPU."""
    system._nvml.cache_clear()
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "1")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(system, "_mps_available", lambda: False)
    yield
    system._nvml.cache_clear()


def sidebar_text(at) -> list[str]:
    return [c.value for c in at.sidebar.caption] + [p.text for p in at.sidebar.get("progress")]


def test_without_a_gpu_the_panel_shows_the_cpu_ram_and_runs(monkeypatch, open_page, store: Store,
                                                            dataset: DatasetRecord, running_run: Run):
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([], fail_init=True))
    # The one slot is taken by the running run, so opening the app launches no worker for this one: it waits.
    waiting = store.create_run(dataset.id, "tfidf", {})
    try:
        at = open_page("home")
    finally:
        store.transition(waiting, "cancelled")
    assert not at.exception
    text = sidebar_text(at)
    device = [line for line in text if line.startswith("Training device: ")]
    assert len(device) == 1 and device[0].startswith("Training device: CPU (no GPU found) · "), text
    assert " cores · " in device[0] and device[0].endswith("% busy"), text
    assert "Training: 1 running · 1 waiting (1 slot)" in text, text
    [ram] = at.sidebar.get("progress")
    assert ram.text.startswith("RAM ") and ram.text.endswith(" GiB used")
    assert 0 < ram.value <= 100


def test_with_gpus_the_panel_shows_each_name_and_memory(monkeypatch, open_page, store: Store):
    gpus = [FakeGpu("NVIDIA H200", int(12.1 * GIB), int(139.8 * GIB), 35, "GPU-1"),
            FakeGpu("Tesla V100-SXM2-16GB", 12 * GIB, 16 * GIB, None, "GPU-2")]
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml(gpus))
    at = open_page("home")
    assert not at.exception
    text = sidebar_text(at)
    assert "Training device: 2 GPUs" in text, text
    assert "Training: 0 running · 0 waiting (1 slot)" in text, text
    bars = at.sidebar.get("progress")
    assert [(b.text, b.value) for b in bars] == [
        ("NVIDIA H200 · 12.1 of 139.8 GiB used · 35% busy", 8),
        # A name from the driver is escaped for Markdown; no utilisation reported, so none shown.
        (r"Tesla V100\-SXM2\-16GB · 12.0 of 16.0 GiB used", 75),
    ]
    assert "CPU" not in " ".join(text)


def test_a_cluster_out_of_reach_is_said_plainly_with_the_details_for_the_administrator(monkeypatch, open_page):
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", "http://ray-head.example.com:8265")
    why = "Cannot reach the Ray cluster at http://ray-head.example.com:8265 (connection refused). Check that ..."
    monkeypatch.setattr(ray_cluster, "status", lambda: (None, why))
    at = open_page("home")
    assert not at.exception
    [warning] = at.sidebar.warning
    assert warning.value == "The training cluster cannot be reached. Runs wait, and start once it is back."
    [details] = at.sidebar.expander
    assert details.label == "Details for the administrator" and "connection refused" in details.caption[0].value
    assert "Training: 0 running · 0 waiting" in sidebar_text(at)
