"""Label cleaning options, numeric ids, and spotting several labels per row."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.labels import LabelOptions, clean_labels, detect_multilabel, is_numeric, label_ids


def values(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


# clean_labels

def test_clean_labels_strips_and_turns_empty_into_missing():
    cleaned = clean_labels(pd.Series([" spam", "ham ", "", "   ", None]))
    assert values(cleaned) == ["spam", "ham", None, None, None]
    assert pd.api.types.is_string_dtype(cleaned)


def test_clean_labels_keeps_case_unless_asked():
    raw = pd.Series(["Spam", "spam ", "SPAM", "ham"])
    assert values(clean_labels(raw)) == ["Spam", "spam", "SPAM", "ham"]
    assert values(clean_labels(raw, LabelOptions(casefold=True))) == ["spam", "spam", "spam", "ham"]


def test_clean_labels_names_ids_and_leaves_unnamed_values():
    raw = pd.Series(["0", " 1", "2", None])
    assert values(clean_labels(raw, LabelOptions(names={"0": "ham", "1": "spam"}))) == ["ham", "spam", "2", None]


def test_names_swap_at_once_rather_than_one_after_the_other():
    raw = pd.Series(["0", "1"])
    assert values(clean_labels(raw, LabelOptions(names={"0": "1", "1": "0"}))) == ["1", "0"]


def test_clean_labels_names_apply_after_casefolding():
    raw = pd.Series(["POS", "pos", "neg"])
    assert values(clean_labels(raw, LabelOptions(casefold=True, names={"pos": "positive"}))) == [
        "positive", "positive", "neg"]


def test_float_ids_become_whole_numbers_so_names_find_them():
    raw = pd.Series([0.0, 1.0, np.nan, 1.0])
    assert values(label_ids(raw)) == ["0", "1", None, "1"]
    assert values(clean_labels(raw, LabelOptions(names={"1": "spam"}))) == ["0", "spam", None, "spam"]
    assert values(label_ids(pd.Series(["1.0", "2", " 3.00 "]))) == ["1", "2", "3"]


def test_a_float_too_big_for_an_integer_beside_integer_labels_stays_as_written():
    assert values(label_ids(pd.Series([1.0, 2.0, 1e20, np.nan]))) == ["1", "2", "1e+20", None]


@pytest.mark.parametrize("missing", ["NaN", "nan", "null", "NULL", "None", "NA", "N/A", "n/a", "<NA>", "#N/A", " NaN "])
def test_labels_written_as_missing_are_missing_not_a_class(missing):
    assert values(clean_labels(pd.Series(["spam", missing, "ham"]))) == ["spam", None, "ham"]
    assert is_numeric(pd.Series(["0", missing, "1"]))


def test_decimals_in_a_text_column_stay_as_written():
    assert values(label_ids(pd.Series(["1.0", "v2", "2.5"]))) == ["1.0", "v2", "2.5"]
    assert values(label_ids(pd.Series([0.5, 1.0]))) == ["0.5", "1.0"]


def test_options_compare_by_value_and_hash():
    assert LabelOptions(True, {"0": "ham"}) == LabelOptions(True, {"0": "ham"})
    assert LabelOptions(True, {"0": "ham"}) != LabelOptions(True, {"0": "spam"})
    assert hash(LabelOptions(True, {"0": "ham"})) == hash(LabelOptions(True))


# is_numeric

@pytest.mark.parametrize("raw", [[0, 1, 2], ["0", " 1", "2 "], ["1.0", "2.00", None], [-1, 0, 1], [1.0, np.nan]])
def test_is_numeric(raw):
    assert is_numeric(pd.Series(raw))


@pytest.mark.parametrize("raw", [["spam", "1"], ["1.5", "2"], ["1e3"], [None, ""], [], [True, False]])
def test_is_not_numeric(raw):
    assert not is_numeric(pd.Series(raw, dtype=object))


# detect_multilabel

@pytest.mark.parametrize("raw, delimiter", [
    (["sports|politics", "sports", "politics", "tech", "tech|sports"], "|"),
    (["x;y;z", "x", "y", "z", "y;z"], ";"),
    (["red, blue", "blue", "red", "green", "green, red"], ","),
    # every row holds several labels, none alone: the few pieces repeat across many combinations
    ([f"{a}|{b}" for a in "abcd" for b in "abcd" if a < b] * 3, "|"),
])
def test_detects_several_labels_per_row(raw, delimiter):
    assert detect_multilabel(pd.Series(raw)) == delimiter


def test_pipe_is_tried_before_comma():
    assert detect_multilabel(pd.Series(["a,b|c", "a,b", "c", "a,b|c"])) == "|"


@pytest.mark.parametrize("raw", [
    ["spam", "ham", "spam", "ham"],
    ["World", "Sports", "Business", "Sci/Tech"] * 5,
    ["B-PER", "I-PER", "O", "B-LOC"] * 5,
    ["Paris, France", "Lyon, France", "Nice, France", "Berlin, Germany", "Bonn, Germany"] * 3,
    [None, "", "  "],
])
def test_plain_labels_are_not_multilabel(raw):
    assert detect_multilabel(pd.Series(raw)) is None


def test_sentences_with_commas_are_not_multilabel():
    sentences = pd.Series([f"Well, I think item {i} is fine, really, and worth it" for i in range(200)]
                          + [f"No commas in sentence {i}" for i in range(50)])
    assert detect_multilabel(sentences) is None


def test_one_joined_label_among_many_plain_ones_is_not_multilabel():
    raw = pd.Series(["a", "b"] * 500 + ["a|b"])
    assert detect_multilabel(raw) is None

