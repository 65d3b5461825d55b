"""Start, queue, stop, resume and reconcile training runs, each trained by its own worker process.

A run is a row in the store; `dispatch` launches `python -m core worker RUN_ID` for queued runs while slots
are free (under torchrun for a run that trains across several GPUs: see core/training/distributed.py), and each
finishing worker dispatches the next. Where workers run is the backend's concern (core/runs/backends/): processes
here, or, with a Ray cluster configured, jobs it is handed all at once and queues itself. Nothing here trains
in-process, so a closed tab or a restarted dashboard leaves training untouched. `reconcile` notices workers that died
(killed, out of memory, the machine restarted; one on another machine sharing the workspace, by its heartbeat: see
core/runs/heartbeat.py) and forces a stop on a worker that ignores one; the dashboard runs it every few seconds in a
`Supervisor` from the moment the server starts, and the command line before it reports.
"""
from __future__ import annotations

import fcntl
import functools
import signal
import sys
import threading
import time
from collections import Counter
from typing import Any

from core.access.limits import Limits
from core.access.ownership import require_change
from core.architectures import get_architecture
from core.disk_space import is_disk_full
from core.errors import ClusterUnreachable
from core.runs.backends import base
from core.runs.backends.base import never_started, note
from core.runs.backends.choice import backend, backend_for
from core.runs.backends.local import WORKERS
from core.runs.run_queue import waiting
from core.runs.standby import Standby, enabled as standby_enabled
from core.settings import settings
from core.store import shared_storage
from core.store.records import ACTIVE
from core.store.store import Run, Store
from core.training.checkpoints import CHECKPOINT_FILE
from core.training.distributed import processes_per_run
from core.workspace import run_dir

# A second Start of the same run within this many seconds is a double click, not a second run.
DOUBLE_SUBMIT_SECONDS = 10.0
# A worker that has not stopped this long after Stop is sent SIGTERM, and SIGKILL after the second period.
CANCEL_GRACE_SECONDS = 10.0
KILL_GRACE_SECONDS = 20.0
SUPERVISE_SECONDS = 2.0
DISPATCH_LOCK = "dispatch.lock"


