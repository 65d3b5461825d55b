"""The saved datasets on the Data page: each with its size and runs, renamable and deletable."""
from __future__ import annotations

import time
from collections import Counter

import streamlit as st

from core.datasets import delete_dataset
from core.store import DatasetRecord, Store
from core.wording import count
from dashboard.components import escape_md
from dashboard.state import DATASET, current, remember


def saved_datasets(store: Store) -> None:
    datasets = store.list_datasets()
    if not datasets:
        return
    runs = Counter(r.dataset_id for r in store.list_runs())
    with st.expander(f"Your saved datasets ({len(datasets)})", expanded=current(DATASET) is None):
        if error := st.session_state.pop("datasets.error", None):
            st.error(escape_md(error))
        for dataset in datasets:
            _row(store, dataset, runs[dataset.id])


def _row(store: Store, dataset: DatasetRecord, n_runs: int) -> None:
    name, use, rename, delete = st.columns([6, 1.3, 1.3, 1.3], vertical_alignment="center")
    chosen = " · in use" if current(DATASET) == dataset.id else ""
    name.markdown(f"**{escape_md(dataset.name)}**{chosen}  \n{dataset.n_rows:,} rows · {len(dataset.classes)} classes · "
                  f"{count(n_runs, 'run')} · saved {time.strftime('%d %b %Y %H:%M', time.localtime(dataset.created_at))}")
    use.button("Use", key=f"datasets.use.{dataset.id}", on_click=remember, args=(DATASET, dataset.id),
               disabled=bool(chosen), help="Train models on this dataset.")
    with rename.popover("Rename"):
        st.text_input("New name", value=dataset.name, key=f"datasets.name.{dataset.id}", max_chars=200)
        st.button("Save the name", key=f"datasets.rename.{dataset.id}", on_click=_rename, args=(store, dataset.id))
    with delete.popover("Delete"):
        runs = f" and its {count(n_runs, 'run')} (their models and reports)" if n_runs else ""
        st.write(f"Delete **{escape_md(dataset.name)}**{runs}? This cannot be undone.")
        st.button("Delete for good", type="primary", key=f"datasets.delete.{dataset.id}", on_click=_delete,
                  args=(store, dataset.id))


def _rename(store: Store, dataset_id: str) -> None:
    try:
        store.rename_dataset(dataset_id, st.session_state[f"datasets.name.{dataset_id}"])
    except ValueError as exc:
        st.session_state["datasets.error"] = str(exc)


def _delete(store: Store, dataset_id: str) -> None:
    try:
        delete_dataset(store, dataset_id)
    except ValueError as exc:
        st.session_state["datasets.error"] = str(exc)
        return
    if current(DATASET) == dataset_id:
        remember(DATASET, None)

