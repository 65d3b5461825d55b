"""Prediction tables (every input row kept, a row without text marked) and their CSV download."""
from __future__ import annotations

import io
from typing import Callable

import numpy as np
import pandas as pd
import pytest

from core.inference.prediction import NO_TEXT, csv_for_excel, predict_every_row, prediction_frame


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
