"""The Results page's views of one run's test report: headline cards, the clickable confusion matrix with the
texts behind a cell, and the per-class table."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core.evaluation import baseline
from core.evaluation.report_records import Report
from core.evaluation.slices import examples
from dashboard import report_charts
from dashboard.components import escape_md

ANY = "(any)"


def interval_caption(low: float, high: float, percent: bool) -> str:
    shown = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.3f}")
    return f"95% interval {shown(low)} – {shown(high)}"


def headline(report: Report) -> None:
    """Accuracy next to the score of always answering the most common class, macro-F1 and the number of test texts,
    each with a plain sentence (and its 95% interval); then whether the model is worth having at all."""
    spans = report.intervals
    accuracy, f1, n = report.accuracy, report.macro_f1, report.n_test
    trivial = report.baseline
    name = escape_md(f"“{trivial.class_name}”")
    cards = [
        ("Accuracy", f"{accuracy:.1%}",
         "The share of test texts whose label the model got right. The interval is where the accuracy on another "
         "test set of the same size would land 95 times in 100 (bootstrap).",
         f"Right on {round(accuracy * n):,} of the {n:,} test texts. "
         f"{interval_caption(*spans.accuracy, percent=True)}."),
        (f"Always {name}", f"{trivial.accuracy:.1%}",
         "The accuracy of answering the most common class of the test texts every time, without reading them: the "
         "score any model has to beat to be worth having.",
         f"The score of answering {name}, the most common class, to every test text."),
        ("Macro-F1", f"{f1:.3f}",
         "The F1 score (balance of precision and recall) of each class, averaged so every class counts the same "
         "however rare it is. 1 is perfect.",
         "Every class counts the same, so a neglected rare class pulls this down. "
         f"{interval_caption(*spans.macro_f1, percent=False)}."),
        ("Test texts", f"{n:,}", "Texts held out from training to measure the model.",
         "Held out from training: the model never saw them. More test texts make the intervals narrower."),
    ]
    for column, (label, value, help_text, sentence) in zip(st.columns(len(cards)), cards):
        with column:
            st.metric(label, value, border=True, help=help_text)
            st.caption(sentence)
    level, sentence = baseline.verdict(report)
    (st.success if level == baseline.GOOD else st.warning)(escape_md(sentence))


def biggest_confusion(report: Report) -> tuple[str, str]:
    """The (true, predicted) pair of the largest off-diagonal cell; the largest cell when there is no mistake."""
    matrix = np.asarray(report.confusion_matrix, dtype=float)
    off = matrix.copy()
    np.fill_diagonal(off, -1)
    t, p = np.unravel_index(int(np.argmax(off if off.max() > 0 else matrix)), matrix.shape)
    return report.classes[t], report.classes[p]


def confusion(report: Report, predictions: pd.DataFrame, run_id: int) -> None:
    """The matrix in three normalizations; a click on a cell (or the two pickers) lists the texts behind it."""
    classes = report.classes
    true_key, predicted_key = f"results.true.{run_id}", f"results.predicted.{run_id}"
    if true_key not in st.session_state:
        st.session_state[true_key], st.session_state[predicted_key] = biggest_confusion(report)

    def cell_clicked() -> None:
        points = st.session_state["confusion"]["selection"]["points"]
        if points:
            # By position: the hover's names are escaped for plotly, the class names are not.
            point = points[0]
            st.session_state[true_key], st.session_state[predicted_key] = classes[int(point["y"])], classes[int(point["x"])]

    view = st.segmented_control("Show", list(report_charts.NORMALIZATIONS), default="Counts", key="cm_view",
                                help="Shares of each true class (rows) show how each class's texts end up; shares of "
                                     "each predicted class (columns) show what a prediction of a class really holds.")
    figure = report_charts.confusion_matrix(report.confusion_matrix, classes, view or "Counts",
                                            selected=(st.session_state[true_key], st.session_state[predicted_key]))
    st.plotly_chart(figure, key="confusion", on_select=cell_clicked, selection_mode="points")
    st.caption("Each row is a true class and each column what the model predicted: the diagonal holds the right "
               "answers, every other cell a mix-up. **Click a cell** to list its texts below.")
    left, right = st.columns(2)
    true = left.selectbox("True class", classes, key=true_key)
    predicted = right.selectbox("Predicted class", classes, key=predicted_key)
    rows = examples(predictions, true, predicted)
    verb = "correctly labelled" if true == predicted else "predicted as"
    st.markdown(f"**{len(rows):,}** test texts of **{escape_md(true)}** {verb}"
                + ("" if true == predicted else f" **{escape_md(predicted)}**") + ", most confident first.")
    example_table(rows, key="confusion_examples")


def example_table(rows: pd.DataFrame, key: str) -> None:
    st.dataframe(rows[["text", "label", "predicted", "confidence"]], key=key, hide_index=True, column_config={
        "text": st.column_config.TextColumn("Text", width="large"),
        "label": st.column_config.TextColumn("True label"),
        "predicted": st.column_config.TextColumn("Predicted label"),
        "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="percent",
                                                      help="The probability the model gave its prediction."),
    })


def weakest(per_class: pd.DataFrame) -> pd.Series:
    """The lowest-F1 fifth of the classes (at least one), unless it is perfect."""
    n = max(1, math.ceil(len(per_class) / 5))
    cut = per_class["f1"].nsmallest(n).max()
    return (per_class["f1"] <= cut) & (per_class["f1"] < 1.0)


def per_class(report: Report) -> None:
    scores_table(pd.DataFrame([row.to_dict() for row in report.per_class]), "class", key="per_class", help_text={
        "precision": "Of the texts predicted as this class, the share that really are.",
        "recall": "Of the texts of this class, the share the model found.",
        "f1": "The balance of precision and recall."})


def scores_table(table: pd.DataFrame, noun: str, key: str, help_text: dict[str, str], **more_columns) -> None:
    """Each class's (or label's: `noun`, also the name of its column) scores, weakest first, the weakest flagged."""
    table.insert(0, "flag", np.where(weakest(table), "⚠ weakest", ""))
    table = table.sort_values("f1", kind="stable")
    plural = "classes" if noun == "class" else f"{noun}s"
    st.dataframe(table, hide_index=True, key=key, column_config={
        "flag": st.column_config.TextColumn("", help=f"The {plural} with the lowest F1: where to look first."),
        noun: st.column_config.TextColumn(noun.capitalize()),
        **{name: st.column_config.ProgressColumn(name.capitalize() if name != "f1" else "F1", help=text,
                                                 min_value=0.0, max_value=1.0, format="%.3f")
           for name, text in help_text.items()},
        "support": st.column_config.NumberColumn("Test texts", help=f"How many test texts have this {noun}."),
        **more_columns,
    })
    st.caption(f"Weakest {plural} first; click a column header to sort by it.")
