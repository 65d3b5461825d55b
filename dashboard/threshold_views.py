"""The Results page's threshold sliders of a multi-label run: pick a label, move its threshold, see at once what
it does to that label's scores and the overall ones, and keep the thresholds with the model."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.formats.thresholds import LabelThresholds
from core.data.multilabel import indicator
from core.evaluation.multilabel_records import MultilabelReport
from core.evaluation.multilabel_report import probabilities, true_labels
from core.evaluation.multilabel_scores import threshold_effect
from core.evaluation.report import keep_thresholds
from core.workspace import MODEL_DIR
from dashboard.components import escape_md
from dashboard.state import test_predictions


def _key(run_id: int, label: str) -> str:
    return f"results.label_threshold.{run_id}.{label}"


def _slider_value(threshold: float) -> float:
    return round(float(threshold), 2)


def chosen(report: MultilabelReport, run_id: int) -> LabelThresholds:
    """The thresholds as the sliders have them. A label whose slider still shows the model's threshold (rounded to
    the slider's step) keeps it exactly, so looking at a label changes nothing."""
    saved = report.thresholds
    values = {}
    for c, t in zip(report.classes, saved.for_classes(report.classes)):
        slider = st.session_state.get(_key(run_id, c), _slider_value(t))
        values[c] = float(t) if slider == _slider_value(t) else float(slider)
    return LabelThresholds(values, saved.fallback,
                           bool(st.session_state.get(f"results.at_least_one.{run_id}", saved.at_least_one)))


def _same(a: LabelThresholds, b: LabelThresholds, classes: list[str]) -> bool:
    return a.at_least_one == b.at_least_one and bool((a.for_classes(classes) == b.for_classes(classes)).all())


def _delta(now: float, before: float, percent: bool) -> str | None:
    if abs(now - before) < 0.0005:
        return None
    return f"{now - before:+.1%} vs kept" if percent else f"{now - before:+.3f} vs kept"


def thresholds(report: MultilabelReport, predictions: pd.DataFrame, folder: Path, run_id: int) -> None:
    """A slider per label (the picked label's shown) and the 'at least one label' switch; the scores they give on
    the test texts next to the kept thresholds' scores; a button to keep them."""
    classes = report.classes
    truth01 = indicator(true_labels(predictions), classes)
    proba = probabilities(predictions, classes)
    kept = report.thresholds
    left, right = st.columns([1, 2])
    by_weakness = [row.label for row in sorted(report.per_label, key=lambda row: row.f1)]
    label = left.selectbox("Label", by_weakness, key=f"results.threshold_label.{run_id}",
                           help="The weakest labels come first.")
    key = _key(run_id, label)
    if key not in st.session_state:
        st.session_state[key] = _slider_value(kept.for_classes([label])[0])
    right.slider("Threshold", 0.0, 1.0, step=0.01, key=key,
                 help=f"A text is given {escape_md(label)} when its probability of it reaches this.")
    st.toggle("Always give at least the most likely label", key=f"results.at_least_one.{run_id}",
              value=kept.at_least_one,
              help="A text that no label reaches the threshold of still gets the one it is most likely to have.")
    now_thresholds = chosen(report, run_id)
    now, before = threshold_effect(truth01, proba, classes, now_thresholds), threshold_effect(truth01, proba,
                                                                                             classes, kept)
    k = classes.index(label)
    st.markdown(f"**{escape_md(label)}** on its own ({int(now.per_label['support'][k]):,} test texts have it):")
    for column, name in zip(st.columns(3), ("precision", "recall", "f1")):
        value, was = float(now.per_label[name][k]), float(before.per_label[name][k])
        column.metric(name.capitalize() if name != "f1" else "F1", f"{value:.1%}", border=True,
                      delta=_delta(value, was, percent=True))
    st.markdown("**All labels together:**")
    overall = (("micro_f1", "Micro-F1", False), ("macro_f1", "Macro-F1", False),
               ("subset_accuracy", "Every label right", True))
    for column, (name, title, percent) in zip(st.columns(3), overall):
        value, was = getattr(now, name), getattr(before, name)
        column.metric(title, f"{value:.1%}" if percent else f"{value:.3f}", border=True,
                      delta=_delta(value, was, percent))
    st.caption("Raise a label's threshold to give it only when sure (fewer wrong labels, higher precision); lower it "
               "to miss fewer (higher recall). The thresholds the model has now were tuned on the validation texts; "
               "tuning them on these test texts makes the test scores look better than new texts will.")
    if not _same(now_thresholds, kept, classes):
        st.button("Keep these thresholds", key=f"results.keep_thresholds.{run_id}", type="primary",
                  on_click=_keep, args=(folder, run_id, now_thresholds),
                  help="The model will answer with these thresholds from now on: here, on the Predict page and in "
                       "downloads.")
    message = st.session_state.pop(f"results.kept.{run_id}", None)
    if message:
        (st.success if message[0] == "ok" else st.error)(escape_md(message[1]))


def _keep(folder: Path, run_id: int, chosen_thresholds: LabelThresholds) -> None:
    """Save the thresholds in the model, then redo the test predictions and report with them."""
    # Imported on use, so the Results page opens even with a core.models.loading that predates multi-label models.
    from core.models.loading import save_label_thresholds
    try:
        save_label_thresholds(folder / MODEL_DIR, chosen_thresholds)
        keep_thresholds(folder, chosen_thresholds)
    except (OSError, ValueError) as error:
        st.session_state[f"results.kept.{run_id}"] = ("error", f"The thresholds could not be kept: {error}")
        return
    test_predictions.clear()
    st.session_state[f"results.kept.{run_id}"] = ("ok", "Kept: the model now answers with these thresholds.")
