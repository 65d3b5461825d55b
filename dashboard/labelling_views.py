"""The Label page's asking half: the text shown large, one button per class (digits 1-9), skip and undo, why this
text was picked, the labels per class and the learning curve of the quick model."""
from __future__ import annotations

from typing import Mapping

import pandas as pd
import streamlit as st

from core.architectures.zero_shot import ZeroShotClassifier, zero_shot_model
from core.errors import DataError
from core.labelling.project import Project, load_project
from core.labelling.rounds import Learner, curve
from core.labelling.sampling import CHECK, MARGIN, Query
from core.wording import percent
from dashboard import charts
from dashboard.components import escape_md
from dashboard.labelling_start import failed

SKIP_KEY, UNDO_KEY = "s", "u"
PER_ROW = 5  # class buttons side by side
WHY = {
    CHECK: "Drawn at random for the **check set**: the learning curve is scored on these texts, which the model never "
           "learns from, so its accuracy is an honest estimate.",
    MARGIN: "The model is **least sure** about this text: its two likeliest classes are the closest of all the texts "
            "left.",
}
RANDOM_WHY = ("Picked **at random**: the model chooses once every class has {n} labels it learns from (texts of the "
              "check set do not count).")


@st.cache_resource(max_entries=4, show_spinner="Reading every text once for the quick model…")
def learner(project_id: str) -> Learner:
    """One quick model per project for every session: the pool's features are computed once."""
    return Learner(load_project(project_id))


def _label(project_id: str, row: int, label: str, check: bool) -> None:
    try:
        load_project(project_id).label(row, label, check)
    except DataError as exc:
        failed(exc)


def _skip(project_id: str, row: int) -> None:
    try:
        load_project(project_id).skip(row)
    except DataError as exc:
        failed(exc)


def _undo(project_id: str) -> None:
    if load_project(project_id).undo() is None:
        failed(DataError("There is nothing to undo: no label or skip was given on this page yet."))


def ask(project: Project, query: Query | None, notes: Mapping[str, str] | None = None,
        suggested: str | None = None) -> None:
    """The text and the buttons that answer it, each showing its key (no tooltips: one would cover the class buttons
    under the pointer as the next text moves them). `notes`: a line to show under a class's button (what the model
    thinks of it); `suggested`: the class whose button stands out, the others drawn plain."""
    if query is None:
        st.success(f"Every text is answered: {len(project.labels):,} labels. Make a dataset below.")
    else:
        with st.container(border=True):
            st.markdown(f"#### {escape_md(project.texts[query.row])}")
        notes = notes or {}
        per_row = min(len(project.classes), PER_ROW)
        columns = [c for _ in range(0, len(project.classes), per_row) for c in st.columns(per_row)]
        for i, (column, name) in enumerate(zip(columns, project.classes)):
            column.button(f"{name}", key=f"label.class.{i}", shortcut=str(i + 1) if i < 9 else None,
                          use_container_width=True, type="primary" if suggested in (None, name) else "secondary",
                          on_click=_label,
                          args=(project.id, query.row, name, query.check))
            if note := notes.get(name):
                column.caption(escape_md(note))
    skip, undo, _ = st.columns([1, 1, 4])
    skip.button("Skip", shortcut=SKIP_KEY, disabled=query is None, use_container_width=True, on_click=_skip,
                args=(project.id, query.row if query else -1))
    undo.button("Undo", shortcut=UNDO_KEY, disabled=not any(a.at is not None for a in project.answers),
                use_container_width=True, on_click=_undo, args=(project.id,))


def model_notes(query: Query | None) -> dict[str, str]:
    """The model's probability for its two likeliest classes, under their buttons."""
    return {name: f"model: {percent(p)}" for name, p in query.top} if query is not None else {}


@st.cache_resource(max_entries=2, show_spinner="Loading the language model that reads the class names…")
def zero_shot(classes: tuple[str, ...]) -> ZeroShotClassifier:
    return zero_shot_model(classes)


def suggestion(project: Project, query: Query | None) -> tuple[str, float] | None:
    """The class whose name the asked text is closest to in meaning (the Zero-shot model, which needs no labels) and
    its probability; None, with a warning saying why, when the language model cannot be loaded."""
    if query is None:
        return None
    try:
        proba = zero_shot(tuple(project.classes)).predict_proba([project.texts[query.row]])[0]
    except (OSError, ValueError) as exc:
        st.warning(f"No suggestions: {escape_md(exc)}")
        return None
    best = int(proba.argmax())
    return project.classes[best], float(proba[best])


def suggest(project: Project, query: Query | None) -> tuple[dict[str, str], str | None]:
    """A toggle for the zero-shot suggestion; the notes under the class buttons (the quick model's, and the
    suggestion's) and the suggested class, if any."""
    notes = model_notes(query)
    if not st.toggle("Suggest a class from the class names", key=f"label.suggest.{project.id}",
                     help="A pretrained language model (English) picks the class whose name the text is closest to "
                          "in meaning, before any label: its button stands out, and a click accepts it. Names that "
                          "are words work best."):
        return notes, None
    found = suggestion(project, query)
    if found is None:
        return notes, None
    name, p = found
    notes[name] = " · ".join(filter(None, (notes.get(name), f"suggested from the class names: {percent(p)}")))
    return notes, name


def why(query: Query | None, min_per_class: int) -> None:
    if query is None:
        return
    with st.expander("Why this text?"):
        st.markdown(WHY.get(query.reason, RANDOM_WHY.format(n=min_per_class)))
        if query.reason == MARGIN:
            (first, p1), (second, p2) = query.top
            st.write(f"It is torn between **{escape_md(first)}** ({percent(p1)}) and **{escape_md(second)}** "
                     f"({percent(p2)}).")


def progress(project: Project) -> None:
    """Labels per class, the check set's size, and the learning curve."""
    counts = project.counts()
    check = pd.Series([a.label for a in project.check_set()]).value_counts()
    st.dataframe(pd.DataFrame({"class": list(counts), "labels": list(counts.values()),
                               "in the check set": [int(check.get(c, 0)) for c in counts]}),
                 hide_index=True, key="label.counts")
    st.caption(f"{len(project.labels):,} labels · {sum(a.label is None for a in project.answers):,} skipped · "
               f"{len(project.unanswered()):,} of {len(project.texts):,} texts left")
    points = curve(project)
    if len(points):
        st.plotly_chart(charts.learning_curve(points), key="label.curve")
    else:
        st.caption(f"The learning curve starts once the model is trained and the check set has texts (every "
                   f"{project.check_every}th text asked goes there).")
