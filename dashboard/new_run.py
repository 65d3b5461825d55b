"""The Train page's choices for a new run and what pressing Start does: the model list with the models recommended
for the data, the run then watched, and a plain word when a Start repeated a run that had already started."""
from __future__ import annotations

import time
from typing import Any

import streamlit as st

from core.architectures import REGISTRY
from core.architectures.advice import Pick
from core.runs import jobs
from core.store.store import Run, Store
from dashboard.components import escape_md
from dashboard.state import RUN, remember

PICKER = "train.run"  # the run picker's key: the run watched
STARTED = "train.started"  # the run the last Start started, or found already started
FORM_OPEN = "train.form_open"  # the form for a new run was opened with OPEN_FORM, the button that opens it
OPEN_FORM = "train.open_form"
REPEATED = "train.repeated"  # the run the last Start found already started


def model_choice(picks: dict[str, Pick]) -> str:
    """One line per model, the recommended ones marked; the chosen model's description and why it is recommended
    below. The first recommended model is chosen to begin with."""
    names = list(REGISTRY)
    name = st.radio("Model", names, index=names.index(next(iter(picks))), key="train.arch", persist_state="page",
                    format_func=lambda n: model_line(n, picks.get(n)))
    pick = picks.get(name)
    st.caption(REGISTRY[name].description + (f" **{pick.mark}:** {pick.reason}" if pick else ""))
    return name


def model_line(name: str, pick: Pick | None) -> str:
    arch = REGISTRY[name]
    return f"**{arch.title}** · {arch.summary}" + (f" :green-badge[:material/star: {pick.mark}]" if pick else "")


def form_folded(watched: Run | None) -> bool:
    """Whether the form for a new run folds away above the `watched` run, so that its progress, curves and result
    show without scrolling: while it trains, and once the run just started has finished, until the form is opened.
    A stale click on Start, sent with the run picker's old value, finds the form there to tell it was a repeat."""
    if watched is None or st.session_state.get(FORM_OPEN):
        return False
    return watched.active or watched.id == st.session_state.get(STARTED)


def open_form() -> None:
    st.session_state[FORM_OPEN] = True
    st.session_state.pop(REPEATED, None)  # said once; a new Start is on its way


def folded_form() -> None:
    """The form for a new run, folded away into the button that opens it."""
    st.button("Train another model", key=OPEN_FORM, icon=":material/add:", on_click=open_form,
              help="Choose the data, model and settings of a new run. A run in training trains on.")


def start_button(store: Store, dataset_id: str, arch: str, settings: dict[str, Any], disabled: bool) -> None:
    """Start: queue the run and watch it, with the form folded away so its progress shows without scrolling. A
    second click that reaches the server before the page has changed finds the run already started (see
    `jobs.start`), which `repeat_notice` then says."""
    if not st.button("Start training", type="primary", disabled=disabled):
        return
    try:
        run_id, new = jobs.start(store, dataset_id, arch, settings)
    except ValueError as exc:
        st.error(escape_md(exc))
        return
    st.session_state[REPEATED] = None if new else run_id
    remember(RUN, run_id)
    st.session_state[PICKER] = st.session_state[STARTED] = run_id
    st.session_state.pop(FORM_OPEN, None)
    st.rerun()


def repeat_notice(run: Run) -> None:
    """Above `run`, until the form opens again, the word that a later Start did not start it again, if one did not."""
    if st.session_state.get(REPEATED) != run.id:
        return
    started = time.strftime("%H:%M:%S", time.localtime(run.created_at))
    st.info(f"Run #{run.id} had already started, at {started}, with these settings, so pressing Start again did not "
            "start a second run. It is the run shown here.", icon=":material/info:")
