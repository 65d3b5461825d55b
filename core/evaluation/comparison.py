"""Runs side by side: a leaderboard of the finished runs on one dataset, whether one run beats another, and which
to take (core/evaluation/recommendation.py weighs them)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from core.architectures import REGISTRY
from core.data.multilabel import indicator, label_names, split_labels
from core.evaluation.intervals import Comparison, compare, compare_multilabel
from core.evaluation.multilabel_records import MultilabelReport
from core.evaluation.recommendation import Candidate, Recommendation, recommend
from core.evaluation.report import load_predictions, load_report
from core.evaluation.report_records import Report
from core.store.shared_storage import run_files
from core.store.store import Run, Store


def arch_title(run: Run) -> str:
    return REGISTRY[run.arch].title if run.arch in REGISTRY else run.arch


def leaderboard(store: Store, dataset_id: str) -> pd.DataFrame:
    """One row per run with a model on the dataset, best macro-F1 first, with 95% intervals, training time, model
    size, the time to classify one text and, for a run trained with cross-validation, its mean macro-F1 across the
    folds and their spread."""
    rows: list[dict[str, Any]] = []
    for run in store.runs_with_model(dataset_id):
        report = load_report(run_files(store, run.id))
        f1_span, accuracy_span = spans(report)
        # Cross-validation's mean macro-F1 and its spread across folds, for a run trained with it.
        cv_f1 = run.result.get("cv", {}).get("summary", {}).get("macro_f1", (None, None))
        rows.append({
            "run": run.id, "model": arch_title(run),
            "macro_f1": report.macro_f1 if report else run.result.get("macro_f1"),
            "macro_f1_low": f1_span[0], "macro_f1_high": f1_span[1],
            "accuracy": report.accuracy if report else run.result.get("accuracy"),
            "accuracy_low": accuracy_span[0], "accuracy_high": accuracy_span[1],
            "train_seconds": run.result.get("train_seconds"), "model_bytes": run.result.get("model_bytes"),
            "latency_ms": run.result.get("latency_ms"), "finished_at": run.finished_at,
            "cv_macro_f1": cv_f1[0], "cv_macro_f1_spread": cv_f1[1],
        })
    columns = ["run", "model", "macro_f1", "macro_f1_low", "macro_f1_high", "accuracy", "accuracy_low",
               "accuracy_high", "train_seconds", "model_bytes", "latency_ms", "finished_at", "cv_macro_f1",
               "cv_macro_f1_spread"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["macro_f1", "run"], ascending=[False, True], kind="stable").reset_index(drop=True)


def spans(report: Report | MultilabelReport | None) -> tuple[tuple, tuple]:
    """The 95% intervals of a report's macro-F1 and accuracy (for a multi-label run: every label of a text
    right); (None, None) each when it has none."""
    if isinstance(report, MultilabelReport):
        unknown = (None, None)
        return report.intervals.get("macro_f1", unknown), report.intervals.get("subset_accuracy", unknown)
    if report is None or report.intervals is None:
        return (None, None), (None, None)
    return report.intervals.macro_f1, report.intervals.accuracy


def candidates(board: pd.DataFrame) -> list[Candidate]:
    """The leaderboard's runs, in its order, as the verdict weighs them."""
    def known(value: Any, kind: type) -> Any:
        return None if value is None or pd.isna(value) else kind(value)

    return [Candidate(run=int(row.run), model=row.model, macro_f1=float(row.macro_f1), accuracy=float(row.accuracy),
                      train_seconds=known(row.train_seconds, float), latency_ms=known(row.latency_ms, float),
                      model_bytes=known(row.model_bytes, int))
            for row in board.itertuples()]


def weigh(store: Store, board: pd.DataFrame) -> Recommendation:
    """Which run of a leaderboard (two runs at least) to take: the top scorer is compared with every other run on
    their shared test texts; a run that cannot be compared is left out, with the reason."""
    ranked = candidates(board)
    versus_best, unknown = {}, {}
    for other in ranked[1:]:
        try:
            versus_best[other.run] = paired_comparison(store, ranked[0].run, other.run)
        except ValueError as error:
            unknown[other.run] = str(error)
    return recommend(ranked, versus_best, unknown)


def paired_predictions(store: Store, a: int, b: int) -> pd.DataFrame:
    """The two runs' predictions on the test texts both scored, one row per text: label, predicted_a,
    predicted_b. Runs on one dataset share its test split; rows are matched on text and label (and on which
    repeat of a duplicated text they are), so a run whose model knew fewer classes still pairs up."""
    frames = []
    for run_id, suffix in ((a, "_a"), (b, "_b")):
        predictions = load_predictions(run_files(store, run_id))
        if predictions is None:
            raise ValueError(f"Run {run_id} has no saved test predictions; train it again to compare it.")
        frame = predictions[["text", "label", "predicted"]].astype(str)
        frame["repeat"] = frame.groupby(["text", "label"]).cumcount()
        frames.append(frame.rename(columns={"predicted": f"predicted{suffix}"}))
    return frames[0].merge(frames[1], on=["text", "label", "repeat"], how="inner").drop(columns="repeat")


def paired_comparison(store: Store, a: int, b: int) -> Comparison:
    """Whether run `a` beats run `b` beyond chance on their shared test texts; for two multi-label runs, on micro-
    and macro-F1 over labels and the share of texts with every label right."""
    run_a, run_b = store.get_run(a), store.get_run(b)
    if run_a.dataset_id != run_b.dataset_id:
        raise ValueError(f"Runs {a} and {b} were trained on different datasets, so their test texts differ; "
                         "compare runs of one dataset.")
    several = [isinstance(load_report(run_files(store, i)), MultilabelReport) for i in (a, b)]
    if several[0] != several[1]:
        one, many = (a, b) if several[1] else (b, a)
        raise ValueError(f"Run {many} gives each text several labels and run {one} one label, so their scores do not "
                         "measure the same thing; compare runs of the same kind.")
    pairs = paired_predictions(store, a, b)
    if pairs.empty:
        raise ValueError(f"Runs {a} and {b} share no test texts to compare on.")
    if several[0]:
        rows = {col: [split_labels(v) for v in pairs[col]] for col in ("label", "predicted_a", "predicted_b")}
        classes = label_names(row for column in rows.values() for row in column)
        return compare_multilabel(*(indicator(rows[col], classes) for col in rows))
    classes = sorted(set(pairs["label"]) | set(pairs["predicted_a"]) | set(pairs["predicted_b"]))
    code = {c: i for i, c in enumerate(classes)}
    y_true, pred_a, pred_b = (pairs[col].map(code).to_numpy(dtype=int) for col in ("label", "predicted_a", "predicted_b"))
    return compare(y_true, pred_a, pred_b, len(classes))


def compare_runs(store: Store, a: int, b: int) -> tuple[Comparison, pd.DataFrame]:
    """Whether run `a` beats run `b` beyond chance on their shared test texts, and each class's (label's) F1 in
    both."""
    result = paired_comparison(store, a, b)
    per_class = []
    for run_id, column in ((a, "f1_a"), (b, "f1_b")):
        report = load_report(run_files(store, run_id))
        f1 = ({r.label: r.f1 for r in report.per_label} if isinstance(report, MultilabelReport)
              else {r.class_name: r.f1 for r in report.per_class} if report else {})
        per_class.append(pd.DataFrame({"class": list(f1), column: list(f1.values())}))
    table = per_class[0].merge(per_class[1], on="class", how="outer")
    table["difference"] = table["f1_a"] - table["f1_b"]
    return result, table.sort_values("difference", kind="stable").reset_index(drop=True)
