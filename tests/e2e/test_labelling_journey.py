"""Browser test: texts without labels become a model, by clicks only. The Label page starts from the SMS spam sample
with its labels hidden, takes the sample's classes, and 30 texts are labelled by clicking the button of each text's
true label (read from the sample); the labels become a dataset, and a TF-IDF model trained on it shows its score on
Results."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.data.samples import get_sample
from tests.e2e.conftest import FIRST_LOAD_MS, TRAINING_MS, shot

pytestmark = pytest.mark.e2e
LABELS = 30


def words(text: str) -> str:
    """A text as the page shows it, whatever Markdown did to its spaces and line breaks."""
    return " ".join(text.split())


def test_label_thirty_texts_and_train_from_them(server, open_page, artifacts):
    sample = get_sample("sms_spam").load()
    truth = {words(text): label for text, label in zip(sample["text"], sample["label"])}
    page = open_page()
    server.goto(page, "label")
    page.get_by_role("button", name="SMS spam").click(timeout=FIRST_LOAD_MS)
    page.get_by_role("button", name="Use the sample's classes: ham, spam").click(timeout=FIRST_LOAD_MS)
    asked = page.get_by_role("heading", level=4)
    expect(asked).to_be_visible(timeout=FIRST_LOAD_MS)
    shot(page, artifacts, "01-first-text")

    for n in range(1, LABELS + 1):
        text = words(asked.inner_text())
        # The button's name ends with its key: "ham 1".
        page.get_by_role("button", name=re.compile(rf"^{truth[text]}\b(?! ')")).click()
        expect(page.get_by_text(re.compile(rf"^{n} labels ·"))).to_be_visible()
        expect(asked).not_to_have_text(text)  # the next text is asked
    expect(page.get_by_test_id("stPlotlyChart")).to_be_visible()  # the learning curve, scored on the check set
    shot(page, artifacts, "02-thirty-labels")

    page.get_by_role("button", name="Make a dataset and train").click()
    expect(page).to_have_url(re.compile(r"/train$"), timeout=FIRST_LOAD_MS)
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value(re.compile(rf"{LABELS} rows · 2 classes"))
    page.get_by_text("TF-IDF", exact=False).first.click()
    expect(page.get_by_role("radio", name=re.compile("TF-IDF"))).to_be_checked()
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("Finished in").first).to_be_visible(timeout=TRAINING_MS)
    page.get_by_role("link", name="See the results").click()
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy")
    expect(accuracy).to_contain_text(re.compile(r"\d+\.\d%"), timeout=FIRST_LOAD_MS)
    shot(page, artifacts, "03-results")
