"""The Train page's views: what the chosen model will make of the training texts before Start, and the watched run's
status and curves, live, with its metric rows read from the store a few at a time."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.architectures import REGISTRY
from core.architectures.base import ArchConfig
from core.architectures.preview import Preview, preview
from core.architectures.zero_shot import zero_shot_proba
from core.data.text_set import subset
from core.store.datasets import load_dataset
from core.store.store import Run, Store
from dashboard import run_views
from dashboard.charts import token_lengths, training_curves
from dashboard.components import escape_md
from dashboard.state import METRICS_CACHE, get_store

# benchmarks/RESULTS.md, "The presets side by side": TF-IDF, fastText and TextCNN on the three samples.
PRESET_HELP = ("Quick: a first result soonest (2 to 8 s for TF-IDF, fastText and TextCNN on our samples). Balanced: "
               "good accuracy for the time. Best: slower, for the last points of accuracy (on our samples 0.1 to 1.5 "
               "points above Balanced, except fastText on SMS spam: one test text fewer right). Settings scale with "
               "the data's size.")
# Only the settings that change how texts are read: tuning the learning rate does not recompute this.
READING = ("max_length", "vocab_size", "model")


@st.cache_data(show_spinner=False, max_entries=4)
def train_texts(dataset_id: str) -> list[str]:
    return subset(load_dataset(get_store(), dataset_id), "train").texts


@st.cache_data(show_spinner=False, max_entries=4)
def validation_count(dataset_id: str) -> int:
    return int((load_dataset(get_store(), dataset_id)["split"] == "val").sum())


def starting_config(config_cls: type[ArchConfig], preset: str, dataset_id: str) -> ArchConfig:
    """The preset's settings for the dataset's size, cross-validated where that is cheap (`dataset_defaults`)."""
    return config_cls.from_dict(config_cls.dataset_defaults(preset, len(train_texts(dataset_id)),
                                                            validation_count(dataset_id)))


@st.cache_data(show_spinner=False, max_entries=4)
def train_labels(dataset_id: str) -> list:
    """The training texts' labels (a tuple each, for several labels per text)."""
    multilabel = get_store().get_dataset(dataset_id).multilabel
    return subset(load_dataset(get_store(), dataset_id), "train", multilabel).labels


@st.cache_data(show_spinner="Comparing the validation texts with the class names…", max_entries=4)
def zero_shot_accuracy(dataset_id: str) -> float:
    val = subset(load_dataset(get_store(), dataset_id), "val")
    classes = sorted(set(train_labels(dataset_id)))
    predicted = np.array(classes)[zero_shot_proba(val.texts, classes).argmax(axis=1)]
    return float((predicted == np.array(val.labels)).mean())


def zero_shot_baseline(dataset_id: str) -> None:
    """A button that scores the zero-shot model, which knows only the class names, on the validation texts: the
    accuracy any trained model should beat. One label per text only."""
    if get_store().get_dataset(dataset_id).multilabel:
        return
    if st.button("Score the zero-shot baseline", icon=":material/target:", help="How often the validation texts are "
                 "closest in meaning to their own class's name (the Zero-shot model): no training, so a trained "
                 "model should do better."):
        st.caption(f"Zero-shot baseline, from the class names alone: **{zero_shot_accuracy(dataset_id):.1%}** of "
                   "the validation texts right.")


@st.cache_data(show_spinner="Reading the texts as this model would…", max_entries=16)
def model_preview(dataset_id: str, arch_name: str, settings: tuple) -> Preview | str:
    """The preview, or the message of a setting the model cannot work with (shown instead of a chart)."""
    arch = REGISTRY[arch_name]
    try:
        return preview(arch.model_cls(arch.config_cls.from_dict(dict(settings))), train_texts(dataset_id))
    except (ValueError, OSError) as exc:
        return str(exc)


def reading(dataset_id: str, arch_name: str, settings: dict, refused: str | None) -> None:
    """The model's warnings about the training texts and how many it will cut, with their lengths in a chart; or
    why it cannot read them (`refused`: why this person may not use the model named)."""
    shown = refused or model_preview(dataset_id, arch_name,
                                     tuple(sorted((k, v) for k, v in settings.items() if k in READING)))
    if isinstance(shown, str):
        st.error(escape_md(shown))
        return
    for warning in shown.warnings:
        st.warning(escape_md(warning))
    if shown.lengths is not None:
        cut = (f"{shown.cut_share:.0%} of the training texts ({shown.n_cut:,} of {len(shown.lengths):,}) are "
               f"longer than the maximum length of {shown.max_length} tokens and will be cut")
        # Few cut is worth a line, folded with its chart; many cut is worth a warning.
        if shown.cut_share > 0.05:
            st.warning(f"{cut}. Raise the maximum length in the settings to keep more of them.")
        with st.expander("Text lengths in tokens" if shown.cut_share > 0.05 else f"{cut}: few enough"):
            st.plotly_chart(token_lengths(shown.lengths, shown.max_length), key="train.lengths")


def new_metrics(store: Store, run: Run) -> pd.DataFrame:
    """All metric rows of the run, reading from the store only those from the last one it has on. When that row
    is gone, the run was resumed from a checkpoint and its later steps dropped: the rows are read afresh."""
    cache = st.session_state.setdefault(METRICS_CACHE, {})
    last_id, rows = cache.get(run.id, (0, []))
    fresh = store.metrics_since(run.id, last_id - 1)
    if last_id and fresh and fresh[0]["id"] == last_id:
        fresh = fresh[1:]
    elif last_id:
        rows, fresh = [], store.metrics_since(run.id)
    if fresh:
        rows = rows + fresh
    cache[run.id] = (rows[-1]["id"] if rows else 0, rows)
    return pd.DataFrame(rows, columns=["id", "step", "epoch", "split", "name", "value", "time"])


def live_view(store: Store, run_id: int, shown_status: str) -> None:
    """The run's status and curves, redrawn every second while it trains (the page runs it as a fragment)."""
    try:
        run = store.get_run(run_id)  # the store's supervisor marks a run whose worker died within seconds
    except KeyError:  # deleted, or no longer shared with this person: the full rerun picks another
        st.rerun()
    if run.status != shown_status:
        st.rerun()  # a full rerun updates the run picker, and once the run ends stops the timer
    run_views.status(store, run)
    metrics = new_metrics(store, run)
    if run.arch in REGISTRY and REGISTRY[run.arch].one_shot:
        run_views.one_shot_scores(metrics, bool(run.result.get("multilabel")))
    elif len(metrics):
        st.plotly_chart(training_curves(metrics), key=f"curves.{run_id}")
    elif run.active:
        st.caption("The curves appear after the first training steps.")
