from functools import partial

import streamlit as st

from core.evaluation import load_predictions, load_report
from core.storage import run_files
from dashboard import diagnostics_views, model_views, navigation, report_views
from dashboard.components import finished_run_or_stop
from dashboard.sharing_views import ownership
from dashboard.state import get_store

st.title("Results")
st.write("How the model did on the test texts: examples it never saw while learning.")
store = get_store()
run = finished_run_or_stop(store, "Run", key="results.run")
ownership(store, run, f"results.share.{run.id}", partial(store.share_run, run.id),
          "this run's results and model, test texts included")
folder = run_files(store, run.id)
report, predictions = load_report(folder), load_predictions(folder)
if report is None or predictions is None:
    st.error("This run's test report is missing from the workspace folder; train the model again to recreate it.")
    st.stop()

report_views.headline(report)
if run.status == "cancelled":
    st.info(f"This run was stopped before it finished (at step {run.result.get('stopped_at_step', 0):,}); these are "
            "the results of the model it had reached. Resume it on the Train page to train it to the end.")
if run.result.get("best_epoch"):
    st.caption(f"Weights from epoch {run.result['best_epoch']}, the best on the validation texts.")
names = ["Confusion matrix", "Per class", "Curves", *(["Threshold"] if report["task"] == "binary" else []),
         "Mistakes", "By text length", "Download"]
tabs = dict(zip(names, st.tabs(names)))
with tabs["Confusion matrix"]:
    report_views.confusion(report, predictions, run.id)
with tabs["Per class"]:
    report_views.per_class(report)
with tabs["Curves"]:
    diagnostics_views.curves(report)
if "Threshold" in tabs:
    with tabs["Threshold"]:
        diagnostics_views.threshold(report, run.id)
with tabs["Mistakes"]:
    diagnostics_views.mistakes(predictions, report["classes"])
with tabs["By text length"]:
    diagnostics_views.lengths(report)
with tabs["Download"]:
    model_views.take_away(store, run)
navigation.link(navigation.COMPARE, "Compare this run with others")
navigation.link(navigation.PREDICT, "Try the model on your own sentences")
