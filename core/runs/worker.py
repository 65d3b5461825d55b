"""Train one run from the store: the body of `python -m core worker RUN_ID` and of `python -m core train`."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import psutil
import torch

from core.architectures import TextClassifier, get_architecture
from core.data.multilabel import split_labels
from core.data.text_set import subset
from core.disk_space import is_disk_full, room_kept
from core.errors import Cancelled, StorageError
from core.evaluation.multilabel_report import evaluate_multilabel, multilabel_predictions_table
from core.evaluation.report import evaluate, save_report
from core.inference.prediction import prediction_frame
from core.runs import jobs, run_log
from core.runs.backends import base, ray_env
from core.runs.backends.choice import backend
from core.runs.failures import explain
from core.runs.heartbeat import beating
from core.runs.standby import wait_for_run, warm_up
from core.runs.worker_callbacks import PushCheckpoints, StopWatch, StoreLogger, progress, time_limit
from core.runs.worker_cv import FoldsStopped, cross_validation
from core.store.datasets import load_dataset
from core.store.shared_storage import fetch, push, quietly, remove, storage_url
from core.store.store import Run, Store
from core.training.callbacks import Callback, CallbackList, Report, reporter
from core.training.checkpoints import CHECKPOINT_FILE
from core.training.device import describe_device, pick_device
from core.training.distributed import World, join, leave
from core.wording import count, duration
from core.workspace import EXPORT_DIR, MODEL_DIR, PREDICTIONS_FILE, folder_written_aside, run_dir

# Seconds before each try to put a finished run's folder in shared storage.
PUSH_WAITS = (0.0, 5.0, 25.0)


def _on_sigterm(signum: int, frame: object) -> None:
    # Once: a second signal while the first is being handled must not cut short the run's last record.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
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


def execute_run(store: Store, run_id: int, callbacks: Sequence[Callback] = (), world: World = World()) -> Run:
    """Claim a queued run, train it (from its checkpoint, if it has one), evaluate it on the test split and save
    it; never raises for a failed run. A run stopped after an epoch is evaluated and saved with that epoch's
    weights, so its model can be used, and is marked cancelled. In a run trained by several processes this is
    the first one's part (see `follow_run` for the others')."""
    # Beating from before the claim: no reader ever finds the run training and its heartbeat not yet begun.
    with beating(run_dir(run_id, store.root)):
        return _execute_run(store, run_id, callbacks, world)


def _execute_run(store: Store, run_id: int, callbacks: Sequence[Callback], world: World) -> Run:
    # Of a run trained by several processes, the one to watch and to signal is their launcher, torchrun.
    process = psutil.Process().parent() if world.size > 1 else psutil.Process()
    claimed = ray_env.sent_for(store.get_run(run_id).job) and store.transition(
        run_id, "running", pid=process.pid, process_started=process.create_time())
    folder = run_dir(run_id, store.root)
    if claimed:
        try:
            fetch(folder, store.root)  # its checkpoint and log, when it trained on another machine before
        except StorageError as exc:
            finish(store, run_id, "failed", error=f"Training could not start: {exc}")
            claimed = False
    if world.size > 1:
        claimed = _share(claimed)
    if not claimed:
        return store.get_run(run_id)
    run = store.get_run(run_id)
    stop = StopWatch(store, run_id)
    logger = StoreLogger(store, run_id, stop)
    with run_log.capture(folder) as log, room_kept(folder) as make_room:
        try:
            train(store, run, folder, log, logger, [run_log.EpochLog(log), *callbacks])
        except Cancelled:
            if store.cancel_requested(run_id):
                log.info("Stopped by force: the training process did not stop in time. Resume carries on from the "
                         "last checkpoint.")
                finish(store, run_id, "cancelled")
            else:
                why = "The training process was stopped from outside, as happens when the server shuts down."
                log.info("Interrupted. %s Resume carries on from the last checkpoint.", why)
                finish(store, run_id, "interrupted", error=why)
        except Exception as exc:  # a failed run is recorded, never propagated: the worker must exit cleanly
            if is_disk_full(exc):
                make_room()
            message = explain(exc)
            log.error("%s", message)
            finish(store, run_id, "failed", error=message, traceback=traceback.format_exc())
        finally:
            stop.close()
    return store.get_run(run_id)


def finish(store: Store, run_id: int, status: str, **values: object) -> None:
    """End the run as `status`, its folder put in shared storage first: the dashboard fetches it once it sees the
    run finished, and must find it complete. Storage out of reach is tried again a few times (nowhere else has the
    files), but does not keep the run from ending."""
    for wait in PUSH_WAITS:
        time.sleep(wait)
        if quietly(push, run_dir(run_id, store.root), store.root):
            break
    store.transition(run_id, status, **values)


def _share(claimed: bool) -> bool:
    """Tell the run's other processes whether the first one claimed the run, and so whether to train it."""
    decision = [claimed]
    torch.distributed.broadcast_object_list(decision, src=0)
    return bool(decision[0])


