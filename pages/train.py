import pandas as pd
import streamlit as st

from core.architectures import REGISTRY
from core.architectures.advice import recommended
from core.architectures.base import PRESETS
from core.architectures.pretrained import check_shared_source
from core.architectures.preview import Preview, preview
from core.data.text_set import subset
from core.store.datasets import load_dataset
from core.store.store import Run
from dashboard import navigation, run_views
from dashboard.charts import token_lengths, training_curves
from dashboard.components import config_form, dataset_label, escape_md, run_picker
from dashboard.limits_views import server_limits
from dashboard.new_run import PICKER, folded_form, form_folded, model_choice, repeat_notice, start_button
from dashboard.state import DATASET, METRICS_CACHE, RUN, current, get_store, remember

st.title("Train")
store = get_store()
datasets = store.list_datasets()
if not datasets:
    st.info("There is no dataset yet. Choose one first.")
    navigation.link(navigation.DATA, "Choose data")
    st.stop()

runs = store.list_runs()
# A new session (a reopened tab, a restarted server) reattaches to the newest run still training.
active = next((r.id for r in runs if r.active), None)
# The run picker further down decides which run is watched; its last choice is the one to go by here.
watched = next((r for r in runs if r.id == st.session_state.get(PICKER, current(RUN, active))), None)
form_open = not form_folded(watched)


@st.cache_data(show_spinner=False, max_entries=4)
def train_texts(dataset_id: str) -> list[str]:
    return subset(load_dataset(store, dataset_id), "train").texts


@st.cache_data(show_spinner="Reading the texts as this model would…", max_entries=16)
def model_preview(dataset_id: str, arch_name: str, settings: tuple) -> Preview | str:
    """The preview, or the message of a setting the model cannot work with (shown instead of a chart)."""
    arch = REGISTRY[arch_name]
    try:
        return preview(arch.model_cls(arch.config_cls.from_dict(dict(settings))), train_texts(dataset_id))
    except (ValueError, OSError) as exc:
        return str(exc)


def refused_source(settings: dict) -> str | None:
    """Why this person may not start from the model they named (a folder the administrator has not listed)."""
    if "model" not in settings or store.viewer is None or store.viewer.admin:
        return None
    try:
        check_shared_source(settings["model"])
    except ValueError as exc:
        return str(exc)
    return None


# benchmarks/RESULTS.md, "The presets side by side": TF-IDF, fastText and TextCNN on the three samples.
PRESET_HELP = ("Quick: a first result soonest (2 to 8 s for TF-IDF, fastText and TextCNN on our samples). Balanced: "
               "good accuracy for the time. Best: slower, for the last points of accuracy (on our samples 0.1 to 1.5 "
               "points above Balanced, except fastText on SMS spam: one test text fewer right). Settings scale with "
               "the data's size.")
# Only the settings that change how texts are read: tuning the learning rate does not recompute this.
READING = ("max_length", "vocab_size", "model")


def new_run_form() -> None:
    """Dataset, model, preset and settings, what the model will make of the texts, and Start."""
    by_id = {d.id: d for d in datasets}
    ids = list(by_id)
    preferred = current(DATASET)
    dataset_id = st.selectbox("Dataset", ids, index=ids.index(preferred) if preferred in by_id else 0,
                              format_func=lambda i: dataset_label(by_id[i]))
    remember(DATASET, dataset_id)
    texts = train_texts(dataset_id)
    arch_name = model_choice(recommended(texts))
    arch = REGISTRY[arch_name]
    preset = st.segmented_control("Preset", PRESETS, default="balanced", required=True, format_func=str.capitalize,
                                  key="train.preset", persist_state="page",
                                  help=PRESET_HELP)
    with st.expander("Settings: the preset's values work well; hover over the ? of each for what it does"):
        # The widgets are keyed by preset and dataset, so choosing either starts from that preset's values.
        settings = config_form(arch.config_cls.preset(preset, len(texts)),
                               key=f"config.{arch_name}.{preset}.{dataset_id}", caps={"epochs": server_limits().epochs})
    refused = refused_source(settings)
    shown = refused or model_preview(dataset_id, arch_name,
                                     tuple(sorted((k, v) for k, v in settings.items() if k in READING)))
    if isinstance(shown, str):
        st.error(escape_md(shown))
    else:
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
    start_button(store, dataset_id, arch_name, settings, disabled=refused is not None)


if form_open:
    new_run_form()
    st.divider()
else:
    folded_form()

run = run_picker(store, "Run to watch", runs, current(RUN, active), key=PICKER, status=False)
if run is None:
    st.stop()
remember(RUN, run.id)
if form_open == form_folded(run):
    st.rerun()  # the picker chose another run than the page went by (a link's ?run=): lay the page out for it
repeat_notice(run)


def new_metrics(run: Run) -> pd.DataFrame:
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


def live_view(run_id: int, shown_status: str) -> None:
    try:
        run = store.get_run(run_id)  # the store's supervisor marks a run whose worker died within seconds
    except KeyError:  # deleted, or no longer shared with this person: the full rerun picks another
        st.rerun()
    if run.status != shown_status:
        st.rerun()  # a full rerun updates the run picker, and once the run ends stops the timer
    run_views.status(store, run)
    metrics = new_metrics(run)
    if run.arch in REGISTRY and REGISTRY[run.arch].one_shot:
        run_views.one_shot_scores(metrics)
    elif len(metrics):
        st.plotly_chart(training_curves(metrics), key=f"curves.{run_id}")
    elif run.active:
        st.caption("The curves appear after the first training steps.")


st.fragment(live_view, run_every=1 if run.active else None)(run.id, run.status)
# Outside the live view: the log changes a few times an epoch, not every second, and a download button redrawn
# every second loses its file to the next redraw (the browser then gets a 404).
run_views.log(store, run)
