"""Render helpers shared by the pages. User-provided text never reaches Markdown unescaped."""
from __future__ import annotations

import itertools
from dataclasses import fields
from typing import Any, Sequence

import streamlit as st

from core.architectures import REGISTRY
from core.architectures.base import ArchConfig, applies
from core.store.store import DatasetRecord, Run, Store
from core.wording import literal_markdown as escape_md  # noqa: F401 - the views escape through here
from dashboard import navigation
from dashboard.state import RUN, current, remember
from dashboard.url_ids import parse_id


def config_form(config: ArchConfig, key: str, caps: dict[str, int] | None = None) -> dict[str, Any]:
    """One input per config field that does anything with the other settings as chosen (see `applies`), starting
    from `config`'s values, with the field's label, help text and limits, and no higher than `caps` (the server's
    limits) says. A field left out keeps its value, and the value it had when it shows again."""
    caps = caps or {}
    # The pretrained model to start from decides everything else, so it comes first.
    ordered = sorted(fields(config), key=lambda spec: "suggestions" not in spec.metadata)
    values = {spec.name: st.session_state.get(f"{key}.{spec.name}", getattr(config, spec.name)) for spec in ordered}
    shown = [spec for spec in ordered if applies(spec, values)]
    for column, spec in zip(itertools.cycle(st.columns(3)), shown):
        meta, default = spec.metadata, getattr(config, spec.name)
        # "page": a field hidden by another setting, or the whole form hidden while a run trains, keeps its value.
        common = {"help": meta["help"], "key": f"{key}.{spec.name}", "persist_state": "page"}
        with column:
            if "choices" in meta:
                options = list(meta["choices"])
                values[spec.name] = st.selectbox(meta["label"], options, index=options.index(default), **common)
            elif "suggestions" in meta:
                # Pick a known one, or type any other (a Hub id, a folder on the server).
                options = list(dict.fromkeys([default, *meta["suggestions"]]))
                values[spec.name] = st.selectbox(meta["label"], options, index=0, accept_new_options=True, **common)
            elif isinstance(default, bool):
                values[spec.name] = st.checkbox(meta["label"], value=default, **common)
            elif isinstance(default, int):
                top = min(filter(None, (meta.get("max"), caps.get(spec.name))), default=None)
                values[spec.name] = st.number_input(meta["label"], min_value=meta.get("min"), max_value=top,
                                                    value=min(default, top or default), step=1, **common)
            elif isinstance(default, float):
                small = 0 < abs(default) < 0.01
                values[spec.name] = st.number_input(meta["label"], min_value=float(meta.get("min", 0.0)),
                                                    max_value=meta.get("max"), value=default,
                                                    step=default / 2 if small else 0.05,
                                                    format="%.1e" if small else "%.3f", **common)
            elif meta.get("multiline"):
                values[spec.name] = st.text_area(meta["label"], value=str(default), **common)
            else:
                values[spec.name] = st.text_input(meta["label"], value=str(default), **common)
    return values


def dataset_label(dataset: DatasetRecord) -> str:
    if dataset.multilabel:
        return f"{dataset.name} · {dataset.n_rows:,} rows · {len(dataset.classes)} labels, several per text"
    return f"{dataset.name} · {dataset.n_rows:,} rows · {len(dataset.classes)} classes"


def run_label(run: Run, datasets: dict[str, DatasetRecord], status: bool = True) -> str:
    arch = REGISTRY[run.arch].title if run.arch in REGISTRY else run.arch
    data = datasets[run.dataset_id].name if run.dataset_id in datasets else run.dataset_id
    if run.result.get("multilabel"):
        score = f" · micro-F1 {run.result['micro_f1']:.3f}"
    else:
        score = f" · accuracy {run.result['accuracy']:.1%}" if "accuracy" in run.result else ""
    return f"#{run.id} · {arch} on {data}{f' · {run.status}' if status else ''}{score}"


def run_picker(store: Store, label: str, runs: Sequence[Run], preferred: int | None, key: str,
               status: bool = True) -> Run | None:
    """A run chooser, preselecting the URL's `?run=`, else `preferred`, else the newest; the choice goes back
    into the URL so a refresh or a shared link shows the same run. A link to a run not among `runs` says so and
    preselects nothing, so no other run is ever shown under it. None while no run is chosen: there are none, or
    none picked yet after such a link. Without `status` the options leave out each run's status, for a page that
    shows it live beside the chooser (a chooser's labels can lag a rerun behind)."""
    by_id = {r.id: r for r in runs}
    if st.session_state.get(key) not in by_id:
        asked = st.query_params.get("run", "")
        if asked.strip() and parse_id(asked) not in by_id:
            st.warning(run_not_offered(store, asked, " Pick one from the list below." if runs else ""))
            st.session_state[key] = None
        else:
            wanted = (i for i in (parse_id(asked), preferred) if i in by_id)
            st.session_state[key] = next(wanted, next(iter(by_id), None))
    if not runs:
        return None
    datasets = {d.id: d for d in store.list_datasets()}
    chosen = st.selectbox(label, list(by_id), format_func=lambda i: run_label(by_id[i], datasets, status), key=key,
                          placeholder="Pick a run")
    if chosen is None:
        return None
    st.query_params["run"] = str(chosen)
    return by_id[chosen]


def run_not_offered(store: Store, asked: str, then: str) -> str:
    """Why the run a link asks for (`?run=ASKED`) is not on the list, then `then`: what to do."""
    number = parse_id(asked)
    if number is None:
        shown = asked if len(asked) <= 20 else f"{asked[:20]}…"
        return f"This link asks for run '{escape_md(shown)}', which is not a run number.{then}"
    try:
        run = store.get_run(number)
    except KeyError:
        return f"There is no run #{number} here: it was deleted, or it is not shared with you.{then}"
    why = ("is still training, so it has no model yet: watch it on the Train page" if run.active else
           "failed, so it has no model" if run.status == "failed" else "was stopped before it had a model")
    return f"Run #{number} {why}.{then}"


def finished_run_or_stop(store: Store, label: str, key: str) -> Run:
    """Pick a run with a model (remembered across pages), or say there is none yet and stop the page."""
    runs = store.runs_with_model()
    run = run_picker(store, label, runs, current(RUN), key=key)
    if run is None:
        if not runs:
            st.info("No model has finished training yet.")
            navigation.link(navigation.TRAIN, "Train a model")
        st.stop()
    remember(RUN, run.id)
    return run
