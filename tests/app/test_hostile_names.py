"""Labels and names from a dataset reach every chart as text: plotly reads tags and entities in ticks, legends and
hovers, so each hostile value must arrive escaped, and never as written."""
from __future__ import annotations

import json

import pytest

from tests.app.conftest import train_inline
from tests.conftest import make_texts
from tests.hostile_inputs import HOSTILE, shown_by_plotly

# Each topic of the tiny data named by a hostile value; the ones with brackets are those plotly would read as markup.
CLASSES = {"sport": HOSTILE[0], "food": HOSTILE[3], "tech": HOSTILE[2]}


def strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []


def chart_strings(at) -> list[str]:
    return [s for chart in at.get("plotly_chart") for s in strings(json.loads(chart.proto.spec))]


@pytest.fixture
def hostile_runs(store):
    """Two TF-IDF runs on three classes named by hostile values, on a dataset with a hostile name."""
    df = make_texts(n_per_class=30)
    df["label"] = df["label"].map(CLASSES)
    first = train_inline(store, df, HOSTILE[3])
    second = train_inline(store, df, HOSTILE[3], config={"C": 0.5})
    return first, second


def assert_literal(at, values: list[str]) -> None:
    shown = chart_strings(at)
    for value in values:
        assert not [s for s in shown if value in s], f"{value!r} reached a chart unescaped"
        assert [s for s in shown if shown_by_plotly(value) in s], f"{value!r} is missing from the charts"


def test_results_charts_show_class_names_as_text(open_page, hostile_runs):
    at = open_page("results")
    assert not at.exception
    assert_literal(at, [HOSTILE[0], HOSTILE[3]])


def test_compare_charts_show_class_and_dataset_names_as_text(open_page, hostile_runs):
    at = open_page("compare")
    assert not at.exception
    assert_literal(at, [HOSTILE[0], HOSTILE[3]])


def test_predict_charts_show_class_names_as_text(open_page, hostile_runs):
    at = open_page("predict")
    at.text_area(key="predict.text").input("goal match team").run()
    assert not at.exception
    assert_literal(at, [HOSTILE[0], HOSTILE[3]])


def test_the_class_table_of_the_data_page_shows_names_as_written(open_page, store, tmp_path):
    df = make_texts(n_per_class=10)
    df["label"] = df["label"].map(CLASSES)
    at = open_page("data")
    at.file_uploader(key="upload").upload("hostile.csv", df.to_csv(index=False).encode(), "text/csv")
    at.run()
    assert not at.exception
    # A table cell is text, never markup: the names come back exactly as the file has them.
    assert sorted(at.dataframe[1].value["class"]) == sorted(CLASSES.values())

