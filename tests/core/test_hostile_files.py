"""A folder of small hostile files, one per case a real upload hits, each with exactly what the reader must say."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.data.multilabel_shapes import LabelShape, detect_shape
from core.data.reading import read_file
from core.errors import DataError

HOSTILE = Path(__file__).parent / "hostile"
EN_FIRST = ["The match ended with a late goal", "sport"]
TOO_FEW = "fewer values than the header's {} columns: a value is missing, or the line is in another format."
QUOTE_NOTE = ("A quote opens on line {} and is not closed where the row ends, which would have merged the rows after it "
              "into one text. Each such line was read on its own, and the lines after it as rows of their own.")
OPENED = "a quote opens here and is not closed where the row ends: fix the quote, then upload the file again."
TOO_MANY = ("more values than the header's {} columns. A text probably holds the separator (comma) without double "
            "quotes around it: put such texts in double quotes, or save the file as Excel.")

# file -> (what it is read as, encoding, separator, rows, first row, every problem sentence in order)
READ = {
    "comma_quoted_newlines.csv": ("CSV", "utf-8", ",", 3, ["Hello, world\nsecond line", "greeting"], []),
    "semicolon.csv": ("CSV", "utf-8", ";", 6, EN_FIRST, []),
    "tab_in_a_csv.csv": ("CSV", "utf-8", "\t", 6, EN_FIRST, []),
    "pipe.csv": ("CSV", "utf-8", "|", 6, EN_FIRST, []),
    "utf8.csv": ("CSV", "utf-8", ",", 3, ["naïve café", "fr"], []),
    "utf8_bom.csv": ("CSV", "utf-8-sig", ",", 2, ["naïve café", "fr"], []),
    "utf16.csv": ("CSV", "utf-16", ",", 2, ["naïve café", "fr"], []),
    "gbk.csv": ("CSV", "gb18030", ",", 3, ["今天的足球比赛非常精彩，球迷们都很高兴", "体育"], []),
    "big5.csv": ("CSV", "big5hkscs", ",", 3, ["今天的足球比賽非常精彩，球迷們都很高興", "體育"], []),
    "shift_jis.csv": ("CSV", "cp932", ",", 3, ["今日の試合はとても素晴らしかった", "スポーツ"], []),
    "cp1252.csv": ("CSV", "cp1252", ",", 3, ["Café au lait is naïve", "drink"], []),
    "damaged_utf8.csv": ("CSV", "utf-8", ",", 4, ["naïve café", "fr"], [
        "Bytes that are not valid UTF-8 were replaced by '\ufffd' on lines 3 and 5. If many texts show '\ufffd', "
        "pick the file's encoding by hand."]),
    "unclosed_quote.csv": ("CSV", "utf-8", ",", 9, ["message number 1", "ham"], [
        QUOTE_NOTE.format(7), "Left out line 7: " + OPENED, "Left out lines 8, 9, 10, 11, 12 and 20 more: " + TOO_FEW.format(2)]),
    "wrong_field_counts.csv": ("CSV", "utf-8", ",", 3, ["fine row", "a", "web"], [
        "Left out line 3: " + TOO_MANY.format(3), "Left out line 5: " + TOO_FEW.format(3)]),
    "rows.json": ("JSON", "utf-8", None, 6, EN_FIRST, []),
    "wrapped.json": ("JSON", "utf-8", None, 3, EN_FIRST, []),
    "rows.jsonl": ("JSON Lines", "utf-8", None, 4, EN_FIRST, [
        "Left out line 4: not valid JSON: Expecting property name enclosed in double quotes.",
        "Left out line 5: a JSON list, not an object with named fields."]),
    "multilabel.jsonl": ("JSON Lines", "utf-8", None, 6, ["goal and election", "sport|politics"], []),
    "label_tab_text.txt": ("label<TAB>text lines", "utf-8", None, 3, ["今天的足球比赛非常精彩，球迷们都很高兴", "体育"], [
        "Left out line 4: no tab between the label and the text."]),
    "fasttext.txt": ("fastText lines (__label__x text)", "utf-8", None, 6, EN_FIRST, [
        "Left out line 7: no __label__ at the start."]),
    "one_text_per_line.txt": ("text, one per line", "utf-8", None, 2, ["first text"], []),
    "rows.parquet": ("Parquet", None, None, 6, EN_FIRST, []),
    "two_sheets.xlsx": ("Excel workbook", None, None, 1, ["read me first"], []),
    "class_folders.zip": ("ZIP of class folders", "cp1252", None, 7, None, [
        "Left out news/README.md: not inside a class folder: put each example in the folder named after its class.",
        "Left out news/sport/empty.txt: an empty file."]),
    "imdb_layout.zip": ("ZIP of class folders", "utf-8", None, 3, None, [
        "Left out aclImdb/README, aclImdb/train/labeledBow.feat: not inside a class folder: put each example in the "
        "folder named after its class."]),
    "gbk_folder_names.zip": ("ZIP of class folders", "gb18030", None, 2,
                             ["今天的足球比赛非常精彩", "体育", "新闻/体育/1.txt"], []),
    "utf16_no_bom.csv": ("CSV", "utf-16-le", ",", 30, ["message number 0", "a"], []),
    "short_unclosed_quote.csv": ("CSV", "utf-8", ",", 5, ["hello", "a"], [
        QUOTE_NOTE.format(3), "Left out line 3: " + OPENED]),
    "quotes_in_a_tsv.tsv": ("TSV", "utf-8", "\t", 3, ['"Great" movie, really', "pos"], []),
    "line_separator_in_json_lines.jsonl": ("JSON Lines", "utf-8", None, 2, ["one\u2028two", "a"], []),
    "train_and_test_lists.json": ("JSON", "utf-8", None, 3, ["a goal", "sport", "train"], []),
    "list_labels.parquet": ("Parquet", None, None, 3, ["goal and vote", "sport|politics"], []),
    "empty_first_sheet.xlsx": ("Excel workbook", None, None, 2, ["a goal", "sport"], []),
}

REFUSED = {
    "empty.csv": "'empty.csv' is empty.",
    "quote_in_header.csv": "Could not read 'quote_in_header.csv'. Line 1 opens a quote that is not closed where the "
                           "row ends, so it swallowed 3 lines of the file. Fix the quote on line 1 and upload the "
                           "file again.",
    "header_only.csv": "'header_only.csv' has column names but no rows.",
    "blank.txt": "Could not read 'blank.txt'. The file holds no text, only blank lines.",
    "binary.csv": "Could not read 'binary.csv'. Could not tell the text encoding of the file: it looks like binary "
                  "data, not text. Save it as UTF-8 (in Excel: Save As → CSV UTF-8) and upload it again, or pick the "
                  "encoding by hand.",
    "broken.json": "Could not read 'broken.json'. Line 2, column 15: Expecting ',' delimiter. The file is not valid "
                   "JSON; the app reads a list of objects, such as [{\"text\": \"…\", \"label\": \"…\"}, …], or JSON Lines.",
    "old_excel.xlsx": "Could not read 'old_excel.xlsx'. This is not an Excel .xlsx workbook. An old .xls file must be "
                      "saved as .xlsx (in Excel: Save As → Excel Workbook) or as CSV first.",
}


def test_every_hostile_file_has_a_case():
    assert {p.name for p in HOSTILE.iterdir()} == set(READ) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(READ))
def test_a_hostile_file_is_read_and_explained(name):
    kind, encoding, delimiter, rows, first, problems = READ[name]
    result = read_file(HOSTILE / name)
    assert (result.kind, result.encoding, result.delimiter, result.rows) == (kind, encoding, delimiter, rows)
    if first is not None:
        assert result.table.iloc[0].tolist() == first
    assert result.problems() == problems


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_file_that_cannot_be_read_says_why(name):
    with pytest.raises(DataError) as err:
        read_file(HOSTILE / name)
    assert str(err.value) == REFUSED[name]


def test_the_left_out_lines_can_be_downloaded_as_they_were():
    skipped = read_file(HOSTILE / "unclosed_quote.csv").skipped_table()
    assert list(skipped.columns) == ["where", "reason", "content"]
    assert skipped["where"].tolist()[:2] == ["line 7", "line 8"]
    assert skipped["reason"].tolist()[0] == OPENED
    assert skipped["content"].tolist()[:2] == ['"this quote never closes,spam\n', "ham\tswallowed line 1\n"]


def test_the_zip_labels_come_from_the_folders():
    table = read_file(HOSTILE / "class_folders.zip").table
    assert sorted(table["label"].unique()) == ["food", "sport", "tech"]
    assert "Ein älterer Text über Computer" in set(table["text"])
    imdb = read_file(HOSTILE / "imdb_layout.zip").table
    assert sorted(zip(imdb["label"], imdb["split"])) == [("neg", "train"), ("pos", "test"), ("pos", "train")]


def test_a_list_of_labels_is_one_multilabel_cell():
    table = read_file(HOSTILE / "list_labels.parquet").table
    assert detect_shape(table["labels"]) == LabelShape("separated", "|")


def test_a_chosen_sheet_and_encoding_override_the_guess():
    sheet = read_file(HOSTILE / "two_sheets.xlsx", sheet="Data")
    assert (sheet.sheet, sheet.sheets, list(sheet.table.columns)) == ("Data", ["About", "Data"], ["review", "stars"])
    forced = read_file(HOSTILE / "cp1252.csv", encoding="latin-1")
    assert forced.encoding == "iso8859-1" and forced.table["text"][0] == "Café au lait is naïve"
    with pytest.raises(DataError, match="'klingon' is not a text encoding this app knows"):
        read_file(HOSTILE / "cp1252.csv", encoding="klingon")


def test_header_and_separator_can_be_overridden():
    result = read_file(HOSTILE / "semicolon.csv", delimiter=";", header=False)
    assert list(result.table.columns) == ["column_1", "column_2"] and result.table.iloc[0].tolist() == ["text", "label"]


def test_rows_read_again_after_an_unclosed_quote_stay_in_the_order_of_the_file():
    table = read_file(HOSTILE / "short_unclosed_quote.csv").table
    assert table["text"].tolist() == ["hello", "three", "four", "five", "six"]
