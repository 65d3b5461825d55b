"""A dataset whose file name, column name, texts and labels are hostile values, taken through every page: each value
reaches the browser's Markdown (labels, help, alerts, captions, tabs, radio options) escaped, never as written."""
from __future__ import annotations

import pandas as pd
import pytest

from core.runs.worker import execute_run
from core.store.uploads import keep_upload, kept_name
from tests.app.conftest import train_inline
from tests.app.hostile_sweep import markdown_strings, raw_in_markdown
from tests.conftest import make_texts
from tests.hostile_inputs import HOSTILE, HOSTILE_FILE_NAMES, HOSTILE_FRAGMENTS

FILE_NAME = HOSTILE[2] + ".csv"
LABELS = {"sport": HOSTILE[0], "food": HOSTILE[4], "tech": HOSTILE[5]}


def hostile_csv() -> bytes:
    df = make_texts(n_per_class=25)
    df["label"] = df["label"].map(LABELS)
    df["text"] = [f"{text} {HOSTILE[i % len(HOSTILE)]}" for i, text in enumerate(df["text"])]
    df[HOSTILE[1]] = range(len(df))  # a column named by a hostile value
    df = pd.concat([df, df.head(3)])  # repeated rows: the quality report quotes them
    bad_line = f'"{HOSTILE[3]}",{HOSTILE[1]},1,2,3,4\n'  # too many fields: the error browser lists it
    return (df.to_csv(index=False) + bad_line).encode()


def assert_escaped(at, page: str) -> None:
    assert not at.exception, at.exception
    raw = raw_in_markdown(at, HOSTILE + HOSTILE_FRAGMENTS + [FILE_NAME])
    assert not raw, f"{page}: shown as Markdown, not as text: {raw}"


@pytest.fixture
def uploaded(open_page):
    at = open_page("data")
    at.file_uploader(key="upload").upload(FILE_NAME, hostile_csv(), "text/csv").run()
    return at


def test_the_data_page_shows_every_hostile_value_as_text(uploaded):
    assert_escaped(uploaded, "data")
    shown = " ".join(text for _, _, text in markdown_strings(uploaded))
    assert "\\[x\\]\\(javascript\\:alert\\(1\\)\\)\\.csv" in shown  # the file name, escaped, is there
    [use] = [b for b in uploaded.button if b.label == "Use this dataset"]
    use.click().run()
    assert_escaped(uploaded, "data, saved")
    assert any("Saved" in s.value for s in uploaded.success)


def test_results_compare_predict_and_train_show_every_hostile_value_as_text(uploaded, open_page, store):
    [use] = [b for b in uploaded.button if b.label == "Use this dataset"]
    use.click().run()
    [dataset] = store.list_datasets()
    assert dataset.name == HOSTILE[2]
    for config in ({}, {"C": 0.5}):
        assert execute_run(store, store.create_run(dataset.id, "tfidf", config)).status == "succeeded"
    for page in ("home", "train", "results", "compare"):
        assert_escaped(open_page(page), page)
    predict = open_page("predict")
    predict.text_area(key="predict.text").input(f"goal match {HOSTILE[0]} {HOSTILE[1]}").run()
    assert_escaped(predict, "predict")
    # Two classes: the Results page adds its Threshold tab, whose help names the positive class.
    binary = make_texts(n_per_class=25).query("label != 'tech'").replace({"label": LABELS})
    train_inline(store, binary, HOSTILE[3])
    results = open_page("results")
    assert "Threshold" in [t.label for t in results.tabs]
    assert_escaped(results, "results, two classes")


@pytest.mark.parametrize("name", HOSTILE_FILE_NAMES)
def test_an_uploaded_file_name_becomes_a_plain_name_in_its_folder(name, store):
    sha = keep_upload(f"text,label\n{name!r},a\n".encode(), name, store.root)
    kept = kept_name(sha, store.root)
    folder = (store.root / "uploads" / sha).resolve()
    assert (folder / kept).resolve().parent == folder and (folder / kept).is_file()
    assert "\\" not in kept and not kept.startswith(".") and kept.isprintable()
    assert len(kept) <= 100 and kept.endswith(".csv")
