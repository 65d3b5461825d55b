import pandas as pd
import streamlit as st

from core.data import DataError, guess_columns, prepare, split, validate
from core.reading import SUPPORTED, read_file
from core.datasets import save_dataset
from core.samples import SAMPLES
from dashboard import navigation
from dashboard.charts import class_distribution
from dashboard.components import escape_md, show_issues
from dashboard.state import DATASET, DRAFT, current, get_store, remember

st.title("Data")
st.write("Choose the texts the model will learn from: a ready-made sample, or your own table with one column "
         "of texts and one column of labels.")


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def read_upload(content: bytes, filename: str) -> pd.DataFrame:
    return read_file(content, filename).table


@st.cache_data(show_spinner="Loading the sample…")
def read_sample(name: str) -> pd.DataFrame:
    return SAMPLES[name].load()


st.subheader("Start from a sample")
for column, sample in zip(st.columns(len(SAMPLES)), SAMPLES.values()):
    with column:
        if st.button(sample.title, key=f"sample.{sample.name}", use_container_width=True):
            try:
                remember(DRAFT, (sample.title, read_sample(sample.name)))
            except DataError as exc:
                st.error(escape_md(exc))
        st.caption(sample.description)

st.subheader("…or upload your own table")


def on_upload() -> None:
    upload = st.session_state["upload"]
    if upload is None:
        return
    try:
        remember(DRAFT, (upload.name, read_upload(upload.getvalue(), upload.name)))
    except DataError as exc:
        remember(DRAFT, None)
        st.session_state["upload_error"] = str(exc)


st.file_uploader("CSV, TSV, TXT, JSON Lines, Excel or Parquet", type=[s.lstrip(".") for s in SUPPORTED], key="upload",
                 on_change=on_upload, help="One row per example. Excel: the first sheet is read.")
if error := st.session_state.pop("upload_error", None):
    st.error(escape_md(error))

draft = current(DRAFT)
if draft is None:
    st.info("Pick a sample or upload a file to continue.")
    st.stop()

name, df = draft
st.divider()
st.subheader("What was read")
st.text(f"{name}: {len(df):,} rows, {df.shape[1]} columns")
st.dataframe(df.head(200), hide_index=True, height=240)

guessed_text, guessed_label = guess_columns(df)
columns = list(df.columns)
left, right = st.columns(2)
text_col = left.selectbox("Column with the texts", columns, index=columns.index(guessed_text), key=f"text_col.{name}")
label_col = right.selectbox("Column with the labels", columns, key=f"label_col.{name}",
                            index=columns.index(guessed_label) if guessed_label in columns else None,
                            placeholder="Choose the label column")

issues = validate(df, text_col, label_col)
if label_col is not None and label_col != text_col:
    st.plotly_chart(class_distribution(df[label_col].dropna()), key="class_distribution")
show_issues(issues)
if any(i.level == "error" for i in issues):
    st.stop()

st.subheader("Hold out texts for checking")
st.write("The model learns from the training share. The validation share steers training; the test share is "
         "kept apart and only used at the end to measure how well the model does on texts it never saw.")
a, b, c = st.columns(3)
val_pct = a.slider("Validation share (%)", 5, 30, 10, step=5)
test_pct = b.slider("Test share (%)", 10, 40, 20, step=5)
seed = c.number_input("Split seed", 0, 2**31 - 1, 42, help="The same seed always gives the same split.")

if st.button("Use this dataset", type="primary"):
    try:
        prepared = split(prepare(df, text_col, label_col), val_pct / 100, test_pct / 100, int(seed))
    except DataError as exc:
        st.error(escape_md(exc))
        st.stop()
    dataset = save_dataset(get_store(), prepared, name)
    remember(DATASET, dataset.id)
    counts = prepared["split"].value_counts()
    st.success(f"Saved {escape_md(dataset.name)}: {counts.get('train', 0):,} training, {counts.get('val', 0):,} "
               f"validation and {counts.get('test', 0):,} test texts.")
if current(DATASET):
    navigation.link(navigation.TRAIN, "Next: train a model")
