"""Few-shot (SetFit) against sentence embeddings + logistic regression and TF-IDF, with 8 and 64 labelled texts per
class, on the test split of an English sample.

    python -m benchmarks.few_shot [--sample trec6] [--sizes 8 64] [--draws 10] [--pair-rounds 20] [--threads N]

Each draw takes that many training texts of each class at random (seed = the draw's number); every model learns
from the same draw and is scored on the whole test split. The table gives the mean test accuracy and macro-F1 over
the draws, with their standard deviation.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, f1_score

from benchmarks.results import publish, table
from core.architectures import REGISTRY
from core.data.samples import get_sample
from core.data.splitting import split
from core.data.text_set import TextSet, subset

MODELS = ("few_shot", "sentence_embeddings", "tfidf")


def draw(train: pd.DataFrame, per_class: int, seed: int) -> TextSet:
    picked = train.groupby("label", group_keys=False).sample(n=per_class, random_state=seed)
    picked = picked.sample(frac=1.0, random_state=seed)
    return TextSet(picked["text"].tolist(), picked["label"].tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", default="trec6")
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--pair-rounds", type=int, default=20, help="few-shot's rounds of pairs (SetFit's 20)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="torch threads; 1 is fastest on a machine other work keeps busy")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    parts = split(get_sample(args.sample).load(), seed=42)
    train, test = parts[parts["split"] == "train"], subset(parts, "test")
    scores: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
    for per_class in args.sizes:
        for seed in range(args.draws):
            learn = draw(train, min(per_class, int(train["label"].value_counts().min())), seed)
            for name in MODELS:
                arch = REGISTRY[name]
                started = time.perf_counter()
                settings = {"seed": seed, **({"pair_rounds": args.pair_rounds} if name == "few_shot" else {})}
                model = arch.model_cls(arch.config_cls.from_dict(settings)).fit(learn)
                seconds = time.perf_counter() - started
                predicted = model.predict(test.texts)
                got = (accuracy_score(test.labels, predicted),
                       f1_score(test.labels, predicted, average="macro", zero_division=0), seconds)
                scores.setdefault((per_class, name), []).append(got)
                print(f"{per_class}/class draw {seed} {name}: accuracy {got[0]:.3f}, macro-F1 {got[1]:.3f}, "
                      f"{seconds:.0f} s", flush=True)
    rows = []
    for (per_class, name), got in scores.items():
        acc, f1, seconds = np.array(got).T
        rows.append([per_class, REGISTRY[name].title, len(got), f"{acc.mean():.3f} ± {acc.std():.3f}",
                     f"{f1.mean():.3f} ± {f1.std():.3f}", f"{seconds.mean():.0f}"])
    publish("few_shot", "Few-shot against sentence embeddings and TF-IDF",
            f"Sample {args.sample}: texts per class drawn from its training split, scored on its {len(test.texts)} "
            f"test texts; default settings, few-shot with {args.pair_rounds} rounds of pairs.\n\n" + table(
                ["Per class", "Model", "Draws", "Test accuracy", "Macro-F1", "Fit (s)"], rows))


if __name__ == "__main__":
    main()
