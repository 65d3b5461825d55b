"""Each run's readable log, `run.log` in its folder: settings, data sizes, device, epochs, warnings and errors.

The worker routes the `core` loggers and Python warnings into it while it trains, so a warning raised deep in
the training loop (an out-of-memory retry) or in a library (a solver that did not converge) lands there with
the lines the worker writes itself. Other processes (the dashboard noticing a dead worker, a resume) append.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from core.training.callbacks import Callback
from core.training.state import METRIC_NAMES, TrainState
from core.wording import count, duration

RUN_LOG = "run.log"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PREFIXES = {logging.WARNING: "Warning: ", logging.ERROR: "Error: ", logging.CRITICAL: "Error: "}


class Lines(logging.Formatter):
    """'2026-11-30 16:40:12  Warning: …': a time, then the message, with warnings and errors named."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.name == "py.warnings":
            # The warnings module formats its record as 'file:line: Category: message' plus the source line.
            text = text.strip().splitlines()[0].split(": ", 1)[-1]
        # A traceback is kept with the run (its technical details, for administrators), not in the log everyone who
        # may see the run reads: it shows the server's folders and code.
        return f"{time.strftime(TIME_FORMAT, time.localtime(record.created))}  " \
               f"{PREFIXES.get(record.levelno, '')}{text}"


@contextmanager
def capture(folder: Path) -> Iterator[logging.Logger]:
    """Send the `core` loggers and Python warnings to the run's log for the duration; yields the worker's logger."""
    handler = logging.FileHandler(folder / RUN_LOG, encoding="utf-8")
    handler.setFormatter(Lines())
    loggers = [logging.getLogger("core"), logging.getLogger("py.warnings")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield logging.getLogger("core.runs.worker")
    finally:
        logging.captureWarnings(False)
        for lg, level in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(level)
        handler.close()


def append(folder: Path, message: str) -> None:
    """Add one line from outside the worker (the dashboard or the command line)."""
    with open(folder / RUN_LOG, "a", encoding="utf-8") as log:
        log.write(f"{time.strftime(TIME_FORMAT)}  {message}\n")


def read(folder: Path) -> str:
    path = folder / RUN_LOG
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def scores(metrics: dict[str, float]) -> str:
    return ", ".join(f"{METRIC_NAMES.get(k, k)} {v:.4f}" for k, v in metrics.items())


def settings_line(config: dict[str, Any]) -> str:
    return "Settings: " + ", ".join(f"{k}={v}" for k, v in config.items())


class EpochLog(Callback):
    """One line where training starts or resumes, one per epoch, and one where it stops early."""

    def __init__(self, log: logging.Logger):
        self.log = log

    def on_train_begin(self, state: TrainState) -> None:
        if state.resumed_from is not None:
            self.log.info("Resumed from the checkpoint at step %s of %s (epoch %d of %d), after %s of training.",
                          f"{state.step:,}", f"{state.total_steps:,}", min(state.epoch + 1, state.epochs),
                          state.epochs, duration(state.elapsed))
        else:
            self.log.info("Training: %s per epoch, at most %s.", count(state.steps_per_epoch, "step"),
                          count(state.epochs, "epoch"))

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        shown = f": validation {scores(metrics)}" if metrics else " (no validation texts to score)"
        self.log.info("Epoch %d of %d done at step %s, %s in%s.", state.epoch, state.epochs, f"{state.step:,}",
                      duration(state.elapsed), shown)

    def on_train_end(self, state: TrainState) -> None:
        if state.stop_reason and state.stop_reason != "cancelled":
            self.log.info("Stopped early: %s.", state.stop_reason)
        if state.best_epoch is not None:
            self.log.info("Keeping the weights of epoch %d, the best on the validation texts.", state.best_epoch)
