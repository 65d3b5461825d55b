"""Where a multi-label model goes wrong, text by text: each test text's missing and extra labels, the texts behind one
cell of the missed-or-added matrix (see `core.evaluation.multilabel_report.missed_added`), and the mistakes browser.
Work on a multi-label run's test predictions table."""
from __future__ import annotations

import pandas as pd

from core.data.multilabel import split_labels
from core.evaluation.report_records import probability_column

SHOWN_JOINER = ", "  # how the missing and extra labels read in a table


def differences(predictions: pd.DataFrame) -> pd.DataFrame:
    """The predictions with each text's `missing` labels (it has them, the model did not give them) and `extra`
    ones (the model gave them, it does not have them) as lists, and `wrong`: how many of either."""
    true = [set(split_labels(v)) for v in predictions["label"].fillna("").astype(str)]
    given = [set(split_labels(v)) for v in predictions["predicted"].fillna("").astype(str)]
    table = predictions.copy()
    table["missing"] = [sorted(t - g) for t, g in zip(true, given)]
    table["extra"] = [sorted(g - t) for t, g in zip(true, given)]
    table["wrong"] = [len(m) + len(e) for m, e in zip(table["missing"], table["extra"])]
    return table


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The missing and extra labels as text, for a table on screen or in a CSV."""
    return table.assign(missing=table["missing"].map(SHOWN_JOINER.join), extra=table["extra"].map(SHOWN_JOINER.join))


def behind_cell(predictions: pd.DataFrame, missed: str | None, added: str | None) -> pd.DataFrame:
    """The texts counted in one cell of the missed-or-added matrix: label `missed` missed and label `added` added;
    None stands for nothing missed (or nothing added), so (None, None) lists the texts with every label right. The
    ones the model was surest of the added label come first (least sure of the missed one without an added one)."""
    table = differences(predictions)
    keep = table["missing"].map(lambda m: missed in m if missed is not None else not m)
    keep &= table["extra"].map(lambda e: added in e if added is not None else not e)
    rows = table[keep]
    if added is not None:
        return rows.sort_values(probability_column(added), ascending=False, kind="stable")
    if missed is not None:
        return rows.sort_values(probability_column(missed), kind="stable")
    return rows


def mistakes(predictions: pd.DataFrame, label: str | None = None, query: str = "") -> pd.DataFrame:
    """The texts with some label wrong, the most labels wrong first; only those where `label` is missing or extra
    when given, and only those holding `query` (case-insensitive) when given."""
    table = differences(predictions)
    keep = table["wrong"] > 0
    if label is not None:
        keep &= pd.Series([label in m or label in e for m, e in zip(table["missing"], table["extra"])],
                          index=table.index)
    if query.strip():
        keep &= table["text"].str.contains(query.strip(), case=False, regex=False)
    return table[keep].sort_values("wrong", ascending=False, kind="stable")
