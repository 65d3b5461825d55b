"""Micro- and macro-F1 of every architecture on the multi-label sample, with each label's threshold tuned on the
validation texts against one fixed threshold of 0.5 for every label.

    python -m benchmarks.multilabel [--arch NAME ...] [--preset quick] [--max-train N]

The disaster messages sample with its published split. The models that read texts slowly on a CPU (the BiLSTM,
sentence embeddings, the fine-tuned Transformer) learn from the first --max-train training texts; the table says how
many texts each learnt from.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.metrics import f1_score

from benchmarks.results import publish, table
from core.architectures import REGISTRY
from core.architectures.base import PRESETS
from core.formats.thresholds import LabelThresholds
from core.data.multilabel import indicator, label_names
from core.data.multilabel_shapes import COLUMNS, LabelShape
from core.data.samples import get_sample
from core.data.text_set import TextSet, subset
from core.store.datasets import split_table

SLOW = ("bilstm", "sentence_embeddings", "finetune")  # read texts slowly on a CPU: fewer of them


def scores(truth: np.ndarray, proba: np.ndarray, thresholds: LabelThresholds,
           classes: list[str]) -> tuple[float, float]:
    chosen = thresholds.decide(proba, classes)
    return (float(f1_score(truth, chosen, average="micro", zero_division=0)),
            float(f1_score(truth, chosen, average="macro", zero_division=0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=list(REGISTRY))
    parser.add_argument("--preset", default="quick", choices=list(PRESETS))
    parser.add_argument("--max-train", type=int, default=3000, help="training texts of the slow models")
    args = parser.parse_args()
    df = get_sample("disaster").load()
    parts, _ = split_table(df, "text", None, split_col="split",
                           shape=LabelShape(COLUMNS, label_columns=tuple(df.columns[2:])))
    train, val, test = (subset(parts, name, multilabel=True) for name in ("train", "val", "test"))
    rows = []
    for name in args.arch or list(REGISTRY):
        arch = REGISTRY[name]
        learn = train
        if name in SLOW:
            learn = TextSet(train.texts[: args.max_train], train.labels[: args.max_train], True)
        model = arch.model_cls(arch.config_cls.preset(args.preset, len(learn.texts)))
        started = time.perf_counter()
        model.fit(learn, val)
        seconds = time.perf_counter() - started
        classes = model.classes_.tolist()
        proba = model.predict_proba(test.texts)
        truth = indicator([tuple(x for x in labels if x in set(classes)) for labels in test.labels], classes)
        fixed, tuned = scores(truth, proba, LabelThresholds(), classes), scores(truth, proba, model.label_thresholds_,
                                                                                 classes)
        rows.append([arch.title, f"{len(learn.texts):,}", f"{fixed[0]:.3f}", f"{tuned[0]:.3f}",
                     f"{fixed[1]:.3f}", f"{tuned[1]:.3f}", f"{(tuned[1] - fixed[1]) * 100:+.1f}", f"{seconds:.0f}"])
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    columns = ["architecture", "training texts", "micro-F1 at 0.5", "micro-F1 tuned", "macro-F1 at 0.5",
               "macro-F1 tuned", "macro-F1 points gained", "train s"]
    publish("multilabel", "Several labels per text: thresholds tuned per label against 0.5 (disaster messages, "
            f"{len(label_names(train.labels))} labels, {len(test.texts):,} test texts, {args.preset.capitalize()} "
            "preset)",
            table(columns, rows))


if __name__ == "__main__":
    main()
