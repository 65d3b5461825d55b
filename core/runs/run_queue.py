"""Where each run stands in the line: the runs waiting for a worker, which place one holds, why one is held back,
and whether a run's worker (a local process, or a job in a Ray cluster) is still there."""
from __future__ import annotations

from pathlib import Path

from core.access.limits import Limits
from core.runs.backends import ray_cluster
from core.runs.backends.processes import pid_alive
from core.runs.heartbeat import beats_elsewhere
from core.store.records import ACTIVE
from core.store.store import Run, Store
from core.workspace import run_dir


def waiting(store: Store) -> list[Run]:
    """Queued runs not yet handed to a worker or a cluster, first in line first; everyone's, whoever asks."""
    queued = store.as_viewer(None).list_runs(status=("queued",))
    return sorted((r for r in queued if r.pid is None and r.job is None), key=lambda r: r.id)


def held_back(store: Store, run: Run) -> str | None:
    """Why a queued run waits although it is next: its owner already trains as many runs as one person may. Runs
    made without sign-in (from the command line, or with it off) belong to no one and are never held back."""
    per_user = Limits.from_env().runs_per_user
    if not per_user or run.owner is None or run.status != "queued" or run.pid is not None:
        return None
    training = sum(r.owner == run.owner and worker_alive(r, store.root)
                   for r in store.as_viewer(None).list_runs(status=ACTIVE))
    if training < per_user:
        return None
    return (f"It waits until one of its owner's {training} runs in training ends: this server trains at most "
            f"{per_user} at once for one person.")


def place_in_queue(store: Store, run_id: int) -> int | None:
    """1 for the next run to start, 2 for the one after; None once the run has left the queue."""
    ids = [r.id for r in waiting(store)]
    return ids.index(run_id) + 1 if run_id in ids else None


def worker_alive(run: Run, root: Path) -> bool:
    """A worker trains the run (its process runs here, or its heartbeat goes on where this process cannot see it:
    see core/runs/heartbeat.py), or a live process is launching it (its pid stored negated), or the cluster has its job
    waiting or training."""
    if run.job is not None:
        return ray_cluster.job_alive(run.job)
    if run.pid is None:
        return False
    if run.pid < 0:
        return pid_alive(-run.pid)
    return pid_alive(run.pid, run.process_started) or beats_elsewhere(run_dir(run.id, root))
