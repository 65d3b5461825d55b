"""Start, cancel and reconcile training runs, each trained by its own worker process.

A run is a row in the store; `dispatch` launches `python -m core worker RUN_ID` for queued runs while
slots are free, and each finishing worker dispatches the next. Nothing here runs training in-process,
so a closed tab or a restarted dashboard leaves training untouched.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from core.architectures import get_architecture
from core.store import Run, Store
from core.workspace import WORKSPACE_ENV, run_dir

SLOTS_ENV = "CLASSIFIER_STUDIO_SLOTS"
CANCEL_GRACE_SECONDS = 10.0
WORKER_LOG = "worker.log"
ROOT = Path(__file__).resolve().parent.parent


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count()


def slots() -> int:
    """How many runs train at once: `$CLASSIFIER_STUDIO_SLOTS`, else one per GPU, else one."""
    if os.environ.get(SLOTS_ENV):
        return max(1, int(os.environ[SLOTS_ENV]))
    return max(1, gpu_count())


def start(store: Store, dataset_id: str, arch: str, config: dict[str, Any]) -> int:
    """Queue a run (its settings checked first) and launch a worker if a slot is free."""
    store.get_dataset(dataset_id)
    checked = get_architecture(arch).config_cls.from_dict(config).to_dict()
    run_id = store.create_run(dataset_id, arch, checked)
    dispatch(store)
    return run_id


def dispatch(store: Store) -> list[int]:
    """Launch workers for the oldest queued runs while slots are free; returns the run ids launched."""
    # A worker that died without a word (killed, out of memory) holds no slot, even before reconcile marks it.
    busy = [r for r in store.list_runs(status=("queued", "running")) if r.pid == -1 or pid_alive(r.pid)]
    waiting = sorted((r for r in store.list_runs(status=("queued",)) if r.pid is None), key=lambda r: r.id)
    gpus = gpu_count()
    load = [sum(r.gpu == i for r in busy) for i in range(gpus)]
    launched = []
    for run in waiting[: max(0, slots() - len(busy))]:
        if not store.reserve_launch(run.id):
            continue
        # Each run gets the least busy GPU to itself, so two runs never share one while another idles.
        gpu = load.index(min(load)) if gpus else None
        try:
            store.set_pid(run.id, _launch(store, run.id, gpu), gpu)
        except OSError as exc:
            store.transition(run.id, "failed", error=f"The training process could not be started: {exc}")
            continue
        if gpu is not None:
            load[gpu] += 1
        launched.append(run.id)
    return launched


def worker_env(store: Store, gpu: int | None) -> dict[str, str]:
    env = {**os.environ, WORKSPACE_ENV: str(store.root)}
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = str(gpu)
    return env


def _launch(store: Store, run_id: int, gpu: int | None) -> int:
    env = worker_env(store, gpu)
    log = open(run_dir(run_id, store.root) / WORKER_LOG, "ab")
    proc = subprocess.Popen([sys.executable, "-m", "core", "worker", str(run_id)], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    # Waiting in a thread collects the worker's exit status at once, so no zombie lingers behind it.
    threading.Thread(target=proc.wait, daemon=True).start()
    return proc.pid


def pid_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    # A zombie (state Z) has exited; only its parent has not collected it yet.
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def cancel(store: Store, run_id: int) -> Run:
    """Stop a run: a waiting one at once; a training one at its next step, or by signal after a grace period."""
    run = store.get_run(run_id)
    if run.status == "queued" and store.transition(run_id, "cancelled"):
        return store.get_run(run_id)
    if run.status in ("queued", "running"):
        store.request_cancel(run_id)
        timer = threading.Timer(CANCEL_GRACE_SECONDS, _terminate_if_running, (store, run_id))
        timer.daemon = True
        timer.start()
    return store.get_run(run_id)


def _terminate_if_running(store: Store, run_id: int) -> None:
    run = store.get_run(run_id)
    if run.status == "running" and pid_alive(run.pid):
        os.kill(run.pid, signal.SIGTERM)


def reconcile(store: Store) -> list[int]:
    """Mark runs whose worker is gone as interrupted, then fill free slots; returns the interrupted run ids."""
    interrupted = []
    for run in store.list_runs(status=("queued", "running")):
        if run.pid is None or run.pid < 0 or pid_alive(run.pid):
            continue
        if run.status == "running":
            if store.transition(run.id, "interrupted", error="The training process stopped unexpectedly."):
                interrupted.append(run.id)
        else:
            store.set_pid(run.id, None)  # launched but died before it claimed the run: launch again
    dispatch(store)
    return interrupted


def worker_log(store: Store, run_id: int) -> str:
    path = run_dir(run_id, store.root) / WORKER_LOG
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
