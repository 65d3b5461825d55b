"""The Results page's deeper views: ROC, precision-recall and reliability curves, the decision threshold of a
two-class model, the error browser and the scores by text length."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.evaluation.curves import at_threshold
from core.evaluation.report_records import Report
from core.evaluation.slices import examples
from core.inference.prediction import csv_for_excel
from dashboard import report_charts
from dashboard.components import escape_md
from dashboard.report_views import ANY, example_table

MOST_CURVES = 8  # more lines than this on one chart is a tangle; the weakest classes are drawn first


def curves(report: Report) -> None:
    drawn = report.curves
    if not drawn:
        st.info("The test texts hold a single class, so there is nothing to tell apart and no curve to draw.")
    else:
        if len(drawn) > MOST_CURVES:
            by_weakness = [c.class_name for c in sorted(drawn, key=lambda c: c.average_precision)]
            chosen = st.multiselect("Classes to draw", by_weakness, default=by_weakness[:MOST_CURVES],
                                    key="results.curve_classes",
                                    help="The classes the model separates worst come first.")
            drawn = [c for c in drawn if c.class_name in chosen]
        left, right = st.columns(2)
        left.plotly_chart(report_charts.one_vs_rest(drawn, "roc"), key="roc")
        right.plotly_chart(report_charts.one_vs_rest(drawn, "pr"), key="pr")
        st.caption("Each class against all the others. **ROC:** how many of the class's texts the model finds (up) "
                   "for how many others it wrongly flags (right); the area under it (AUC) is 1 for perfect and 0.5 "
                   "for guessing. **Precision-recall:** how many flagged texts are right as the model finds more of "
                   "the class; its average precision (AP) matters most for rare classes.")
    calibration = report.calibration
    st.plotly_chart(report_charts.reliability(calibration), key="reliability")
    st.caption(f"When the model says it is 80% sure, is it right 80% of the time? Points below the diagonal mean "
               f"it is overconfident, above it underconfident. The expected calibration error, "
               f"{calibration.ece:.3f}, is the average gap: 0 is perfectly honest confidence.")


def threshold(report: Report, run_id: int) -> None:
    """A two-class model flags a text as the positive class once its probability passes the threshold; moving
    it trades precision for recall."""
    classes = report.classes
    left, right = st.columns([1, 2])
    positive = left.selectbox("Positive class", classes, index=1, key=f"results.positive.{run_id}",
                              help="The class you want to find, e.g. 'spam'.")
    value = right.slider("Decision threshold", 0.0, 1.0, 0.5, 0.01, key=f"results.threshold.{run_id}",
                         help=f"A text is labelled {escape_md(positive)} when its probability of being "
                              f"{escape_md(positive)} reaches this.")
    sweep = report.thresholds[positive]
    now, default = at_threshold(sweep, value), at_threshold(sweep, 0.5)
    columns = st.columns(4)
    for column, name in zip(columns, ("precision", "recall", "f1", "accuracy")):
        delta = now[name] - default[name]
        column.metric(name.capitalize() if name != "f1" else "F1", f"{now[name]:.1%}", border=True,
                      delta=f"{delta:+.1%} vs 0.50" if abs(delta) >= 0.0005 else None)
    negative = next(c for c in classes if c != positive)
    matrix = [[now["tn"], now["fp"]], [now["fn"], now["tp"]]]
    a, b = st.columns(2)
    a.plotly_chart(report_charts.confusion_matrix(matrix, [negative, positive]), key="threshold_confusion")
    b.plotly_chart(report_charts.threshold_curve(sweep, now["threshold"]), key="threshold_curve")
    st.caption(f"Raise the threshold to flag {escape_md(positive)} only when sure (fewer false alarms, higher "
               f"precision); lower it to miss fewer (higher recall).")


def mistakes(predictions: pd.DataFrame, classes: list[str]) -> None:
    """Wrong predictions, the most confident first: where the model is sure and wrong is what to fix."""
    a, b, c = st.columns([1, 1, 2])
    true = a.selectbox("True class", [ANY, *classes], key="results.mistakes.true")
    predicted = b.selectbox("Predicted class", [ANY, *classes], key="results.mistakes.predicted")
    query = c.text_input("Search the texts", key="results.mistakes.query", placeholder="a word or phrase")
    rows = examples(predictions, None if true == ANY else true, None if predicted == ANY else predicted, query,
                    mistakes_only=True)
    total = int((predictions["label"] != predictions["predicted"]).sum())
    st.markdown(f"**{len(rows):,}** of the model's **{total:,}** mistakes on **{len(predictions):,}** test texts, "
                "most confident first.")
    example_table(rows, key="mistakes_table")
    st.download_button("Download these mistakes (CSV)", csv_for_excel(rows),
                       file_name="mistakes.csv", mime="text/csv", key="results.mistakes.download")


def lengths(report: Report) -> None:
    slices = report.length_slices
    if len(slices) < 2:
        st.info("Too few test texts to compare lengths.")
        return
    st.plotly_chart(report_charts.length_slices(slices), key="length_slices")
    worst = min(slices, key=lambda s: s.accuracy)
    st.caption(f"The test texts in {len(slices)} groups of equal size by length. The model does worst on texts of "
               f"{worst.slice} ({worst.accuracy:.0%} right, {worst.n:,} texts).")
