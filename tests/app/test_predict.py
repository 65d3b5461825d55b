"""Predict page: typed text gets a label and probabilities; the random example comes from the test split."""
from __future__ import annotations

import pandas as pd

from core.datasets import load_dataset


def test_no_finished_run_shows_info(open_page, store, dataset):
    at = open_page("predict")
    assert not at.exception
    assert at.info, "with no finished model the page should say so"
    assert not at.text_area


def test_typed_text_gets_a_label_and_probabilities(open_page, store, dataset, trained_run):
    at = open_page("predict")
    assert not at.exception
    assert not at.metric, "no prediction before any text is entered"
    at.text_area(key="predict.text").input("goal match team coach league score")
    at.run()
    assert not at.exception
    predicted = next(m for m in at.metric if m.label == "Predicted label")
    assert predicted.value in dataset.classes
    assert predicted.value == "sport"  # the tiny data is separable; TF-IDF gets this right
    assert "probabilities" in [c.key for c in at.get("plotly_chart")]


def test_random_test_example_fills_the_text_area(open_page, store, dataset, trained_run):
    test_texts = set(load_dataset(store, dataset.id).query("split == 'test'")["text"])
    at = open_page("predict")
    next(b for b in at.button if b.label == "Random test example").click()
    at.run()
    assert not at.exception
    text = at.text_area(key="predict.text").value
    assert text in test_texts
    assert next(m for m in at.metric if m.label == "Predicted label").value in dataset.classes
    assert "probabilities" in [c.key for c in at.get("plotly_chart")]
