"""The Predict page's models, loaded once for every session, and its views: one text's prediction with how far to
trust it (a multi-label model's: every label against its threshold) and the words that pushed it, and a file's
predictions, made a chunk at a time and shown with their download."""
from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from core.data.reading import ReadResult
from core.errors import DataError
from core.evaluation.trust import Scores, downloaded_scores, run_scores, trust
from core.evaluation.report import probability_column
from core.inference.attributions import gradient, occlusion
from core.inference.prediction import (LABELS_COLUMN, NOTE_COLUMN, PREDICTED_COLUMN, csv_for_excel, is_multilabel,
                                       label_table, load_run_model, predict_table)
from core.models.imported import imported_folder
from core.models.loading import load_folder
from core.store.shared_storage import run_files
from dashboard import explanations, predicted_labels_views, reading_views
from dashboard.charts import probabilities
from dashboard.components import escape_md
from dashboard.limits_views import too_big
from dashboard.state import get_store

# Texts per call while predicting a file, so the progress bar moves and memory stays flat on large files.
CHUNK = 500
PREVIEW_ROWS = 1000
# A model as the cache knows it: ("run", run id, when it finished) or ("imported", import id, when it was imported);
# a run resumed after a stop finishes again with a new model.
Source = tuple[str, int, float]


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def model_of(source: Source):
    kind, number, _ = source
    if kind == "run":
        return load_run_model(get_store(), number)
    return load_folder(imported_folder(number, get_store().root))  # checked when it was imported


@st.cache_data(max_entries=32, show_spinner="Weighing each word…")
def explain(source: Source, text: str, method: str, target: str | None = None):
    """The words that pushed `target` (by default the most probable class), weighed by `method`."""
    model = model_of(source)
    return occlusion(model, text, target) if method == explanations.OCCLUSION else gradient(model, text, target)


@st.cache_data(max_entries=8, show_spinner=False)
def scores_of(source: Source) -> Scores | None:
    """The test accuracy and reliability bands that say how far to trust the model's confidence; None if unknown."""
    kind, number, _ = source
    if kind == "run":
        return run_scores(run_files(get_store(), number))
    return downloaded_scores(imported_folder(number, get_store().root))


def labels_of(source: Source, text: str) -> pd.DataFrame:
    """A multi-label model's `label_table` for one text."""
    model = model_of(source)
    return label_table(model.predict_proba([text])[0], model.classes_, model.label_thresholds_)


def show_prediction(shown: Source, text: str, chart_key: str) -> None:
    model = model_of(shown)
    if is_multilabel(model):
        # No sentence on how far to trust it: that is measured for one label per text, the most probable one.
        predicted_labels_views.show(labels_of(shown, text), model.label_thresholds_.at_least_one, chart_key)
        return
    row = predict_table(model, [text]).iloc[0]
    classes = [str(c) for c in model.classes_]
    st.metric("Predicted label", escape_md(row["predicted"]), help="The class with the highest probability.")
    verdict = trust(float(row["confidence"]), scores_of(shown))
    (st.warning if verdict.warn else st.caption)(escape_md(verdict.sentence))
    st.plotly_chart(probabilities(classes, [float(row[probability_column(c)]) for c in classes]), key=chart_key)


def which_words(source: Source, text: str) -> None:
    """The words that pushed the prediction; for a multi-label model, those that pushed the chosen label picked."""
    if not is_multilabel(model_of(source)):
        explanations.show(text, lambda method: explain(source, text, method))
        return
    table = labels_of(source, text)
    chosen = table.loc[table["chosen"], "label"].tolist()
    if not chosen:
        st.caption(f"For the most probable label, {escape_md(table['label'].iloc[0])}, though it stayed below its "
                   "threshold.")
    target = chosen[0] if chosen else table["label"].iloc[0]
    if len(chosen) > 1:
        target = st.segmented_control("For the label", chosen, default=chosen[0], required=True,
                                      key=f"predict.target.{'|'.join(chosen)}",
                                      help="Each chosen label was judged on its own, so each has words of its own.")
    explanations.show(text, lambda method: explain(source, text, method, target))


def uploaded_table(upload) -> ReadResult | None:
    """The uploaded file as read, with what was read and how to read it otherwise; None (having said why) when it
    was refused or could not be read."""
    if why := too_big(upload):
        st.error(f"{escape_md(upload.name)} was not read. {escape_md(why)}")
        return None
    read_key = f"predict.read.{upload.file_id}"
    options = reading_views.chosen_options(read_key)
    try:
        result = reading_views.read_upload(upload.file_id, tuple(sorted(options.items())),
                                           (upload.getvalue(), upload.name))
    except DataError as exc:
        st.error(escape_md(exc))
        reading_views.options_after_error(upload.name, read_key)
        return None
    reading_views.report(result, upload.name)
    reading_views.options(result, read_key)
    return result


def predict_all(source: Source, texts: list[str]) -> pd.DataFrame:
    model, parts = model_of(source), []
    bar = st.progress(0.0, text="Predicting…")
    for start in range(0, len(texts), CHUNK):
        parts.append(predict_table(model, texts[start : start + CHUNK]))
        done = min(start + CHUNK, len(texts))
        bar.progress(done / len(texts), text=f"Predicted {done:,} of {len(texts):,} texts")
    bar.empty()
    return pd.concat(parts, ignore_index=True)


def predictions(table: pd.DataFrame, file_columns: int, source: Source) -> None:
    """The file's rows with their predictions (the first of them), and the download of them all."""
    # The file's own columns come first; one of them may well be named like ours (see `alongside`).
    shares = {c: st.column_config.NumberColumn(format="percent") for c in table.columns[file_columns:]
              if c not in (PREDICTED_COLUMN, LABELS_COLUMN, NOTE_COLUMN)}
    st.dataframe(table.head(PREVIEW_ROWS), hide_index=True, column_config=shares, key="predict.results")
    if len(table) > PREVIEW_ROWS:
        st.caption(f"The first {PREVIEW_ROWS:,} of {len(table):,} rows; the download has them all.")
    # The CSV is written only when the button is pressed, not on every rerun.
    st.download_button("Download the predictions (CSV)", functools.partial(csv_for_excel, table),
                       file_name=f"predictions-{source[0]}-{source[1]}.csv", mime="text/csv", on_click="ignore",
                       key="predict.download")
