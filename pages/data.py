"""Data: a sample or an upload, exactly what was read, the quality report with its fixes, and the saved dataset."""
from pathlib import Path

import pandas as pd
import streamlit as st

from core.data import guess_columns, prepare, validate
from core.datasets import save_dataset
from core.errors import DataError
from core.labels import LabelOptions, clean_labels, is_numeric, label_ids
from core.quality import CASEFOLD, apply_fix
from core.reading import SUPPORTED, ReadResult, read_file
from core.samples import SAMPLES
from core.splitting import split, split_columns
from core.uploads import keep_upload, kept_name, open_upload
from dashboard import navigation, quality_views, reading_views
from dashboard.charts import class_distribution
from dashboard.components import escape_md
from dashboard.dataset_views import saved_datasets
from dashboard.state import DATASET, DRAFT, FIXES, current, get_store, remember

RANDOM = "random"
MAX_NAMED_IDS = 50  # numeric labels offered for naming; more are ids of something else


@st.cache_resource(max_entries=4, show_spinner="Reading the file…")
def read_upload(sha: str, options: tuple, _raw: bytes | None = None) -> ReadResult:
    """Read once per file and settings, shared by every session; `_raw` (not hashed) spares re-reading the disk."""
    kept = (_raw, kept_name(sha)) if _raw is not None else open_upload(sha)
    if kept is None:
        raise DataError("This upload is no longer kept on the server; upload the file again.")
    return read_file(kept[0], kept[1], **dict(options))


@st.cache_resource(show_spinner="Loading the sample…")
def read_sample(name: str) -> ReadResult:
    return ReadResult(SAMPLES[name].load(), "built-in sample")


def start_sample(name: str) -> None:
    remember(DRAFT, {"name": SAMPLES[name].title, "sample": name})
    remember(FIXES, None)
    st.query_params.clear()
    st.query_params["sample"] = name


def on_upload() -> None:
    upload = st.session_state["upload"]
    if upload is None:
        return
    sha = keep_upload(upload.getvalue(), upload.name)
    remember(DRAFT, {"name": upload.name, "upload": sha, "file_id": upload.file_id})
    remember(FIXES, None)
    st.query_params.clear()
    st.query_params["upload"] = sha


def reopened() -> dict | None:
    """The draft named in the URL, so a refresh or a restarted server opens the same file again."""
    sha, sample = st.query_params.get("upload"), st.query_params.get("sample")
    if sha and (name := kept_name(sha)):
        return {"name": name, "upload": sha}
    if sample in SAMPLES:
        return {"name": SAMPLES[sample].title, "sample": sample}
    return None


def read(draft: dict, options: dict) -> ReadResult:
    if draft.get("sample"):
        return read_sample(draft["sample"])
    upload = st.session_state.get("upload")
    raw = upload.getvalue() if upload is not None and upload.file_id == draft.get("file_id") else None
    return read_upload(draft["upload"], tuple(sorted(options.items())), _raw=raw)


st.title("Data")
st.write("Choose the texts the model will learn from: a ready-made sample, or your own table with one column "
         "of texts and one column of labels.")
store = get_store()
saved_datasets(store)

st.subheader("Start from a sample")
for column, sample in zip(st.columns(len(SAMPLES)), SAMPLES.values()):
    column.button(sample.title, key=f"sample.{sample.name}", use_container_width=True, on_click=start_sample,
                  args=(sample.name,))
    column.caption(sample.description)

st.subheader("…or upload your own table")
st.file_uploader("CSV, TSV, TXT, JSON, JSON Lines, Excel, Parquet, or a ZIP of folders (one per class)",
                 type=[s.lstrip(".") for s in SUPPORTED], key="upload", on_change=on_upload,
                 help="One row per example, with a column of texts and a column of labels. The encoding, separator "
                      "and header are detected, and you can change them after reading. A ZIP holds one folder per "
                      "class, each with one .txt file per example.")

draft = current(DRAFT) or reopened()
if draft is None:
    st.info("Pick a sample or upload a file to continue.")
    st.stop()
remember(DRAFT, draft)
name, sha = draft["name"], draft.get("upload")
read_key = f"read.{sha or draft['sample']}"
options = reading_views.chosen_options(read_key)

st.divider()
st.subheader("What was read")
try:
    result = read(draft, options)
except DataError as exc:
    st.error(escape_md(exc))
    reading_views.options_after_error(name, read_key)
    st.info("Pick a sample or upload another file.")
    st.stop()
reading_views.report(result, name)
reading_views.options(result, read_key)
if sha:
    for earlier in store.datasets_from_source(sha)[:1]:
        st.info(f"You saved this file before, as **{escape_md(earlier.name)}**.")
        st.button(f"Use '{earlier.name}'", key="use_earlier", on_click=remember, args=(DATASET, earlier.id))
if not result.rows:
    st.stop()

fixes = current(FIXES)
if fixes is None or fixes["for"] != (read_key, options):
    fixes = {"for": (read_key, options), "table": result.table, "done": [], "checked": {}}
    remember(FIXES, fixes)