def follow_run(store: Store, run_id: int, world: World) -> int:
    """The part of a process other than the first in a run trained by several: train alongside it, and record a
    failure of its own, since the first learns of it only as the end of the run. Returns the exit status."""
    if not _share(False):
        return 0
    run = store.get_run(run_id)
    try:
        model, df = build(store, run)
        multilabel = store.get_dataset(run.dataset_id).multilabel
        model.fit(subset(df, "train", multilabel), subset(df, "val", multilabel), time_limit(),
                  checkpoints=run_dir(run_id, store.root))
    except Cancelled:
        return 0  # the first process records why the run stopped
    except Exception as exc:
        finish(store, run_id, "failed", error=f"{explain(exc)} (in training process {world.rank + 1} of {world.size})",
               traceback=traceback.format_exc())
        raise
    return 0


def build(store: Store, run: Run) -> tuple[TextClassifier, pd.DataFrame]:
    """The run's untrained model, and its dataset with the split of each row."""
    arch = get_architecture(run.arch)
    return arch.model_cls(arch.config_cls.from_dict(run.config)), load_dataset(store, run.dataset_id)


def train(store: Store, run: Run, folder: Path, log: logging.Logger, logger: StoreLogger,
          callbacks: list[Callback]) -> None:
    arch = get_architecture(run.arch)
    model, df = build(store, run)
    dataset = store.get_dataset(run.dataset_id)
    train_set, val_set = subset(df, "train", dataset.multilabel), subset(df, "val", dataset.multilabel)
    log.info("Run %d: %s on dataset '%s'.", run.id, arch.title, dataset.name)
    log.info(run_log.settings_line(model.config.to_dict()))
    log.info("Data: %s, %s and %s in %s.", count(len(train_set.texts), "training text"),
             count(len(val_set.texts), "validation text"), count(int((df["split"] == "test").sum()), "test text"),
             count(len(dataset.classes), "label", "labels") + ", several per text" if dataset.multilabel
             else count(len(dataset.classes), "class", "classes"))
    log.info("Device: %s; process %d.", describe_device(run.config.get("device", "auto")), os.getpid())
    if torch.distributed.is_initialized():
        log.info("Training across %s (%s): each step's batch is shared out among them.",
                 count(torch.distributed.get_world_size(), "process", "processes"),
                 "NCCL" if "nccl" in torch.distributed.get_backend() else "gloo")
    if run.progress.began and not (folder / CHECKPOINT_FILE).exists():
        log.info("No checkpoint was kept, so training starts from the beginning.")
    warnings = model.check_data(train_set.texts)
    for warning in warnings:
        log.warning("%s", warning)
        print(f"warning: {warning}", file=sys.stderr, flush=True)  # in the worker log and the CLI output
    try:
        cv = cross_validation(store, run, df, dataset.multilabel, folder, log, logger.stop, callbacks, warnings)
    except FoldsStopped as stopped:
        log.info("%s", stopped)
        return finish(store, run.id, "cancelled")
    shared = [PushCheckpoints(folder, store.root)] if storage_url() else []
    model.fit(train_set, val_set, [logger, *time_limit(), *shared, *callbacks], checkpoints=folder)
    state = logger.final
    logger.phase = "testing"
    store.set_progress(run.id, progress(state, "stopping" if logger.cancelled else "testing"))
    if logger.cancelled:
        if state.epoch < 1:
            log.info("Stopped by the user at step %s, before the first epoch ended: there is no model to keep. "
                     "Resume carries on from here.", f"{state.step:,}")
            finish(store, run.id, "cancelled")
            return
        log.info("Stopped by the user at step %s of %s. Measuring the model on the test split.",
                 f"{state.step:,}", f"{state.total_steps:,}")
    result = evaluate_and_save(model, df, folder, log,
                               reporter(state, CallbackList([logger, *callbacks]), "Scoring the test texts"))
    result.update(train_seconds=state.elapsed, warnings=warnings, best_epoch=logger.best_epoch,
                  stop_reason=logger.stop_reason, **({"cv": cv} if cv else {}))
    if logger.cancelled:
        finish(store, run.id, "cancelled", result={**result, "stopped_at_step": state.step})
        return
    log.info("Finished in %s.", duration(state.elapsed))
    (folder / CHECKPOINT_FILE).unlink(missing_ok=True)  # a finished run is never resumed
    finish(store, run.id, "succeeded", result=result)
    quietly(remove, folder / CHECKPOINT_FILE, store.root)  # pushed after an earlier epoch


