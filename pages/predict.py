import functools
import random

import pandas as pd
import streamlit as st

from core.data.preparation import guess_columns
from core.data.reading import SUPPORTED, ReadResult, read_file
from core.errors import DataError
from core.evaluation.confidence import Scores, downloaded_scores, run_scores, trust
from core.evaluation.report import probability_column
from core.inference.attributions import gradient, occlusion
from core.inference.prediction import (NO_TEXT, NOTE_COLUMN, alongside, csv_for_excel, load_run_model,
                                       predict_every_row, predict_table, without_text)
from core.models.imported import imported_folder
from core.models.loading import load_folder
from core.store.shared_storage import run_files
from core.wording import count
from core.workspace import PREDICTIONS_FILE
from dashboard import explanations, model_views, reading_views
from dashboard.charts import probabilities
from dashboard.components import escape_md, finished_run_or_stop, run_label
from dashboard.limits_views import too_big, upload_mb
from dashboard.state import BATCH, current, get_store, remember

# Texts per call while predicting a file, so the progress bar moves and memory stays flat on large files.
CHUNK = 500
PREVIEW_ROWS = 1000

TRAINED, IMPORTED = "Trained here", "Imported from a file"
# A model as the cache knows it: ("run", run id, when it finished) or ("imported", import id, when it was imported);
# a run resumed after a stop finishes again with a new model.
Source = tuple[str, int, float]

st.title("Predict")
store = get_store()
datasets = {d.id: d for d in store.list_datasets()}
runs = store.runs_with_model()
# Every run's classes, those of runs shared from datasets this person cannot see included: models with another set of
# classes are no fair comparison.
run_classes = {d.id: d.classes for d in store.as_viewer(None).list_datasets()}
if "predict.origin" not in st.session_state:
    # A refresh or a shared link (?imported=ID) reopens an imported model; otherwise a run, when there is one.
    st.session_state["predict.origin"] = IMPORTED if "imported" in st.query_params or not runs else TRAINED
origin = st.radio("Which model", [TRAINED, IMPORTED], horizontal=True, key="predict.origin")
if origin == TRAINED:
    st.query_params.pop("imported", None)
    run = finished_run_or_stop(store, "Model", key="predict.run")
    source, name = ("run", run.id, run.finished_at or 0.0), run_label(run, datasets)
    label_set = set(run_classes[run.dataset_id])
else:
    run = None
    imported = model_views.imported_picker(store)
    if imported is None:
        st.stop()
    source, name = ("imported", imported.id, imported.imported_at), model_views.imported_label(imported)
    label_set = set(imported.classes)


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def model_of(source: Source):
    kind, number, _ = source
    if kind == "run":
        return load_run_model(get_store(), number)
    return load_folder(imported_folder(number, get_store().root))  # checked when it was imported


@st.cache_data(max_entries=32, show_spinner="Weighing each word…")
def explain(source: Source, text: str, method: str):
    model = model_of(source)
    return occlusion(model, text) if method == explanations.OCCLUSION else gradient(model, text)


@st.cache_resource(show_spinner="Reading the file…", max_entries=2)
def read_upload(file_id: str, filename: str, options: tuple, _content: bytes) -> ReadResult:
    """Read once per uploaded file (its id, not its bytes, is the key) and settings, shared between reruns."""
    return read_file(_content, filename, **dict(options))


@st.cache_data(max_entries=8, show_spinner=False)
def scores_of(source: Source) -> Scores | None:
    """The test accuracy and reliability bands that say how far to trust the model's confidence; None if unknown."""
    kind, number, _ = source
    if kind == "run":
        return run_scores(run_files(get_store(), number))
    return downloaded_scores(imported_folder(number, get_store().root))


def fill_example() -> None:
    """Put a random held-out test text in the box, so a demo needs no typing."""
    texts = pd.read_parquet(run_files(store, run.id) / PREDICTIONS_FILE, columns=["text"])["text"].tolist()
    st.session_state["predict.text"] = random.choice(texts)


def show_prediction(shown: Source, text: str, chart_key: str) -> None:
    model = model_of(shown)
    row = predict_table(model, [text]).iloc[0]
    classes = [str(c) for c in model.classes_]
    st.metric("Predicted label", escape_md(row["predicted"]), help="The class with the highest probability.")
    verdict = trust(float(row["confidence"]), scores_of(shown))
    (st.warning if verdict.warn else st.caption)(escape_md(verdict.sentence))
    st.plotly_chart(probabilities(classes, [float(row[probability_column(c)]) for c in classes]), key=chart_key)


