"""The callbacks a worker trains a run with: they watch for the user's Stop, report progress and metrics to the
store, put checkpoints in shared storage, and hold runs to the server's time limit."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy.exc import OperationalError

from core.access.limits import Limits
from core.runs import run_log
from core.store.records import Progress
from core.store.shared_storage import push, quietly
from core.store.store import Store
from core.training.callbacks import Callback
from core.training.checkpoints import CHECKPOINT_FILE
from core.training.state import TrainState
from core.wording import duration


class StopWatch:
    """Watches the store for the user's Stop from a thread of its own, so Stop is seen and acknowledged within
    a second even while the worker is busy outside training steps (loading a model, a long validation pass).
    The acknowledgement, repeated until the worker ends, tells `jobs.reconcile` not to force the stop."""

    def __init__(self, store: Store, run_id: int, every: float = 1.0):
        self.store, self.run_id, self.every = store, run_id, every
        self.requested = threading.Event()
        self._done = threading.Event()
        threading.Thread(target=self._watch, name="stop-watch", daemon=True).start()

    def _watch(self) -> None:
        while not self._done.wait(self.every):
            try:
                if self.requested.is_set() or self.store.cancel_requested(self.run_id):
                    self.requested.set()
                    self.store.mark_stopping(self.run_id)
            except OperationalError:  # the store busy for longer than its timeout: look again next time
                continue

    def close(self) -> None:
        self._done.set()


class PushCheckpoints(Callback):
    """Puts the checkpoint, and the log so far, in shared storage each time training has written one, so a run whose
    machine is lost resumes elsewhere from it. Checkpoints are written after the epoch's hooks: the next step, or the
    end of training, finds each one."""

    def __init__(self, folder: Path, root: Path):
        self.checkpoint, self.root = folder / CHECKPOINT_FILE, root
        self.pushed: float | None = self._written()

    def _written(self) -> float | None:
        return self.checkpoint.stat().st_mtime if self.checkpoint.exists() else None

    def _push_if_new(self) -> None:
        written = self._written()
        if written is None or written == self.pushed:
            return
        if all(quietly(push, file, self.root) for file in (self.checkpoint, self.checkpoint.parent / run_log.RUN_LOG)):
            self.pushed = written

    def on_step_end(self, state: TrainState) -> None:
        self._push_if_new()

    def on_train_end(self, state: TrainState) -> None:
        self._push_if_new()


class TimeLimit(Callback):
    """Ends training once it has run for the server's limit; the run then keeps and measures the model it has."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def on_step_end(self, state: TrainState) -> None:
        if state.elapsed >= self.seconds and not state.should_stop:
            state.stop(f"it reached this server's limit of {duration(self.seconds)} of training per run")


def time_limit() -> list[Callback]:
    """The server's time limit per run, as the callbacks to train with: none where there is no limit."""
    seconds = Limits.from_env().seconds_per_run
    return [TimeLimit(seconds)] if seconds else []


class StoreLogger(Callback):
    """Writes metrics and progress to the store at most every `interval` seconds, and stops training once the
    user's Stop has been seen."""

    def __init__(self, store: Store, run_id: int, stop: StopWatch, interval: float = 0.5):
        self.store, self.run_id, self.stop, self.interval = store, run_id, stop, interval
        # "training", then "testing" once the worker scores the test texts.
        self.phase = "training"
        self._last = 0.0
        self._losses: list[float] = []
        self.cancelled = False
        self.best_epoch: int | None = None
        self.stop_reason: str | None = None
        self.final: TrainState | None = None

    def _flush(self, state: TrainState) -> None:
        if self._losses:
            self.store.log_metrics(self.run_id, state.step, state.fractional_epoch, "train",
                                   {"loss": sum(self._losses) / len(self._losses)})
            self._losses = []
        if not self.cancelled and (self.stop.requested.is_set() or self.store.cancel_requested(self.run_id)):
            self.stop.requested.set()
            self.cancelled = True
            state.stop("cancelled")
        self.store.set_progress(self.run_id, progress(state, "stopping" if self.cancelled else self.phase))
        self._last = time.time()

    def on_train_begin(self, state: TrainState) -> None:
        # Steps logged after the checkpoint training starts from are logged again; without one, all are.
        self.store.drop_metrics_after(self.run_id, state.step)
        self._flush(state)

    def on_step_end(self, state: TrainState) -> None:
        self._losses.append(state.loss)
        if time.time() - self._last >= self.interval:
            self._flush(state)

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        self._flush(state)
        if metrics:
            self.store.log_metrics(self.run_id, state.step, state.fractional_epoch, "val", metrics)

    def on_progress(self, state: TrainState) -> None:
        if time.time() - self._last >= self.interval or state.task_done == state.task_total:
            self._flush(state)

    def on_train_end(self, state: TrainState) -> None:
        self._flush(state)
        self.best_epoch = state.best_epoch
        self.stop_reason = None if self.cancelled else state.stop_reason
        self.final = state


def progress(state: TrainState, phase: str) -> Progress:
    """What the Train page shows of a running run; `phase` is 'training', 'testing', or 'stopping' once Stop was
    seen."""
    shown = Progress(epoch=state.epoch, epochs=state.epochs, step=state.step, total_steps=state.total_steps,
                     elapsed=state.elapsed, eta=state.eta, accumulation=state.accumulation, phase=phase, at=time.time())
    if state.task:
        shown = replace(shown, task=state.task, task_done=state.task_done, task_total=state.task_total,
                        task_started=state.task_started)
    return shown