df = fixes["table"]
# Column choices belong to one reading of the file: another sheet or separator brings other columns.
table_key = ".".join([name, *(f"{k}={v}" for k, v in sorted(options.items()))])
st.dataframe(df.head(200), hide_index=True, height=240, key="preview")
st.caption(f"The first {min(len(df), 200):,} of {len(df):,} rows.")

st.subheader("Texts and labels")
guessed_text, guessed_label = guess_columns(df)
columns = list(df.columns)
left, middle, right = st.columns(3)
text_col = left.selectbox("Column with the texts", columns, index=columns.index(guessed_text), key=f"text_col.{table_key}")
label_col = middle.selectbox("Column with the labels", columns, key=f"label_col.{table_key}",
                             index=columns.index(guessed_label) if guessed_label in columns else None,
                             placeholder="Choose the label column")
found_splits = split_columns(df)
split_choice = right.selectbox("Test texts", [RANDOM, *found_splits], key=f"split_col.{table_key}",
                               index=1 if found_splits else 0,
                               format_func=lambda c: "Held out at random" if c == RANDOM else f"As column '{c}' says",
                               help="Use your own split when your file says which rows are for training and which "
                                    "for testing; otherwise a share of each class is held out at random.")
split_col = None if split_choice == RANDOM else split_choice

labels = LabelOptions()
if label_col is not None and label_col != text_col:
    casefold = st.checkbox("Ignore capitals in labels ('Spam' and 'spam' are one class)", key=f"casefold.{table_key}")
    names = {}
    if is_numeric(df[label_col]):
        ids = sorted(label_ids(df[label_col]).dropna().unique(), key=int)
        if len(ids) <= MAX_NAMED_IDS:
            st.caption("The labels are numbers. Name them, and results will show the names instead.")
            # Keyed by the ids themselves: the editor keeps its edits by row, so other ids must start afresh.
            edited = st.data_editor(pd.DataFrame({"label": ids, "name": [""] * len(ids)}), disabled=["label"],
                                    hide_index=True, key=f"label_names.{table_key}.{label_col}.{'-'.join(ids)}")
            names = {i: n.strip() for i, n in zip(edited["label"], edited["name"]) if isinstance(n, str) and n.strip()}
    labels = LabelOptions(casefold=casefold, names=names)


def fix(key: str) -> None:
    if key == CASEFOLD:
        st.session_state[f"casefold.{table_key}"] = True
        return
    fixed, message = apply_fix(df, text_col, label_col, key, split_col, labels)
    remember(FIXES, {**fixes, "table": fixed, "done": [*fixes["done"], message], "checked": {}})


def undo() -> None:
    remember(FIXES, None)


# A million rows take seconds to check, so each choice of columns is checked once per version of the table.
choice = (text_col, label_col, split_col, labels.casefold, tuple(sorted(labels.names.items())))
if choice not in fixes["checked"]:
    with st.spinner("Checking the rows…"):
        fixes["checked"][choice] = validate(df, text_col, label_col, split_col, labels)
issues = fixes["checked"][choice]
if label_col is not None and label_col != text_col and not any(i.kind == "multilabel" for i in issues):
    st.plotly_chart(class_distribution(clean_labels(df[label_col], labels).dropna()), key="class_distribution")
st.subheader("Quality report")
quality_views.applied(fixes["done"], undo)
if not issues:
    st.success("No problems found: no empty or repeated texts, no conflicting labels, every class big enough.")
quality_views.findings(issues, df, fix)
if any(i.level == "error" for i in issues):
    st.stop()

st.subheader("Hold out texts for checking")
if split_col:
    st.write(f"Rows go to training, validation and test as column '{escape_md(split_col)}' says.")
    val_pct, test_pct, seed = 10, 20, 42
else:
    st.write("The model learns from the training share. The validation share steers training; the test share is "
             "kept apart and only used at the end to measure how well the model does on texts it never saw.")
    a, b, c = st.columns(3)
    val_pct = a.slider("Validation share (%)", 5, 30, 10, step=5)
    test_pct = b.slider("Test share (%)", 10, 40, 20, step=5)
    seed = c.number_input("Split seed", 0, 2**31 - 1, 42, help="The same seed always gives the same split.")
dataset_name = st.text_input("Dataset name", value=Path(name).stem if sha else name, key=f"dataset_name.{table_key}",
                             max_chars=200)

if st.button("Use this dataset", type="primary"):
    try:
        prepared = prepare(df, text_col, label_col, labels, split_col)
        parts = split(prepared, val_pct / 100, test_pct / 100, int(seed),
                      split_col=prepared["split"] if split_col else None)
    except DataError as exc:
        st.error(escape_md(exc))
        st.stop()
    dataset = save_dataset(store, parts, dataset_name.strip() or name, source_hash=sha)
    remember(DATASET, dataset.id)
    counts = parts["split"].value_counts()
    st.success(f"Saved {escape_md(dataset.name)}: {counts.get('train', 0):,} training, {counts.get('val', 0):,} "
               f"validation and {counts.get('test', 0):,} test texts.")
if current(DATASET):
    navigation.link(navigation.TRAIN, "Next: train a model")
