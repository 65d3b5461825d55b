import functools
import random

import pandas as pd
import streamlit as st

from core.data.preparation import guess_columns
from core.data.reading import SUPPORTED
from core.inference.prediction import NO_TEXT, NOTE_COLUMN, alongside, predict_every_row, without_text
from core.store.shared_storage import run_files
from core.wording import count
from core.workspace import PREDICTIONS_FILE
from dashboard import model_views, predict_views
from dashboard.components import escape_md, finished_run_or_stop, run_label
from dashboard.limits_views import upload_mb
from dashboard.state import BATCH, current, get_store, remember

TRAINED, IMPORTED = "Trained here", "Imported from a file"

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


def fill_example() -> None:
    """Put a random held-out test text in the box, so a demo needs no typing."""
    texts = pd.read_parquet(run_files(store, run.id) / PREDICTIONS_FILE, columns=["text"])["text"].tolist()
    st.session_state["predict.text"] = random.choice(texts)


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
        predict_views.show_prediction(source, text, "probabilities")
    else:
        shown = ((source, name), (("run", other, others[other].finished_at or 0.0), run_label(others[other], datasets)))
        for column, (model, label), key in zip(st.columns(2), shown, ("probabilities", "predict.compare.chart")):
            with column:
                st.markdown(f"**{escape_md(label)}**")
                predict_views.show_prediction(model, text, key)
    st.subheader("Which words mattered")
    if other:
        st.caption(f"For {escape_md(name)}.")
    predict_views.which_words(source, text)


def a_file() -> None:
    st.write("Upload a table with a column of texts: every text gets a predicted label, which you can download.")
    upload = st.file_uploader("CSV, TSV, TXT, JSON, JSON Lines, Excel or Parquet",
                              type=[s.lstrip(".") for s in SUPPORTED], key="predict.upload",
                              max_upload_size=upload_mb())
    if upload is None:
        return
    result = predict_views.uploaded_table(upload)
    if result is None or not result.rows:
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
        predict = functools.partial(predict_views.predict_all, source)
        predicted = predict_every_row(df[column], predict).drop(columns="text")
        remember(BATCH, (batch_source, alongside(df, predicted)))
    done = current(BATCH)
    if done is None or done[0] != batch_source:
        return
    predict_views.predictions(done[1], len(df.columns), source)


# Only the open tab is drawn, and it is kept in the address bar.
for tab, view in zip(st.tabs(["One text", "A file of texts"], key="tab", bind="query-params"), (one_text, a_file)):
    if tab.open:
        with tab:
            view()
