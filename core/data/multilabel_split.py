"""Hold out texts of a multi-label dataset so that each label keeps its share in every part: iterative stratification
(Sechidis, Tsoumakas and Vlahavas 2011), as the iterative-stratification package implements it."""
from __future__ import annotations

import numpy as np
import pandas as pd
from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

from core.data.multilabel import indicator, label_names, split_labels


def held_out(labels: pd.Series, share: float, seed: int) -> pd.Index:
    """A `share` of these rows (their `label` column: labels joined by JOINER), each label's share kept."""
    rows = [split_labels(joined) for joined in labels]
    marks = indicator(rows, label_names(rows))
    if not marks.shape[1]:  # no labels at all: nothing to keep a share of
        marks = np.zeros((len(rows), 1), dtype=np.int64)
    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=share, random_state=seed)
    return labels.index[next(splitter.split(np.zeros(len(rows)), marks))[1]]


def train_on_every_label(out: pd.DataFrame) -> pd.DataFrame:
    """A label whose few texts were all held out is never learned: one of its texts goes back to training, from
    validation when it has one there, else from test."""
    rows = out["label"].map(split_labels)
    trained = {label for labels in rows[out["split"] == "train"] for label in labels}
    for label in sorted({label for labels in rows for label in labels} - trained):
        has = rows.map(lambda labels: label in labels)
        for part in ("val", "test"):
            where = out.index[has & (out["split"] == part)]
            if len(where):
                out.loc[where[0], "split"] = "train"
                break
    return out