def one_text() -> None:
    text = st.text_area("Text to classify", key="predict.text", height=120,
                        placeholder="Type or paste a text" + (", or press 'Random test example'." if run else "."))
    left, right, _ = st.columns([1, 2, 5])
    left.button("Predict", type="primary", key="predict.predict")
    right.button("Random test example", on_click=fill_example, key="predict.example", disabled=run is None,
                 help=None if run else "An imported model brings no test texts with it.")
    candidates = [r for r in runs if run is None or r.id != run.id]
    others = {r.id: r for r in candidates if set(run_classes.get(r.dataset_id, ())) == label_set}
    left_out = len(candidates) - len(others)
    # 0, not None, stands for no other model: Streamlit shows a None choice as an empty "Choose an option".
    other = st.selectbox("Compare with", [0, *others], key="predict.compare", disabled=not others,
                         format_func=lambda i: run_label(others[i], datasets) if i else "No other model",
                         help="Another finished model with the same classes, to see both predictions of the same "
                              "text side by side." + (f" {count(left_out, 'model')} trained on other classes "
                                                      f"{'is' if left_out == 1 else 'are'} not listed." if left_out
                                                      else ""))
    if not (text or "").strip():
        return
    if not other:
        show_prediction(source, text, "probabilities")
    else:
        shown = ((source, name), (("run", other, others[other].finished_at or 0.0), run_label(others[other], datasets)))
        for column, (model, label), key in zip(st.columns(2), shown, ("probabilities", "predict.compare.chart")):
            with column:
                st.markdown(f"**{escape_md(label)}**")
                show_prediction(model, text, key)
    st.subheader("Which words mattered")
    if other:
        st.caption(f"For {escape_md(name)}.")
    explanations.show(text, lambda method: explain(source, text, method))


def predict_all(texts: list[str]) -> pd.DataFrame:
    model, parts = model_of(source), []
    bar = st.progress(0.0, text="Predicting…")
    for start in range(0, len(texts), CHUNK):
        parts.append(predict_table(model, texts[start : start + CHUNK]))
        done = min(start + CHUNK, len(texts))
        bar.progress(done / len(texts), text=f"Predicted {done:,} of {len(texts):,} texts")
    bar.empty()
    return pd.concat(parts, ignore_index=True)


def a_file() -> None:
    st.write("Upload a table with a column of texts: every text gets a predicted label, which you can download.")
    upload = st.file_uploader("CSV, TSV, TXT, JSON, JSON Lines, Excel or Parquet",
                              type=[s.lstrip(".") for s in SUPPORTED], key="predict.upload",
                              max_upload_size=upload_mb())
    if upload is None:
        return
    if why := too_big(upload):
        st.error(f"{escape_md(upload.name)} was not read. {escape_md(why)}")
        return
    read_key = f"predict.read.{upload.file_id}"
    options = reading_views.chosen_options(read_key)
    try:
        result = read_upload(upload.file_id, upload.name, tuple(sorted(options.items())), upload.getvalue())
    except DataError as exc:
        st.error(escape_md(exc))
        reading_views.options_after_error(upload.name, read_key)
        return
    reading_views.report(result, upload.name)
    reading_views.options(result, read_key)
    if not result.rows:
        return
    df = result.table
    columns = list(df.columns)
    column = st.selectbox("Column with the texts", columns, index=columns.index(guess_columns(df)[0]),
                          key=f"predict.text_col.{upload.name}")
    empty = without_text(df[column])
    if empty.all():
        st.warning(f"The column {escape_md(column)} has no texts.")
        return
    if blank := int(empty.sum()):
        st.caption(f"{count(blank, 'row')} of the {len(df):,} {'has' if blank == 1 else 'have'} no text. In the "
                   f"results each keeps its place, with no prediction and “{NO_TEXT}” in the {NOTE_COLUMN} column.")
    batch_source = (source, upload.file_id, column)
    if st.button("Predict all", type="primary", key="predict.all"):
        predicted = predict_every_row(df[column], predict_all).drop(columns="text")
        remember(BATCH, (batch_source, alongside(df, predicted)))
    done = current(BATCH)
    if done is None or done[0] != batch_source:
        return
    table = done[1]
    # The file's own columns come first; one of them may well be named like ours (see `alongside`).
    shares = {c: st.column_config.NumberColumn(format="percent") for c in table.columns[len(df.columns):]
              if c not in ("predicted", NOTE_COLUMN)}
    st.dataframe(table.head(PREVIEW_ROWS), hide_index=True, column_config=shares, key="predict.results")
    if len(table) > PREVIEW_ROWS:
        st.caption(f"The first {PREVIEW_ROWS:,} of {len(table):,} rows; the download has them all.")
    # The CSV is written only when the button is pressed, not on every rerun.
    st.download_button("Download the predictions (CSV)", functools.partial(csv_for_excel, table),
                       file_name=f"predictions-{source[0]}-{source[1]}.csv", mime="text/csv", on_click="ignore",
                       key="predict.download")


# Only the open tab is drawn, and it is kept in the address bar.
for tab, view in zip(st.tabs(["One text", "A file of texts"], key="tab", bind="query-params"), (one_text, a_file)):
    if tab.open:
        with tab:
            view()
