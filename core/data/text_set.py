"""The texts and labels of one split: what a model learns from and is scored on."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from core.data.multilabel import split_labels


class TextSet(NamedTuple):
    texts: list[str]
    # One label per text, or, when `multilabel`, a tuple of labels per text (possibly empty).
    labels: list[str] | list[tuple[str, ...]]
    multilabel: bool = False


def subset(df: pd.DataFrame, split: str, multilabel: bool = False) -> TextSet:
    """The rows of a prepared dataset in one split; for a multi-label dataset each row's labels as a tuple."""
    part = df[df["split"] == split]
    labels = part["label"].tolist()
    if multilabel:
        labels = [split_labels(joined) for joined in labels]
    return TextSet(part["text"].tolist(), labels, multilabel)
