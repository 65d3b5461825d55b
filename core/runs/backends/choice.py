"""Which backend (see base.py) new runs go to, which one a run went to, and whether their settings are sound."""
from __future__ import annotations

from core.runs.backends import base, ray_cluster
from core.runs.backends.base import Backend
from core.runs.backends.local import WORKERS
from core.runs.backends.ray_cluster import JOBS
from core.settings import settings
from core.store.records import Run
from core.training.distributed import processes_per_run


def backend() -> Backend:
    """The Ray cluster when its address is set, else processes on this machine."""
    return JOBS if ray_cluster.enabled() else WORKERS


def backend_for(run: Run) -> Backend:
    """Where the run was handed: a cluster that has its job, even one no longer set, or this machine."""
    return JOBS if run.job is not None else WORKERS


def check_settings() -> None:
    """ValueError for a malformed setting of how runs are shared out over GPUs, here or on a cluster."""
    settings()
    processes_per_run(base.gpu_count())
