"""A run's cross-validation, asked for by its `cv_folds` setting: before the model the run keeps trains, one model
of the same settings per fold of the training and validation texts, each scored on the fold it did not see. The run
keeps their out-of-fold predictions (`out_of_fold.parquet`) and each metric's mean and spread across the folds."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Sequence

import pandas as pd
import torch

from core.architectures import get_architecture
from core.evaluation.cross_validation import (cross_validate, headline, learning_rows, learning_set, load_out_of_fold,
                                              save_out_of_fold, scored)
from core.runs.worker_callbacks import StopWatch, time_limit
from core.store.records import Progress
from core.store.store import Run, Store
from core.training.callbacks import Callback, CallbackList
from core.training.state import TrainState
from core.wording import duration

# Steps of the progress bar within one fold: the bar moves within a fold, not only from fold to fold.
STEPS_PER_FOLD = 1000
FOLDS_DONE = "Cross-validation folds done"


class FoldsStopped(Exception):
    """The user pressed Stop while the folds trained: there is no model to keep yet."""


class FoldWatch(Callback):
    """Hears every fold model's training: writes 'Cross-validating: fold k of K' as the run's progress at most every
    `interval` seconds, tells `callbacks` (the command line's printer) of each fold done, and ends the folds once the
    user's Stop has been seen."""

    def __init__(self, store: Store, run_id: int, stop: StopWatch, folds: int, callbacks: Sequence[Callback],
                 interval: float = 0.5):
        self.store, self.run_id, self.stop, self.folds, self.interval = store, run_id, stop, folds, interval
        self.outer, self.overall = CallbackList(callbacks), TrainState()
        self.fold, self._last = 0, 0.0  # folds begun, and when progress was last written

    def _watch(self, state: TrainState, write: bool = False) -> None:
        if self.stop.requested.is_set():
            raise FoldsStopped(f"Stopped by the user while cross-validating, in fold {self.fold} of {self.folds}: "
                               "there is no model to keep. Start the run again to train it.")
        if not write and time.time() - self._last < self.interval:
            return
        within = state.task_done / state.task_total if state.task and state.task_total else \
            state.step / max(state.total_steps, 1)
        self.store.set_progress(self.run_id, Progress(
            elapsed=self.overall.elapsed, phase="cross-validating", at=time.time(),
            task=f"Cross-validating: fold {self.fold} of {self.folds}",
            task_done=int((self.fold - 1 + min(within, 1.0)) * STEPS_PER_FOLD),
            task_total=self.folds * STEPS_PER_FOLD, task_started=self.overall.start_time))
        self._last = time.time()

    def on_train_begin(self, state: TrainState) -> None:
        self.fold += 1
        self._watch(state, write=True)

    def on_step_end(self, state: TrainState) -> None:
        self._watch(state)

    def on_progress(self, state: TrainState) -> None:
        self._watch(state)

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        self._watch(state)

    def on_train_end(self, state: TrainState) -> None:
        self.overall.task, self.overall.task_done, self.overall.task_total = FOLDS_DONE, self.fold, self.folds
        self.outer.fire("on_progress", self.overall)


def cross_validation(store: Store, run: Run, df: pd.DataFrame, multilabel: bool, folder: Path, log: logging.Logger,
                     stop: StopWatch, callbacks: Sequence[Callback], warnings: list[str]) -> dict | None:
    """Cross-validate the run's settings on the training and validation rows of `df` when its `cv_folds` asks for
    it, and keep the out-of-fold predictions in `folder`; return what the run's result keeps of it, None without.
    A resumed run keeps the folds it finished before. Folds the data cannot take (more folds than texts, a fold
    with one class) are said in `warnings` and the run trains on without; Stop raises `FoldsStopped`."""
    folds = int(run.config.get("cv_folds", 1))
    if folds < 2:
        return None
    if torch.distributed.is_initialized():
        return _left_out("it is not done for a run trained across several processes.", warnings, log)
    rows = learning_rows(df)
    data = learning_set(rows, multilabel)
    started = time.time()
    earlier = load_out_of_fold(folder)
    if earlier is not None and len(earlier[0]) == len(rows):
        table, classes, proba = earlier
        cv = scored(data, classes, proba, table["fold"].to_numpy())
        log.info("Cross-validation: the %d folds finished before the run was resumed are kept.", folds)
    else:
        arch = get_architecture(run.arch)
        config = arch.config_cls.from_dict(run.config)
        log.info("Cross-validating: %d models, each trained on %d of %d shares of the %d training and validation "
                 "texts and scored on the other.", folds, folds - 1, folds, len(data.texts))
        watch = FoldWatch(store, run.id, stop, folds, callbacks)
        try:
            cv = cross_validate(lambda: arch.model_cls(config), data, folds, config.seed, [watch, *time_limit()])
        except ValueError as exc:
            return _left_out(str(exc), warnings, log)
        save_out_of_fold(cv, rows, folder)
    kept = {"folds": folds, "summary": {name: list(spread) for name, spread in cv.summary().items()},
            "seconds": time.time() - started}
    log.info("%s, in %s.", headline(kept, multilabel, 4), duration(kept["seconds"]))
    return kept


def _left_out(why: str, warnings: list[str], log: logging.Logger) -> None:
    """Say, where the run's other warnings are said, why it trains without cross-validation."""
    warnings.append(f"No cross-validation for this run: {why}")
    log.warning("%s", warnings[-1])
    print(f"warning: {warnings[-1]}", file=sys.stderr, flush=True)  # in the worker log and the CLI output
