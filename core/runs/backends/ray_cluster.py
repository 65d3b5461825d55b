"""Runs handed to a Ray cluster: what `core.runs.jobs` does with a local worker process, done through Ray's job API.

With `$CLASSIFIER_STUDIO_RAY_ADDRESS` set, each run becomes a Ray job whose entrypoint is the same worker
command, started on whichever node has the GPUs it asks for. The worker writes status and metrics to the
store as a local one does, so the store must be one every node reaches (PostgreSQL), and the workspace a folder
every node mounts at the same path. Ray queues jobs the cluster has no room for yet: every waiting run is handed
over at once, and the cluster decides the order.
"""
from __future__ import annotations

import base64
import json
import os
import time

from core.errors import ClusterUnreachable
from core.runs.backends.ray_api import ClusterStatus, cluster, new_job_id, ray_address
from core.settings import PREFIX, settings
from core.store.records import Run

# Ray starts a job with the environment `ray start` had on its node, not the dashboard's: these travel with it,
# packed in one variable, since Ray expands `$NAME` in the values it is given (a database password may hold one).
PASSED_ENV = (PREFIX, "HF_", "TRANSFORMERS_")
# This variable and the next are no settings (core/settings.py) an administrator sets, but what the dispatcher tells
# the worker it hands to the cluster: they are read here, beside the code that writes them.
PACKED_ENV = "CLASSIFIER_STUDIO_JOB_ENV"
# Which job a worker was sent as: a job that waited in the cluster's queue while its run was stopped and resumed
# (as another job) must not train it too.
JOB_ENV = "CLASSIFIER_STUDIO_JOB"
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
    passed = {**{k: v for k, v in os.environ.items() if k.startswith(PASSED_ENV)}, **env, JOB_ENV: job}
    packed = base64.b64encode(json.dumps(passed).encode()).decode()
    submitted = cluster(ray_address()).submit(command, cwd=cwd, env={PACKED_ENV: packed}, num_gpus=gpus, job_id=job)
    _states, _status = (0.0, "", None), (0.0, "", (None, None))  # what was read before lacks the new job
    return submitted


def sent_for(run: Run) -> bool:
    """Whether this worker was started for the run as it stands: always, but for a job of the cluster's that the
    run has since been taken from."""
    job = os.environ.get(JOB_ENV)
    return job is None or run.job == job


def unpack_env() -> None:
    """In a worker the cluster started, take on the settings the dashboard sent with the run."""
    packed = os.environ.pop(PACKED_ENV, None)
    if packed:
        os.environ.update(json.loads(base64.b64decode(packed)))


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
