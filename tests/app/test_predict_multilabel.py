"""Predict page with a model that chooses any number of labels per text: every label against its threshold, the
chosen ones marked, a plain sentence when none is chosen, the words of each chosen label, and a file's labels column.

The page's model loader hands out the multi-label stand-in (tests/keyword_model.py) in place of the run's model:
a saved multi-label model needs the models' side of several labels per text."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from core.inference.attributions import occlusion
from dashboard import predict_views
from dashboard.explanations import OCCLUSION
from dashboard.predicted_labels_views import NO_LABEL
from tests.app.test_predict import predict_text, upload
from tests.keyword_model import KeywordModel


@pytest.fixture
def page(open_page, trained_run, monkeypatch):
    monkeypatch.setattr(predict_views, "model_of", lambda source: KeywordModel())
    return open_page("predict")


def chart(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)


def test_every_label_is_shown_against_its_threshold_and_the_chosen_ones_are_named(page):
    at = predict_text(page, "goal match pasta bread laptop")
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Predicted labels").value == "food, sport"
    bars = {trace["name"]: trace for trace in chart(at, "probabilities")["data"]}
    assert set(bars["chosen"]["y"]) == {"food", "sport"} and list(bars["below its threshold"]["y"]) == ["tech"]
    ticks = dict(zip(bars["threshold"]["y"], bars["threshold"]["x"]))
    assert ticks == {"food": 0.6, "sport": 0.4, "tech": 0.7}
    assert not [i for i in at.info if NO_LABEL in i.value]
    # Words for each chosen label, the most probable first; no gradients for a multi-label model yet.
    target = at.segmented_control(key="predict.target.food|sport")
    assert target.options == ["food", "sport"] and target.value == "food"
    assert at.segmented_control(key="predict.method").options == [OCCLUSION]
    assert any("Green words pushed the model towards **food**" in c.value for c in at.caption)
    target.set_value("sport")
    at.run()
    assert not at.exception
    assert any("Green words pushed the model towards **sport**" in c.value for c in at.caption)
    highlight = next(h.value for h in at.html if "<span" in h.value)
    weights = {w.word: w.weight for w in occlusion(KeywordModel(), "goal match pasta bread laptop", "sport").weights}
    assert weights["goal"] > 0 and weights["pasta"] == 0
    assert 'title="+0.4500">goal</span>' in highlight


def test_a_text_with_no_label_over_its_threshold_says_so(page):
    at = predict_text(page, "pasta and nothing else")
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Predicted labels").value == "None"
    assert any(i.value.startswith(f"{NO_LABEL}: ") and "food at 50%, which needs 60%" in i.value for i in at.info)
    assert any("For the most probable label, food, though it stayed below its threshold" in c.value
               for c in at.caption)


def test_a_file_gets_a_labels_column(page):
    table = pd.DataFrame({"message": ["goal pasta", "", "goal match pasta bread"]})
    at = upload(page, "new.csv", table.to_csv(index=False).encode("utf-8"))
    at.button(key="predict.all").click()
    at.run()
    assert not at.exception
    results = at.dataframe[0].value
    assert results["labels"].tolist() == ["sport", "", "food|sport"]
    assert results["note"].tolist() == ["", "no text", ""]
    assert {"P(food)", "P(sport)", "P(tech)"} <= set(results.columns) and "predicted" not in results.columns
