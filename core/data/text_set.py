"""The texts and labels of one split: what a model learns from and is scored on."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class TextSet(NamedTuple):
    texts: list[str]
    labels: list[str]


def subset(df: pd.DataFrame, split: str) -> TextSet:
    part = df[df["split"] == split]
    return TextSet(part["text"].tolist(), part["label"].tolist())
