"""The backend of runs handed to a Ray cluster: what `local.py` does with worker processes, done through Ray's job
API (`ray_api.py`); a job's worker takes on the settings it is sent with through `ray_env.py`.

With `$CLASSIFIER_STUDIO_RAY_ADDRESS` set, each run becomes a Ray job whose entrypoint is the same worker
command, started on whichever node has the GPUs it asks for. The worker writes status and metrics to the
store as a local one does, so the store must be one every node reaches (PostgreSQL), and the workspace a folder
every node mounts at the same path. Ray queues jobs the cluster has no room for yet: every waiting run is handed
over at once, and the cluster decides the order.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from core.architectures import get_architecture
from core.errors import ClusterUnreachable
from core.runs.backends.base import ROOT, never_started, note, worker_command
from core.runs.backends.ray_api import ClusterStatus, cluster, new_job_id, ray_address
from core.runs.backends.ray_env import packed_env
from core.settings import env_name, settings
from core.store.records import Run
from core.store.store import Store

LIVE = ("PENDING", "RUNNING")
# A reconcile asks about every active run; one listing of the cluster's jobs answers them all.
STATES_SECONDS = 1.0
# The sidebar of every open page asks for the cluster's status each time it refreshes (every 5 seconds).
STATUS_SECONDS = 5.0
# A head that does not answer costs each caller a connection timeout: asking again soon would stall every page.
UNREACHABLE_SECONDS = 10.0
_states: tuple[float, str, dict[str, str] | None] = (0.0, "", None)
_status: tuple[float, str, tuple[ClusterStatus | None, str | None]] = (0.0, "", (None, None))


def enabled() -> bool:
    return ray_address() is not None


def gpus_per_run() -> int:
    """GPUs each run asks the cluster for: `$CLASSIFIER_STUDIO_RAY_GPUS_PER_RUN`, else one when the cluster has
    any. A run given several trains across them (DistributedDataParallel on one node)."""
    setting = settings().ray_gpus_per_run
    if setting is not None:
        return setting
    found, error = status()
    if found is None:
        raise ClusterUnreachable(error)
    return 1 if found.gpus else 0


def submit(run: Run, command: list[str], cwd: str, env: dict[str, str], gpus: int) -> str:
    """Hand `run` to the cluster with this process's settings and `env`; returns the job's id. Raises
    ClusterUnreachable."""
    global _states, _status
    job = new_job_id(f"classifier-studio-run-{run.id}")
    submitted = cluster(ray_address()).submit(command, cwd=cwd, env=packed_env(env, job), num_gpus=gpus, job_id=job)
    _states, _status = (0.0, "", None), (0.0, "", (None, None))  # what was read before lacks the new job
    return submitted


def job_states() -> dict[str, str] | None:
    """Every job's status, at most a second old; None when the cluster cannot be reached."""
    global _states
    address = ray_address()
    seen, seen_address, states = _states
    if address is None:
        return {}
    if address != seen_address or time.monotonic() - seen > (STATES_SECONDS if states is not None
                                                              else UNREACHABLE_SECONDS):
        try:
            states = cluster(address).states()
        except ClusterUnreachable:
            states = None
        _states = (time.monotonic(), address, states)
    return states


def job_state(job: str) -> str | None:
    """The job's status; None when the cluster cannot be reached. A job the cluster does not know (a restarted
    head forgets its jobs), or one on a cluster no longer configured, is "GONE"."""
    states = job_states()
    if states is None:
        return None
    if job in states:
        return states[job]
    address = ray_address()
    if address is None:
        return "GONE"
    try:  # submitted after the listing was read, perhaps
        return cluster(address).state(job) or "GONE"
    except ClusterUnreachable:
        return None


def job_alive(job: str) -> bool:
    """Whether the job is waiting for room or training. A cluster out of reach for a while is no reason to
    give its runs up."""
    state = job_state(job)
    return state is None or state in LIVE


def stop(job: str) -> None:
    address = ray_address()
    if address is None:
        return
    try:
        cluster(address).stop(job)
    except ClusterUnreachable:
        pass  # the cluster ends what it cannot report on; the next reconcile tries again


def logs(job: str) -> str:
    """The job's output as the cluster keeps it; '' when it cannot be read."""
    address = ray_address()
    if address is None:
        return ""
    try:
        return cluster(address).logs(job)
    except ClusterUnreachable:
        return ""


def status() -> tuple[ClusterStatus | None, str | None]:
    """The cluster's nodes, GPUs and jobs, at most a few seconds old, or why they cannot be read; (None, None)
    without a cluster."""
    global _status
    address = ray_address()
    if address is None:
        return None, None
    seen, seen_address, found = _status
    if address != seen_address or time.monotonic() - seen > (STATUS_SECONDS if found[0] is not None
                                                              else UNREACHABLE_SECONDS):
        try:
            found = cluster(address).status(), None
        except ClusterUnreachable as exc:
            found = None, str(exc)
        _status = (time.monotonic(), address, found)
    return found


GONE_FROM_CLUSTER = ("The Ray job training it ended without finishing the run: it was stopped in Ray, its node "
                     "left the cluster, or it ran out of memory.")


class RayJobs:
    cluster = True

    def launch(self, store: Store, run: Run, gpu: int | None, on_exit: Callable[[int, int], None]) -> None:
        """Hand the run to the cluster: the same worker command, on a node with the GPUs it asks for. The cluster
        places it (`gpu` is None), and `reconcile` follows it to its end (`on_exit` is never called)."""
        gpus = gpus_per_run()
        if not get_architecture(run.arch).model_cls.distributable:
            gpus = min(gpus, 1)  # it trains in one process, and would leave the others idle but taken
        processes = max(1, gpus)
        env = {env_name("workspace"): str(store.root), env_name("processes_per_run"): str(processes)}
        store.set_job(run.id, submit(run, worker_command(run, processes), str(ROOT), env, gpus))

    def alive(self, run: Run, root: Path) -> bool:
        return job_alive(run.job)

    def stop(self, run: Run, kill: bool = False) -> None:
        # One waiting in the cluster's queue would start, only to find nothing to do.
        stop(run.job)

    def logs(self, run: Run, root: Path) -> str:
        return logs(run.job)

    def gone(self, root: Path) -> str:
        return GONE_FROM_CLUSTER

    def lost(self, store: Store, run: Run) -> None:
        state = job_state(run.job)
        if state == "GONE" and store.release_job(run.id, run.job):
            # A restarted head forgets its jobs, and a cluster no longer set has none: it is handed over again.
            note(store, run.id, "Its Ray job is no longer known to the cluster; it is queued again.")
        elif state == "STOPPED" and store.transition(run.id, "cancelled"):
            note(store, run.id, "Cancelled before it started: its Ray job was stopped in Ray.")
        else:
            never_started(store, run.id, "The Ray job ended before training started", self.logs(run, store.root))


JOBS = RayJobs()
