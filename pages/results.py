import pandas as pd
import streamlit as st

from core.evaluation import load_report
from core.workspace import run_dir
from dashboard import navigation
from dashboard.charts import confusion_matrix
from dashboard.components import finished_run_or_stop
from dashboard.state import get_store

st.title("Results")
st.write("How the model did on the test texts: examples it never saw while learning.")
store = get_store()
run = finished_run_or_stop(store, "Run", key="results.run")
report = load_report(run_dir(run.id, store.root))
if report is None:
    st.error("This run's report is missing from the workspace folder; train the model again to recreate it.")
    st.stop()

a, b, c = st.columns(3)
a.metric("Accuracy", f"{report['accuracy']:.1%}", border=True,
         help="The share of test texts whose label the model got right.")
b.metric("Macro-F1", f"{report['macro_f1']:.3f}", border=True,
         help="The F1 score (balance of precision and recall) of each class, averaged so every class counts the "
              "same however rare it is. 1 is perfect.")
c.metric("Test texts", f"{report['n_test']:,}", border=True, help="Texts held out from training to measure the model.")

st.subheader("Which classes does it confuse?")
view = st.segmented_control("Show", ["Counts", "Share of each true class"], default="Counts", key="cm_view",
                            help="Shares divide each row by its number of texts, so rare classes are as easy to read.")
st.plotly_chart(confusion_matrix(report["confusion_matrix"], report["classes"], view != "Counts"), key="confusion")
st.caption("Each row is a true class and each column what the model predicted: the diagonal holds the correct "
           "predictions, everything else a mix-up.")

st.subheader("Scores per class")
table = pd.DataFrame(report["per_class"]).rename(columns={"class": "Class", "precision": "Precision", "recall": "Recall",
                                                          "f1": "F1", "support": "Test texts"})
HELP = {"Precision": "Of the texts predicted as this class, the share that really are.",
        "Recall": "Of the texts of this class, the share the model found.",
        "F1": "The balance of precision and recall."}
st.dataframe(table, hide_index=True, column_config={
    name: st.column_config.ProgressColumn(name, help=text, min_value=0.0, max_value=1.0, format="%.3f")
    for name, text in HELP.items()
})
navigation.link(navigation.PREDICT, "Try the model on your own sentences")
