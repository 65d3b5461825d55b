"""Data: a sample or an upload, exactly what was read, the quality report with its fixes, and the saved dataset."""
from pathlib import Path

import streamlit as st

from core.data.labels import LabelOptions, clean_labels
from core.data.preparation import guess_columns, prepare_counted, validate
from core.data.quality import CASEFOLD
from core.data.reading import SUPPORTED
from core.data.samples import SAMPLES
from core.data.splitting import has_validation, split, split_columns
from core.errors import DataError
from core.store.datasets import save_dataset
from dashboard import drafts, navigation, quality_views, reading_views
from dashboard.components import escape_md
from dashboard.dataset_views import class_counts, saved_datasets
from dashboard.label_views import label_options
from dashboard.limits_views import server_limits, upload_mb
from dashboard.state import DATASET, DRAFT, FIXES, current, get_store, remember

RANDOM = "random"
PENDING_FIX = "data.pending_fix"  # the fix a button asked for, applied on the rerun it starts

st.title("Data")
st.write("Choose the texts the model will learn from: a ready-made sample, or your own table with one column "
         "of texts and one column of labels.")
store = get_store()
saved_datasets(store)

st.subheader("Start from a sample")
for column, sample in zip(st.columns(len(SAMPLES)), SAMPLES.values()):
    column.button(sample.title, key=f"sample.{sample.name}", use_container_width=True, on_click=drafts.start_sample,
                  args=(sample.name,))
    column.caption(sample.description)

st.subheader("…or upload your own table")
st.file_uploader("CSV, TSV, TXT, JSON, JSON Lines, Excel, Parquet, or a ZIP of folders (one per class)",
                 type=[s.lstrip(".") for s in SUPPORTED], key="upload", on_change=drafts.on_upload,
                 max_upload_size=upload_mb(),
                 help="One row per example, with a column of texts and a column of labels. The encoding, separator "
                      "and header are detected, and you can change them after reading. A ZIP holds one folder per "
                      "class, each with one .txt file per example.")
if refused := st.session_state.pop(drafts.REFUSED, None):
    st.error(escape_md(refused))

draft = current(DRAFT) or drafts.reopened()
if draft is None:
    st.info("Pick a sample or upload a file to continue.")
    st.stop()
remember(DRAFT, draft)
name, sha, read_key = draft["name"], draft.get("upload"), draft["key"]
options = reading_views.chosen_options(read_key)

st.divider()
st.subheader("What was read")
try:
    result = drafts.read(draft, options)
except DataError as exc:
    st.error(escape_md(exc))
    reading_views.options_after_error(name, read_key)
    st.info("Pick a sample or upload another file.")
    st.stop()
reading_views.report(result, name)
reading_views.options(result, read_key)
try:
    server_limits().check_rows(len(result.table))
except ValueError as exc:
    st.error(escape_md(exc))
    st.stop()
if sha:
    for earlier in store.datasets_from_source(sha)[:1]:
        st.info(f"You saved this file before, as **{escape_md(earlier.name)}**.")
        st.button(f"Use '{escape_md(earlier.name)}'", key="use_earlier", on_click=remember, args=(DATASET, earlier.id))
if not result.rows:
    st.stop()

fixes = drafts.fixed(draft, result, options)
if pending := st.session_state.pop(PENDING_FIX, None):
    # Applied here rather than in the button's callback, where a million rows would take seconds with no spinner.
    with st.spinner("Applying the fix…"):
        fixes = drafts.apply(fixes, pending)
    remember(FIXES, fixes)
df = fixes["table"]
# Column choices belong to one reading of the file: another sheet or separator brings other columns.
table_key = ".".join([name, *(f"{k}={v}" for k, v in sorted(options.items()))])
st.dataframe(df.head(200), hide_index=True, height=240, key="preview")
st.caption(f"The first {min(len(df), 200):,} of {len(df):,} rows.")

