"""The label-error finder on labels flipped on purpose: 10% of a sample's training and validation labels are changed
to another class at random (fixed seed), and the finder's first k rows, k the number flipped, are scored.

    python -m benchmarks.label_errors [--sample NAME ...] [--share 0.1] [--seed 0]

Precision: the share of the first k flagged rows whose label was flipped; recall: the share of the flipped rows among
them. The probabilities come from the quick TF-IDF cross-validation (5 folds) the Data page runs; the finder's rows
are ranked by self-confidence and by normalized margin. A sample's own wrong labels count against precision.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from benchmarks.results import publish, table
from core.data.samples import get_sample
from core.evaluation.label_errors import LEARNED_FROM, RANKINGS, find_label_errors, out_of_fold_of_dataset
from core.store.datasets import split_table

SAMPLES = ("trec6", "sms_spam", "thucnews")


def flip(parts, share: float, seed: int):
    """`parts` with `share` of its training and validation labels changed to another class, and the rows changed."""
    rng = np.random.default_rng(seed)
    learned = np.flatnonzero(parts["split"].isin(LEARNED_FROM).to_numpy())
    flipped = rng.choice(learned, size=round(share * len(learned)), replace=False)
    classes = sorted(parts["label"].unique())
    noisy = parts.copy()
    for i in flipped:
        others = [c for c in classes if c != noisy.iat[i, noisy.columns.get_loc("label")]]
        noisy.iat[i, noisy.columns.get_loc("label")] = others[rng.integers(len(others))]
    return noisy, set(noisy.index[flipped])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="append", choices=SAMPLES)
    parser.add_argument("--share", type=float, default=0.1, help="share of the labels flipped")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for name in args.sample or SAMPLES:
        parts, _ = split_table(get_sample(name).load(), "text", "label")
        noisy, flipped = flip(parts, args.share, args.seed)
        started = time.perf_counter()
        learned, classes, proba = out_of_fold_of_dataset(noisy, multilabel=False)
        seconds = time.perf_counter() - started
        k = len(flipped)
        for ranked_by in RANKINGS:
            found = find_label_errors(learned, classes, proba, ranked_by=ranked_by)
            hits = int(found["row"].head(k).isin(flipped).sum())
            rows.append([get_sample(name).title, f"{len(learned):,}", f"{k:,}", ranked_by.replace("_", " "),
                         f"{len(found):,}", f"{hits / max(1, min(k, len(found))):.3f}", f"{hits / k:.3f}",
                         f"{seconds:.0f}"])
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    columns = ["sample", "train + val texts", "flipped (k)", "ranked by", "flagged", "precision of top k",
               "recall of top k", "cross-validation s"]
    publish("label_errors", f"Label errors: {args.share:.0%} of the training labels flipped at random, the finder's "
            "top k (k = the number flipped), TF-IDF 5-fold out-of-fold probabilities", table(columns, rows))


if __name__ == "__main__":
    main()
