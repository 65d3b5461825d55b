"""Several labels per text: how a prepared row holds them, and the 0/1 matrix models learn from.

A prepared multi-label dataset keeps its `label` column as text, each row's labels sorted and joined by JOINER
("sport|money"), so every table, preview and Parquet file reads as it does for one label per text; a label name
cannot hold JOINER. The dataset's record says it is multi-label (`DatasetRecord.multilabel`); `subset` then hands
models each row's labels as a tuple.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer

JOINER = "|"


def join_labels(labels: Iterable[str]) -> str:
    """One row's labels as the `label` column holds them: each once, sorted, joined by JOINER; "" for none."""
    return JOINER.join(sorted({str(label) for label in labels}))


def split_labels(joined: str) -> tuple[str, ...]:
    """One row's labels from the `label` column; () for a row with none."""
    return tuple(label for label in str(joined).split(JOINER) if label)


def label_names(rows: Iterable[Sequence[str]]) -> list[str]:
    """Every label that some row has, sorted: a multi-label model's `classes_`."""
    return sorted({label for row in rows for label in row})


def indicator(rows: Sequence[Sequence[str]], classes: Sequence[str]) -> np.ndarray:
    """A 0/1 matrix, one row per text and one column per class in `classes` order. Raises ValueError naming the
    labels that are not in `classes`."""
    unknown = set(label_names(rows)) - set(classes)
    if unknown:
        raise ValueError(f"Labels the model was not trained on: {', '.join(sorted(unknown))}.")
    return MultiLabelBinarizer(classes=list(classes)).fit_transform(rows).astype(np.int64)
