"""`python -m core ...`: everything the dashboard does, headless."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from typing import Sequence

from core.architectures import REGISTRY
from core.cli.access import register as register_access
from core.cli.datasets import register as register_datasets
from core.cli.inspect import register as register_inspect
from core.cli.label_errors import register as register_label_errors
from core.cli.models import register as register_models
from core.cli.runs import register as register_jobs
from core.cli.train import register as register_training
from core.data.samples import SAMPLES
from core.disk_space import disk_full_message, is_disk_full
from core.errors import DataError, StorageError
from core.evaluation import baseline
from core.evaluation.comparison import candidates, compare_runs, leaderboard
from core.evaluation.cross_validation import headline
from core.evaluation.multilabel_records import MultilabelReport
from core.evaluation.recommendation import how_often, judge_pair
from core.evaluation.report import load_report
from core.runs.worker import standby_main, worker_main
from core.store.shared_storage import run_files
from core.store.store import Store
from core.workspace import workspace_dir


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


def cmd_report(args: argparse.Namespace) -> int:
    store = Store()
    run = store.get_run(args.run)
    report = load_report(run_files(store, run.id)) if run.has_model else None
    if report is None:
        raise ValueError(f"Run {args.run} is {run.status} and has no test report; a run has one once it has "
                         "finished, or when stopped after an epoch.")
    cv = run.result.get("cv")
    if args.json:
        print(json.dumps({**report.to_dict(), **({"cv": cv} if cv else {})}, ensure_ascii=False))
        return 0
    if isinstance(report, MultilabelReport):
        print_multilabel(run.id, report)
        if cv:
            print(headline(cv, multilabel=True, digits=4))
        return 0
    spans = report.intervals
    print(f"run {run.id}: {report.n_test:,} test texts")
    print(f"accuracy {report.accuracy:.4f} (95% interval {spans.accuracy[0]:.4f}-{spans.accuracy[1]:.4f})")
    if report.baseline is not None:  # a report of an older version whose test predictions are gone has none
        print(f"always answering '{report.baseline.class_name}', the most common class: accuracy "
              f"{report.baseline.accuracy:.4f}")
        print(baseline.verdict(report)[1])
    print(f"macro-F1 {report.macro_f1:.4f} (95% interval {spans.macro_f1[0]:.4f}-{spans.macro_f1[1]:.4f})")
    if cv:
        print(headline(cv, digits=4))
    print(f"expected calibration error {report.calibration.ece:.4f}")
    width = max(len(r.class_name) for r in report.per_class)
    print(f"{'class':{width}}  precision  recall  f1     texts")
    for r in sorted(report.per_class, key=lambda r: r.f1):
        print(f"{r.class_name:{width}}  {r.precision:.3f}      {r.recall:.3f}   {r.f1:.3f}  {r.support:,}")
    return 0


def print_multilabel(run_id: int, report: MultilabelReport) -> None:
    print(f"run {run_id}: {report.n_test:,} test texts, several labels per text")
    for name in ("micro_f1", "macro_f1", "weighted_f1", "samples_f1", "hamming_loss", "subset_accuracy"):
        low, high = report.intervals.get(name, (float("nan"), float("nan")))
        print(f"{name.replace('_', ' ')} {getattr(report, name):.4f} (95% interval {low:.4f}-{high:.4f})")
    width = max([len(r.label) for r in report.per_label] + [5])
    print(f"{'label':{width}}  threshold  precision  recall  f1     texts")
    for r in sorted(report.per_label, key=lambda r: r.f1):
        print(f"{r.label:{width}}  {r.threshold:.3f}      {r.precision:.3f}      {r.recall:.3f}   {r.f1:.3f}  "
              f"{r.support:,}")


def cmd_compare(args: argparse.Namespace) -> int:
    store = Store()
    result, table = compare_runs(store, args.a, args.b)
    weighed = {c.run: c for c in candidates(leaderboard(store, store.get_run(args.a).dataset_id))}
    judged = judge_pair(result, weighed[args.a], weighed[args.b])
    if args.json:
        print(json.dumps({**asdict(result), "significant": result.significant,
                          "per_class_f1": table.to_dict("records"), "verdict": judged.text(), "pick": judged.pick.run,
                          "runs": [asdict(weighed[args.a]), asdict(weighed[args.b])]}, ensure_ascii=False))
    else:
        a, b = f"run {args.a}", f"run {args.b}"
        print(judged.text())
        low, high = result.macro_f1_interval
        print(f"macro-F1, {a} minus {b}: {result.macro_f1_difference:+.4f} (95% interval {low:+.4f} to {high:+.4f}) "
              f"on {result.n:,} shared test texts")
        print(f"accuracy, {a} minus {b}: {result.accuracy_difference:+.2%} (95% interval "
              f"{result.accuracy_interval[0]:+.2%} to {result.accuracy_interval[1]:+.2%})")
        print(f"McNemar's test: only {a} is right on {result.only_a_right:,} texts and only {b} on "
              f"{result.only_b_right:,}; if the two were equally good, a split at least this uneven would happen "
              f"{how_often(result.mcnemar_p)} by chance (p = {result.mcnemar_p:.4g})")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    if args.standby:
        return standby_main()
    if args.run_id is None:
        raise ValueError("worker takes a run id, or --standby.")
    return worker_main(args.run_id)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Classifier Studio without the browser.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("samples", help="list the built-in sample datasets").set_defaults(func=cmd_samples)
    sub.add_parser("architectures", help="list architectures and their default settings").set_defaults(func=cmd_architectures)
    register_training(sub)
    register_models(sub)
    report = sub.add_parser("report", help="a finished run's test report: scores with 95%% intervals, per class")
    report.add_argument("run", type=int)
    report.add_argument("--json", action="store_true", help="the whole stored report as JSON")
    report.set_defaults(func=cmd_report)
    compare = sub.add_parser("compare", help="whether run A beats run B on their shared test texts")
    compare.add_argument("a", type=int)
    compare.add_argument("b", type=int)
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(func=cmd_compare)
    register_jobs(sub)
    register_datasets(sub)
    register_inspect(sub)
    register_label_errors(sub)
    register_access(sub)
    worker = sub.add_parser("worker", help="(internal) train one queued run")
    worker.add_argument("run_id", type=int, nargs="?")
    worker.add_argument("--standby", action="store_true", help="get ready, then wait for a run id on standard input")
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return run(argv)
        finally:
            sys.stdout.flush()  # here, where a reader that has gone is caught, rather than at exit
    except BrokenPipeError:
        # The reader stopped early, as `head` does. As Python's documentation advises, the rest of the output goes
        # to devnull, so that the flush at exit fails no more, and the command ends without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:
        if is_disk_full(exc):
            print(f"error: {disk_full_message(workspace_dir())}", file=sys.stderr)
            return 2
        if not isinstance(exc, (DataError, ValueError, KeyError, FileNotFoundError, StorageError)):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
