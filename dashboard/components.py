"""Render helpers shared by the pages. User-provided text never reaches Markdown unescaped."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Sequence

import streamlit as st

from core.architectures import REGISTRY
from core.architectures.base import ArchConfig
from core.store import DatasetRecord, Run, Store
from core.wording import literal_markdown as escape_md  # noqa: F401 - the views escape through here
from dashboard import navigation
from dashboard.state import RUN, current, remember


def config_form(config: ArchConfig, key: str, caps: dict[str, int] | None = None) -> dict[str, Any]:
    """One input per config field, starting from `config`'s values, with the field's help text and limits, and no
    higher than `caps` (the server's limits) says."""
    caps = caps or {}
    values: dict[str, Any] = {}
    columns = st.columns(3)
    # The pretrained model to start from decides everything else, so it comes first.
    ordered = sorted(fields(config), key=lambda spec: "suggestions" not in spec.metadata)
    for i, spec in enumerate(ordered):
        meta, default = spec.metadata, getattr(config, spec.name)
        widget_key = f"{key}.{spec.name}"
        label = meta.get("label", spec.name.replace("_", " ").capitalize())
        with columns[i % 3]:
            if "choices" in meta:
                options = list(meta["choices"])
                values[spec.name] = st.selectbox(label, options, index=options.index(default), help=meta["help"], key=widget_key)
            elif "suggestions" in meta:
                # Pick a known one, or type any other (a Hub id, a folder on the server).
                options = list(dict.fromkeys([default, *meta["suggestions"]]))
                values[spec.name] = st.selectbox(label, options, index=0, help=meta["help"], key=widget_key,
                                                 accept_new_options=True)
            elif isinstance(default, bool):
                values[spec.name] = st.checkbox(label, value=default, help=meta["help"], key=widget_key)
            elif isinstance(default, int):
                top = min(filter(None, (meta.get("max"), caps.get(spec.name))), default=None)
                values[spec.name] = st.number_input(label, min_value=meta.get("min"), max_value=top,
                                                    value=min(default, top or default), step=1, help=meta["help"],
                                                    key=widget_key)
            elif isinstance(default, float):
                small = 0 < abs(default) < 0.01
                values[spec.name] = st.number_input(label, min_value=float(meta.get("min", 0.0)), max_value=meta.get("max"),
                                                    value=default, step=default / 2 if small else 0.05,
                                                    format="%.1e" if small else "%.3f", help=meta["help"], key=widget_key)
            else:
                values[spec.name] = st.text_input(label, value=str(default), help=meta["help"], key=widget_key)
    return values


def dataset_label(dataset: DatasetRecord) -> str:
    return f"{dataset.name} · {dataset.n_rows:,} rows · {len(dataset.classes)} classes"


def run_label(run: Run, datasets: dict[str, DatasetRecord], status: bool = True) -> str:
    arch = REGISTRY[run.arch].title if run.arch in REGISTRY else run.arch
    data = datasets[run.dataset_id].name if run.dataset_id in datasets else run.dataset_id
    score = f" · accuracy {run.result['accuracy']:.1%}" if "accuracy" in run.result else ""
    return f"#{run.id} · {arch} on {data}{f' · {run.status}' if status else ''}{score}"


def run_picker(store: Store, label: str, runs: Sequence[Run], preferred: int | None, key: str,
               status: bool = True) -> Run | None:
    """A run chooser, preselecting the URL's `?run=`, else `preferred`, else the newest; the choice goes back
    into the URL so a refresh or a shared link shows the same run. Without `status` the options leave out each
    run's status, for a page that shows it live beside the chooser (a chooser's labels can lag a rerun behind)."""
    if not runs:
        return None
    datasets = {d.id: d for d in store.list_datasets()}
    by_id = {r.id: r for r in runs}
    if key not in st.session_state or st.session_state[key] not in by_id:
        asked = st.query_params.get("run", "")
        for candidate in (int(asked) if asked.isdigit() else None, preferred):
            if candidate in by_id:
                st.session_state[key] = candidate
                break
        else:
            st.session_state[key] = next(iter(by_id))
    chosen = st.selectbox(label, list(by_id), format_func=lambda i: run_label(by_id[i], datasets, status), key=key)
    st.query_params["run"] = str(chosen)
    return by_id[chosen]


def finished_run_or_stop(store: Store, label: str, key: str) -> Run:
    """Pick a run with a model (remembered across pages), or say there is none yet and stop the page."""
    run = run_picker(store, label, store.runs_with_model(), current(RUN), key=key)
    if run is None:
        st.info("No model has finished training yet.")
        navigation.link(navigation.TRAIN, "Train a model")
        st.stop()
    remember(RUN, run.id)
    return run
