"""Start, queue, stop, resume and reconcile training runs, each trained by its own worker process.

A run is a row in the store; `dispatch` launches `python -m core worker RUN_ID` for queued runs while slots
are free (under torchrun for a run that trains across several GPUs: see core/training/distributed.py), and each
finishing worker dispatches the next. With a Ray cluster configured, every waiting run is handed to it as a job instead, and
the cluster queues them (core/runs/backends/ray_cluster.py). Nothing here trains in-process, so a closed tab or a
restarted dashboard leaves training untouched. `reconcile` notices workers that died (killed, out of memory,
the machine restarted; one on another machine sharing the workspace, by its heartbeat: see core/runs/heartbeat.py) and
forces a stop on a worker that ignores one; the dashboard runs it every few seconds in a `Supervisor` from the moment
the server starts, and the command line before it reports.
"""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from core.access.limits import Limits
from core.access.ownership import require_change
from core.architectures import get_architecture
from core.disk_space import disk_full_message, is_disk_full, low_on_space
from core.errors import ClusterUnreachable
from core.runs import run_log
from core.runs.backends import ray_cluster
from core.runs.backends.processes import pid_alive, process_started, signal_process
from core.runs.run_queue import waiting, worker_alive
from core.runs.standby import Standby, enabled as standby_enabled
from core.store import shared_storage
from core.store.store import Run, Store
from core.training.checkpoints import CHECKPOINT_FILE
from core.training.distributed import PROCESSES_ENV, processes_per_run
from core.workspace import WORKSPACE_ENV, run_dir

SLOTS_ENV = "CLASSIFIER_STUDIO_SLOTS"
# A second Start of the same run within this many seconds is a double click, not a second run.
DOUBLE_SUBMIT_SECONDS = 10.0
# A worker that has not stopped this long after Stop is sent SIGTERM, and SIGKILL after the second period.
CANCEL_GRACE_SECONDS = 10.0
KILL_GRACE_SECONDS = 20.0
SUPERVISE_SECONDS = 2.0
WORKER_LOG = "worker.log"
ROOT = Path(__file__).resolve().parents[2]  # the folder holding `core`: where workers start
GONE = ("The training process stopped without finishing: it was killed, the machine restarted, or it ran out of "
        "memory.")
GONE_FROM_CLUSTER = ("The Ray job training it ended without finishing the run: it was stopped in Ray, its node "
                     "left the cluster, or it ran out of memory.")
DISPATCH_LOCK = "dispatch.lock"
# The worker kept ready in this process (see core/runs/standby.py): only the dashboard's Supervisor keeps one.
_standby: Standby | None = None


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count()


def slots() -> int:
    """How many runs train at once: `$CLASSIFIER_STUDIO_SLOTS`, else one per GPU (or per group of GPUs, when a
    run trains across several), else one."""
    if os.environ.get(SLOTS_ENV):
        return max(1, int(os.environ[SLOTS_ENV]))
    gpus = gpu_count()
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
    busy = [r for r in store.list_runs(status=("queued", "running")) if worker_alive(r, store.root)]
    gpus = gpu_count()
    # A run takes a group of GPUs (one, unless runs train across several), known by its first.
    per_run = processes_per_run(gpus)
    firsts = list(range(0, gpus - per_run + 1, per_run))
    load = [sum(r.gpu == first for r in busy) for first in firsts]
    per_user = Limits.from_env().runs_per_user
    owners = Counter(r.owner for r in busy)
    launched = []
    queue = waiting(store)
    # A cluster queues what it has no room for yet; unless told otherwise, it gets every waiting run.
    on_cluster = ray_cluster.enabled()
    free = len(queue) if on_cluster and not os.environ.get(SLOTS_ENV) else max(0, slots() - len(busy))
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
            if on_cluster:
                _submit(store, run)
            else:
                _launch(store, run.id, gpu)
        except OSError as exc:
            store.transition(run.id, "failed", error=f"The training process could not be started: {exc}")
            continue
        except ClusterUnreachable as exc:
            store.release_launch(run.id, -os.getpid())  # it waits; the system panel says why
            print(exc, file=sys.stderr)
            break
        except BaseException:
            store.release_launch(run.id, -os.getpid())  # never leave a reservation that holds a slot for good
            raise
        if gpu is not None:
            load[firsts.index(gpu)] += 1
        launched.append(run.id)
    return launched


