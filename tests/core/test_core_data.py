"""Guessing columns, checking them in plain language, preparing and splitting."""
from __future__ import annotations

import pandas as pd
import pytest

from core.data.labels import LabelOptions
from core.data.preparation import LeftOut, guess_columns, prepare, prepare_counted, validate
from core.data.reading import read_file
from core.data.splitting import split, split_columns
from core.errors import DataError

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


def test_a_column_of_numbers_is_never_guessed_as_the_texts():
    df = pd.DataFrame({"code": ["100200300400", "100200300401", "100200300402", "100200300403"],
                       "msg": ["ok", "hi", "no", "yes"], "label": ["a", "b", "a", "b"]})
    assert guess_columns(df) == ("msg", "label")


@pytest.mark.parametrize("df, guess", [
    (pd.DataFrame({"编号": ["10001", "10002", "10003", "10004", "10005", "10006"],
                   "标题": ["体育新闻", "科技前沿", "足球", "芯片", "进球了", "新手机"], "类别": ["体育", "科技"] * 3}),
     ("标题", "类别")),
    (pd.DataFrame({"n": [1, 2, 3, 4], "c2": ["ok", "no", "ok!", "5 stars"], "c3": ["p", "n", "p", "n"]}),
     ("c2", "c3")),
])
def test_short_texts_and_chinese_titles_are_still_found(df, guess):
    assert guess_columns(df) == guess


def test_ids_and_labels_without_texts_say_the_file_needs_a_column_of_texts():
    raw = "id,y\n" + "".join(f"{i},{i % 2}\n" for i in range(1, 21))
    df = read_file(raw.encode(), "ids.csv").table
    text_col, label_col = guess_columns(df)
    issues = validate(df, text_col, label_col)
    assert [(i.kind, i.level) for i in issues] == [("no_text", "error")]
    assert issues[0].message.startswith("No column holds texts: 'id' holds numbers (ids), 'y' holds the labels. A "
                                        "model learns from texts such as sentences, messages or reviews: add a column")


def test_a_chosen_text_column_of_numbers_is_refused_naming_the_texts():
    df = pd.DataFrame({"score": [1.5, 2.0, 3.25, 4.0], "review": ["good", "bad", "fine", "meh"],
                       "label": ["p", "n", "p", "n"]})
    assert find(validate(df, "score", "label"), "error", "Column 'score' holds numbers, not texts").message.endswith(
        "Choose the column that holds them: 'review'.")
    assert not [i for i in validate(df, "review", "label") if i.kind == "not_text"]


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
    assert find(validate(df, "text", "label"), "error", "only one class ('x')").kind == "one_class"


def test_error_no_labels_leaves_no_class():
    df = pd.DataFrame({"text": ["a", "b", "c", "d"], "label": [None, "", " ", "NaN"]})
    find(validate(df, "text", "label"), "error", "No class has rows with both a text and a label")


def test_an_empty_text_column_is_said_to_hold_nothing():
    df = pd.DataFrame({"text": ["", None, "   "], "label": ["x", "y", "x"]})
    assert find(validate(df, "text", "label"), "error", "'text' holds nothing (every cell is empty)").kind == "no_text"


def test_warnings_come_from_the_quality_report_with_their_fixes(tiny_df):
    df = tiny_df.copy()
    df.loc[3, "text"] = "  "
    df.loc[7, "label"] = None
    df.loc[10] = [df.loc[0, "text"].upper(), df.loc[0, "label"]]
    issues = validate(df, "text", "label")
    assert [(i.kind, i.fix) for i in issues] == [("empty_text", "drop_empty"), ("missing_label", "drop_empty"),
                                                 ("near_duplicates", "drop_duplicates")]
    assert find(issues, "warning", "without text").rows == [3]


def test_a_multilabel_column_read_as_one_label_per_text_is_checked_as_such():
    """Several labels per text are a choice (core.data.multilabel_shapes): left as one label, each joined value is a
    class, and nothing is refused."""
    df = pd.DataFrame({"text": [f"text {i}" for i in range(6)],
                       "tags": ["sport|politics", "sport", "politics", "tech|business", "business", "tech"]})
    assert all(issue.level != "error" for issue in validate(df, "text", "tags"))


def test_labels_are_cleaned_as_chosen_before_checking(tiny_df):
    df = tiny_df.assign(label=tiny_df["label"].map({"sport": "Sport", "food": "food ", "tech": "TECH"}))
    df.loc[:1, "label"] = "sport"
    assert not validate(df, "text", "label", labels=LabelOptions(casefold=True))
    assert find(validate(df, "text", "label"), "warning", "fewer than 3 rows").kind == "rare_classes"


def test_a_split_column_cannot_be_the_text_or_label(tiny_df):
    (issue,) = validate(tiny_df.assign(split="train"), "text", "label", split_col="label")
    assert issue.message == "Column 'label' cannot be both the split and the label column."


# prepare

def test_prepare_drops_empty_missing_and_duplicate_rows():
    df = pd.DataFrame({"msg": [" hello ", "", None, "world", "hello", "again", "fine"],
                       "y": ["a", "b", "a", None, "b", " ", 1]})
    out = prepare(df, "msg", "y")
    assert out.to_dict("list") == {"text": ["hello", "fine"], "label": ["a", "1"]}
    assert list(out.index) == [0, 1]


