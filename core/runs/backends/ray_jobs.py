"""Workers as jobs on a Ray cluster (core/runs/backends/ray_cluster.py): the backend used when its address is set.

Apart from ray_cluster.py, which `python -m core` imports before anything else and so must stay light.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from core.architectures import get_architecture
from core.runs.backends import ray_cluster
from core.runs.backends.base import ROOT, never_started, note, worker_command
from core.settings import env_name
from core.store.store import Run, Store

GONE_FROM_CLUSTER = ("The Ray job training it ended without finishing the run: it was stopped in Ray, its node "
                     "left the cluster, or it ran out of memory.")


class RayJobs:
    cluster = True

    def launch(self, store: Store, run: Run, gpu: int | None, on_exit: Callable[[int, int], None]) -> None:
        """Hand the run to the cluster: the same worker command, on a node with the GPUs it asks for. The cluster
        places it (`gpu` is None), and `reconcile` follows it to its end (`on_exit` is never called)."""
        gpus = ray_cluster.gpus_per_run()
        if not get_architecture(run.arch).model_cls.distributable:
            gpus = min(gpus, 1)  # it trains in one process, and would leave the others idle but taken
        processes = max(1, gpus)
        env = {env_name("workspace"): str(store.root), env_name("processes_per_run"): str(processes)}
        store.set_job(run.id, ray_cluster.submit(run, worker_command(run, processes), str(ROOT), env, gpus))

    def alive(self, run: Run, root: Path) -> bool:
        return ray_cluster.job_alive(run.job)

    def stop(self, run: Run, kill: bool = False) -> None:
        # One waiting in the cluster's queue would start, only to find nothing to do.
        ray_cluster.stop(run.job)

    def logs(self, run: Run, root: Path) -> str:
        return ray_cluster.logs(run.job)

    def gone(self, root: Path) -> str:
        return GONE_FROM_CLUSTER

    def lost(self, store: Store, run: Run) -> None:
        state = ray_cluster.job_state(run.job)
        if state == "GONE" and store.release_job(run.id, run.job):
            # A restarted head forgets its jobs, and a cluster no longer set has none: it is handed over again.
            note(store, run.id, "Its Ray job is no longer known to the cluster; it is queued again.")
        elif state == "STOPPED" and store.transition(run.id, "cancelled"):
            note(store, run.id, "Cancelled before it started: its Ray job was stopped in Ray.")
        else:
            never_started(store, run.id, "The Ray job ended before training started", self.logs(run, store.root))


JOBS = RayJobs()
