import pandas as pd
import streamlit as st

from core import jobs
from core.architectures import REGISTRY
from core.architectures.base import PRESETS
from core.datasets import load_dataset, subset
from core.pretrained_models import check_shared_source
from core.preview import Preview, preview
from core.store import Run
from dashboard import navigation, run_views
from dashboard.charts import token_lengths, training_curves
from dashboard.components import config_form, dataset_label, escape_md, run_picker
from dashboard.limits_views import server_limits
from dashboard.state import DATASET, METRICS_CACHE, RUN, current, get_store, remember

st.title("Train")
store = get_store()
datasets = store.list_datasets()
if not datasets:
    st.info("There is no dataset yet. Choose one first.")
    navigation.link(navigation.DATA, "Choose data")
    st.stop()

by_id = {d.id: d for d in datasets}
ids = list(by_id)
preferred = current(DATASET)
dataset_id = st.selectbox("Dataset", ids, index=ids.index(preferred) if preferred in by_id else 0,
                          format_func=lambda i: dataset_label(by_id[i]))
remember(DATASET, dataset_id)

arch_name = st.radio("Model", list(REGISTRY), format_func=lambda n: REGISTRY[n].title,
                     captions=[a.description for a in REGISTRY.values()])
arch = REGISTRY[arch_name]


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


texts = train_texts(dataset_id)
preset = st.segmented_control("Preset", PRESETS, default="balanced", required=True, format_func=str.capitalize,
                              key="train.preset",
                              help="Quick: a first result in a minute or two. Balanced: good accuracy for the time. "
                                   "Best: slower, for the last points of accuracy. Settings scale with the data's size.")
with st.expander("Settings: the preset's values work well; hover over the ? of each for what it does"):
    # The widgets are keyed by preset and dataset, so choosing either starts from that preset's values.
    settings = config_form(arch.config_cls.preset(preset, len(texts)),
                           key=f"config.{arch_name}.{preset}.{dataset_id}", caps={"epochs": server_limits().epochs})


def refused_source() -> str | None:
    """Why this person may not start from the model they named (a folder the administrator has not listed)."""
    if "model" not in settings or store.viewer is None or store.viewer.admin:
        return None
    try:
        check_shared_source(settings["model"])
    except ValueError as exc:
        return str(exc)
    return None


# Only the settings that change how texts are read: tuning the learning rate does not recompute this.
READING = ("max_length", "vocab_size", "model")
refused = refused_source()
shown = refused or model_preview(dataset_id, arch_name,
                                 tuple(sorted((k, v) for k, v in settings.items() if k in READING)))
if isinstance(shown, str):
    st.error(escape_md(shown))
else:
    for warning in shown.warnings:
        st.warning(escape_md(warning))
    if shown.lengths is not None:
        st.caption(f"{shown.cut_share:.0%} of the training texts ({shown.n_cut:,} of {len(shown.lengths):,}) are "
                   f"longer than the maximum length of {shown.max_length} tokens and will be cut. "
                   + ("Raise the maximum length in the settings to keep more of them." if shown.cut_share > 0.05
                      else "That is few enough."))
        with st.expander("Text lengths in tokens"):
            st.plotly_chart(token_lengths(shown.lengths, shown.max_length), key="train.lengths")

if st.button("Start training", type="primary", disabled=refused is not None):
    try:
        run_id, new = jobs.start(store, dataset_id, arch_name, settings)
    except ValueError as exc:
        st.error(escape_md(exc))
    else:
        if not new:
            st.toast(f"Run #{run_id} with these settings has just started; this click did not start another.")
        remember(RUN, run_id)
        st.session_state["train.run"] = run_id

st.divider()
runs = store.list_runs()
# A new session (a reopened tab, a restarted server) reattaches to the newest run still training.
active = next((r.id for r in runs if r.active), None)
run = run_picker(store, "Run to watch", runs, current(RUN, active), key="train.run", status=False)
if run is None:
    st.stop()
remember(RUN, run.id)


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
    if len(metrics):
        st.plotly_chart(training_curves(metrics), key=f"curves.{run_id}")
    elif run.active:
        st.caption("The curves appear after the first training steps.")


st.fragment(live_view, run_every=1 if run.active else None)(run.id, run.status)
# Outside the live view: the log changes a few times an epoch, not every second, and a download button redrawn
# every second loses its file to the next redraw (the browser then gets a 404).
run_views.log(store, run)
