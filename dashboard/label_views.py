"""The label options on the Data page: one class whatever the capitals, names for numeric labels, and how several
labels per text are written (core.data.multilabel_shapes)."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core.data.labels import OTHER, LabelOptions, is_numeric, label_ids
from core.data.multilabel_shapes import (COLUMNS, SINGLE, LabelShape, describe, detect_shape, indicator_columns,
                                         row_labels)
from core.errors import DataError
from dashboard.components import escape_md

MAX_NAMED_IDS = 50  # numeric labels offered for naming; more are ids of something else


def label_options(df: pd.DataFrame, label_col: str, key: str, restored: dict, name_ids: bool = True) -> LabelOptions:
    """Whether capitals count, and names for numeric labels unless `name_ids` is off (each label a 0/1 column: the
    numbers are its yes and no, not labels)."""
    casefold = st.checkbox("Ignore capitals in labels ('Spam' and 'spam' are one class)", key=f"casefold.{key}",
                           value=bool(restored.get("casefold", False)))
    names: dict[str, str] = {}
    if name_ids and is_numeric(df[label_col]):
        ids = sorted((i for i in label_ids(df[label_col]).dropna().unique() if i != OTHER), key=int)
        if len(ids) <= MAX_NAMED_IDS:
            st.caption("The labels are numbers. Name them, and results will show the names instead.")
            kept = restored.get("names", {})
            # Keyed by the ids themselves: the editor keeps its edits by row, so other ids must start afresh.
            edited = st.data_editor(pd.DataFrame({"label": ids, "name": [kept.get(i, "") for i in ids]}),
                                    disabled=["label"], hide_index=True,
                                    key=f"label_names.{key}.{label_col}.{'-'.join(ids)}")
            names = {i: n.strip() for i, n in zip(edited["label"], edited["name"]) if isinstance(n, str) and n.strip()}
    return LabelOptions(casefold=casefold, names=names)


def label_shape(df: pd.DataFrame, text_col: str, label_col: str | None, split_col: str | None, key: str,
                restored: dict) -> LabelShape:
    """Several labels per text, when the table seems to hold them: one 0/1 column per label (ticked in a list, those
    that read as yes or no preselected), or a label column with lists or separators, which says what was found and
    asks whether to read it so (yes by itself for lists, '|' and ';'; a comma waits for a tick)."""
    kept = LabelShape.from_dict(restored)
    others = [c for c in df.columns if c not in (text_col, split_col)]
    yes_no = indicator_columns(df, exclude=(text_col, split_col))
    if len(yes_no) >= 2 and st.checkbox("Each label is a column of its own, saying yes or no (1/0) for each text",
                                        value=kept.kind == COLUMNS if restored else label_col in yes_no,
                                        key=f"label_columns_on.{key}"):
        chosen = st.multiselect("Label columns", others, key=f"label_columns.{key}",
                                default=[c for c in kept.label_columns if c in others] or yes_no)
        return LabelShape(COLUMNS, label_columns=tuple(chosen))
    if label_col is None or label_col == text_col:
        return SINGLE
    found = detect_shape(df[label_col])
    if not found.multilabel:
        return SINGLE
    try:
        joined = row_labels(df, label_col, found)
        seen = describe(found, joined)
    except DataError as exc:
        st.warning(escape_md(f"Column '{label_col}' may hold several labels per text, but they cannot be read so: "
                             f"{exc}"))
        return SINGLE
    st.info(escape_md(f"Column '{label_col}': {seen}"))
    earlier = replace(kept, empty_is_none=False) == found if restored else not found.confirm
    question = (f"Yes, '{found.separator}' separates several labels of one text" if found.confirm
                else "Read them as several labels per text (untick: each combination is one label)")
    if not st.checkbox(question, value=earlier, key=f"several_labels.{key}.{label_col}"):
        return SINGLE
    empty = int(joined.isna().sum())
    if empty and st.checkbox(f"An empty cell means none of these labels: keep those {empty:,} texts",
                             value=kept.empty_is_none, key=f"empty_is_none.{key}.{label_col}",
                             help="Ticked, they teach the model what a text with none of the labels looks like. "
                                  "Unticked, they are left out as texts whose labels are missing (not yet labelled)."):
        return replace(found, empty_is_none=True)
    return found