def test_prepare_counts_what_it_leaves_out_and_why():
    df = pd.DataFrame({"msg": [" hello ", "", None, "world", "hello", "again", "fine", "fine "],
                       "y": ["a", "b", "a", None, "b", " ", 1, "1"]})
    out, left_out = prepare_counted(df, "msg", "y")
    pd.testing.assert_frame_equal(out, prepare(df, "msg", "y"))
    assert left_out == LeftOut(unusable=4, repeats=1, relabelled=1)
    assert left_out.sentence() == ("Left out 4 rows without text or label, 1 row that repeats the text and label of an "
                                   "earlier row and 1 row whose text an earlier row has with another label (the "
                                   "earlier row's label is kept).")
    assert prepare_counted(df.head(1), "msg", "y")[1].sentence() == ""


def test_prepare_applies_the_label_choices_and_keeps_the_users_split():
    df = pd.DataFrame({"t": ["a", "b", "c"], "y": ["0", "1 ", "1.0"], "part": ["train", "test", "Train"]})
    out = prepare(df, "t", "y", LabelOptions(names={"0": "ham", "1": "spam"}), split_col="part")
    assert out.to_dict("list") == {"text": ["a", "b", "c"], "label": ["ham", "spam", "spam"],
                                   "split": ["train", "test", "Train"]}
    assert split(out, val_frac=0, split_col=out["split"])["split"].tolist() == ["train", "test", "train"]


def test_split_columns_are_found_by_their_values():
    df = pd.DataFrame({"text": ["a", "b", "c", "d"], "set": ["train", "Test", "dev", "train"],
                       "fold": ["train", "train", "train", "train"], "label": ["x", "y", "x", "y"]})
    assert split_columns(df) == ["set"]


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
    with pytest.raises(DataError, match="Column 'part' should say train, validation or test in every row, but also "
                                        "holds 'holdout' \\(30\\)"):
        split(tiny_df, split_col=pd.Series(["train", "holdout"] * 30, name="part"))


def test_split_too_few_rows():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(9)], "label": ["a", "b", "c"] * 3})
    with pytest.raises(DataError, match="too few rows"):
        split(df)


def test_split_too_few_rows_counts_the_rows_it_was_given():
    # Every class is under the minimum here, so none is left to split: the message still counts what there is.
    df = pd.DataFrame({"text": [f"t{i}" for i in range(4)], "label": ["a", "b"] * 2})
    with pytest.raises(DataError, match=r"\(4 rows in 2 classes, the smallest with 2; each needs 3 or more\)"):
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


def test_a_split_column_with_blank_or_unknown_cells_is_an_error_not_a_crash(tiny_df):
    part = ["train"] * 56 + ["test", None, " ", "later"]
    (issue,) = validate(tiny_df.assign(part=part), "text", "label", split_col="part")
    assert issue.message == ("Column 'part' should say train, validation or test in every row, but also holds "
                             "'(blank)' (2), 'later' (1). Fill in those rows, or hold out test texts at random.")
    with pytest.raises(DataError, match="also holds '\\(blank\\)' \\(2\\)"):
        split(tiny_df, split_col=pd.Series(part, name="part"))


def test_a_split_column_needs_rows_for_training_and_for_test(tiny_df):
    only_test = tiny_df.assign(part="test")
    assert split_columns(only_test) == []
    (issue,) = validate(only_test, "text", "label", split_col="part")
    assert issue.message == ("Column 'part' marks no rows for train; a model needs rows to learn from and rows to "
                             "be tested on. Choose another column, or hold out test texts at random.")


def test_a_users_split_without_validation_rows_lends_some_training_rows(tiny_df):
    part = pd.Series(["test" if i % 4 == 0 else "train" for i in range(len(tiny_df))], name="part")
    out = split(tiny_df, val_frac=0.2, split_col=part)
    assert out["split"].value_counts().to_dict() == {"train": 36, "test": 15, "val": 9}
    assert (out.loc[part == "test", "split"] == "test").all()
    assert out.loc[out["split"] == "val", "label"].nunique() == 3  # stratified


def test_lending_validation_rows_never_fails_or_takes_a_class_last_training_row():
    labels = [f"c{k}" for k in range(10) for _ in range(8)]
    part = pd.Series(["test" if i % 8 < 2 else "train" for i in range(80)], name="part")
    df = pd.DataFrame({"text": [f"t{i}" for i in range(80)], "label": labels})
    assert (split(df, val_frac=0.1, split_col=part)["split"] == "val").sum() == 6  # more classes than val rows
    df = pd.DataFrame({"text": [f"t{i}" for i in range(24)], "label": ["a"] * 11 + ["b"] * 11 + ["c", "c"]})
    part = pd.Series(["train"] * 10 + ["test"] + ["train"] * 10 + ["test"] + ["train", "test"], name="part")
    for seed in range(8):
        out = split(df, val_frac=0.3, seed=seed, split_col=part)
        assert set(out.loc[out["split"] == "train", "label"]) == {"a", "b", "c"}
