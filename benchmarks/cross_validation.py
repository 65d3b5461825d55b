"""What 5-fold cross-validation costs against the one fit a run makes anyway, for the two families it is on by default
for under 50,000 texts (TF-IDF and fastText), on every sample at full size.

    python -m benchmarks.cross_validation [--arch NAME ...] [--sample NAME ...] [--folds 5]

Each sample is split as `python -m core train` splits it (the published split of the disaster messages); the plain
fit learns from the training texts with the validation texts beside it, as a run does; the folds share out the
training and validation texts together, as a run with `cv_folds` does. Balanced preset.
"""
from __future__ import annotations

import argparse
import time

from benchmarks.results import publish, table
from core.architectures import REGISTRY
from core.data.multilabel_shapes import COLUMNS, LabelShape
from core.data.samples import SAMPLES, get_sample
from core.data.text_set import subset
from core.evaluation.cross_validation import cross_validate, headline, learning_rows, learning_set
from core.store.datasets import split_table

CHEAP = ("tfidf", "fasttext")


def parts_of(sample: str):
    """The sample's rows with their split, and whether each has several labels."""
    df = get_sample(sample).load()
    if SAMPLES[sample].multilabel:
        shape = LabelShape(COLUMNS, label_columns=tuple(df.columns[2:]))
        return split_table(df, "text", None, split_col="split", shape=shape)[0], True
    return split_table(df, "text", "label")[0], False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=list(REGISTRY))
    parser.add_argument("--sample", action="append", choices=list(SAMPLES))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    rows = []
    columns = ["sample", "architecture", "training + validation texts", "one fit s", f"{args.folds}-fold CV s",
               "CV / one fit", "cross-validated scores (mean ± spread)"]
    # The cheapest family on every sample first; the table is kept after each row, so a long run leaves its part.
    for name in args.arch or CHEAP:
        arch = REGISTRY[name]
        for sample in args.sample or list(SAMPLES):
            parts, multilabel = parts_of(sample)
            learning = learning_set(learning_rows(parts), multilabel)
            train, val = subset(parts, "train", multilabel), subset(parts, "val", multilabel)
            config = arch.config_cls.preset("balanced", len(train.texts))
            started = time.perf_counter()
            arch.model_cls(config).fit(train, val)
            plain = time.perf_counter() - started
            started = time.perf_counter()
            cv = cross_validate(lambda: arch.model_cls(config), learning, args.folds, config.seed)
            folds = time.perf_counter() - started
            summary = {"folds": args.folds, "summary": cv.summary()}
            rows.append([sample, arch.title, f"{len(learning.texts):,}", f"{plain:.1f}", f"{folds:.1f}",
                         f"{folds / plain:.1f}×", headline(summary, multilabel).split(": ", 1)[1]])
            publish("cross_validation", f"What {args.folds}-fold cross-validation costs against one fit (Balanced "
                    "preset)", table(columns, rows))


if __name__ == "__main__":
    main()
