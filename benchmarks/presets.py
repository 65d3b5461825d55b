"""Quick, Balanced and Best side by side, for the models that train in under a minute on every sample: does each
preset keep its promise (Best at least as accurate as Balanced, Quick a first result soonest)?

    python -m benchmarks.presets [--arch NAME ...] [--sample NAME ...]

Each run goes through `python -m core train --json` in a temporary workspace (benchmarks/accuracy_by_sample.py),
exactly as a user would run it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

from benchmarks.accuracy_by_sample import SINGLE_LABEL, train
from benchmarks.results import publish, table
from core.architectures import REGISTRY
from core.architectures.base import PRESETS

FAST = ("tfidf", "fasttext", "textcnn")


def cell(result: dict) -> str:
    if result["status"] != "succeeded":
        return f"failed: {result.get('error')}"
    return f"{result['test_accuracy']:.3f} / {result['test_macro_f1']:.3f} in {result['train_seconds']:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=list(REGISTRY))
    parser.add_argument("--sample", action="append", choices=SINGLE_LABEL)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workspace:
        for sample in args.sample or SINGLE_LABEL:
            for arch in args.arch or FAST:
                results = {preset: train(sample, arch, preset, workspace) for preset in PRESETS}
                scores = {p: r["test_accuracy"] for p, r in results.items() if r["status"] == "succeeded"}
                best_keeps = ("yes" if scores["best"] >= scores["balanced"] else
                              f"no ({scores['best'] - scores['balanced']:+.3f})") if len(scores) == 3 else ""
                rows.append([sample, REGISTRY[arch].title, *(cell(results[p]) for p in PRESETS), best_keeps])
                print(" | ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
    columns = ["sample", "architecture", *(f"{p.capitalize()}: accuracy / macro-F1" for p in PRESETS),
               "Best ≥ Balanced"]
    publish("presets", "The presets side by side (test accuracy / macro-F1, training time)", table(columns, rows))


if __name__ == "__main__":
    main()
