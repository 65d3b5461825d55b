"""What the test report costs when training ends: seconds, peak extra memory and size on disk of `evaluate` for
test sets from a thousand to a few hundred thousand texts. The bootstrap intervals dominate.

    python -m benchmarks.report_cost [--sizes 1000,10000,100000,300000] [--classes 10]
"""
from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from benchmarks.results import publish, table
from core.evaluation.report import evaluate


def synthetic(n: int, n_classes: int, seed: int = 0) -> tuple[list[str], np.ndarray, list[str], list[str]]:
    """Labels, probabilities that are right about 80% of the time, texts of varied length, class names."""
    rng = np.random.default_rng(seed)
    classes = [f"class {k}" for k in range(n_classes)]
    codes = rng.integers(0, n_classes, n)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), codes] += 2.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    texts = ["x" * int(k) for k in rng.integers(5, 300, n)]
    return [classes[c] for c in codes], proba, texts, classes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,300000")
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        y_true, proba, texts, classes = synthetic(n, args.classes)
        tracemalloc.start()
        started = time.perf_counter()
        report = evaluate(y_true, proba, classes, texts)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = len(json.dumps(report.to_dict(), indent=2))
        rows.append([f"{n:,}", args.classes, f"{seconds:.2f}", f"{peak / 1e6:.0f}", f"{size / 1e3:.0f}"])
    publish("report_cost", "Cost of the test report",
            table(["test texts", "classes", "seconds", "peak extra memory (MB)", "report.json (kB)"], rows))


if __name__ == "__main__":
    main()
