"""The saved datasets on the Data page: each with its size and runs, renamable and deletable."""
from __future__ import annotations

import time
from collections import Counter
from functools import partial

import pandas as pd
import streamlit as st

from core.access.ownership import can_change
from core.data.labels import LabelOptions, clean_labels
from core.data.multilabel import split_labels
from core.data.multilabel_shapes import LabelShape, row_labels
from core.errors import DataError
from core.store.datasets import delete_dataset
from core.store.store import DatasetRecord, Store
from core.wording import count
from dashboard.components import escape_md
from dashboard.sharing_views import share_toggle, whose
from dashboard.state import DATASET, current, remember


def label_summary(df: pd.DataFrame, label_col: str | None, labels: LabelOptions, shape: LabelShape) -> None:
    """Texts per class; for several labels per text, texts per label (each text counted under each of its labels,
    its share that of all texts with labels read)."""
    if not shape.multilabel:
        class_counts(clean_labels(df[label_col], labels).dropna())
        return
    try:
        joined = row_labels(df, label_col, shape, labels).dropna()
    except DataError:  # the quality report says why
        return
    class_counts(joined.map(split_labels).explode().dropna(), len(joined))


def class_counts(labels: pd.Series, texts: int | None = None) -> None:
    """Texts per class, most first, each with a bar of its share (of `texts`, when a text may have several labels): a
    table, not a chart, so the Data page does not load the charting library (0.4 s of the browser's time when a page
    opens) for one bar chart."""
    counts = labels.astype(str).value_counts()
    table = pd.DataFrame({"class": counts.index, "texts": counts.to_numpy(),
                          "share": counts.to_numpy() / (texts or counts.sum())})
    st.dataframe(table, hide_index=True, key="class_distribution", height=min(400, 38 + 35 * len(table)),
                 column_config={
                     "class": st.column_config.TextColumn("Class"),
                     "texts": st.column_config.NumberColumn("Texts", format="localized"),
                     "share": st.column_config.ProgressColumn("Share of the texts", min_value=0.0, max_value=1.0,
                                                              format="percent"),
                 })


def saved_datasets(store: Store) -> None:
    datasets = store.list_datasets()
    if not datasets:
        return
    # Everyone's runs count: deleting a dataset deletes the runs others trained on it too.
    runs = Counter((r.dataset_id, r.owner == store.owner) for r in store.as_viewer(None).list_runs())
    title = "Datasets" if store.viewer is not None else "Your saved datasets"
    with st.expander(f"{title} ({len(datasets)})", expanded=current(DATASET) is None):
        if error := st.session_state.pop("datasets.error", None):
            st.error(escape_md(error))
        for dataset in datasets:
            _row(store, dataset, runs[dataset.id, True], runs[dataset.id, False])


def _row(store: Store, dataset: DatasetRecord, n_runs: int, others_runs: int) -> None:
    name, share, use, rename, delete = st.columns([5, 1, 1.3, 1.3, 1.3], vertical_alignment="center")
    chosen = " · in use" if current(DATASET) == dataset.id else ""
    name.markdown(f"**{escape_md(dataset.name)}**{chosen}{whose(store, dataset)}  \n{dataset.n_rows:,} rows · "
                  f"{len(dataset.classes)} {'labels, several per text' if dataset.multilabel else 'classes'} · "
                  f"{count(n_runs, 'run')} · saved "
                  f"{time.strftime('%d %b %Y %H:%M', time.localtime(dataset.created_at))}")
    with share:
        share_toggle(store, dataset, f"datasets.share.{dataset.id}", partial(store.share_dataset, dataset.id),
                     "this dataset and train on it")
    use.button("Use", key=f"datasets.use.{dataset.id}", on_click=remember, args=(DATASET, dataset.id),
               disabled=bool(chosen), help="Train models on this dataset.")
    if not can_change(store.viewer, dataset):
        return
    with rename.popover("Rename"):
        st.text_input("New name", value=dataset.name, key=f"datasets.name.{dataset.id}", max_chars=200)
        st.button("Save the name", key=f"datasets.rename.{dataset.id}", on_click=_rename, args=(store, dataset.id))
    with delete.popover("Delete"):
        runs = f" and its {count(n_runs, 'run')} (their models and reports)" if n_runs else ""
        st.write(f"Delete **{escape_md(dataset.name)}**{runs}? This cannot be undone.")
        if others_runs:
            st.warning(f"{count(others_runs, 'run')} that other people trained on it go too.")
        st.button("Delete for good", type="primary", key=f"datasets.delete.{dataset.id}", on_click=_delete,
                  args=(store, dataset.id))


def _rename(store: Store, dataset_id: str) -> None:
    try:
        store.rename_dataset(dataset_id, st.session_state[f"datasets.name.{dataset_id}"])
    except (ValueError, PermissionError) as exc:
        st.session_state["datasets.error"] = str(exc)


def _delete(store: Store, dataset_id: str) -> None:
    try:
        delete_dataset(store, dataset_id)
    except (ValueError, PermissionError) as exc:
        st.session_state["datasets.error"] = str(exc)
        return
    if current(DATASET) == dataset_id:
        remember(DATASET, None)

