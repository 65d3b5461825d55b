"""Data: a sample or an upload, exactly what was read, the quality report with its fixes, and the saved dataset."""
from pathlib import Path

import streamlit as st

from core.data.labels import LabelOptions
from core.data.multilabel_shapes import COLUMNS
from core.data.preparation import validate
from core.data.quality import CASEFOLD
from core.errors import DataError
from dashboard import draft_views, drafts, label_error_views, navigation, quality_views, reading_views
from dashboard.components import escape_md
from dashboard.dataset_views import label_summary, saved_datasets
from dashboard.label_views import label_options, label_shape
from dashboard.limits_views import server_limits
from dashboard.state import DATASET, DRAFT, FIXES, current, get_store, remember

PENDING_FIX = "data.pending_fix"  # the fix a button asked for, applied on the rerun it starts

st.title("Data")
st.write("Choose the texts the model will learn from: a ready-made sample, or your own table with one column "
         "of texts and one column of labels.")
store = get_store()
saved_datasets(store)
draft_views.sources()

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
draft_views.saved_before(store, sha)
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
kept = drafts.restored_for(draft, options)
text_col, label_col, split_choice = draft_views.columns(df, table_key, kept.get("columns", {}))
split_col = None if split_choice == draft_views.RANDOM else split_choice
shape = label_shape(df, text_col, label_col, split_col, table_key, kept.get("shape", {}))
labels = LabelOptions()
if label_col is not None and label_col != text_col:
    labels = label_options(df, label_col, table_key, kept.get("labels", {}), name_ids=shape.kind != COLUMNS)
choices = {"text": text_col, "label": label_col, "split": split_col, "casefold": labels.casefold,
           "names": labels.names, "shape": shape.to_dict()}
drafts.keep(draft, {"options": options, "columns": {"text": text_col, "label": label_col, "split": split_choice},
                    "labels": {"casefold": labels.casefold, "names": labels.names}, "shape": shape.to_dict(),
                    "fixes": fixes["applied"]})


def fix(key: str) -> None:
    if key == CASEFOLD:
        st.session_state[f"casefold.{table_key}"] = True
        return
    remember(PENDING_FIX, {"fix": key, **choices})


def undo() -> None:
    remember(FIXES, {**fixes, "table": result.table, "done": [], "applied": [], "checked": {}})


# A million rows take seconds to check, so each choice of columns is checked once per version of the table.
choice = (text_col, label_col, split_col, labels.casefold, tuple(sorted(labels.names.items())), shape)
if choice not in fixes["checked"]:
    with st.spinner("Checking the rows…"):
        fixes["checked"][choice] = validate(df, text_col, label_col, split_col, labels, shape)
issues = fixes["checked"][choice]
if shape.multilabel or (label_col is not None and label_col != text_col):
    label_summary(df, label_col, labels, shape)
st.subheader("Quality report")
quality_views.applied(fixes["done"], undo)
if not issues:
    st.success("No problems found: no empty or repeated texts, no conflicting labels, every class big enough.")
quality_views.findings(issues, df, fix)
if any(i.level == "error" for i in issues):
    st.stop()

shares = draft_views.held_out(df, split_col)
dataset_name = st.text_input("Dataset name", value=Path(name).stem if sha else name, key=f"dataset_name.{table_key}",
                             max_chars=200)
draft_views.save_button(store, df, dataset_name.strip() or name, choices, labels, shares, sha)
if current(DATASET):
    label_error_views.for_dataset(store, current(DATASET))
    navigation.link(navigation.TRAIN, "Next: train a model")
