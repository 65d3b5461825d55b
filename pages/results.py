from functools import partial

import streamlit as st

from core.evaluation.cross_validation import OUT_OF_FOLD_FILE
from core.evaluation.report import load_report
from core.store.shared_storage import run_files
from core.workspace import PREDICTIONS_FILE
from dashboard import (cv_views, diagnostics_views, label_error_views, model_views, multilabel_views, navigation,
                       report_views, threshold_views)
from dashboard.components import finished_run_or_stop
from dashboard.sharing_views import ownership
from dashboard.state import get_store, test_predictions

TAB = "tab"

st.title("Results")
st.write("How the model did on the test texts: examples it never saw while learning.")
store = get_store()
run = finished_run_or_stop(store, "Run", key="results.run")
ownership(store, run, f"results.share.{run.id}", partial(store.share_run, run.id),
          "this run's results and model, test texts included")
folder = run_files(store, run.id)
report = load_report(folder)
if report is None or not (folder / PREDICTIONS_FILE).exists():
    st.error("This run's test report is missing from the workspace folder; train the model again to recreate it.")
    st.stop()


def predictions():
    return test_predictions(str(folder), run.finished_at)


several = report.task == "multilabel"
(multilabel_views.headline if several else report_views.headline)(report)
cv_views.summary(run.result.get("cv"), several)
if run.status == "cancelled":
    st.info(f"This run was stopped before it finished (at step {run.result.get('stopped_at_step', 0):,}); these are "
            "the results of the model it had reached. Resume it on the Train page to train it to the end.")
if run.result.get("best_epoch"):
    st.caption(f"Weights from epoch {run.result['best_epoch']}, the best on the validation texts.")
VIEWS = {
    "Confusion matrix": lambda: report_views.confusion(report, predictions(), run.id),
    "Per class": lambda: report_views.per_class(report),
    "Curves": lambda: diagnostics_views.curves(report),
    "Threshold": lambda: diagnostics_views.threshold(report, run.id),
    "Mistakes": lambda: diagnostics_views.mistakes(predictions(), report.classes),
    "By text length": lambda: diagnostics_views.lengths(report),
    "Download": lambda: model_views.take_away(store, run),
}
MULTILABEL_VIEWS = {
    "Per label": lambda: multilabel_views.per_label(report),
    "Missed or added": lambda: multilabel_views.missed_added(report, predictions(), run.id),
    "Curves": lambda: multilabel_views.curves(report),
    "Thresholds": lambda: threshold_views.thresholds(report, predictions(), folder, run.id),
    "Mistakes": lambda: multilabel_views.mistake_browser(predictions(), report.classes),
    "Download": VIEWS["Download"],
}
if several:
    VIEWS = MULTILABEL_VIEWS
if (folder / OUT_OF_FOLD_FILE).exists():  # trained with cross-validation
    VIEWS[label_error_views.TITLE] = lambda: label_error_views.for_run(store, run, folder)
names = [name for name in VIEWS if name != "Threshold" or report.task == "binary"]
# Only the open tab is drawn (a click on another reruns the page), and it is kept in the address bar, so a refresh or a
# shared link opens the same view.
for name, tab in zip(names, st.tabs(names, key=TAB, bind="query-params")):
    if tab.open:
        with tab:
            VIEWS[name]()
navigation.link(navigation.COMPARE, "Compare this run with others")
navigation.link(navigation.PREDICT, "Try the model on your own sentences")
