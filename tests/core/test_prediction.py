"""Prediction tables (every input row kept, a row without text marked) and their CSV download, for one label per
text and for several."""
from __future__ import annotations

import io
import json
from typing import Callable

import numpy as np
import pandas as pd
import pytest

from core.formats.thresholds import LabelThresholds
from core.inference.prediction import (NO_TEXT, csv_for_excel, label_table, model_records, predict_every_row,
                                       predict_table, prediction_frame)
from tests.keyword_model import KeywordModel


def test_csv_for_excel_starts_with_a_byte_order_mark_and_reads_back():
    table = prediction_frame(["café au lait", "足球比赛"], np.array([[0.9, 0.1], [0.2, 0.8]]), ["food", "体育"])
    data = csv_for_excel(table)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back.columns.tolist() == ["text", "predicted", "confidence", "P(food)", "P(体育)"]
    assert back["text"].tolist() == ["café au lait", "足球比赛"]
    assert back["predicted"].tolist() == ["food", "体育"]


def test_csv_for_excel_keeps_formulas_from_running_and_numbers_as_they_are():
    table = pd.DataFrame({"=cmd": ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "-1", "+0.5",
                                   "plain", None],
                          "flag": [True, None, False, None, True, None, False, True]})
    back = pd.read_csv(io.BytesIO(csv_for_excel(table.astype({"flag": object}))), encoding="utf-8-sig",
                       dtype=str, keep_default_na=False)
    assert list(back.columns) == ["'=cmd", "flag"]
    assert back["'=cmd"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(1)", "-1",
                                      "+0.5", "plain", ""]


def by_length(asked: list) -> Callable[[list[str]], pd.DataFrame]:
    """A stand-in model whose P(long) is a text's length / 10, recording the texts it was given."""
    def predict(texts: list[str]) -> pd.DataFrame:
        asked.append(texts)
        p = np.array([len(t) / 10 for t in texts])
        return prediction_frame(texts, np.c_[1 - p, p], ["short", "long"])
    return predict


def test_every_row_keeps_its_place_and_a_row_without_text_says_so():
    asked = []
    texts = pd.Series(["a", None, "  ", "abcdefgh", "", "abc"], index=[10, 11, 12, 13, 14, 15])
    table = predict_every_row(texts, by_length(asked))
    assert asked == [["a", "abcdefgh", "abc"]], "only texts are predicted"
    assert table.columns.tolist() == ["text", "predicted", "note", "confidence", "P(short)", "P(long)"]
    assert table["text"].tolist() == ["a", "", "  ", "abcdefgh", "", "abc"]
    assert table["predicted"].tolist() == ["short", "", "", "long", "", "short"]
    assert table["note"].tolist() == ["", NO_TEXT, NO_TEXT, "", NO_TEXT, ""]
    np.testing.assert_allclose(table.loc[[0, 3, 5], "P(long)"], [0.1, 0.8, 0.3])
    assert table.loc[[1, 2, 4], ["confidence", "P(short)", "P(long)"]].isna().all().all()


def test_without_blank_rows_there_is_no_note_and_without_any_text_nothing_to_predict():
    assert "note" not in predict_every_row(pd.Series(["ab", "c"]), by_length([])).columns
    with pytest.raises(ValueError, match="nothing to classify"):
        predict_every_row(pd.Series(["", None, " "]), by_length([]))


# The keyword stand-in chooses sport from one of its words, food and tech from two (tests/keyword_model.py).
TEXTS = ["goal pasta", "pasta bread laptop", "hello there", "goal match pasta bread"]


def test_a_multilabel_model_gives_its_chosen_labels_joined_and_each_labels_own_probability():
    table = predict_table(KeywordModel(), TEXTS)
    assert table.columns.tolist() == ["text", "labels", "P(food)", "P(sport)", "P(tech)"]
    assert table["labels"].tolist() == ["sport", "food", "", "food|sport"]
    np.testing.assert_allclose(table[["P(food)", "P(sport)", "P(tech)"]].to_numpy()[:2], [[0.5, 0.5, 0.05],
                                                                                          [0.95, 0.05, 0.5]])
    # Every row's probabilities are the labels' own: they need not sum to 1.
    assert table.loc[3, ["P(food)", "P(sport)"]].sum() > 1


def test_at_least_one_gives_a_text_below_every_threshold_its_most_probable_label():
    model = KeywordModel(LabelThresholds({"sport": 0.4, "food": 0.6}, fallback=0.7, at_least_one=True))
    assert predict_table(model, ["hello there", "pasta"])["labels"].tolist() == ["food", "food"]


def test_a_multilabel_file_keeps_every_row_and_its_download_the_labels_column():
    table = predict_every_row(pd.Series(["goal pasta", "", "goal match pasta bread"]),
                              lambda texts: predict_table(KeywordModel(), texts))
    assert table.columns.tolist() == ["text", "labels", "note", "P(food)", "P(sport)", "P(tech)"]
    assert table["labels"].tolist() == ["sport", "", "food|sport"]
    assert table["note"].tolist() == ["", NO_TEXT, ""]
    back = pd.read_csv(io.BytesIO(csv_for_excel(table)), encoding="utf-8-sig", keep_default_na=False)
    assert back["labels"].tolist() == ["sport", "", "food|sport"]


def test_multilabel_records_list_the_labels_with_every_probability_and_threshold():
    model = KeywordModel()
    records = model_records(model, model.predict_proba(TEXTS[:3]))
    assert [r["labels"] for r in records] == [["sport"], ["food"], []]
    assert records[0]["probabilities"] == pytest.approx({"food": 0.5, "sport": 0.5, "tech": 0.05})
    assert all(r["thresholds"] == {"food": 0.6, "sport": 0.4, "tech": 0.7} for r in records)
    assert json.loads(json.dumps(records)) == records, "plain JSON types"


def test_a_single_label_models_records_are_as_they_were():
    class OneLabel:
        classes_ = np.array(["a", "b"])

    assert model_records(OneLabel(), np.array([[0.2, 0.8]])) == [
        {"label": "b", "confidence": 0.8, "probabilities": {"a": 0.2, "b": 0.8}}]


def test_label_table_puts_the_most_probable_first_and_marks_the_chosen():
    model = KeywordModel()
    table = label_table(model.predict_proba(["pasta bread laptop"])[0], model.classes_, model.label_thresholds_)
    assert table.to_dict("list") == {"label": ["food", "tech", "sport"], "probability": [0.95, 0.5, 0.05],
                                     "threshold": [0.6, 0.7, 0.4], "chosen": [True, False, False]}
