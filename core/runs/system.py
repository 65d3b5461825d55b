"""What the server trains on (NVIDIA GPUs, Apple MPS or the CPU), how busy it is, and how many runs use it.

GPUs are read through NVML, never torch.cuda: the dashboard polls this every few seconds, and a CUDA context
in the dashboard process would hold GPU memory that training needs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

import psutil

from core.runs import jobs
from core.runs.backends import ray_cluster
from core.runs.backends.ray_api import ClusterStatus
from core.store.store import Store
from core.training.distributed import processes_per_run
from core.wording import count

GIB = 1024**3

# cpu_percent(interval=None) measures since its previous call, and the very first call has none (it says 0.0);
# this one makes the first reading cover the time since import instead.
psutil.cpu_percent(interval=None)


@dataclass(frozen=True)
class Gpu:
    index: int  # NVML's numbering, which ignores $CUDA_VISIBLE_DEVICES
    name: str
    memory_used: int
    memory_total: int
    utilization: int | None  # percent busy; None where the driver does not report it


@dataclass(frozen=True)
class Cpu:
    cores: int
    percent: float
    memory_used: int
    memory_total: int


@dataclass(frozen=True)
class SystemStatus:
    device: str  # "cuda", "mps" or "cpu": where a run set to "auto" trains
    gpus: tuple[Gpu, ...]
    cpu: Cpu
    running: int
    queued: int
    slots: int
    processes_per_run: int = 1  # several: each run trains across that many GPUs (or CPU processes)
    cluster: ClusterStatus | None = None  # the Ray cluster runs are handed to, when one is configured
    cluster_error: str | None = None  # why the configured cluster cannot be read
    queued_in_cluster: int = 0  # of the queued runs, those whose job waits in the cluster's queue for room


@lru_cache(maxsize=1)
def _nvml() -> ModuleType | None:
    """pynvml with NVML initialised, or None without an NVIDIA driver; tried once per process, failure included."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    return pynvml


def _visible(nvml: ModuleType, count: int) -> list[int]:
    """The GPU indices workers can use: NVML lists every GPU, CUDA only those in $CUDA_VISIBLE_DEVICES."""
    wanted = os.environ.get("CUDA_VISIBLE_DEVICES")
    if wanted is None:
        return list(range(count))
    uuids = [str(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(i))) for i in range(count)]
    chosen = [i for entry in (e.strip() for e in wanted.split(",")) if entry
              for i in range(count) if str(i) == entry or uuids[i].startswith(entry)]
    return list(dict.fromkeys(chosen))


def gpus() -> tuple[Gpu, ...]:
    nvml = _nvml()
    if nvml is None:
        return ()
    try:
        found = []
        for index in _visible(nvml, nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            try:
                utilization = int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except nvml.NVMLError:  # not supported on some GPUs and MIG slices
                utilization = None
            found.append(Gpu(index, str(nvml.nvmlDeviceGetName(handle)), int(memory.used), int(memory.total),
                             utilization))
        return tuple(found)
    except nvml.NVMLError:  # a GPU lost or a driver reloaded since init: show no GPU rather than fail the page
        return ()


def _mps_available() -> bool:
    import torch

    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def cpu() -> Cpu:
    memory = psutil.virtual_memory()
    # total - available counts what programs hold; `used` leaves out buffers and caches the kernel cannot free.
    return Cpu(psutil.cpu_count() or 1, psutil.cpu_percent(interval=None), memory.total - memory.available,
               memory.total)


def system_status(store: Store) -> SystemStatus:
    found = gpus()
    device = "cuda" if found else "mps" if _mps_available() else "cpu"
    cluster, cluster_error = ray_cluster.status()
    queued = store.list_runs(status=("queued",))
    # The cluster's own count of waiting jobs takes in jobs that are not this app's runs, or not queued any more.
    in_cluster = sum(ray_cluster.job_state(r.job) == "PENDING" for r in queued if r.job) if cluster else 0
    return SystemStatus(device, found, cpu(), len(store.list_runs(status=("running",))), len(queued), jobs.slots(),
                        processes_per_run(len(found)), cluster, cluster_error, in_cluster)


def gib(n_bytes: int) -> str:
    return f"{n_bytes / GIB:.1f}"


def describe(status: SystemStatus) -> str:
    """One plain line: 'NVIDIA H200 · 12.1 of 139.8 GiB used', or 'CPU · 2 cores · RAM 6.3 of 24.0 GiB used', or the
    Ray cluster's nodes and GPUs."""
    if status.cluster_error is not None:
        return status.cluster_error
    if status.cluster is not None:
        c = status.cluster
        return (f"Ray cluster at {c.address} · {count(c.nodes, 'node')} · {c.gpus_used:g} of {c.gpus:g} GPUs in use "
                f"· {count(c.pending, 'job')} waiting for room")
    if status.gpus:
        return "; ".join(f"{g.name} · {gib(g.memory_used)} of {gib(g.memory_total)} GiB used" for g in status.gpus)
    ram = f"RAM {gib(status.cpu.memory_used)} of {gib(status.cpu.memory_total)} GiB used"
    if status.device == "mps":
        return f"Apple GPU (MPS) · {ram}"
    return f"CPU · {status.cpu.cores} cores · {ram}"
