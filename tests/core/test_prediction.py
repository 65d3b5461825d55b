"""Prediction tables and their CSV download."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from core.prediction import csv_for_excel, prediction_frame


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
