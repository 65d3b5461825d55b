"""The Label page's starting points and settings: a project reopened from the URL or the list, a new one from a
sample (its labels hidden) or an uploaded file (the labels it has kept), its classes, and what it becomes: a CSV of
the labels, or a dataset handed to Train."""
from __future__ import annotations

import streamlit as st

from core.data.preparation import guess_columns
from core.data.reading import SUPPORTED
from core.data.samples import SAMPLES, get_sample
from core.errors import DataError
from core.inference.prediction import csv_for_excel
from core.labelling.dataset import make_dataset
from core.labelling.project import Project, create_project, list_projects, load_project
from core.store.store import Store
from dashboard import navigation
from dashboard.components import escape_md
from dashboard.drafts import read_sample
from dashboard.limits_views import too_big, upload_mb
from dashboard.reading_views import read_upload
from dashboard.state import DATASET, VIEWER, remember

PROJECT = "label.project"  # the open project's id, also in the URL so a refresh or a restart reopens it
ERROR = "label.error"  # what a button's callback could not do, shown once
NO_LABELS = "(no labels yet)"
LABEL_SAMPLES = [s for s in SAMPLES.values() if not s.multilabel]


def owner() -> str | None:
    viewer = st.session_state.get(VIEWER)
    return viewer.id if viewer is not None else None


def open_project(project_id: str) -> None:
    st.session_state[PROJECT] = project_id
    st.query_params["project"] = project_id


def current_project() -> Project | None:
    """The project open in this tab or named in the URL, if its owner is the person signed in."""
    project_id = st.session_state.get(PROJECT) or st.query_params.get("project")
    if not project_id:
        return None
    try:
        project = load_project(project_id)
    except DataError as exc:
        st.warning(escape_md(exc))
        return None
    return project if project.owner in (None, owner()) else None


def close_project() -> None:
    st.session_state.pop(PROJECT, None)
    st.query_params.pop("project", None)


def failed(exc: Exception) -> None:
    """Called in a button's callback: the reason is shown on the rerun it starts."""
    st.session_state[ERROR] = str(exc)


def show_error() -> None:
    if message := st.session_state.pop(ERROR, None):
        st.error(escape_md(message))


def _start_sample(name: str) -> None:
    texts = read_sample(name).table["text"]
    open_project(create_project(texts, f"{get_sample(name).title}, labels hidden", owner=owner(), source=name).id)


def start(store: Store) -> None:
    """The projects kept so far, and the two ways to start a new one."""
    kept = list_projects(owner=owner())
    if kept:
        st.subheader("Carry on labelling")
        for project in kept[:10]:
            st.button(f"{project.name} · {len(project.labels):,} labels of {len(project.texts):,} texts",
                      key=f"label.open.{project.id}", on_click=open_project, args=(project.id,))
    st.subheader("Start from a sample, its labels hidden")
    for column, sample in zip(st.columns(len(LABEL_SAMPLES)), LABEL_SAMPLES):
        column.button(sample.title, key=f"label.sample.{sample.name}", use_container_width=True,
                      on_click=_start_sample, args=(sample.name,))
        column.caption(sample.description)
    st.subheader("…or upload your texts")
    upload = st.file_uploader("A table with a column of texts; a label column may be partly filled in",
                              type=[s.lstrip(".") for s in SUPPORTED], key="label.upload", max_upload_size=upload_mb())
    if upload is None:
        return
    if why := too_big(upload):
        st.error(escape_md(why))
        return
    try:
        table = read_upload(upload.file_id, (), (upload.getvalue(), upload.name)).table
    except DataError as exc:
        st.error(escape_md(exc))
        return
    names = list(table.columns)
    guessed_text, guessed_label = guess_columns(table)
    left, right = st.columns(2)
    text_col = left.selectbox("Column with the texts", names, index=names.index(guessed_text))
    label_choices = [NO_LABELS, *[n for n in names if n != text_col]]
    label_col = right.selectbox("Labels given so far (kept as labels)", label_choices,
                                index=label_choices.index(guessed_label) if guessed_label in label_choices else 0)
    if st.button("Start labelling", type="primary"):
        try:
            given = None if label_col == NO_LABELS else table[label_col].tolist()
            project = create_project(table[text_col].tolist(), upload.name, given=given, owner=owner())
        except DataError as exc:
            st.error(escape_md(exc))
            return
        open_project(project.id)
        st.rerun()


def _add_class(project_id: str, names: list[str]) -> None:
    project = load_project(project_id)
    try:
        for name in names:
            project.add_class(name)
    except DataError as exc:
        failed(exc)
    st.session_state["label.new_class"] = ""


def _remove_class(project_id: str, name: str) -> None:
    try:
        load_project(project_id).remove_class(name)
    except DataError as exc:
        failed(exc)


def classes(project: Project) -> None:
    """The classes, each with its remove button; a box and a button to add one; a sample's own, in one click."""
    for column, name in zip(st.columns(max(1, len(project.classes))), project.classes):
        column.button(f"Remove '{name}'", key=f"label.remove.{name}", on_click=_remove_class,
                      args=(project.id, name), icon=":material/close:")
    typed, add = st.columns([3, 1], vertical_alignment="bottom")
    typed.text_input("New class", key="label.new_class", max_chars=100, placeholder="e.g. complaint")
    add.button("Add class", on_click=lambda: _add_class(project.id, [st.session_state["label.new_class"]]))
    if project.source in SAMPLES:
        names = [n for n in sorted(read_sample(project.source).table["label"].unique()) if n not in project.classes]
        if names:
            st.button(f"Use the sample's classes: {', '.join(names)}", key="label.sample_classes",
                      on_click=_add_class, args=(project.id, names), type="primary")


def export(project: Project) -> None:
    st.download_button("Download the labels (CSV)", csv_for_excel(project.table()),
                       file_name=f"labels-{project.id}.csv", mime="text/csv", disabled=not project.labels,
                       on_click="ignore")


def make(store: Store, project: Project) -> None:
    """Save the labels as a dataset, chosen on Train, and go there."""
    check_as_test = st.radio("Test texts", [True, False], horizontal=True, key="label.test_split",
                             format_func=lambda c: "The check set (drawn at random)" if c else "Held out at random",
                             help="The check set's texts were drawn at random, so a model's score on them is "
                                  "honest; the other labelled texts were picked because the model was unsure.")
    if not st.button("Make a dataset and train", type="primary", disabled=len(project.labels) < 2):
        return
    try:
        dataset, _ = make_dataset(store, project, project.name, check_as_test)
    except DataError as exc:
        st.error(escape_md(exc))
        return
    remember(DATASET, dataset.id)
    st.switch_page(navigation.TRAIN)
