import streamlit as st

from core.architectures import REGISTRY
from core.architectures.advice import recommended
from core.architectures.base import PRESETS
from core.architectures.pretrained import refused_source
from dashboard import navigation, run_views, train_views
from dashboard.components import config_form, dataset_label, run_picker
from dashboard.limits_views import server_limits
from dashboard.new_run import PICKER, folded_form, form_folded, model_choice, repeat_notice, start_button
from dashboard.state import DATASET, RUN, current, get_store, remember

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


def new_run_form() -> None:
    """Dataset, model, preset and settings, what the model will make of the texts, and Start."""
    by_id = {d.id: d for d in datasets}
    ids = list(by_id)
    preferred = current(DATASET)
    dataset_id = st.selectbox("Dataset", ids, index=ids.index(preferred) if preferred in by_id else 0,
                              format_func=lambda i: dataset_label(by_id[i]))
    remember(DATASET, dataset_id)
    texts = train_views.train_texts(dataset_id)
    arch_name = model_choice(recommended(texts, train_views.train_labels(dataset_id)))
    train_views.zero_shot_baseline(dataset_id)
    arch = REGISTRY[arch_name]
    preset = st.segmented_control("Preset", PRESETS, default="balanced", required=True, format_func=str.capitalize,
                                  key="train.preset", persist_state="page",
                                  help=train_views.PRESET_HELP)
    with st.expander("Settings: the preset's values work well; hover over the ? of each for what it does"):
        # The widgets are keyed by preset and dataset, so choosing either starts from that preset's values.
        settings = config_form(train_views.starting_config(arch.config_cls, preset, dataset_id),
                               key=f"config.{arch_name}.{preset}.{dataset_id}", caps={"epochs": server_limits().epochs})
    refused = refused_source(settings, store.viewer)
    train_views.reading(dataset_id, arch_name, settings, refused)
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
st.fragment(train_views.live_view, run_every=1 if run.active else None)(store, run.id, run.status)
# Outside the live view: the log changes a few times an epoch, not every second, and a download button redrawn
# every second loses its file to the next redraw (the browser then gets a 404).
run_views.log(store, run)
