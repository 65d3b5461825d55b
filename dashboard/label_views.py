"""The label options on the Data page: one class whatever the capitals, and names for numeric labels."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data.labels import OTHER, LabelOptions, is_numeric, label_ids

MAX_NAMED_IDS = 50  # numeric labels offered for naming; more are ids of something else


def label_options(df: pd.DataFrame, label_col: str, key: str, restored: dict) -> LabelOptions:
    casefold = st.checkbox("Ignore capitals in labels ('Spam' and 'spam' are one class)", key=f"casefold.{key}",
                           value=bool(restored.get("casefold", False)))
    names: dict[str, str] = {}
    if is_numeric(df[label_col]):
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
