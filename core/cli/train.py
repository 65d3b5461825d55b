"""`python -m core train` (train here and now) and `python -m core submit` (queue for a worker, return at once)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from core.architectures import REGISTRY, get_architecture
from core.architectures.base import PRESETS
from core.cli.choices import RANDOM_SPLIT, choose_columns, choose_shape, say_preview, split_rows
from core.cli.runs import test_scores
from core.data.labels import LabelOptions
from core.data.preparation import validate
from core.data.reading import read_file
from core.data.samples import SAMPLES, get_sample
from core.errors import DataError
from core.evaluation.cross_validation import headline
from core.runs import jobs, run_queue
from core.runs.worker import execute_run, use_training_threads
from core.store.datasets import save_dataset
from core.store.store import DatasetRecord, Store
from core.training.callbacks import Callback
from core.training.device import describe_device
from core.training.state import TrainState


class ProgressPrinter(Callback):
    """Training progress on stderr, one line per evaluation and a few per epoch, and long work outside the steps
    (a model fit in one go, the test pass) every few seconds."""

    def __init__(self, every: float = 5.0):
        self.every, self._last = every, 0.0

    def on_progress(self, state: TrainState) -> None:
        if time.monotonic() - self._last >= self.every or state.task_done == state.task_total:
            self._last = time.monotonic()
            print(f"  {state.task}: {state.task_done:,} of {state.task_total:,}", file=sys.stderr)

    def on_step_end(self, state: TrainState) -> None:
        every = max(1, state.steps_per_epoch // 4)
        if state.step % every == 0:
            eta = f", ETA {state.eta:.0f}s" if state.eta is not None else ""
            print(f"  epoch {state.epoch + 1}/{state.epochs} step {state.step}/{state.total_steps} "
                  f"loss {state.loss:.4f} ({state.elapsed:.0f}s{eta})", file=sys.stderr)

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        shown = ", ".join(f"val {k} {v:.4f}" for k, v in metrics.items())
        print(f"epoch {state.epoch}/{state.epochs}: {shown}", file=sys.stderr)


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--set takes key=value; got '{pair}'.")
        settings[key.strip()] = value.strip()
    return settings


def prepare_run(args: argparse.Namespace, store: Store, model_warnings: bool) -> tuple[DatasetRecord, dict[str, Any]]:
    """Read and check the data, save it as a dataset and complete the settings, saying on stderr what the Data and
    Train pages would show. `model_warnings`: say the model's own warnings about the texts too."""
    arch = get_architecture(args.arch)
    settings = {**parse_settings(args.set), **({"cv_folds": args.cv} if args.cv is not None else {})}
    arch.config_cls.from_dict(settings)  # bad settings fail before any data is read
    if args.sample:
        sample = get_sample(args.sample)
        df, name = sample.load(), sample.title
    else:
        result = read_file(Path(args.data))
        for problem in result.problems():  # what the Data page shows above the table, never silent here either
            print(f"note: {problem}", file=sys.stderr)
        df, name = result.table, Path(args.data).name
    text_col, label_col, split_col = choose_columns(df, name, args.text_col, args.label_col, args.split_col)
    labels = LabelOptions(casefold=args.casefold)
    shape = choose_shape(df, name, label_col, args.label_sep, args.label_columns, labels, args.label_col is not None)
    if args.empty_means_none and shape.multilabel:
        shape = replace(shape, empty_is_none=True)
    if label_col is None and not shape.multilabel:
        raise DataError(f"No column of {name} looks like labels; name it with --label-col. For one 0/1 column per "
                        f"label, name them with --label-columns. Columns: {', '.join(map(str, df.columns))}.")
    for issue in validate(df, text_col, label_col, split_col, labels, shape):
        print(f"{issue.level}: {issue.message}", file=sys.stderr)
        if issue.level == "error":
            raise DataError("The data cannot be trained on as it is; the errors above say why.")
    parts = split_rows(df, text_col, label_col, labels, split_col, args.seed, shape)
    train_texts = parts.loc[parts["split"] == "train", "text"].tolist()
    # Stored checked and complete, as `jobs.start` stores them, not as the raw text of --set.
    defaults = arch.config_cls.dataset_defaults(args.preset, len(train_texts), int((parts["split"] == "val").sum()))
    config = arch.config_cls.from_dict({**defaults, **settings}).to_dict()
    say_preview(arch, config, train_texts, model_warnings)
    return save_dataset(store, parts, name, multilabel=shape.multilabel), config