def worker_env(store: Store, gpu: int | None) -> dict[str, str]:
    """The worker's environment: this workspace, and only its GPUs, from `gpu` on. `gpu` counts the GPUs this
    process sees, so under `CUDA_VISIBLE_DEVICES=2,3` the second is physical GPU 3."""
    env = {**os.environ, WORKSPACE_ENV: str(store.root)}
    if gpu is not None:
        visible = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
        ids = range(gpu, gpu + processes_per_run(gpu_count()))
        env["CUDA_VISIBLE_DEVICES"] = ",".join(visible[i] if i < len(visible) else str(i) for i in ids)
    return env


def processes_for(run: Run, processes: int | None = None) -> int:
    """How many processes train `run`: `processes` (by default, as many as the server's setting gives a run here),
    or one for a model that cannot train across several."""
    if processes is None:
        processes = processes_per_run(gpu_count())
    return processes if get_architecture(run.arch).model_cls.distributable else 1


def worker_command(run: Run, processes: int | None = None) -> list[str]:
    """`python -m core worker RUN_ID`, under torchrun when the run trains across several processes."""
    worker = ["-m", "core", "worker", str(run.id)]
    processes = processes_for(run, processes)
    if processes == 1:
        return [sys.executable, *worker]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}", *worker]


def _launch(store: Store, run_id: int, gpu: int | None) -> None:
    env = worker_env(store, gpu)
    log_path = run_dir(run_id, store.root) / WORKER_LOG
    run = store.get_run(run_id)
    # A run of one process goes to the worker kept ready, when this process keeps one; under torchrun it starts cold.
    proc = _standby.take(run_id, env, log_path) if _standby is not None and processes_for(run) == 1 else None
    if proc is None:
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(worker_command(run), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
    store.set_pid(run_id, proc.pid, gpu, process_started(proc.pid))
    # Waiting in a thread collects the worker's exit status at once, so no zombie lingers behind it, and a
    # worker that dies is noticed the moment it does while this process lives.
    threading.Thread(target=_watch, args=(store, run_id, proc), daemon=True).start()


def _submit(store: Store, run: Run) -> None:
    """Hand the run to the Ray cluster: the same worker command, on a node with the GPUs it asks for."""
    gpus = ray_cluster.gpus_per_run()
    if not get_architecture(run.arch).model_cls.distributable:
        gpus = min(gpus, 1)  # it trains in one process, and would leave the others idle but taken
    processes = max(1, gpus)
    env = {WORKSPACE_ENV: str(store.root), PROCESSES_ENV: str(processes)}
    store.set_job(run.id, ray_cluster.submit(run, worker_command(run, processes), str(ROOT), env, gpus))


def _watch(store: Store, run_id: int, proc: subprocess.Popen) -> None:
    code = proc.wait()
    run = store.get_run(run_id)
    if not run.active or run.pid != proc.pid:
        return  # finished as it should, or the run has moved on to another worker
    if run.status == "queued" and code > 0:
        # It failed before it could claim the run (a broken install, say): launching it again would fail again.
        _never_started(store, run_id, "The training process could not start")
    elif code < 0:
        name = signal.Signals(-code).name
        why = "" if run.cancel_requested else " (if nobody stopped it, the system does this when memory runs out)"
        _stopped(store, run, f"The training process was killed by {name}{why}.")
    dispatch(store)


def _never_started(store: Store, run_id: int, what: str) -> None:
    log = worker_log(store, run_id)
    output = log.strip().splitlines()[-1:] or ["no output"]
    store.transition(run_id, "failed", error=f"{what}: {output[0]}", traceback=log[-4000:])


def cancel(store: Store, run_id: int) -> Run:
    """Stop a run: a waiting one at once; a training one at its next step, or by force after a grace period
    (see `reconcile`). A run stopped after an epoch keeps that epoch's model."""
    run = store.get_run(run_id)
    require_change(store.viewer, run, f"Run {run_id}", "stop")
    if run.status == "queued" and store.transition(run_id, "cancelled"):
        if run.job is not None:
            ray_cluster.stop(run.job)  # waiting in the cluster's queue: it would start, only to find nothing to do
        _note(store, run_id, "Cancelled before it started.")
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
    _note(store, run_id, "Resume requested: continuing from the last checkpoint." if kept
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
    for run in store.list_runs(status=("queued", "running")):
        if worker_alive(run, store.root):
            # A worker acknowledges Stop at once (see StopWatch); one that has not is hung, and is ended.
            if run.status == "running" and run.cancel_at is not None and run.progress.phase != "stopping":
                late = now - run.cancel_at - CANCEL_GRACE_SECONDS
                if late > 0 and run.job is not None:
                    ray_cluster.stop(run.job)
                elif late > 0 and pid_alive(run.pid, run.process_started):  # not a stranger with its id
                    signal_process(run.pid, signal.SIGKILL if late > KILL_GRACE_SECONDS else signal.SIGTERM)
            continue
        if run.job is not None and run.status == "queued":
            state = ray_cluster.job_state(run.job)
            if state == "GONE" and store.release_job(run.id, run.job):
                # A restarted head forgets its jobs, and a cluster no longer set has none: it is handed over again.
                _note(store, run.id, "Its Ray job is no longer known to the cluster; it is queued again.")
            elif state == "STOPPED" and store.transition(run.id, "cancelled"):
                _note(store, run.id, "Cancelled before it started: its Ray job was stopped in Ray.")
            else:
                _never_started(store, run.id, "The Ray job ended before training started")
            continue
        if run.pid is None:
            continue
        if run.status == "running":
            if _stopped(store, run, GONE_FROM_CLUSTER if run.job is not None else _gone(store.root)):
                found.append(run.id)
        else:
            store.release_launch(run.id, run.pid)  # launched, but gone before it claimed the run: launch it again
    dispatch(store)


def _gone(root: Path) -> str:
    """Why a local worker stopped without a word: a worker that failed on a full disk may have had no room to say."""
    if low_on_space(root):
        return f"The training process stopped while the disk was nearly full. {disk_full_message(root)}"
    return GONE


def _stopped(store: Store, run: Run, why: str) -> bool:
    if run.cancel_requested:
        if store.transition(run.id, "cancelled"):
            _note(store, run.id, f"Stopped by force after Stop was asked for. {why}")
            return True
        return False
    if store.transition(run.id, "interrupted", error=why):
        _note(store, run.id, f"Interrupted. {why} Resume continues from the last checkpoint.")
        return True
    return False


def _note(store: Store, run_id: int, line: str) -> None:
    """Add a line to the run's log, here and in shared storage, where a worker on another machine reads it."""
    folder = run_dir(run_id, store.root)
    run_log.append(folder, line)
    shared_storage.quietly(shared_storage.push, folder / run_log.RUN_LOG, store.root)


class Supervisor:
    """Reconciles every few seconds in a daemon thread, so a dead worker is noticed even when nobody watches, and
    keeps a worker ready for the next run (unless runs go to a Ray cluster, or the setting turns it off)."""

    def __init__(self, store: Store, every: float = SUPERVISE_SECONDS):
        global _standby
        self.store, self.every = store, every
        self.standby = Standby(store.root) if standby_enabled() and not ray_cluster.enabled() else None
        if self.standby is not None:
            _standby = self.standby
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
        global _standby
        self._stopped.set()
        if self.standby is not None:
            self.standby.close()
            if _standby is self.standby:
                _standby = None


def worker_log(store: Store, run_id: int) -> str:
    """What the run's worker printed: its log file here, or what the cluster kept of its job."""
    job = store.as_viewer(None).get_run(run_id).job
    if job is not None:
        return ray_cluster.logs(job)
    path = run_dir(run_id, store.root) / WORKER_LOG
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
