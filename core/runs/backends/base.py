"""What `core.runs.jobs` asks of a backend, and what every backend shares: the worker command, and the lines and
statuses written for a run from outside its worker."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Protocol

from core.architectures import get_architecture
from core.runs import run_log
from core.store import shared_storage
from core.store.store import Run, Store
from core.training.distributed import processes_per_run
from core.workspace import run_dir

ROOT = Path(__file__).resolve().parents[3]  # the folder holding `core`: where workers start


class Backend(Protocol):
    """Where workers train runs: processes on this machine (local.py) or jobs on a Ray cluster (ray_cluster.py);
    core/runs/backends/choice.py picks one."""

    # A cluster takes every waiting run at once, queues those it has no room for yet and places each on a node of
    # its choosing: this machine's slots and GPUs are none of its concern.
    cluster: bool

    def launch(self, store: Store, run: Run, gpu: int | None, on_exit: Callable[[int, int], None]) -> None:
        """Start a worker for `run`, reserved by this process (`Store.reserve_launch`), on this machine's GPUs from
        `gpu` on (None: none, or the cluster's choice). `on_exit(pid, exit code)` is called when a worker started
        here ends while this process lives. Raises OSError, or ClusterUnreachable, when it cannot be started."""

    def alive(self, run: Run, root: Path) -> bool:
        """Whether a worker trains the run or is being launched for it; a run without one holds no slot."""

    def stop(self, run: Run, kill: bool = False) -> None:
        """End the worker of a run stopped while it waited, or of one that ignores Stop (`kill`: at once)."""

    def logs(self, run: Run, root: Path) -> str:
        """What the run's worker printed; '' when there is nothing to read."""

    def gone(self, root: Path) -> str:
        """Why a training run's worker stopped without a word."""

    def lost(self, store: Store, run: Run) -> None:
        """Settle a queued run whose worker is gone before it claimed the run: queue it again, or record how it
        ended."""


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count()


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


def note(store: Store, run_id: int, line: str) -> None:
    """Add a line to the run's log, here and in shared storage, where a worker on another machine reads it."""
    folder = run_dir(run_id, store.root)
    run_log.append(folder, line)
    shared_storage.quietly(shared_storage.push, folder / run_log.RUN_LOG, store.root)


def never_started(store: Store, run_id: int, what: str, log: str) -> None:
    """Fail a run whose worker ended before it could claim the run, with the last line it printed (`log`)."""
    output = log.strip().splitlines()[-1:] or ["no output"]
    store.transition(run_id, "failed", error=f"{what}: {output[0]}", traceback=log[-4000:])
