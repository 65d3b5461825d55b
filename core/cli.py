"""`python -m core ...`: everything the dashboard does, headless."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from core.architectures import REGISTRY, get_architecture
from core.cli_datasets import register as register_datasets
from core.cli_inspect import register as register_inspect
from core.comparison import compare_runs, verdict
from core.architectures.base import PRESETS
from core.data import guess_columns, prepare, validate
from core.splitting import split
from core.errors import DataError
from core.labels import LabelOptions
from core.datasets import save_dataset
from core.evaluation import load_report
from core.prediction import load_run_model, predict_table, probability_column
from core.reading import read_file
from core.samples import SAMPLES, get_sample
from core.store import Store
from core.training import Callback, TrainState
from core.worker import execute_run, worker_main
from core.workspace import run_dir


class ProgressPrinter(Callback):
    """Training progress on stderr, one line per evaluation and a few per epoch."""

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


def cmd_samples(args: argparse.Namespace) -> int:
    for s in SAMPLES.values():
        print(f"{s.name:10} {s.title}: {s.description}")
    return 0


def cmd_architectures(args: argparse.Namespace) -> int:
    width = max(map(len, REGISTRY))
    for a in REGISTRY.values():
        print(f"{a.name:{width}}  {a.title}: {a.description}")
        for key, value in a.config_cls().to_dict().items():
            print(f"{'':{width}}    {key}={value}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    config_cls = get_architecture(args.arch).config_cls
    settings = parse_settings(args.set)
    config_cls.from_dict(settings)  # bad settings fail before any data is read
    store = Store()
    if args.sample:
        sample = get_sample(args.sample)
        df, text_col, label_col, name = sample.load(), "text", "label", sample.title
    else:
        result = read_file(Path(args.data))
        for problem in result.problems():  # what the Data page shows above the table, never silent here either
            print(f"note: {problem}", file=sys.stderr)
        df = result.table
        guessed_text, guessed_label = guess_columns(df)
        text_col, label_col, name = args.text_col or guessed_text, args.label_col or guessed_label, Path(args.data).name
        missing = [c for c in (text_col, label_col) if c not in df.columns]
        if missing:
            raise DataError(f"No column {', '.join(map(repr, missing))} in {name}. Columns: {', '.join(df.columns)}.")
    labels = LabelOptions(casefold=args.casefold)
    for issue in validate(df, text_col, label_col, labels=labels):
        print(f"{issue.level}: {issue.message}", file=sys.stderr)
        if issue.level == "error":
            return 2
    parts = split(prepare(df, text_col, label_col, labels), seed=args.seed)
    dataset = save_dataset(store, parts, name)
    # Stored checked and complete, as `jobs.start` stores them, not as the raw text of --set.
    preset = config_cls.preset_values(args.preset, int((parts["split"] == "train").sum()))
    config = config_cls.from_dict({**preset, **settings}).to_dict()
    run_id = store.create_run(dataset.id, args.arch, config, reserved=True)
    print(f"run {run_id}: training {args.arch} on {name} ({dataset.n_rows:,} rows)", file=sys.stderr)
    run = execute_run(store, run_id, [ProgressPrinter()])
    summary = {"run_id": run.id, "status": run.status, "arch": run.arch, "dataset": name,
               "test_accuracy": run.result.get("accuracy"), "test_macro_f1": run.result.get("macro_f1"),
               "train_seconds": run.result.get("train_seconds"), "model_bytes": run.result.get("model_bytes"),
               "error": run.error}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"run {run.id} {run.status}" + (f": test accuracy {summary['test_accuracy']:.4f}, macro-F1 "
              f"{summary['test_macro_f1']:.4f}, {summary['train_seconds']:.1f}s" if run.status == "succeeded"
              else f": {run.error}"))
    return 0 if run.status == "succeeded" else 1


def cmd_predict(args: argparse.Namespace) -> int:
    model = load_run_model(Store(), args.run)
    table = predict_table(model, args.texts)
    if args.json:
        classes = model.classes_.tolist()
        print(json.dumps([{"text": r["text"], "label": r["predicted"],
                           "probabilities": {c: r[probability_column(c)] for c in classes}}
                          for r in table.to_dict("records")], ensure_ascii=False))
    else:
        for r in table.to_dict("records"):
            print(f"{r['predicted']}\t{r['confidence']:.3f}\t{r['text']}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    store = Store()
    run = store.get_run(args.run)
    report = load_report(run_dir(run.id, store.root)) if run.status == "succeeded" else None
    if report is None:
        raise ValueError(f"Run {args.run} is {run.status}; only a finished (succeeded) run has a test report.")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    spans = report["intervals"]
    print(f"run {run.id}: {report['n_test']:,} test texts")
    print(f"accuracy {report['accuracy']:.4f} (95% interval {spans['accuracy'][0]:.4f}-{spans['accuracy'][1]:.4f})")
    print(f"macro-F1 {report['macro_f1']:.4f} (95% interval {spans['macro_f1'][0]:.4f}-{spans['macro_f1'][1]:.4f})")
    print(f"expected calibration error {report['calibration']['ece']:.4f}")
    width = max(len(r["class"]) for r in report["per_class"])
    print(f"{'class':{width}}  precision  recall  f1     texts")
    for r in sorted(report["per_class"], key=lambda r: r["f1"]):
        print(f"{r['class']:{width}}  {r['precision']:.3f}      {r['recall']:.3f}   {r['f1']:.3f}  {r['support']:,}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    store = Store()
    result, table = compare_runs(store, args.a, args.b)
    if args.json:
        print(json.dumps({**asdict(result), "significant": result.significant,
                          "per_class_f1": table.to_dict("records")}, ensure_ascii=False))
    else:
        print(verdict(result, f"run {args.a}", f"run {args.b}"))
        print(f"McNemar p = {result.mcnemar_p:.4g} (only run {args.a} right on {result.only_a_right:,} texts, "
              f"only run {args.b} on {result.only_b_right:,})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Classifier Studio without the browser.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("samples", help="list the built-in sample datasets").set_defaults(func=cmd_samples)
    sub.add_parser("architectures", help="list architectures and their default settings").set_defaults(func=cmd_architectures)
    train = sub.add_parser("train", help="train a model and evaluate it on the held-out test split")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--sample", choices=list(SAMPLES), help="a built-in sample dataset")
    source.add_argument("--data", help="a CSV / TSV / JSONL / Excel / Parquet file")
    train.add_argument("--text-col", help="column with the texts (guessed when left out)")
    train.add_argument("--label-col", help="column with the labels (guessed when left out)")
    train.add_argument("--arch", default="tfidf", choices=list(REGISTRY))
    train.add_argument("--preset", default="balanced", choices=list(PRESETS),
                       help="settings scaled to the data: quick, balanced (default) or best; --set overrides")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an architecture setting")
    train.add_argument("--seed", type=int, default=42, help="seed of the train/validation/test split")
    train.add_argument("--casefold", action="store_true", help="labels differing only in capitals are one class")
    train.add_argument("--json", action="store_true", help="print one JSON summary last")
    train.set_defaults(func=cmd_train)
    predict = sub.add_parser("predict", help="predict labels with a finished run's model")
    predict.add_argument("--run", type=int, required=True)
    predict.add_argument("--json", action="store_true")
    predict.add_argument("texts", nargs="+")
    predict.set_defaults(func=cmd_predict)
    report = sub.add_parser("report", help="a finished run's test report: scores with 95% intervals, per class")
    report.add_argument("run", type=int)
    report.add_argument("--json", action="store_true", help="the whole stored report as JSON")
    report.set_defaults(func=cmd_report)
    compare = sub.add_parser("compare", help="whether run A beats run B on their shared test texts")
    compare.add_argument("a", type=int)
    compare.add_argument("b", type=int)
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(func=cmd_compare)
    register_datasets(sub)
    register_inspect(sub)
    worker = sub.add_parser("worker", help="(internal) train one queued run")
    worker.add_argument("run_id", type=int)
    worker.set_defaults(func=lambda a: worker_main(a.run_id))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
