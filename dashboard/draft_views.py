"""The Data page's views of a draft: where it comes from (a sample or an upload), its columns, the share of texts held
out for checking, and saving it as a dataset."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data.labels import LabelOptions
from core.data.multilabel_shapes import LabelShape
from core.data.preparation import guess_columns
from core.data.reading import SUPPORTED
from core.data.samples import SAMPLES
from core.data.splitting import has_validation, split_columns
from core.errors import DataError
from core.store.datasets import create_dataset
from core.store.store import Store
from dashboard import drafts
from dashboard.components import escape_md
from dashboard.limits_views import upload_mb
from dashboard.state import DATASET, remember

RANDOM = "random"


def sources() -> None:
    """A button per sample and the uploader, each starting a draft; and why the last upload was refused."""
    st.subheader("Start from a sample")
    for column, sample in zip(st.columns(len(SAMPLES)), SAMPLES.values()):
        column.button(sample.title, key=f"sample.{sample.name}", use_container_width=True,
                      on_click=drafts.start_sample, args=(sample.name,))
        column.caption(sample.description)
    st.subheader("…or upload your own table")
    st.file_uploader("CSV, TSV, TXT, JSON, JSON Lines, Excel, Parquet, or a ZIP of folders (one per class)",
                     type=[s.lstrip(".") for s in SUPPORTED], key="upload", on_change=drafts.on_upload,
                     max_upload_size=upload_mb(),
                     help="One row per example, with a column of texts and a column of labels. The encoding, "
                          "separator and header are detected, and you can change them after reading. A ZIP holds one "
                          "folder per class, each with one .txt file per example.")
    if refused := st.session_state.pop(drafts.REFUSED, None):
        st.error(escape_md(refused))


def saved_before(store: Store, sha: str | None) -> None:
    """For an upload saved before, its dataset's name and the button that uses it."""
    if sha:
        for earlier in store.datasets_from_source(sha)[:1]:
            st.info(f"You saved this file before, as **{escape_md(earlier.name)}**.")
            st.button(f"Use '{escape_md(earlier.name)}'", key="use_earlier", on_click=remember,
                      args=(DATASET, earlier.id))


def columns(df: pd.DataFrame, table_key: str, chosen: dict) -> tuple[str, str | None, str]:
    """The text, label and split columns (RANDOM for texts held out at random): as `chosen` for this reading of the
    file, else as guessed."""
    names = list(df.columns)
    guessed_text, guessed_label = (chosen[c] if chosen.get(c) in names else guess
                                   for c, guess in zip(("text", "label"), guess_columns(df)))
    left, middle, right = st.columns(3)
    text_col = left.selectbox("Column with the texts", names, index=names.index(guessed_text),
                              key=f"text_col.{table_key}")
    label_col = middle.selectbox("Column with the labels", names, key=f"label_col.{table_key}",
                                 index=names.index(guessed_label) if guessed_label in names else None,
                                 placeholder="Choose the label column")
    splits = [RANDOM, *split_columns(df)]
    split_choice = right.selectbox("Test texts", splits, key=f"split_col.{table_key}",
                                   index=splits.index(chosen["split"]) if chosen.get("split") in splits
                                   else min(1, len(splits) - 1),
                                   format_func=lambda c: "Held out at random" if c == RANDOM
                                   else f"As column '{c}' says",
                                   help="Use your own split when your file says which rows are for training and "
                                        "which for testing; otherwise a share of each class is held out at random.")
    return text_col, label_col, split_choice


def held_out(df: pd.DataFrame, split_col: str | None) -> tuple[int, int, int]:
    """The validation and test shares (%) and the seed of a split at random, with what they mean."""
    st.subheader("Hold out texts for checking")
    if split_col and has_validation(df[split_col]):
        st.write(f"Rows go to training, validation and test as column '{escape_md(split_col)}' says.")
        return 10, 20, 42
    if split_col:
        st.write(f"Rows go to training and test as column '{escape_md(split_col)}' says. It marks no validation "
                 "rows, so a share of the training rows is held out to steer training.")
        return st.slider("Validation share of the training rows (%)", 5, 30, 10, step=5), 20, 42
    st.write("The model learns from the training share. The validation share steers training; the test share is "
             "kept apart and only used at the end to measure how well the model does on texts it never saw.")
    a, b, c = st.columns(3)
    val_pct = a.slider("Validation share (%)", 5, 30, 10, step=5)
    test_pct = b.slider("Test share (%)", 10, 40, 20, step=5)
    seed = c.number_input("Split seed", 0, 2**31 - 1, 42, help="The same seed always gives the same split.")
    return val_pct, test_pct, int(seed)


def save_button(store: Store, df: pd.DataFrame, name: str, choices: dict, labels: LabelOptions,
                shares: tuple[int, int, int], source_hash: str | None) -> None:
    """The button that splits the draft and saves it as a dataset, chosen for training; then what went where."""
    if not st.button("Use this dataset", type="primary"):
        return
    val_pct, test_pct, seed = shares
    try:
        dataset, parts, left_out = create_dataset(store, df, name, choices["text"], choices["label"], labels,
                                                  choices["split"], val_pct / 100, test_pct / 100, seed, source_hash,
                                                  LabelShape.from_dict(choices["shape"]))
    except DataError as exc:
        st.error(escape_md(exc))
        st.stop()
    remember(DATASET, dataset.id)
    counts = parts["split"].value_counts()
    several = ", several labels per text" if dataset.multilabel else ""
    st.success(f"Saved {escape_md(dataset.name)}{several}: {counts.get('train', 0):,} training, "
               f"{counts.get('val', 0):,} validation and {counts.get('test', 0):,} test texts. "
               f"{left_out.sentence()}".rstrip())
