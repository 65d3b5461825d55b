"""Hostile names in a real browser: a dataset whose class names are markup and script is shown as written on
Results and Predict, in the charts too, and no dialog ever opens."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from core.data.preparation import prepare
from core.data.splitting import split
from core.runs.worker import execute_run
from core.store.datasets import save_dataset
from core.store.store import Store
from tests.conftest import make_texts
from tests.e2e.conftest import FIRST_LOAD_MS, shot
from tests.hostile_inputs import HOSTILE

pytestmark = pytest.mark.e2e
CLASSES = {"sport": HOSTILE[0], "food": HOSTILE[3], "tech": HOSTILE[2]}


def test_hostile_class_names_show_as_written_and_run_nothing(server, open_page, artifacts):
    df = make_texts(n_per_class=30)
    df["label"] = df["label"].map(CLASSES)
    store = Store(server.workspace)
    dataset = save_dataset(store, split(prepare(df, "text", "label"), 0.1, 0.3, 42), HOSTILE[3])
    assert execute_run(store, store.create_run(dataset.id, "tfidf", {})).status == "succeeded"

    page = open_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    server.goto(page, "results")
    matrix = page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot").first
    expect(matrix).to_be_visible(timeout=FIRST_LOAD_MS)
    # Plotly draws ticks as SVG text: a tag it read as markup would leave only its inner words.
    ticks = matrix.locator(".xtick text, .ytick text")
    expect(ticks.filter(has_text=HOSTILE[3])).to_have_count(2)
    # Longer names are cut on the axes, so the start of this one.
    expect(ticks.filter(has_text="<img src=x onerror=")).to_have_count(2)
    expect(page.get_by_text(HOSTILE[2], exact=False).first).to_be_visible()
    shot(page, artifacts, "01-results")

    server.goto(page, "predict")
    box = page.get_by_role("textbox", name="Text to classify")
    expect(box).to_be_visible(timeout=FIRST_LOAD_MS)
    box.fill("goal match team coach")
    page.get_by_role("button", name="Predict", exact=True).click()
    prediction = page.get_by_test_id("stMetric").filter(has_text="Predicted label")
    expect(prediction).to_contain_text(HOSTILE[0])
    bars = page.get_by_test_id("stPlotlyChart").first.locator(".ytick text")
    expect(bars.filter(has_text=HOSTILE[3])).to_have_count(1)
    shot(page, artifacts, "02-predict")
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def no_markup_from_data(page) -> None:
    """Nothing the data holds became an element: no image, no script link, no bare link, no bold from '**bold**'."""
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("a[href^='javascript'], a[href^='mailto'], a[href*='example.com']").count() == 0
    assert page.locator("strong, b").filter(has_text=re.compile(r"^bold$")).count() == 0


def test_a_hostile_upload_shows_as_written_on_the_data_page(server, open_page, artifacts, tmp_path):
    """The file name, a column name, texts and labels are hostile values; the error browser and the quality report
    quote them; every one of them shows as written, and nothing runs."""
    df = make_texts(n_per_class=25)
    df["label"] = df["label"].map({"sport": HOSTILE[1], "food": HOSTILE[2], "tech": HOSTILE[6]})
    df["text"] = [f"{text} {HOSTILE[i % len(HOSTILE)]}" for i, text in enumerate(df["text"])]
    df[HOSTILE[0]] = range(len(df))
    df = pd.concat([df, df.head(2)])  # repeated rows, for the quality report
    csv = tmp_path / f"{HOSTILE[0]} {HOSTILE[1]}.csv"
    csv.write_text(df.to_csv(index=False) + f'"{HOSTILE[3]}",{HOSTILE[1]},1,2,3\n', encoding="utf-8")

    page = open_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    server.goto(page, "data")
    expect(page.locator("input[type=file]")).to_be_attached(timeout=FIRST_LOAD_MS)
    page.locator("input[type=file]").set_input_files(csv)
    expect(page.get_by_text(f"{csv.name}: {len(df):,} rows and 3 columns read; 1 left out.")).to_be_visible(
        timeout=FIRST_LOAD_MS)
    expect(page.get_by_role("combobox", name="Column with the labels")).to_have_value("label", timeout=FIRST_LOAD_MS)
    expect(page.get_by_text(re.compile("repeat", re.IGNORECASE)).first).to_be_visible()
    shot(page, artifacts, "01-hostile-upload")
    no_markup_from_data(page)

    page.get_by_role("button", name="Use this dataset").click()
    expect(page.get_by_text(re.compile(r"^Saved " + re.escape(f"{HOSTILE[0]} {HOSTILE[1]}") + ": "))).to_be_visible()
    shot(page, artifacts, "02-saved")
    no_markup_from_data(page)
    assert dialogs == []
