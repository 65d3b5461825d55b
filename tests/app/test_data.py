"""Data page: samples, uploads (good, one-class, unreadable), column guessing, chart, saving the dataset."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard.state import DATASET


def csv_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def upload(at, filename: str, content: bytes, mime: str = "text/csv"):
    at.file_uploader(key="upload").upload(filename, content, mime)
    return at.run()


def use_button(at):
    return [b for b in at.button if b.label == "Use this dataset"]


def test_empty_page_asks_for_data(open_page):
    at = open_page("data")
    assert not at.exception
    assert at.info, "the page should ask for a sample or an upload"
    assert not use_button(at)


def test_sample_button_loads_sms_spam(open_page):
    at = open_page("data")
    at.button(key="sample.sms_spam").click()
    at.run()
    assert not at.exception
    assert any("5,574 rows" in t.value for t in at.text), [t.value for t in at.text]
    assert [c.key for c in at.get("plotly_chart")] == ["class_distribution"]
    assert use_button(at)


def test_upload_guesses_columns_and_saves_dataset(open_page, store, tiny_df):
    # Columns out of the usual order, with an id column, so the guess has to look at names and content.
    table = tiny_df.rename(columns={"text": "message", "label": "category"})
    table.insert(0, "id", range(len(table)))
    at = upload(open_page("data"), "topics.csv", csv_bytes(table[["id", "category", "message"]]))
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any(f"{len(table):,} rows" in t.value for t in at.text)
    assert at.selectbox(key="text_col.topics.csv").value == "message"
    assert at.selectbox(key="label_col.topics.csv").value == "category"
    assert [c.key for c in at.get("plotly_chart")] == ["class_distribution"]

    use_button(at)[0].click()
    at.run()
    assert not at.exception
    saved = store.list_datasets()
    assert len(saved) == 1
    assert saved[0].n_rows == len(table)
    assert sorted(saved[0].classes) == sorted(tiny_df["label"].unique())
    assert at.success and "Saved" in at.success[0].value
    assert at.session_state[DATASET] == saved[0].id
    assert at.get("page_link"), "a link on to the Train page is expected after saving"


def test_changing_the_label_column_revalidates(open_page, tiny_df):
    at = upload(open_page("data"), "topics.csv", csv_bytes(tiny_df))
    at.selectbox(key="label_col.topics.csv").set_value("text")
    at.run()
    assert not at.exception
    assert at.error, "choosing the text column as labels must be an error"
    assert not use_button(at)


def test_one_class_upload_is_an_error(open_page, store, tiny_df):
    one_class = tiny_df[tiny_df["label"] == "sport"]
    at = upload(open_page("data"), "sport.csv", csv_bytes(one_class))
    assert not at.exception
    assert any("one class" in e.value.lower() for e in at.error), [e.value for e in at.error]
    assert not use_button(at)
    assert store.list_datasets() == []


@pytest.mark.parametrize("filename, content", [
    ("garbage.xlsx", b"\x00\x01 this is not a spreadsheet \xff\xfe" * 20),
    ("garbage.parquet", b"PAR1 not really parquet"),
    ("empty.csv", b""),
    ("binary.csv", bytes(range(256)) * 10),
    ("broken.json", b"[1, 2"),
])
def test_unreadable_upload_shows_an_error(open_page, store, filename, content):
    at = upload(open_page("data"), filename, content, "application/octet-stream")
    assert not at.exception
    assert at.error, "an unreadable file must be reported with st.error"
    assert filename.split(".")[0] in at.error[0].value  # the message names the file
    assert at.info, "with nothing read, the page asks for a sample or an upload again"
    assert not use_button(at)
    assert store.list_datasets() == []
