"""'Labels that may be wrong': the rows whose label a model that never saw them disputes, each to relabel (a click on
a class), drop or keep; every decision kept in the workspace (core.store.label_review), undoable, and saved as a new
version of the dataset. On the Data page for a saved dataset (a quick TF-IDF cross-validation) and in Results for a
run trained with cross-validation (its out-of-fold probabilities)."""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import streamlit as st

from core.data.multilabel import join_labels, split_labels
from core.evaluation.label_errors import WHY_NOT_TEST, label_errors_of_dataset, label_errors_of_run
from core.store import label_review
from core.store.datasets import load_dataset
from core.store.records import DatasetRecord, Run
from core.store.store import Store
from core.wording import count, percent
from dashboard.components import escape_md
from dashboard.state import DATASET, remember

PAGE = 20  # rows shown at first, and added by "Show more"
TITLE = "Labels that may be wrong"
NEWS = "label_errors.news"  # (kind, message) of a refused decision or a saved version, said on the rerun it starts


def for_dataset(store: Store, dataset_id: str) -> None:
    """The section for a saved dataset: a button that searches it, then the rows found (kept in the workspace)."""
    try:
        dataset = store.get_dataset(dataset_id)
    except KeyError:  # deleted since it was chosen
        return
    st.subheader(TITLE)
    _news()
    found = label_review.load_found(store, dataset.id)
    st.write(f"In **{escape_md(dataset.name)}**: a simple model (TF-IDF), trained five times, each time on four "
             "fifths of the training and validation texts, reads the fifth it did not see; the texts whose label it "
             "confidently disputes are listed, most doubtful first.")
    again = "Look again" if found is not None else "Look for labels that may be wrong"
    if st.button(again, key=f"label_errors.search.{dataset.id}", type="secondary" if found is not None else "primary"):
        bar = st.progress(0.0, text="Cross-validating…")
        try:
            found = label_errors_of_dataset(load_dataset(store, dataset.id), dataset.multilabel, on_fold=lambda k, n:
                                            bar.progress(k / n, text=f"Cross-validating: fold {k + 1} of {n}…"))
        except ValueError as exc:
            bar.empty()
            st.error(escape_md(exc))
            return
        bar.empty()
        label_review.save_found(store, dataset.id, found)
    if found is not None:
        review(store, dataset, found, f"data.{dataset.id}")


@st.cache_data(max_entries=8, show_spinner=False)
def _of_run(folder: str, written: float, multilabel: bool) -> pd.DataFrame | None:
    return label_errors_of_run(Path(folder), multilabel)


def for_run(store: Store, run: Run, folder: Path) -> None:
    """The section in Results, for a run trained with cross-validation: its out-of-fold probabilities' rows."""
    dataset = store.get_dataset(run.dataset_id)
    found = _of_run(str(folder), run.finished_at or 0.0, dataset.multilabel)
    _news()
    st.write("This run's model, trained once per fold of cross-validation, read each training and validation text "
             "from a fold it did not learn from; the texts whose label it confidently disputes are listed, most "
             "doubtful first. Decisions apply to the dataset, as on the Data page.")
    review(store, dataset, found, f"run.{run.id}")