st.subheader("Texts and labels")
columns = list(df.columns)
kept = drafts.restored_for(draft, options)
chosen = kept.get("columns", {})
guessed_text, guessed_label = (chosen[c] if chosen.get(c) in columns else guess
                               for c, guess in zip(("text", "label"), guess_columns(df)))
left, middle, right = st.columns(3)
text_col = left.selectbox("Column with the texts", columns, index=columns.index(guessed_text), key=f"text_col.{table_key}")
label_col = middle.selectbox("Column with the labels", columns, key=f"label_col.{table_key}",
                             index=columns.index(guessed_label) if guessed_label in columns else None,
                             placeholder="Choose the label column")
splits = [RANDOM, *split_columns(df)]
split_choice = right.selectbox("Test texts", splits, key=f"split_col.{table_key}",
                               index=splits.index(chosen["split"]) if chosen.get("split") in splits else min(1, len(splits) - 1),
                               format_func=lambda c: "Held out at random" if c == RANDOM else f"As column '{c}' says",
                               help="Use your own split when your file says which rows are for training and which "
                                    "for testing; otherwise a share of each class is held out at random.")
split_col = None if split_choice == RANDOM else split_choice

labels = LabelOptions()
if label_col is not None and label_col != text_col:
    labels = label_options(df, label_col, table_key, kept.get("labels", {}))
choices = {"text": text_col, "label": label_col, "split": split_col, "casefold": labels.casefold,
           "names": labels.names}
drafts.keep(draft, {"options": options, "columns": {"text": text_col, "label": label_col, "split": split_choice},
                    "labels": {"casefold": labels.casefold, "names": labels.names}, "fixes": fixes["applied"]})


def fix(key: str) -> None:
    if key == CASEFOLD:
        st.session_state[f"casefold.{table_key}"] = True
        return
    remember(PENDING_FIX, {"fix": key, **choices})


def undo() -> None:
    remember(FIXES, {**fixes, "table": result.table, "done": [], "applied": [], "checked": {}})


# A million rows take seconds to check, so each choice of columns is checked once per version of the table.
choice = (text_col, label_col, split_col, labels.casefold, tuple(sorted(labels.names.items())))
if choice not in fixes["checked"]:
    with st.spinner("Checking the rows…"):
        fixes["checked"][choice] = validate(df, text_col, label_col, split_col, labels)
issues = fixes["checked"][choice]
if label_col is not None and label_col != text_col and not any(i.kind == "multilabel" for i in issues):
    class_counts(clean_labels(df[label_col], labels).dropna())
st.subheader("Quality report")
quality_views.applied(fixes["done"], undo)
if not issues:
    st.success("No problems found: no empty or repeated texts, no conflicting labels, every class big enough.")
quality_views.findings(issues, df, fix)
if any(i.level == "error" for i in issues):
    st.stop()

st.subheader("Hold out texts for checking")
if split_col and has_validation(df[split_col]):
    st.write(f"Rows go to training, validation and test as column '{escape_md(split_col)}' says.")
    val_pct, test_pct, seed = 10, 20, 42
elif split_col:
    st.write(f"Rows go to training and test as column '{escape_md(split_col)}' says. It marks no validation rows, "
             "so a share of the training rows is held out to steer training.")
    val_pct, test_pct, seed = st.slider("Validation share of the training rows (%)", 5, 30, 10, step=5), 20, 42
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
        prepared, left_out = prepare_counted(df, text_col, label_col, labels, split_col)
        parts = split(prepared, val_pct / 100, test_pct / 100, int(seed),
                      split_col=prepared["split"] if split_col else None)
    except DataError as exc:
        st.error(escape_md(exc))
        st.stop()
    dataset = save_dataset(store, parts, dataset_name.strip() or name, source_hash=sha)
    remember(DATASET, dataset.id)
    counts = parts["split"].value_counts()
    st.success(f"Saved {escape_md(dataset.name)}: {counts.get('train', 0):,} training, {counts.get('val', 0):,} "
               f"validation and {counts.get('test', 0):,} test texts. {left_out.sentence()}".rstrip())
if current(DATASET):
    navigation.link(navigation.TRAIN, "Next: train a model")
