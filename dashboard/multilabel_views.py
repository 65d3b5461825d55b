"""The Results page's views of a multi-label run (several labels per text): the headline scores with their
intervals, the per-label table and 2x2 matrices, the missed-or-added matrix with the texts behind a cell, each
label's curves, and the mistakes browser. The threshold sliders are in dashboard/threshold_views.py."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.evaluation.multilabel_records import NOTHING, MultilabelReport
from core.evaluation.multilabel_slices import behind_cell, mistakes, shown
from core.inference.prediction import csv_for_excel
from dashboard import multilabel_charts, report_charts
from dashboard.components import escape_md
from dashboard.report_views import ANY, scores_table

# The headline's scores: name, how it reads, whether higher is better, and one line for people who do not read metrics.
HEADLINE = [
    ("micro_f1", "Micro-F1", "{:.2f}", "Every yes-or-no decision on every label pooled: how right the labels are "
                                       "overall, common labels weighing most. 1 is perfect."),
    ("macro_f1", "Macro-F1", "{:.2f}", "Each label's F1 averaged, every label counting the same however rare: a "
                                       "neglected rare label pulls it down. 1 is perfect."),
    ("subset_accuracy", "Every label right", "{:.1%}", "The share of test texts given exactly their labels, none "
                                                        "missing and none extra."),
    ("hamming_loss", "Wrong decisions", "{:.1%}", "The share of (text, label) yes-or-no decisions the model gets "
                                                   "wrong. 0 is perfect."),
]
MORE = [("weighted_f1", "Weighted F1", "each label's F1 in proportion to its texts"),
        ("samples_f1", "Per-text F1", "how well each text's label set is matched, averaged over texts")]


def _score(report: MultilabelReport, name: str, shape: str) -> str:
    value = shape.format(getattr(report, name))
    if name not in report.intervals:
        return value
    low, high = report.intervals[name]
    return f"{value} ({shape.format(low)}–{shape.format(high)})"


def _interval(report: MultilabelReport, name: str, shape: str) -> str:
    if name not in report.intervals:
        return ""
    low, high = report.intervals[name]
    return f"95% interval {shape.format(low)}–{shape.format(high)}. "


def headline(report: MultilabelReport) -> None:
    """Four scores, each with a plain sentence under it that starts with its 95% interval; the test texts; then how
    the model compares with giving every text the most common set of labels."""
    cards = [(label, shape.format(getattr(report, name)), _interval(report, name, shape) + text)
             for name, label, shape, text in HEADLINE]
    cards.append(("Test texts", f"{report.n_test:,}", "Held out from training: the model never saw them."))
    for column, (label, value, sentence) in zip(st.columns(len(cards)), cards):
        with column:
            st.metric(label, value, border=True, help="The interval under it: where the score would land 95 times in "
                                                      "100 on another test set of the same size (bootstrap).")
            st.caption(sentence)
    st.caption(" · ".join(f"{label} {_score(report, name, '{:.2f}')}: {text}" for name, label, text in MORE))
    base = report.baseline
    if base is None:
        return
    name = escape_md(f"“{base.labels.replace('|', ', ')}”" if base.labels else "no label at all")
    blind = f"giving every text {name}, the most common set of labels, without reading it"
    low = report.intervals.get("micro_f1", (report.micro_f1,))[0]
    if low <= base.micro_f1:
        st.warning(f"Not worth it as it is: {blind} would score micro-F1 {base.micro_f1:.2f}, against the model's "
                   f"{report.micro_f1:.2f}. Try another model, or add training texts of the rarer labels.")
        return
    note = ""
    if base.subset_accuracy >= report.subset_accuracy:
        note = (f" That blind answer does get every label right on more texts ({base.subset_accuracy:.1%} against "
                f"{report.subset_accuracy:.1%}): many texts have just that set, and the model adds or misses a label "
                "on some of them. The Missed or added tab shows which.")
    st.success(f"Worth it: micro-F1 {report.micro_f1:.2f}, against {base.micro_f1:.2f} for {blind}.{note}")


def per_label(report: MultilabelReport) -> None:
    """Weakest labels first, each with the threshold from which the model gives it."""
    scores_table(pd.DataFrame([row.to_dict() for row in report.per_label]), "label", key="per_label", help_text={
        "precision": "Of the texts given this label, the share that really have it.",
        "recall": "Of the texts that have this label, the share the model gave it to.",
        "f1": "The balance of precision and recall."},
        threshold=st.column_config.NumberColumn("Threshold", format="%.2f",
                                                help="The model gives the label from this probability on."))
    st.plotly_chart(multilabel_charts.label_confusions(report.classes, report.label_confusion), key="label_confusions")
    st.caption("Each label on its own: of the texts that have it (bottom row), how many the model gave it to; of "
               "those that do not (top row), how many it wrongly gave it to.")


def missed_added(report: MultilabelReport, predictions: pd.DataFrame, run_id: int) -> None:
    """The missed-or-added matrix; a click on a cell (or the two pickers) lists the texts behind it."""
    options = [*report.classes, NOTHING]
    missed_key, added_key = f"results.missed.{run_id}", f"results.added.{run_id}"
    if missed_key not in st.session_state:
        matrix = np.asarray(report.missed_added)
        matrix[-1, -1] = -1  # the right answers are not a mistake to open on
        i, j = np.unravel_index(int(np.argmax(matrix)), matrix.shape)
        st.session_state[missed_key], st.session_state[added_key] = options[i], options[j]

    def cell_clicked() -> None:
        points = st.session_state["missed_added"]["selection"]["points"]
        if points:  # by position: the hover's names are escaped for plotly, the label names are not
            row, column = int(points[0]["y"]), int(points[0]["x"])
            st.session_state[missed_key], st.session_state[added_key] = options[row], options[column]

    figure = multilabel_charts.missed_added(report.missed_added, report.classes,
                                            (st.session_state[missed_key], st.session_state[added_key]))
    st.plotly_chart(figure, key="missed_added", on_select=cell_clicked, selection_mode="points")
    st.caption(f"Each row is a label the model missed, each column a label it added that the text does not have: a "
               f"cell counts the texts where it gave the column's label in place of the row's. The {NOTHING} column "
               f"holds misses with nothing added, the {NOTHING} row additions with nothing missed; its last cell, "
               "the texts with every label right. **Click a cell** to list its texts below.")
    left, right = st.columns(2)
    missed = left.selectbox("Missed label", options, key=missed_key)
    added = right.selectbox("Added label", options, key=added_key)
    rows = behind_cell(predictions, None if missed == NOTHING else missed, None if added == NOTHING else added)
    st.markdown(f"**{len(rows):,}** test texts with "
                + (f"**{escape_md(missed)}** missed" if missed != NOTHING else "nothing missed") + " and "
                + (f"**{escape_md(added)}** added" if added != NOTHING else "nothing added") + ".")
    label_table(shown(rows), key="missed_added_examples")


def label_table(rows: pd.DataFrame, key: str) -> None:
    st.dataframe(rows[["text", "label", "predicted", "missing", "extra"]], key=key, hide_index=True, column_config={
        "text": st.column_config.TextColumn("Text", width="large"),
        "label": st.column_config.TextColumn("True labels", help="Joined by |."),
        "predicted": st.column_config.TextColumn("Predicted labels", help="Joined by |."),
        "missing": st.column_config.TextColumn("Missing", help="Labels the text has that the model did not give."),
        "extra": st.column_config.TextColumn("Extra", help="Labels the model gave that the text does not have."),
    })


def curves(report: MultilabelReport) -> None:
    """One label's ROC and precision-recall curves, the label picked from a list, the hardest first."""
    drawn = sorted(report.curves, key=lambda c: c.average_precision)
    if not drawn:
        st.info("Every test text has the same labels, so there is nothing to tell apart and no curve to draw.")
        return
    by_name = {c.class_name: c for c in drawn}
    name = st.selectbox("Label", list(by_name), key="results.curve_label",
                        help="The labels the model separates worst come first.")
    left, right = st.columns(2)
    left.plotly_chart(report_charts.one_vs_rest([by_name[name]], "roc"), key="roc")
    right.plotly_chart(report_charts.one_vs_rest([by_name[name]], "pr"), key="pr")
    st.caption("The label against its absence. **ROC:** how many of the label's texts the model finds (up) for how "
               "many others it wrongly gives it (right); the area under it (AUC) is 1 for perfect and 0.5 for "
               "guessing. **Precision-recall:** how many texts given the label have it as the model finds more of "
               "them; its average precision (AP) matters most for rare labels.")


def mistake_browser(predictions: pd.DataFrame, classes: list[str]) -> None:
    """Texts with some label wrong, the most labels wrong first, with what is missing and what is extra."""
    a, b = st.columns([1, 2])
    label = a.selectbox("Label missing or extra", [ANY, *classes], key="results.mistakes.label")
    query = b.text_input("Search the texts", key="results.mistakes.query", placeholder="a word or phrase")
    rows = shown(mistakes(predictions, None if label == ANY else label, query))
    total = int((predictions["label"].fillna("") != predictions["predicted"].fillna("")).sum())
    st.markdown(f"**{len(rows):,}** of the **{total:,}** test texts with some label wrong (of "
                f"**{len(predictions):,}**), the most labels wrong first.")
    label_table(rows, key="mistakes_table")
    st.download_button("Download these mistakes (CSV)", csv_for_excel(rows.drop(columns="wrong")),
                       file_name="mistakes.csv", mime="text/csv", key="results.mistakes.download")