def review(store: Store, dataset: DatasetRecord, found: pd.DataFrame, key: str) -> None:
    """The rows found, each with its decision or the buttons to make one, and Undo and Save as a new version."""
    with st.popover("Why not the test texts?"):
        st.write(WHY_NOT_TEST)
    if found.empty:
        st.success("No label looks wrong: the model agrees with every training and validation label it was not "
                   "taught, or is not sure enough to dispute it.")
        return
    made = {d.row: d for d in label_review.decisions(store, dataset.id)}
    changes = sum(d.action != "keep" for d in made.values())
    reviewed = sum(row in made for row in found["row"])
    st.caption(f"{count(len(found), 'text')} found; {reviewed:,} reviewed, {count(changes, 'change')} to save.")
    undo, save = st.columns([1, 2])
    undo.button("Undo the last", key=f"{key}.undo", disabled=not made, on_click=_undo, args=(store, dataset.id))
    save.button("Save as a new version", key=f"{key}.save", type="primary", disabled=not changes,
                on_click=_save, args=(store, dataset.id), help="A new dataset with the relabelled rows changed and "
                "the dropped rows removed; this one stays as it is.")
    shown = st.session_state.get(f"{key}.shown", PAGE)
    for item in found.head(shown).itertuples(index=False):
        _row(store, dataset, item, made.get(item.row), key)
    if len(found) > shown:
        st.button(f"Show {min(PAGE, len(found) - shown)} more", key=f"{key}.more",
                  on_click=lambda: st.session_state.update({f"{key}.shown": shown + PAGE}))


def _row(store: Store, dataset: DatasetRecord, item, decision: label_review.Decision | None, key: str) -> None:
    text, labels, actions = st.columns([5, 3, 3], vertical_alignment="center")
    text.markdown(escape_md(item.text if len(item.text) <= 300 else item.text[:300] + "…"))
    labels.markdown(f"**{escape_md(item.label) or '(none)'}** → {escape_md(item.suggested) or '(none)'}  \n"
                    f"{percent(item.sure)} sure")
    row_key = f"{key}.{item.row}"
    if decision is not None:
        actions.markdown(f"{_said(decision)} at {time.strftime('%H:%M', time.localtime(decision.at))}")
        actions.button("Undo", key=f"{row_key}.undo", on_click=_undo, args=(store, dataset.id, item.row))
        return
    relabel, drop, keep = actions.columns(3)
    with relabel.popover("Relabel"):
        if dataset.multilabel:
            picked = st.pills("Its labels", dataset.classes, selection_mode="multi", key=f"{row_key}.labels",
                              default=[c for c in split_labels(item.suggested) if c in dataset.classes])
            st.button("Relabel", key=f"{row_key}.multi", on_click=_decide,
                      args=(store, dataset.id, item.row, "relabel", join_labels(picked)))
        else:
            for name in dataset.classes:
                st.button(name, key=f"{row_key}.to.{name}", type="primary" if name == item.suggested else "secondary",
                          on_click=_decide, args=(store, dataset.id, item.row, "relabel", name))
    drop.button("Drop", key=f"{row_key}.drop", on_click=_decide, args=(store, dataset.id, item.row, "drop"),
                help="Leave this text out of the new version.")
    keep.button("Keep", key=f"{row_key}.keep", on_click=_decide, args=(store, dataset.id, item.row, "keep"),
                help="Its label is right: reviewed, nothing to change.")


def _news() -> None:
    if news := st.session_state.pop(NEWS, None):
        (st.success if news[0] == "saved" else st.error)(escape_md(news[1]))


def _said(decision: label_review.Decision) -> str:
    if decision.action == "relabel":
        return f"Relabelled **{escape_md(decision.label) or '(none)'}**"
    return "Dropped" if decision.action == "drop" else "Kept"


def _decide(store: Store, dataset_id: str, row: int, action: str, label: str | None = None) -> None:
    try:
        label_review.decide(store, dataset_id, row, action, label)
    except (KeyError, ValueError) as exc:
        st.session_state[NEWS] = ("error", str(exc.args[0]))


def _undo(store: Store, dataset_id: str, row: int | None = None) -> None:
    label_review.undo(store, dataset_id, row)


def _save(store: Store, dataset_id: str) -> None:
    try:
        record = label_review.save_reviewed(store, dataset_id)
    except (KeyError, ValueError) as exc:
        st.session_state[NEWS] = ("error", str(exc.args[0]))
        return
    remember(DATASET, record.id)
    st.session_state[NEWS] = ("saved", f"Saved {record.name} ({count(record.n_rows, 'row')}), now the dataset in "
                              "use; the original stays as it was.")