def evaluate_and_save(model: TextClassifier, df: pd.DataFrame, folder: Path, log: logging.Logger,
                      report_scored: Report) -> dict:
    """Score the model on the test split (`report_scored` hears how many texts are done), save it with its report
    and test predictions; returns the result. Test labels the model was never trained on are left out: of a
    multi-label text, those labels; else, the text."""
    test = df[df["split"] == "test"]
    classes = model.classes_.tolist()
    if model.multilabel_:
        known = set(classes)
        truth = [tuple(label for label in split_labels(joined) if label in known) for joined in test["label"]]
    else:
        test = test[test["label"].isin(classes)]
    texts = test["text"].tolist()
    proba = model.predict_proba_reporting(texts, report_scored)
    with folder_written_aside(folder / MODEL_DIR) as partial:
        model.save(partial)
    # Downloads made from an earlier model of this run (stopped, then resumed) no longer match it.
    shutil.rmtree(folder / EXPORT_DIR, ignore_errors=True)
    model_bytes = sum(f.stat().st_size for f in (folder / MODEL_DIR).rglob("*") if f.is_file())
    if model.multilabel_:
        report = evaluate_multilabel(truth, proba, classes, model.label_thresholds_)
        predictions = multilabel_predictions_table(texts, truth, proba, classes, model.label_thresholds_)
        scores = {"micro_f1": report.micro_f1, "macro_f1": report.macro_f1, "subset_accuracy": report.subset_accuracy}
    else:
        report = evaluate(test["label"].tolist(), proba, classes, texts)
        predictions = prediction_frame(texts, proba, model.classes_)
        predictions.insert(1, "label", test["label"].to_numpy())
        scores = {"accuracy": report.accuracy, "macro_f1": report.macro_f1}
    save_report(report, folder)
    predictions.to_parquet(folder / PREDICTIONS_FILE, index=False)
    log.info("Test split: %s.", run_log.scores(scores) + f" on {count(report.n_test, 'text')}")
    log.info("Model saved: %.1f MB.", model_bytes / 1e6)
    return {**scores, "accuracy": report.accuracy, "n_test": report.n_test, "model_bytes": model_bytes,
            "latency_ms": latency_ms(model, texts), "baseline": report.baseline.to_dict() if report.baseline else None,
            **({"multilabel": True} if model.multilabel_ else {})}


def training_threads(cpus: int, slots: int) -> int:
    """Torch threads of a run training on the CPU: its share of the cores, one left to the dashboard. Runs that
    each use every core spend more time contending than computing (a fine-tuning step measured 16 times
    slower), and so does a run whose core the dashboard needs while browsers watch it (40 times slower)."""
    return max(1, (cpus - 1) // slots) if cpus > 1 else 1


def use_training_threads(world_size: int = 1) -> None:
    """Give torch this process's share of the cores when runs train on the CPU: the same for a run started from the
    browser and from `python -m core train`, so both train as fast and, with the same seed, to the same model."""
    if base.gpu_count() == 0:
        torch.set_num_threads(training_threads(os.cpu_count() or 1, jobs.slots() * world_size))


def worker_main(run_id: int) -> int:
    """Entry point of a worker process: train the run, then hand the slot to the next queued run. Started by
    torchrun, it is one of the run's several processes."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    world = World.from_env()
    use_training_threads(world.size)
    store = Store()
    if world.size > 1:
        join(world, pick_device(store.get_run(run_id).config.get("device", "auto")).type)
        try:
            if not world.main:
                return follow_run(store, run_id, world)
            run = execute_run(store, run_id, world=world)
        finally:
            leave()
    else:
        run = execute_run(store, run_id)
    # A late Stop signal must not cut short the hand-over of the slot to the next queued run. On a cluster there is
    # none to hand over: every waiting run is in the cluster's queue already.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if not backend().cluster:
        jobs.dispatch(store)
    return 0 if run.status in ("succeeded", "cancelled") else 1


def standby_main() -> int:
    """`python -m core worker --standby`: get ready, wait for a run, train it as `python -m core worker RUN_ID` would."""
    warm_up()
    run_id = wait_for_run()
    return 0 if run_id is None else worker_main(run_id)
