"""Runs side by side: a leaderboard of the finished runs on one dataset, and whether one run beats another."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.architectures import REGISTRY
from core.evaluation import load_predictions, load_report
from core.intervals import Comparison, compare
from core.storage import run_files
from core.store import Run, Store


def arch_title(run: Run) -> str:
    return REGISTRY[run.arch].title if run.arch in REGISTRY else run.arch


def leaderboard(store: Store, dataset_id: str) -> pd.DataFrame:
    """One row per run with a model on the dataset, best macro-F1 first, with 95% intervals, training time, model
    size and the time to classify one text."""
    rows: list[dict[str, Any]] = []
    for run in store.runs_with_model(dataset_id):
        report = load_report(run_files(store, run.id)) or {}
        spans = report.get("intervals", {})
        rows.append({
            "run": run.id, "model": arch_title(run),
            "macro_f1": report.get("macro_f1", run.result.get("macro_f1")),
            "macro_f1_low": spans.get("macro_f1", [None, None])[0], "macro_f1_high": spans.get("macro_f1", [None, None])[1],
            "accuracy": report.get("accuracy", run.result.get("accuracy")),
            "accuracy_low": spans.get("accuracy", [None, None])[0], "accuracy_high": spans.get("accuracy", [None, None])[1],
            "train_seconds": run.result.get("train_seconds"), "model_mb": _megabytes(run.result.get("model_bytes")),
            "latency_ms": run.result.get("latency_ms"), "finished_at": run.finished_at,
        })
    columns = ["run", "model", "macro_f1", "macro_f1_low", "macro_f1_high", "accuracy", "accuracy_low",
               "accuracy_high", "train_seconds", "model_mb", "latency_ms", "finished_at"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["macro_f1", "run"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _megabytes(n_bytes: int | None) -> float | None:
    return None if n_bytes is None else n_bytes / 1e6


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


def compare_runs(store: Store, a: int, b: int) -> tuple[Comparison, pd.DataFrame]:
    """Whether run `a` beats run `b` beyond chance on their shared test texts, and each class's F1 in both."""
    run_a, run_b = store.get_run(a), store.get_run(b)
    if run_a.dataset_id != run_b.dataset_id:
        raise ValueError(f"Runs {a} and {b} were trained on different datasets, so their test texts differ; "
                         "compare runs of one dataset.")
    pairs = paired_predictions(store, a, b)
    if pairs.empty:
        raise ValueError(f"Runs {a} and {b} share no test texts to compare on.")
    classes = sorted(set(pairs["label"]) | set(pairs["predicted_a"]) | set(pairs["predicted_b"]))
    code = {c: i for i, c in enumerate(classes)}
    y_true, pred_a, pred_b = (pairs[col].map(code).to_numpy(dtype=int) for col in ("label", "predicted_a", "predicted_b"))
    result = compare(y_true, pred_a, pred_b, len(classes))
    per_class = []
    for run_id, column in ((a, "f1_a"), (b, "f1_b")):
        report = load_report(run_files(store, run_id)) or {"per_class": []}
        per_class.append(pd.DataFrame(report["per_class"])[["class", "f1"]].rename(columns={"f1": column})
                         if report["per_class"] else pd.DataFrame(columns=["class", column]))
    table = per_class[0].merge(per_class[1], on="class", how="outer")
    table["difference"] = table["f1_a"] - table["f1_b"]
    return result, table.sort_values("difference", kind="stable").reset_index(drop=True)


def verdict(comparison: Comparison, name_a: str, name_b: str) -> str:
    """One plain sentence: which run is better, by how much, and whether that is more than chance."""
    gap = comparison.macro_f1_difference
    low, high = comparison.macro_f1_interval
    if np.isclose(gap, 0) and not comparison.significant:
        return f"{name_a} and {name_b} score the same macro-F1 on these {comparison.n:,} test texts."
    better, worse = (name_a, name_b) if gap > 0 else (name_b, name_a)
    span = f"95% interval of the difference: {min(abs(low), abs(high)):.3f} to {max(abs(low), abs(high)):.3f}"
    if comparison.significant:
        return (f"{better} is better than {worse} by {abs(gap):.3f} macro-F1 ({span}). The interval leaves out "
                "zero, so the difference is larger than chance.")
    return (f"{better} scores {abs(gap):.3f} macro-F1 more than {worse}, but the 95% interval of the difference "
            f"({low:+.3f} to {high:+.3f}) includes zero: on these {comparison.n:,} test texts that could be chance.")
