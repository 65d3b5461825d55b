"""Reading tables, guessing columns, checking them in plain language, preparing and splitting."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from core.data import SWALLOWED_LINES, DataError, guess_columns, prepare, read_table, split, validate

ROWS = [("The match ended with a late goal", "sport"), ("Bake the bread for forty minutes", "food"),
        ("The new laptop has a faster chip", "tech")]


def levels(issues) -> list[str]:
    return [i.level for i in issues]


def find(issues, level: str, words: str):
    """The one issue of `level` whose message contains `words` (case-insensitive)."""
    found = [i for i in issues if i.level == level and words.lower() in i.message.lower()]
    assert len(found) == 1, f"expected one {level} about {words!r}, got {[i.message for i in issues]}"
    return found[0]


# read_table: formats

def test_csv_comma_with_quoted_newlines_and_commas():
    raw = b'text,label\n"Hello, world\nsecond line",greeting\nplain text,other\n'
    df = read_table(raw, "data.csv")
    assert list(df.columns) == ["text", "label"]
    assert df["text"].tolist() == ["Hello, world\nsecond line", "plain text"]
    assert df["label"].tolist() == ["greeting", "other"]


def test_csv_semicolon_is_sniffed():
    raw = 'text;label\n"Bonjour; ça va\nbien";fr\nGood morning, all;en\n'.encode()
    df = read_table(raw, "data.csv")
    assert df.to_dict("list") == {"text": ["Bonjour; ça va\nbien", "Good morning, all"], "label": ["fr", "en"]}


def test_csv_from_path_and_file_object(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(path, index=False)
    from_path = read_table(path)
    with open(path, "rb") as fh:
        from_file = read_table(fh, "d.csv")
    assert from_path["text"].tolist() == [t for t, _ in ROWS]
    pd.testing.assert_frame_equal(from_path, from_file)


def test_csv_keeps_label_strings_and_blank_cells_as_missing():
    df = read_table(b"text,label\nhello,007\n,1\n", "d.csv")
    assert df["label"].tolist() == ["007", "1"]  # read as text, not numbers
    assert pd.isna(df["text"][1])


def test_tsv():
    df = read_table(b"sentence\tintent\nbook a table for two\tbooking\nwhat is the weather\tweather\n", "d.tsv")
    assert df.to_dict("list") == {"sentence": ["book a table for two", "what is the weather"],
                                  "intent": ["booking", "weather"]}


def test_txt_label_tab_text():
    df = read_table("体育\t球队赢了比赛\n财经\t股市今天大涨\n\n".encode(), "news.txt")
    assert df.to_dict("list") == {"label": ["体育", "财经"], "text": ["球队赢了比赛", "股市今天大涨"]}


def test_txt_one_text_per_line():
    df = read_table(b"first text\n\nsecond text\n  \nthird text\n", "lines.txt")
    assert df.to_dict("list") == {"text": ["first text", "second text", "third text"]}


def test_jsonl():
    raw = "\n".join(json.dumps({"text": t, "label": l, "id": i}) for i, (t, l) in enumerate(ROWS)).encode()
    df = read_table(raw, "d.jsonl")
    assert df["text"].tolist() == [t for t, _ in ROWS]
    assert df["label"].tolist() == [l for _, l in ROWS]


def test_xlsx(tmp_path):
    path = tmp_path / "d.xlsx"
    pd.DataFrame({"review": [t for t, _ in ROWS], "stars": [5, 1, 3]}).to_excel(path, index=False)
    df = read_table(path.read_bytes(), "d.xlsx")
    assert df["review"].tolist() == [t for t, _ in ROWS]
    assert df["stars"].tolist() == ["5", "1", "3"]  # labels stay text


def test_parquet():
    buf = io.BytesIO()
    pd.DataFrame(ROWS, columns=["text", "label"]).to_parquet(buf, index=False)
    df = read_table(buf.getvalue(), "d.parquet")
    assert df.to_dict("list") == {"text": [t for t, _ in ROWS], "label": [l for _, l in ROWS]}


def test_header_names_are_stripped():
    df = read_table(b" text , label \nsome text,a\nmore text,b\n", "d.csv")
    assert list(df.columns) == ["text", "label"]


# read_table: errors and encodings

def test_unsupported_extension():
    with pytest.raises(DataError) as err:
        read_table(b"text,label\na,b\n", "report.docx")
    assert "'report.docx' is not a supported file type" in str(err.value)
    assert ".csv" in str(err.value) and ".xlsx" in str(err.value)


@pytest.mark.parametrize("raw", [b"", b"text,label\n"])
def test_empty_file(raw):
    with pytest.raises(DataError, match=r"'d\.csv' (is empty|has no rows)"):
        read_table(raw, "d.csv")


def test_unreadable_content_is_a_data_error():
    with pytest.raises(DataError, match=r"Could not read 'd\.xlsx' as XLSX"):
        read_table(b"this is not a spreadsheet", "d.xlsx")


def test_gbk_chinese_csv():
    rows = [("今天的足球比赛非常精彩，球迷们都很高兴", "体育"), ("股市大涨，投资者信心明显增强", "财经"),
            ("新款手机发布会在北京举行，吸引了很多人", "科技")] * 4
    raw = ("text,label\n" + "\n".join(f"{t},{l}" for t, l in rows)).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    df = read_table(raw, "news.csv")
    assert list(zip(df["text"], df["label"])) == rows


def test_cp1252_csv():
    # Short Western text where cp1250 and cp1252 look equally plausible to a detector: ï must stay ï.
    rows = [("Café au lait is naïve", "drink"), ("The résumé was “great”", "job")]
    raw = ("text,label\n" + "\n".join(f"{t},{l}" for t, l in rows) + "\n").encode("cp1252")
    df = read_table(raw, "d.csv")
    assert list(zip(df["text"], df["label"])) == rows


def test_explicit_encoding_and_utf8_bom():
    assert read_table("text,label\nnaïve,a\n".encode("latin-1"), "d.csv", encoding="latin-1")["text"][0] == "naïve"
    df = read_table("text,label\nnaïve,a\n".encode("utf-8-sig"), "d.csv")
    assert list(df.columns) == ["text", "label"]  # the BOM is not part of the first column name


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


@pytest.mark.parametrize("raw, line", [(b"text,label\nhello, world,a\nbye,b\n", "A line"),
                                       (b"text,label\nhi,a\nbye,b\nsee, you,a\n", "Line 4")])
def test_an_unquoted_separator_inside_a_text_is_reported_not_shifted(raw, line):
    with pytest.raises(DataError, match=f"{line} has more fields than the header"):
        read_table(raw, "x.csv")


def test_duplicate_column_names_are_made_unique():
    df = read_table(b"text, text,label\na,b,c\n", "x.csv")
    assert list(df.columns) == ["text", "text (2)", "label"]
    assert validate(df, "text (2)", "label")[0].level == "error"  # one class, but no crash


def test_a_one_column_file_says_a_label_column_is_needed():
    df = read_table(b"first line\nsecond line\n", "notes.txt")
    (issue,) = validate(df, "text", None)
    assert issue.level == "error" and "only one column" in issue.message


def test_every_class_keeps_training_rows_when_validation_cannot_be_stratified():
    labels = list("aaaaabbbbbbbcccdeeefff")
    df = prepare(pd.DataFrame({"text": [f"t{i}" for i in range(len(labels))], "label": labels}), "text", "label")
    out = split(df, val_frac=0.3, test_frac=0.4, seed=0)
    assert set(out.loc[out["split"] == "train", "label"]) == set(labels)


def test_a_blank_text_file_says_so():
    with pytest.raises(DataError, match="no text, only blank lines"):
        read_table(b"  \n\n \t\n", "notes.txt")