def slots() -> int:
    """How many runs train at once: `$CLASSIFIER_STUDIO_SLOTS`, else one per GPU (or per group of GPUs, when a
    run trains across several), else one."""
    chosen = settings().slots
    if chosen is not None:
        return max(1, chosen)
    gpus = base.gpu_count()
    return max(1, gpus // processes_per_run(gpus))


def start(store: Store, dataset_id: str, arch: str, config: dict[str, Any]) -> tuple[int, bool]:
    """Queue a run as the store's viewer's (its settings checked first, against the server's limits too) and
    launch a worker if a slot is free. Returns the run id and whether the run is new: the same run started again
    within seconds is the one already started."""
    store.get_dataset(dataset_id)
    checked = get_architecture(arch).config_cls.from_dict(config).to_dict()
    Limits.from_env().check_epochs(checked)
    run_id, new = store.create_run_once(dataset_id, arch, checked, DOUBLE_SUBMIT_SECONDS)
    if new:
        dispatch(store)
    return run_id, new


def dispatch(store: Store) -> list[int]:
    """Launch workers for the oldest queued runs while slots are free; returns the run ids launched."""
    # One dispatcher at a time across processes (the dashboard, finishing workers, the command line): two
    # counting the same free slot would both fill it.
    with open(store.root / DISPATCH_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _dispatch(store.as_viewer(None))  # every run holds a slot, whoever may see it


def _dispatch(store: Store) -> list[int]:
    # A worker that died without a word (killed, out of memory) holds no slot, even before reconcile marks it.
    busy = [r for r in store.list_runs(status=ACTIVE) if backend_for(r).alive(r, store.root)]
    gpus = base.gpu_count()
    # A run takes a group of GPUs (one, unless runs train across several), known by its first.
    per_run = processes_per_run(gpus)
    firsts = list(range(0, gpus - per_run + 1, per_run))
    load = [sum(r.gpu == first for r in busy) for first in firsts]
    per_user = Limits.from_env().runs_per_user
    owners = Counter(r.owner for r in busy)
    launched = []
    queue = waiting(store)
    chosen = backend()
    # A cluster queues what it has no room for yet; unless told otherwise, it gets every waiting run.
    on_cluster = chosen.cluster
    free = len(queue) if on_cluster and settings().slots is None else max(0, slots() - len(busy))
    for run in queue:
        if len(launched) == free:
            break
        if per_user and run.owner is not None and owners[run.owner] >= per_user:
            continue  # its owner trains as many as they may; later runs of others go first
        if not store.reserve_launch(run.id):
            continue
        owners[run.owner] += 1
        # Each run gets the least busy GPUs to itself, so two runs never share one while another idles.
        gpu = firsts[load.index(min(load))] if firsts and not on_cluster else None
        try:
            chosen.launch(store, run, gpu, on_exit=functools.partial(_exited, store, run.id))
        except OSError as exc:
            store.transition(run.id, "failed", error=f"The training process could not be started: {exc}")
            continue
        except ClusterUnreachable as exc:
            store.release_launch(run.id)  # it waits; the system panel says why
            print(exc, file=sys.stderr)
            break
        except BaseException:
            store.release_launch(run.id)  # never leave a reservation that holds a slot for good
            raise
        if gpu is not None:
            load[firsts.index(gpu)] += 1
        launched.append(run.id)
    return launched


def _exited(store: Store, run_id: int, pid: int, code: int) -> None:
    """A worker this process started has ended with exit status `code`."""
    run = store.get_run(run_id)
    if not run.active or run.pid != pid:
        return  # finished as it should, or the run has moved on to another worker
    if run.status == "queued" and code > 0:
        # It failed before it could claim the run (a broken install, say): launching it again would fail again.
        never_started(store, run_id, "The training process could not start", worker_log(store, run_id))
    elif code < 0:
        name = signal.Signals(-code).name
        why = "" if run.cancel_requested else " (if nobody stopped it, the system does this when memory runs out)"
        _stopped(store, run, f"The training process was killed by {name}{why}.")
    dispatch(store)


def cancel(store: Store, run_id: int) -> Run:
    """Stop a run: a waiting one at once; a training one at its next step, or by force after a grace period
    (see `reconcile`). A run stopped after an epoch keeps that epoch's model."""
    run = store.get_run(run_id)
    require_change(store.viewer, run, f"Run {run_id}", "stop")
    if run.status == "queued" and store.transition(run_id, "cancelled"):
        backend_for(run).stop(run)
        note(store, run_id, "Cancelled before it started.")
    elif run.active:
        store.request_cancel(run_id)
    return store.get_run(run_id)


def resume(store: Store, run_id: int) -> Run:
    """Queue a cancelled or interrupted run again; its worker carries on from the last checkpoint."""
    run = store.get_run(run_id)
    require_change(store.viewer, run, f"Run {run_id}", "resume")
    store.get_dataset(run.dataset_id)
    Limits.from_env().check_epochs(run.config)  # the limit may have been lowered since it started
    kept = checkpoint_kept(store, run_id)  # before anything changes
    if not store.requeue(run_id):
        raise ValueError(f"Run {run_id} is {run.status}; only a cancelled or interrupted run can be resumed.")
    note(store, run_id, "Resume requested: continuing from the last checkpoint." if kept
          else "Resume requested. No checkpoint was kept, so training starts again from the beginning; with the "
               "same seed it ends with the same model.")
    dispatch(store)
    return store.get_run(run_id)


def checkpoint_kept(store: Store, run_id: int) -> bool:
    """Whether the run kept a checkpoint to resume from; without one, a resumed run trains again from the start."""
    return shared_storage.exists(run_dir(run_id, store.root) / CHECKPOINT_FILE, store.root)


def reconcile(store: Store) -> list[int]:
    """Mark runs whose worker is gone as interrupted (or cancelled, when Stop was asked for), force a stop on
    workers that ignore one, then fill free slots; returns the ids of runs found without their worker. While the
    disk is full nothing can be recorded: the runs are left as they are until there is room, and the lists that
    called this still show."""
    found: list[int] = []
    try:
        _reconcile(store.as_viewer(None), found)
    except Exception as exc:
        if not is_disk_full(exc):
            raise
    return found


def _reconcile(store: Store, found: list[int]) -> None:
    now = time.time()
    for run in store.list_runs(status=ACTIVE):
        runs_on = backend_for(run)
        if runs_on.alive(run, store.root):
            # A worker acknowledges Stop at once (see StopWatch); one that has not is hung, and is ended.
            if run.status == "running" and run.cancel_at is not None and run.progress.phase != "stopping":
                late = now - run.cancel_at - CANCEL_GRACE_SECONDS
                if late > 0:
                    runs_on.stop(run, kill=late > KILL_GRACE_SECONDS)
        elif run.status == "queued":
            runs_on.lost(store, run)
        elif run.pid is not None and _stopped(store, run, runs_on.gone(store.root)):
            found.append(run.id)
    dispatch(store)


def _stopped(store: Store, run: Run, why: str) -> bool:
    if run.cancel_requested:
        if store.transition(run.id, "cancelled"):
            note(store, run.id, f"Stopped by force after Stop was asked for. {why}")
            return True
        return False
    if store.transition(run.id, "interrupted", error=why):
        note(store, run.id, f"Interrupted. {why} Resume continues from the last checkpoint.")
        return True
    return False


class Supervisor:
    """Reconciles every few seconds in a daemon thread, so a dead worker is noticed even when nobody watches, and
    keeps a worker ready for the next run (unless runs go to a Ray cluster, or the setting turns it off)."""

    def __init__(self, store: Store, every: float = SUPERVISE_SECONDS):
        self.store, self.every = store, every
        self.standby = Standby(store.root) if standby_enabled() and not backend().cluster else None
        if self.standby is not None:
            WORKERS.standby = self.standby
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="classifier-studio-supervisor", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                if self.standby is not None:
                    self.standby.ensure()  # started at once, and again after one was used or died
                reconcile(self.store)
            except Exception as exc:  # the store busy or briefly unreadable: try again next round
                print(f"reconcile failed: {exc}", file=sys.stderr)
            self._stopped.wait(self.every)

    def stop(self) -> None:
        self._stopped.set()
        if self.standby is not None:
            self.standby.close()
            if WORKERS.standby is self.standby:
                WORKERS.standby = None


def worker_log(store: Store, run_id: int) -> str:
    """What the run's worker printed: its log file here, or what the cluster kept of its job."""
    run = store.as_viewer(None).get_run(run_id)
    return backend_for(run).logs(run, store.root)
