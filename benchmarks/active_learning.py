"""The Label page simulated: the sample's true labels answer the page's questions, asked by margin sampling or at
random, and the quick TF-IDF model's test accuracy is taken after 1%, 2%, 5% and 10% of the training texts are
labelled, against the same model trained on all of them.

    python -m benchmarks.active_learning [--sample NAME ...] [--seeds 5]

Each sample is split once (80% pool, 20% test, stratified). Every label trains the model here (no check set), and
the model is refit every 5 labels as on the page; each seed draws other random texts before the model knows every
class, and other texts for random sampling.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.results import publish, table
from core.data.samples import get_sample
from core.labelling.learner import PoolModel
from core.labelling.project import create_project
from core.labelling.rounds import Learner
from core.labelling.sampling import next_query
from core.store.datasets import split_table

SHARES = (0.01, 0.02, 0.05, 0.10)


def accuracy(proba: np.ndarray, truth: np.ndarray, classes: list[str]) -> float:
    return float(np.mean(np.asarray(classes)[proba.argmax(axis=1)] == truth))


def simulate(pool_texts: list[str], truth: np.ndarray, test_truth: np.ndarray, classes: list[str], pool: PoolModel,
             budgets: list[int], seed: int, margin: bool, root: Path) -> list[float]:
    """Test accuracy after each budget of labels, the queries answered with the true labels."""
    project = create_project(pool_texts, "simulated", classes, root=root, check_every=0, seed=seed)
    learner = Learner(project, pool)
    n_pool, scores = len(pool_texts), []
    while len(project.labels) < budgets[-1]:
        learner.update(project)
        query = next_query(project, learner.proba if margin else None)
        project.label(query.row, truth[query.row])
        if len(project.labels) in budgets:
            learner.update(project)
            # Labels of one class only leave no model: it would answer that class every time.
            scores.append(accuracy(learner.proba[n_pool:], test_truth, classes) if learner.proba is not None
                          else float(np.mean(test_truth == project.labels[0].label)))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="append", choices=["sms_spam", "trec6", "thucnews"])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name in args.sample or ["sms_spam", "trec6", "thucnews"]:
        parts, _ = split_table(get_sample(name).load(), "text", "label", val_share=0.0, test_share=0.2)
        train, test = parts[parts["split"] != "test"], parts[parts["split"] == "test"]
        classes = sorted(parts["label"].unique())
        truth, test_truth = train["label"].to_numpy(), test["label"].to_numpy()
        # The vocabulary comes from every text, as the page learns it from its whole pool; no label is used.
        pool = PoolModel(train["text"].tolist() + test["text"].tolist())
        full = accuracy(pool.fit_predict(range(len(train)), truth, classes)[len(train):], test_truth, classes)
        budgets = [max(2, round(share * len(train))) for share in SHARES]
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as root:
            runs = {margin: np.array([simulate(train["text"].tolist(), truth, test_truth, classes, pool, budgets, seed,
                                               margin, Path(root)) for seed in range(args.seeds)])
                    for margin in (True, False)}
        print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        for i, (share, budget) in enumerate(zip(SHARES, budgets)):
            m, r = runs[True][:, i], runs[False][:, i]
            rows.append([get_sample(name).title, f"{share:.0%} ({budget:,})", f"{m.mean():.3f} ± {m.std():.3f}",
                         f"{r.mean():.3f} ± {r.std():.3f}", f"{(m.mean() - r.mean()) * 100:+.1f}",
                         f"{full:.3f} ({len(train):,})", f"{(m.mean() - full) * 100:+.1f}"])
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    columns = ["sample", "labels (share of pool)", "margin sampling", "random sampling", "margin − random (points)",
               "all labels", "margin − all (points)"]
    publish("active_learning", f"Active learning: test accuracy of the Label page's TF-IDF model after a share of "
            f"the labels, margin against random sampling ({args.seeds} seeds, mean ± spread)", table(columns, rows))


if __name__ == "__main__":
    main()
