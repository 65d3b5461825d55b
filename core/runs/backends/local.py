"""Workers as processes on this machine, each on GPUs of its own: the backend used unless a Ray cluster is set.

Each worker runs in a session of its own and logs to `worker.log` in its run's folder, so it trains on whatever
happens to the process that launched it. While that process lives, a thread waits on the worker and reports its
exit at once; otherwise `reconcile` notices, by process id or, across machines, by heartbeat.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Callable

from core.disk_space import disk_full_message, low_on_space
from core.runs.backends import base
from core.runs.backends.base import ROOT, processes_for, worker_command
from core.runs.backends.processes import pid_alive, process_started, signal_process
from core.runs.heartbeat import beats_elsewhere
from core.runs.standby import Standby
from core.settings import env_name
from core.store.store import Run, Store
from core.training.distributed import processes_per_run
from core.workspace import run_dir

WORKER_LOG = "worker.log"
GONE = ("The training process stopped without finishing: it was killed, the machine restarted, or it ran out of "
        "memory.")


def worker_env(store: Store, gpu: int | None) -> dict[str, str]:
    """The worker's environment: this workspace, and only its GPUs, from `gpu` on. `gpu` counts the GPUs this
    process sees, so under `CUDA_VISIBLE_DEVICES=2,3` the second is physical GPU 3."""
    env = {**os.environ, env_name("workspace"): str(store.root)}
    if gpu is not None:
        visible = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
        ids = range(gpu, gpu + processes_per_run(base.gpu_count()))
        env["CUDA_VISIBLE_DEVICES"] = ",".join(visible[i] if i < len(visible) else str(i) for i in ids)
    return env


class LocalWorkers:
    cluster = False

    def __init__(self) -> None:
        # The worker kept ready in this process (see core/runs/standby.py): only the dashboard's Supervisor keeps one.
        self.standby: Standby | None = None

    def launch(self, store: Store, run: Run, gpu: int | None, on_exit: Callable[[int, int], None]) -> None:
        env = worker_env(store, gpu)
        log_path = run_dir(run.id, store.root) / WORKER_LOG
        # A run of one process goes to the worker kept ready, when this process keeps one; under torchrun it starts
        # cold.
        ready = self.standby is not None and processes_for(run) == 1
        proc = self.standby.take(run.id, env, log_path) if ready else None
        if proc is None:
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(worker_command(run), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        store.set_pid(run.id, proc.pid, gpu, process_started(proc.pid))
        # Waiting in a thread collects the worker's exit status at once, so no zombie lingers behind it, and a
        # worker that dies is noticed the moment it does while this process lives.
        threading.Thread(target=lambda: on_exit(proc.pid, proc.wait()), daemon=True).start()

    def alive(self, run: Run, root: Path) -> bool:
        """Its worker's process runs here, or its heartbeat goes on where this process cannot see it (see
        core/runs/heartbeat.py), or the process launching it lives."""
        if run.launcher is not None:
            return pid_alive(run.launcher)
        if run.pid is None:
            return False
        return pid_alive(run.pid, run.process_started) or beats_elsewhere(run_dir(run.id, root))

    def stop(self, run: Run, kill: bool = False) -> None:
        # A worker still starting (its run queued) finds the run stopped when it claims it, and leaves by itself.
        if run.status == "running" and pid_alive(run.pid, run.process_started):  # not a stranger with its id
            signal_process(run.pid, signal.SIGKILL if kill else signal.SIGTERM)

    def logs(self, run: Run, root: Path) -> str:
        path = run_dir(run.id, root) / WORKER_LOG
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def gone(self, root: Path) -> str:
        # A worker that failed on a full disk may have had no room to say so.
        if low_on_space(root):
            return f"The training process stopped while the disk was nearly full. {disk_full_message(root)}"
        return GONE

    def lost(self, store: Store, run: Run) -> None:
        if run.launcher is not None:
            store.release_launch(run.id, run.launcher)  # its launcher died before it started a worker
        elif run.pid is not None:
            store.release_worker(run.id, run.pid)  # launched, but gone before it claimed the run: launch it again


WORKERS = LocalWorkers()
