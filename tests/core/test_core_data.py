"""Guessing columns, checking them in plain language, preparing and splitting."""
from __future__ import annotations


import pandas as pd
import pytest

from core.data import SWALLOWED_LINES, DataError, guess_columns, prepare, split, validate

ROWS = [("The match ended with a late goal", "sport"), ("Bake the bread for forty minutes", "food"),
        ("The new laptop has a faster chip", "tech")]


def levels(issues) -> list[str]:
    return [i.level for i in issues]


def find(issues, level: str, words: str):
    """The one issue of `level` whose message contains `words` (case-insensitive)."""
    found = [i for i in issues if i.level == level and words.lower() in i.message.lower()]
    assert len(found) == 1, f"expected one {level} about {words!r}, got {[i.message for i in issues]}"
    return found[0]


# guess_columns

def test_guess_named_columns():
    df = pd.DataFrame({"id": ["1", "2", "3", "4"], "Category": ["a", "b", "a", "b"],
                       "Message": ["short", "tiny", "wee", "ok"], "notes": ["a much longer note than the message"] * 4})
    assert guess_columns(df) == ("Message", "Category")


def test_guess_unnamed_columns():
    texts = [f"this is a fairly long free text number {i} about something" for i in range(20)]
    df = pd.DataFrame({"c1": [str(i) for i in range(20)], "c2": texts, "c3": ["pos", "neg"] * 10})
    assert guess_columns(df) == ("c2", "c3")


def test_guess_no_label_candidate():
    df = pd.DataFrame({"c1": [f"unique text {i}" for i in range(10)], "c2": [f"other {i}" for i in range(10)]})
    text_col, label_col = guess_columns(df)
    assert text_col == "c1" and label_col is None


# validate

def test_valid_data_has_no_issues(tiny_df):
    assert validate(tiny_df, "text", "label") == []


def test_error_label_column_none(tiny_df):
    issues = validate(tiny_df, "text", None)
    assert levels(issues) == ["error"]
    assert "label" in issues[0].message


def test_error_same_column_twice(tiny_df):
    issues = validate(tiny_df, "text", "text")
    assert levels(issues) == ["error"]
    assert "same" in issues[0].message


def test_error_one_class():
    df = pd.DataFrame({"text": ["a", "b", "c", "d"], "label": ["x", "x", "x", None]})
    find(validate(df, "text", "label"), "error", "only one class ('x')")


def test_error_no_text():
    df = pd.DataFrame({"text": ["", None, "   "], "label": ["x", "y", "x"]})
    issues = validate(df, "text", "label")
    find(issues, "error", "Column 'text' has no text")


def test_error_labels_all_missing():
    df = pd.DataFrame({"text": ["a", "b", "c"], "label": [None, "", " "]})
    find(validate(df, "text", "label"), "error", "Column 'label' is empty in every row")


def test_warnings_dropped_rows_and_duplicates(tiny_df):
    df = tiny_df.copy()
    df.loc[3, "text"] = "  "
    df.loc[7, "label"] = None
    df.loc[10, "text"] = df.loc[0, "text"]
    issues = validate(df, "text", "label")
    assert levels(issues) == ["warning", "warning"]
    dropped = find(issues, "warning", "no text or no label")
    assert dropped.rows == [3, 7] and dropped.message.startswith("2 rows")
    assert all(type(r) is int for r in dropped.rows)
    assert find(issues, "warning", "repeat the text").rows == [10]


def test_warnings_tiny_class_and_imbalance():
    df = pd.DataFrame({"text": [f"text {i}" for i in range(32)], "label": ["big"] * 30 + ["small"] * 2})
    issues = validate(df, "text", "label")
    assert levels(issues) == ["warning", "warning"]
    assert "'small' (2)" in find(issues, "warning", "fewer than 3 examples").message
    assert "'big' has 30" in find(issues, "warning", "imbalanced").message


def test_warning_swallowed_lines(tiny_df):
    df = tiny_df.copy()
    df.loc[5, "text"] = "\n".join(f"line {i}" for i in range(26))  # 25 newlines
    df.loc[6, "text"] = "\n".join(f"line {i}" for i in range(SWALLOWED_LINES - 1))  # a long but plausible text
    issue = find(validate(df, "text", "label"), "warning", "quote")
    assert issue.rows == [5]
    assert "Row 6 holds 26 lines" in issue.message


# prepare

def test_prepare_drops_empty_missing_and_duplicate_rows():
    df = pd.DataFrame({"msg": [" hello ", "", None, "world", "hello", "again", "fine"],
                       "y": ["a", "b", "a", None, "b", " ", 1]})
    out = prepare(df, "msg", "y")
    assert out.to_dict("list") == {"text": ["hello", "fine"], "label": ["a", "1"]}
    assert list(out.index) == [0, 1]


# split

def test_split_is_stratified(tiny_df):
    out = split(tiny_df, val_frac=0.1, test_frac=0.2, seed=42)
    table = pd.crosstab(out["label"], out["split"])
    assert out["split"].value_counts().to_dict() == {"train": 42, "test": 12, "val": 6}
    assert table["test"].tolist() == [4, 4, 4] and table["val"].tolist() == [2, 2, 2]
    pd.testing.assert_frame_equal(out.drop(columns="split"), tiny_df)


def test_split_is_deterministic_per_seed(tiny_df):
    first, again, other = split(tiny_df, seed=1), split(tiny_df, seed=1), split(tiny_df, seed=2)
    assert first["split"].tolist() == again["split"].tolist()
    assert first["split"].tolist() != other["split"].tolist()


def test_split_rare_classes_train_only(tiny_df):
    rare = pd.DataFrame({"text": ["a rare one", "another rare one"], "label": ["rare", "rare"]})
    out = split(pd.concat([tiny_df, rare], ignore_index=True), seed=0)
    assert out.loc[out["label"] == "rare", "split"].tolist() == ["train", "train"]
    assert set(out["split"]) == {"train", "val", "test"}


def test_split_user_column(tiny_df):
    user = pd.Series(["Train", " training", "VALIDATION", "dev", "test", "Testing"] * 10)
    out = split(tiny_df, split_col=user)
    assert out["split"].tolist()[:6] == ["train", "train", "val", "val", "test", "test"]
    with pytest.raises(DataError, match="other than train / validation / test: holdout"):
        split(tiny_df, split_col=pd.Series(["train", "holdout"] * 30))


def test_split_too_few_rows():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(9)], "label": ["a", "b", "c"] * 3})
    with pytest.raises(DataError, match="too few rows"):
        split(df)


def test_split_bad_shares(tiny_df):
    with pytest.raises(DataError, match="shares"):
        split(tiny_df, val_frac=0.5, test_frac=0.5)


def test_a_one_column_file_says_a_label_column_is_needed():
    df = pd.DataFrame({"text": ["first line", "second line"]})
    (issue,) = validate(df, "text", None)
    assert issue.level == "error" and "only one column" in issue.message


def test_every_class_keeps_training_rows_when_validation_cannot_be_stratified():
    labels = list("aaaaabbbbbbbcccdeeefff")
    df = prepare(pd.DataFrame({"text": [f"t{i}" for i in range(len(labels))], "label": labels}), "text", "label")
    out = split(df, val_frac=0.3, test_frac=0.4, seed=0)
    assert set(out.loc[out["split"] == "train", "label"]) == set(labels)
