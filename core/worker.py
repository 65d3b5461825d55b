"""Train one run from the store: the body of `python -m core worker RUN_ID` and of `python -m core train`."""
from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from typing import Sequence

import numpy as np
import torch

from core import jobs
from core.architectures import TextClassifier, get_architecture
from core.datasets import load_dataset, subset
from core.evaluation import evaluate, save_report
from core.prediction import prediction_frame
from core.store import Run, Store
from core.training import Callback, TrainState
from core.workspace import MODEL_DIR, PREDICTIONS_FILE, run_dir


class Cancelled(Exception):
    """Raised in the worker when the user's Stop arrives as a signal rather than through the loop."""


class StoreLogger(Callback):
    """Writes metrics and progress to the store at most every `interval` seconds, and watches for Stop."""

    def __init__(self, store: Store, run_id: int, interval: float = 0.5):
        self.store, self.run_id, self.interval = store, run_id, interval
        self._last = 0.0
        self._losses: list[float] = []
        self.cancelled = False
        self.best_epoch: int | None = None
        self.stop_reason: str | None = None

    def _flush(self, state: TrainState) -> None:
        if self._losses:
            self.store.log_metrics(self.run_id, state.step, state.fractional_epoch, "train",
                                   {"loss": sum(self._losses) / len(self._losses)})
            self._losses = []
        self.store.set_progress(self.run_id, {
            "epoch": state.epoch, "epochs": state.epochs, "step": state.step, "total_steps": state.total_steps,
            "elapsed": state.elapsed, "eta": state.eta,
        })
        if self.store.cancel_requested(self.run_id):
            self.cancelled = True
            state.stop("cancelled")
        self._last = time.time()

    def on_train_begin(self, state: TrainState) -> None:
        self._flush(state)

    def on_step_end(self, state: TrainState) -> None:
        self._losses.append(state.loss)
        if time.time() - self._last >= self.interval:
            self._flush(state)

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        self._flush(state)
        if metrics:
            self.store.log_metrics(self.run_id, state.step, state.fractional_epoch, "val", metrics)

    def on_train_end(self, state: TrainState) -> None:
        self._flush(state)
        self.best_epoch = state.best_epoch
        self.stop_reason = None if self.cancelled else state.stop_reason


def _on_sigterm(signum: int, frame: object) -> None:
    raise Cancelled()


def latency_ms(model: TextClassifier, texts: Sequence[str], repeats: int = 10) -> float | None:
    """Median milliseconds to classify one text on its own, as a user of the Predict page or a service would."""
    if not texts:
        return None
    timings = []
    for text in list(texts)[:repeats]:
        started = time.perf_counter()
        model.predict_proba([text])
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.median(timings))


def execute_run(store: Store, run_id: int, callbacks: Sequence[Callback] = ()) -> Run:
    """Claim a queued run, train it, evaluate it on the test split and save it; never raises for a failed run."""
    if not store.transition(run_id, "running", pid=os.getpid()):
        return store.get_run(run_id)
    run = store.get_run(run_id)
    folder = run_dir(run_id, store.root)
    logger = StoreLogger(store, run_id)
    try:
        arch = get_architecture(run.arch)
        model = arch.model_cls(arch.config_cls.from_dict(run.config))
        df = load_dataset(store, run.dataset_id)
        train = subset(df, "train")
        warnings = model.check_data(train.texts)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr, flush=True)  # in the worker log and the CLI output
        started = time.time()
        model.fit(train, subset(df, "val"), [logger, *callbacks])
        train_seconds = time.time() - started
        if logger.cancelled:
            store.transition(run_id, "cancelled")
            return store.get_run(run_id)
        test = df[(df["split"] == "test") & df["label"].isin(model.classes_)]
        proba = model.predict_proba(test["text"].tolist())
        report = evaluate(test["label"].tolist(), proba, model.classes_.tolist(), test["text"].tolist())
        model.save(folder / MODEL_DIR)
        model_bytes = sum(f.stat().st_size for f in (folder / MODEL_DIR).rglob("*") if f.is_file())
        save_report(report, folder)
        predictions = prediction_frame(test["text"].tolist(), proba, model.classes_)
        predictions.insert(1, "label", test["label"].to_numpy())
        predictions.to_parquet(folder / PREDICTIONS_FILE, index=False)
        store.transition(run_id, "succeeded", result={
            "accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "n_test": report["n_test"],
            "train_seconds": train_seconds, "model_bytes": model_bytes, "warnings": warnings,
            "best_epoch": logger.best_epoch, "stop_reason": logger.stop_reason,
            "latency_ms": latency_ms(model, test["text"].tolist()),
        })
    except Cancelled:
        store.transition(run_id, "cancelled")
    except Exception as exc:  # a failed run is recorded, never propagated: the worker must exit cleanly
        store.transition(run_id, "failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    return store.get_run(run_id)


def worker_main(run_id: int) -> int:
    """Entry point of a worker process: train the run, then hand the slot to the next queued run."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    if jobs.gpu_count() == 0:
        # Runs sharing the CPU each get their share of its cores: two runs that each use every core spend more
        # time contending than computing (a fine-tuning step measured 16 times slower).
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // jobs.slots()))
    store = Store()
    run = execute_run(store, run_id)
    # A late Stop signal must not cut short the hand-over of the slot to the next queued run.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    jobs.dispatch(store)
    return 0 if run.status in ("succeeded", "cancelled") else 1