def cmd_train(args: argparse.Namespace) -> int:
    store = Store()
    dataset, config = prepare_run(args, store, model_warnings=False)  # training says them, and keeps them in the log
    run_id = store.create_run(dataset.id, args.arch, config, reserved=True)
    use_training_threads()  # as a worker started from the browser does; the run log records the threads
    print(f"run {run_id}: training {args.arch} on {dataset.name} ({dataset.n_rows:,} rows), "
          f"{describe_device(config.get('device', 'auto'))}", file=sys.stderr)
    run = execute_run(store, run_id, [ProgressPrinter()])
    summary = {"run_id": run.id, "status": run.status, "arch": run.arch, "dataset": dataset.name,
               "test_accuracy": run.result.get("accuracy"), "test_macro_f1": run.result.get("macro_f1"),
               **({"test_micro_f1": run.result["micro_f1"]} if run.result.get("multilabel") else {}),
               "train_seconds": run.result.get("train_seconds"), "model_bytes": run.result.get("model_bytes"),
               "cv": run.result.get("cv"), "error": run.error}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"run {run.id} {run.status}" + (f": {test_scores(run.result, 4)}, {summary['train_seconds']:.1f}s"
                                              if run.status == "succeeded" else f": {run.error}"))
        if run.status == "succeeded" and summary["cv"]:
            print(headline(summary["cv"], bool(run.result.get("multilabel")), 4))
    return 0 if run.status == "succeeded" else 1


def cmd_submit(args: argparse.Namespace) -> int:
    store = Store()
    dataset, config = prepare_run(args, store, model_warnings=True)
    run_id, new = jobs.start(store, dataset.id, args.arch, config)
    run = store.get_run(run_id)
    place = run_queue.place_in_queue(store, run_id)
    if args.json:
        print(json.dumps({"run_id": run_id, "status": run.status, "new": new, "place_in_queue": place}))
    else:
        where = f"waiting, number {place} in the queue" if place else "starting"
        print(f"run {run_id} {'queued' if new else 'was already queued a moment ago'}: {args.arch} on "
              f"{dataset.name}, {where}. Follow it with `python -m core runs` or `python -m core logs {run_id}`.")
    return 0


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sample", choices=list(SAMPLES), help="a built-in sample dataset")
    source.add_argument("--data", help="a CSV / TSV / JSONL / Excel / Parquet file")
    parser.add_argument("--text-col", "--text-column", help="column with the texts (guessed when left out)")
    parser.add_argument("--label-col", "--label-column", help="column with the labels (guessed when left out)")
    parser.add_argument("--label-sep", "--label-separator", metavar="SEP",
                        help="several labels per text in the label column, SEP between them (e.g. '|' or ','); "
                             "'|' and ';' and JSON lists are recognised without it")
    parser.add_argument("--label-columns", metavar="A,B,C",
                        help="several labels per text as one 0/1 (yes/no) column per label: their names")
    parser.add_argument("--empty-means-none", action="store_true",
                        help="with several labels per text in one column, an empty cell means none of the labels "
                             "(kept) rather than a missing label (left out)")
    parser.add_argument("--split-col", "--split-column", metavar="NAME",
                        help="column saying which rows are for training, validation and test (default: the first "
                             f"such column found); '{RANDOM_SPLIT}' holds rows out at random instead")
    parser.add_argument("--arch", default="tfidf", choices=list(REGISTRY))
    parser.add_argument("--preset", default="balanced", choices=list(PRESETS),
                        help="settings scaled to the data: quick, balanced (default) or best; --set overrides")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an architecture setting")
    parser.add_argument("--cv", type=int, metavar="K",
                        help="also cross-validate with K folds of the training and validation texts (1 = none; by "
                             "default 5 for tfidf and fasttext under 50,000 texts, else none): each score's mean and "
                             "spread, and the out-of-fold predictions kept with the run; as --set cv_folds=K")
    parser.add_argument("--seed", type=int, default=42, help="seed of the rows held out at random")
    parser.add_argument("--casefold", action="store_true", help="labels differing only in capitals are one class")
    parser.add_argument("--json", action="store_true", help="print one JSON summary last")


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train a model here and now, and evaluate it on the held-out test split")
    add_run_arguments(train)
    train.set_defaults(func=cmd_train)
    submit = sub.add_parser("submit", help="queue a run for a background worker and print its id at once "
                                           "(same options as train)")
    add_run_arguments(submit)
    submit.set_defaults(func=cmd_submit)
