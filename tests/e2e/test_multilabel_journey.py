"""Browser test: several labels per text, by clicks only, at full size. A CSV of the 26,180 disaster messages with
their labels joined by '|' in one cell is uploaded, a TF-IDF model trained, the missed-or-added matrix clicked and a
label's threshold moved on Results, a message given two labels on Predict, and the bundle downloaded and imported."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core import load_model
from core.data.samples import get_sample
from tests.e2e.conftest import FIRST_LOAD_MS, TRAINING_MS, shot
from tests.e2e.test_journey import download_model, import_model

pytestmark = pytest.mark.e2e
NEED = "We need water and food in Leogane, our children are hungry and thirsty, please send help"


def write_csv(tmp_path: Path) -> tuple[Path, int, int]:
    """The disaster sample as a person's own file: a message column, its labels joined by '|' in one cell (empty for
    none), and the published split. Returns the file, its rows and how many have at least one label."""
    df = get_sample("disaster").load()
    flags = df.columns[2:]
    joined = df[flags].apply(lambda row: "|".join(flags[row.to_numpy() == 1]), axis=1)
    table = df[["text", "split"]].rename(columns={"text": "message"}).assign(labels=joined)
    path = tmp_path / "disaster.csv"
    table.to_csv(path, index=False)
    return path, len(table), int((joined != "").sum())


def labels_shown(page: Page) -> str:
    return page.get_by_test_id("stMetric").filter(has_text="Predicted labels").inner_text()


def test_several_labels_per_text_from_upload_to_imported_bundle(server, open_page, artifacts, tmp_path):
    page = open_page()
    csv, texts, labelled = write_csv(tmp_path)
    server.goto(page, "data")
    expect(page.locator("input[type=file]")).to_be_attached(timeout=FIRST_LOAD_MS)
    page.locator("input[type=file]").set_input_files(csv)
    expect(page.get_by_role("combobox", name="Column with the labels")).to_have_value("labels", timeout=FIRST_LOAD_MS)
    found = page.get_by_text(re.compile(r"Several labels per text, separated by '\|'"))
    expect(found).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("Read them as several labels"))).to_be_checked()
    # A quarter of the messages have none of the labels: their empty cells say so, and they are kept.
    keep = page.get_by_text(f"An empty cell means none of these labels: keep those {texts - labelled:,} texts")
    keep.click()
    expect(page.get_by_text(re.compile(r"Texts with none of the labels: [\d,]+"))).to_be_visible(timeout=FIRST_LOAD_MS)
    shot(page, artifacts, "01-several-labels-found")
    page.get_by_role("button", name="Use this dataset").click()
    expect(page.get_by_text(re.compile(r"Saved .*training"))).to_be_visible(timeout=FIRST_LOAD_MS)
    shot(page, artifacts, "02-dataset-saved")

    page.get_by_role("link", name="Next: train a model").click()
    expect(page.get_by_role("radio", name=re.compile("TF-IDF"))).to_be_checked(timeout=FIRST_LOAD_MS)
    # Five folds of 35 labels would double the run; cross-validation has its journey on the SMS sample.
    page.get_by_text("Settings: the preset's values work well").click()
    folds = page.get_by_role("spinbutton", name="Cross-validation folds")
    expect(folds).to_have_value("5")
    folds.fill("1")
    folds.press("Enter")
    expect(folds).to_have_value("1")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("Finished in").first).to_be_visible(timeout=TRAINING_MS)
    expect(page.get_by_text(re.compile(r"test micro-F1 0\.\d+, macro-F1 0\.\d+")).first).to_be_visible()
    shot(page, artifacts, "03-finished")

    page.get_by_role("link", name="See the results").click()
    expect(page.get_by_test_id("stMetric").filter(has_text="Micro-F1")).to_contain_text(re.compile(r"0\.\d\d"),
                                                                                         timeout=FIRST_LOAD_MS)
    shot(page, artifacts, "04-results")

    page.get_by_role("tab", name="Missed or added").click()
    matrix = page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot").first
    expect(matrix).to_be_visible()
    expect(matrix).to_contain_text("added label")
    area = matrix.locator(".nsewdrag").first.bounding_box()
    # The first row's second cell (35 labels and "nothing" a side): aid_centers missed, aid_related added in its place.
    x, y = area["x"] + 1.5 * area["width"] / 36, area["y"] + 0.5 * area["height"] / 36
    page.mouse.move(x - 3, y - 3)  # plotly picks the clicked point from the last hover
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.up()
    expect(page.get_by_role("combobox", name="Missed label")).to_have_value("aid_centers")
    expect(page.get_by_role("combobox", name="Added label")).to_have_value("aid_related")
    expect(page.get_by_text(re.compile(r"test texts with aid_centers missed and aid_related added"))).to_be_visible()
    shot(page, artifacts, "05-missed-or-added-cell")

    page.get_by_role("tab", name="Thresholds").click()
    page.get_by_role("combobox", name="Label").click()
    page.keyboard.type("water")  # the list of 35 labels draws only the options in view: narrow it to one
    page.get_by_role("option", name="water", exact=True).click()
    expect(page.get_by_text(re.compile(r"water on its own \([\d,]+ test texts have it\)"))).to_be_visible()
    slider = page.get_by_role("slider")
    expect(slider).to_be_visible()
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("button", name="Keep these thresholds")).to_be_visible()
    expect(page.get_by_text("vs kept").first).to_be_visible()
    shot(page, artifacts, "06-threshold-moved")

    bundle = download_model(page, "model bundle", tmp_path, arch="tfidf")
    assert len(load_model(bundle).predict([NEED])[0]) >= 2

    page.get_by_role("link", name="Try the model on your own sentences").click()
    page.get_by_role("textbox", name="Text to classify").fill(NEED)
    page.get_by_role("button", name="Predict", exact=True).click()
    chosen = page.get_by_test_id("stMetric").filter(has_text="Predicted labels")
    expect(chosen).to_contain_text("water")
    assert labels_shown(page).count(",") >= 1  # two labels or more
    shot(page, artifacts, "07-predict-two-labels")

    import_model(page, bundle)
    page.get_by_role("textbox", name="Text to classify").fill(NEED)
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(chosen).to_contain_text("water")
    expect(page.get_by_text("Traceback")).to_have_count(0)
    shot(page, artifacts, "08-imported-bundle")
