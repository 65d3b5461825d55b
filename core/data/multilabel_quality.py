"""The quality report on a table with several labels per text: the checks of rows that every table gets (empty,
repeated and leaking texts; core.data.quality.ROW_CHECKS), and the checks of labels that only such a table needs.

Finding kinds added: few_labels, labels_per_text, no_label, together, rare_labels, and label_case as for one label per
text. Fix key added: DROP_RARE, which takes labels with fewer than MIN_PER_CLASS texts off every row.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import quality_scan
from core.data.labels import LabelOptions
from core.data.multilabel import JOINER, indicator, label_names, split_labels
from core.data.multilabel_shapes import COLUMNS, LISTS, LabelShape, column_labels, row_labels
from core.data.quality import FIXES, LISTED, ROW_CHECKS, Finding, label_case
from core.data.quality_scan import Scan
from core.data.splitting import MIN_PER_CLASS
from core.wording import count, listing

DROP_RARE = "drop_rare_labels"
MOST_LABELS_PAIRED = 500  # beyond it, labels that always come together are not looked for (a k x k matrix)


@dataclass
class LabelStats:
    """Each usable row's labels, and what the Data page shows of them."""
    rows: list[tuple[str, ...]]
    frequencies: pd.Series  # texts per label, most first

    @property
    def rare(self) -> pd.Series:
        return self.frequencies[self.frequencies < MIN_PER_CLASS]


def label_stats(joined: pd.Series) -> LabelStats:
    """The labels of the rows that have some (`joined` as `row_labels` gives it; missing ones are left out)."""
    rows = [split_labels(j) for j in joined.dropna().astype(str)]
    frequencies = pd.Series([label for row in rows for label in row], dtype=object).value_counts()
    return LabelStats(rows, frequencies.rename("texts"))


def findings(df: pd.DataFrame, text_col: str, label_col: str | None, split_col: str | None, labels: LabelOptions,
             shape: LabelShape) -> list[Finding]:
    """Everything worth telling the person about a multi-label table, most serious first."""
    joined = row_labels(df, label_col, shape, labels)
    scanned = quality_scan.scan(df, text_col, label_col, split_col, labels, joined)
    stats = label_stats(joined[scanned.usable])
    found = [_few_labels(stats), *(check(scanned) for check in ROW_CHECKS[:-1]), label_case(stats.frequencies.index),
             _rare_labels(stats, scanned, joined), _together(stats), _labels_per_text(stats), _no_label(stats),
             ROW_CHECKS[-1](scanned)]
    return [finding for finding in found if finding is not None]


def apply_fix(df: pd.DataFrame, text_col: str, label_col: str | None, fix: str, split_col: str | None,
              labels: LabelOptions, shape: LabelShape) -> tuple[pd.DataFrame, str]:
    """As core.data.quality.apply_fix, for a multi-label table: the row fixes, and DROP_RARE."""
    joined = row_labels(df, label_col, shape, labels)
    if fix == DROP_RARE:
        return _drop_rare(df, label_col, shape, labels, joined)
    if fix not in ("drop_empty", "drop_duplicates", "drop_leaks"):
        raise ValueError(f"Unknown fix '{fix}' for several labels per text.")
    if fix == "drop_leaks" and split_col is None:
        raise ValueError("Dropping leaking test rows needs the split column.")
    return FIXES[fix](df, quality_scan.scan(df, text_col, label_col, split_col, labels, joined))


def _few_labels(stats: LabelStats) -> Finding | None:
    if len(stats.frequencies) >= 2:
        return None
    only = f"Only one label ('{stats.frequencies.index[0]}') is" if len(stats.frequencies) else "No label is"
    return Finding("few_labels", "error", f"{only} given to any text; a classifier needs at least 2 labels. Check "
                   "how the labels are written, or add texts with other labels.")


def _labels_per_text(stats: LabelStats) -> Finding | None:
    sizes = np.array([len(row) for row in stats.rows])
    if not len(sizes):
        return None
    return Finding("labels_per_text", "info", f"Labels per text: {sizes.mean():.1f} on average, at most "
                   f"{sizes.max():,}; {count(len(stats.frequencies), 'label')} in all.")


def _no_label(stats: LabelStats) -> Finding | None:
    none = sum(not row for row in stats.rows)
    if not none:
        return None
    return Finding("no_label", "info", f"Texts with none of the labels: {none:,}. They stay, and teach the model "
                   "what a text with none of them looks like.")


def _rare_labels(stats: LabelStats, scanned: Scan, joined: pd.Series) -> Finding | None:
    rare = stats.rare
    if not len(rare):
        return None
    listed = listing([f"'{c}' ({n})" for c, n in rare.items()], LISTED)
    has_rare = joined.fillna("").astype(str).map(lambda j: any(label in rare.index for label in split_labels(j)))
    return Finding("rare_labels", "warning", f"Labels given to fewer than {MIN_PER_CLASS} texts: {listed}. A label "
                   f"needs {MIN_PER_CLASS}, one each for training, validation and test; these cannot be tested. Add "
                   "texts with them, or drop these labels (the texts stay, with their other labels).",
                   scanned.rows(scanned.usable & has_rare.to_numpy(dtype=bool)), DROP_RARE,
                   f"Drop the {count(len(rare), 'rare label')}")


def _together(stats: LabelStats) -> Finding | None:
    """Pairs of labels given to exactly the same texts: a model cannot tell them apart."""
    classes = label_names(stats.rows)
    if not 2 <= len(classes) <= MOST_LABELS_PAIRED:
        return None
    marks = indicator(stats.rows, classes)
    both = marks.T @ marks
    alone = np.diag(both)
    pairs = [(classes[i], classes[j], alone[i]) for i, j in zip(*np.triu_indices(len(classes), 1))
             if alone[i] == alone[j] == both[i, j] > 0]
    if not pairs:
        return None
    listed = listing([f"'{a}' and '{b}' ({count(n, 'text')})" for a, b, n in pairs], LISTED)
    return Finding("together", "warning", f"Labels that always come together: {listed}. A model cannot tell such "
                   "labels apart; if they mean the same, keep one of them, or add texts that have only one.")


def _drop_rare(df: pd.DataFrame, label_col: str | None, shape: LabelShape, labels: LabelOptions,
               joined: pd.Series) -> tuple[pd.DataFrame, str]:
    """Rare labels off every row: a 0/1 column all 0, the others written again without them (a separated cell left
    empty is then a missing label, and its row is left out)."""
    rare = label_stats(joined).rare
    if not len(rare):
        return df.copy(), f"No label is given to fewer than {MIN_PER_CLASS} texts; nothing to drop."
    out = df.copy()
    if shape.kind == COLUMNS:
        for column, name in zip(shape.label_columns, column_labels(shape.label_columns, labels)):
            if name in rare.index:
                out[column] = 0
    else:
        kept = joined.map(lambda j: [label for label in split_labels(j) if label not in rare.index],
                          na_action="ignore")
        write = json.dumps if shape.kind == LISTS else (shape.separator or JOINER).join
        out[label_col] = kept.map(write, na_action="ignore").astype(object)
    listed = listing([f"'{c}'" for c in rare.index], LISTED)
    return out, f"Dropped {count(len(rare), 'label')} given to fewer than {MIN_PER_CLASS} texts ({listed})."

