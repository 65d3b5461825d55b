"""Reading every kind of file a user drops in, and what the reader says about it."""
from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest

from core.data.preparation import validate
from core.data.reading import read_file
from core.errors import DataError

ROWS = [("The match ended with a late goal", "sport"), ("Bake the bread for forty minutes", "food"),
        ("The new laptop has a faster chip", "tech")]


def read(source, filename=None, **options) -> pd.DataFrame:
    return read_file(source, filename, **options).table


# formats

def test_csv_comma_with_quoted_newlines_and_commas():
    raw = b'text,label\n"Hello, world\nsecond line",greeting\nplain text,other\n'
    df = read(raw, "data.csv")
    assert list(df.columns) == ["text", "label"]
    assert df["text"].tolist() == ["Hello, world\nsecond line", "plain text"]
    assert df["label"].tolist() == ["greeting", "other"]


def test_csv_semicolon_is_sniffed():
    raw = 'text;label\n"Bonjour; ça va\nbien";fr\nGood morning, all;en\n'.encode()
    df = read(raw, "data.csv")
    assert df.to_dict("list") == {"text": ["Bonjour; ça va\nbien", "Good morning, all"], "label": ["fr", "en"]}


def test_csv_from_path_and_file_object(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(path, index=False)
    from_path = read(path)
    with open(path, "rb") as fh:
        from_file = read(fh, "d.csv")
    assert from_path["text"].tolist() == [t for t, _ in ROWS]
    pd.testing.assert_frame_equal(from_path, from_file)


def test_csv_keeps_label_strings_and_blank_cells_as_missing():
    df = read(b"text,label\nhello,007\n,1\n", "d.csv")
    assert df["label"].tolist() == ["007", "1"]  # read as text, not numbers
    assert pd.isna(df["text"][1])


def test_tsv():
    df = read(b"sentence\tintent\nbook a table for two\tbooking\nwhat is the weather\tweather\n", "d.tsv")
    assert df.to_dict("list") == {"sentence": ["book a table for two", "what is the weather"],
                                  "intent": ["booking", "weather"]}


def test_txt_label_tab_text():
    df = read("体育\t球队赢了比赛\n财经\t股市今天大涨\n\n".encode(), "news.txt")
    assert df.to_dict("list") == {"label": ["体育", "财经"], "text": ["球队赢了比赛", "股市今天大涨"]}


def test_txt_one_text_per_line():
    df = read(b"first text\n\nsecond text\n  \nthird text\n", "lines.txt")
    assert df.to_dict("list") == {"text": ["first text", "second text", "third text"]}


def test_jsonl():
    raw = "\n".join(json.dumps({"text": t, "label": l, "id": i}) for i, (t, l) in enumerate(ROWS)).encode()
    df = read(raw, "d.jsonl")
    assert df["text"].tolist() == [t for t, _ in ROWS]
    assert df["label"].tolist() == [l for _, l in ROWS]


def test_xlsx(tmp_path):
    path = tmp_path / "d.xlsx"
    pd.DataFrame({"review": [t for t, _ in ROWS], "stars": [5, 1, 3]}).to_excel(path, index=False)
    df = read(path.read_bytes(), "d.xlsx")
    assert df["review"].tolist() == [t for t, _ in ROWS]
    assert df["stars"].tolist() == ["5", "1", "3"]  # labels stay text


def test_parquet():
    buf = io.BytesIO()
    pd.DataFrame(ROWS, columns=["text", "label"]).to_parquet(buf, index=False)
    df = read(buf.getvalue(), "d.parquet")
    assert df.to_dict("list") == {"text": [t for t, _ in ROWS], "label": [l for _, l in ROWS]}


def test_a_parquet_column_of_bytes_is_read_as_text_and_says_where_bytes_were_not_utf8():
    buf = io.BytesIO()
    pd.DataFrame({"text": ["café".encode(), b"\xff ok"], "label": ["a", "b"]}).to_parquet(buf, index=False)
    result = read_file(buf.getvalue(), "d.parquet")
    assert result.table["text"].tolist() == ["café", "\ufffd ok"]
    assert result.problems() == ["Bytes that are not UTF-8 text were replaced by '\ufffd' in column 'text'. If many "
                                 "texts show '\ufffd', save the texts in the file as strings, not bytes."]
    assert validate(result.table, "text", "label")  # the report reads the texts as any others, without a crash


def test_header_names_are_stripped():
    df = read(b" text , label \nsome text,a\nmore text,b\n", "d.csv")
    assert list(df.columns) == ["text", "label"]


# errors and encodings

def test_unsupported_extension():
    with pytest.raises(DataError) as err:
        read(b"text,label\na,b\n", "report.docx")
    assert "'report.docx' is not a supported file type" in str(err.value)
    assert ".csv" in str(err.value) and ".xlsx" in str(err.value)


@pytest.mark.parametrize("raw", [b"", b"text,label\n"])
def test_empty_file(raw):
    with pytest.raises(DataError, match=r"'d\.csv' (is empty|has column names but no rows)\."):
        read(raw, "d.csv")


def test_unreadable_content_is_a_data_error():
    with pytest.raises(DataError, match=r"This is not an Excel \.xlsx workbook. An old \.xls file must be saved as"):
        read(b"this is not a spreadsheet", "d.xlsx")


def test_gbk_chinese_csv():
    rows = [("今天的足球比赛非常精彩，球迷们都很高兴", "体育"), ("股市大涨，投资者信心明显增强", "财经"),
            ("新款手机发布会在北京举行，吸引了很多人", "科技")] * 4
    raw = ("text,label\n" + "\n".join(f"{t},{l}" for t, l in rows)).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    df = read(raw, "news.csv")
    assert list(zip(df["text"], df["label"])) == rows


def test_cp1252_csv():
    # Short Western text where cp1250 and cp1252 look equally plausible to a detector: ï must stay ï.
    rows = [("Café au lait is naïve", "drink"), ("The résumé was “great”", "job")]
    raw = ("text,label\n" + "\n".join(f"{t},{l}" for t, l in rows) + "\n").encode("cp1252")
    df = read(raw, "d.csv")
    assert list(zip(df["text"], df["label"])) == rows


def test_explicit_encoding_and_utf8_bom():
    assert read("text,label\nnaïve,a\n".encode("latin-1"), "d.csv", encoding="latin-1")["text"][0] == "naïve"
    df = read("text,label\nnaïve,a\n".encode("utf-8-sig"), "d.csv")
    assert list(df.columns) == ["text", "label"]  # the BOM is not part of the first column name


def damaged(line: int) -> list[str]:
    return [f"Bytes that are not valid UTF-8 were replaced by '\ufffd' on line {line}. If many texts show '\ufffd', "
            "pick the file's encoding by hand."]


FFFD_FILES = {  # each spells U+FFFD in valid UTF-8 on its first row of data, line 2 (line 1 for .txt and .jsonl)
    "d.csv": "text,label\nsaid \ufffd here,a\nplain,b\n",
    "d.txt": "a\tsaid \ufffd here\nb\tplain\n",
    "d.jsonl": '{"text": "said \ufffd here", "label": "a"}\n{"text": "plain", "label": "b"}\n',
    "d.json": '[\n{"text": "said \ufffd here", "label": "a"},\n{"text": "plain", "label": "b"}]\n',
}


@pytest.mark.parametrize("name", FFFD_FILES)
def test_a_replacement_character_written_in_valid_utf8_is_no_damage(name):
    result = read_file(FFFD_FILES[name].encode(), name)
    assert result.encoding == "utf-8" and result.problems() == []
    assert result.table["text"].tolist()[0] == "said \ufffd here"


@pytest.mark.parametrize("name", FFFD_FILES)
def test_bytes_that_are_not_utf8_are_named_by_line_in_every_text_format(name):
    raw = FFFD_FILES[name].encode().replace(b"said", b"s\xffid")
    result = read_file(raw, name)
    assert result.problems() == damaged(1 if name in ("d.txt", "d.jsonl") else 2)
    assert result.table["text"].tolist()[0] == "s\ufffdid \ufffd here"


def test_a_file_full_of_written_replacement_characters_is_still_read_as_utf8():
    raw = ("text,label\n" + "a \ufffd in every row,x\n" * 50).encode()
    result = read_file(raw, "d.csv")
    assert (result.encoding, result.problems()) == ("utf-8", [])
    assert set(result.table["text"]) == {"a \ufffd in every row"}


def test_in_a_zip_only_the_files_with_unreadable_bytes_are_named():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("news/sport/written.txt", "a goal \ufffd today".encode())
        archive.writestr("news/sport/broken.txt", b"a goal \xff today")
        archive.writestr("news/food/plain.txt", b"fresh bread")
    result = read_file(buffer.getvalue(), "news.zip")
    assert result.problems() == ["Bytes that are not valid UTF-8 were replaced by '\ufffd' on news/sport/broken.txt. "
                                 "If many texts show '\ufffd', pick the file's encoding by hand."]
    assert sorted(result.table["text"]) == ["a goal \ufffd today", "a goal \ufffd today", "fresh bread"]




@pytest.mark.parametrize("raw, line", [(b"text,label\nhello, world,a\nbye,b\n", 2),
                                       (b"text,label\nhi,a\nbye,b\nsee, you,a\n", 4)])
def test_an_unquoted_separator_inside_a_text_is_left_out_by_line_not_shifted(raw, line):
    result = read_file(raw, "x.csv")
    assert result.rows == 1 + (line == 4)
    (skipped,) = result.skipped
    assert (skipped.line, skipped.content) == (line, raw.decode().splitlines(keepends=True)[line - 1])
    assert result.problems() == [f"Left out line {line}: more values than the header's 2 columns. A text probably "
                                 "holds the separator (comma) without double quotes around it: put such texts in "
                                 "double quotes, or save the file as Excel."]


def test_duplicate_column_names_are_made_unique():
    df = read(b"text, text,label\na,b,c\n", "x.csv")
    assert list(df.columns) == ["text", "text (2)", "label"]
    assert validate(df, "text (2)", "label")[0].level == "error"  # one class, but no crash




def test_a_blank_text_file_says_so():
    with pytest.raises(DataError, match="no text, only blank lines"):
        read(b"  \n\n \t\n", "notes.txt")


def test_column_names_stay_unique_whatever_the_header_holds():
    assert read(b"text,text,text (2),,column_4\na,b,c,d,e\n", "x.csv").columns.tolist() == [
        "text", "text (2)", "text (2) (2)", "column_4", "column_4 (2)"]


def test_a_fasttext_label_without_text_says_so():
    result = read_file(b"__label__a first text\n__label__b second text\n__label__c\n", "x.txt")
    assert result.problems() == ["Left out line 3: a label but no text after it."]


def zip_with_local_names(files: dict[str, str], encoding: str) -> bytes:
    """A ZIP whose file names are in a local code page without the UTF-8 flag, as Windows' own zipping writes."""
    buffer, names = io.BytesIO(), {}
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, (name, text) in enumerate(files.items()):
            local = name.encode(encoding)
            stand_in = chr(65 + i).encode() * len(local)  # ASCII of the same length, swapped for the real bytes
            names[stand_in] = local
            archive.writestr(stand_in.decode(), text.encode(encoding))
    raw = buffer.getvalue()
    for stand_in, local in names.items():
        raw = raw.replace(stand_in, local)
    return raw


@pytest.mark.parametrize("encoding, names", [
    ("cp437", ["Café", "Crème brûlée", "äpfel"]), ("gbk", ["体育", "财经"]), ("big5", ["體育", "財經"]),
    ("cp932", ["スポーツ", "経済ニュース"]), ("cp949", ["스포츠", "경제"]), ("cp866", ["спорт", "экономика"])])
def test_zip_folder_names_in_a_local_code_page(encoding, names):
    raw = zip_with_local_names({f"{name}/{i}.txt": f"text {i}" for i, name in enumerate(names)}, encoding)
    assert read(raw, "classes.zip")["label"].tolist() == names


def test_zip_class_folders_keep_their_own_subfolders():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("data/pos/2019/a.txt", "data/neg/old/b.txt", "data/pos/c.txt"):
            archive.writestr(name, "some text")
    assert read(buffer.getvalue(), "nested.zip")["label"].tolist() == ["pos", "neg", "pos"]


def test_old_mac_line_ends_are_line_ends():
    assert read(b"spam\tWin now\rham\tHello\rham\tSee you\r", "mac.txt")["label"].tolist() == ["spam", "ham", "ham"]
    assert read(b"text,label\rhi,a\rbye,b\r", "mac.csv")["text"].tolist() == ["hi", "bye"]


@pytest.mark.parametrize("document, table", [
    ({"1": {"text": "a", "label": "x"}, "2": {"text": "b", "label": "y"}},
     {"key": ["1", "2"], "text": ["a", "b"], "label": ["x", "y"]}),
    ({"a goal": "sport", "a recipe": "food"}, {"key": ["a goal", "a recipe"], "value": ["sport", "food"]}),
    ({"data": [{"text": "a", "label": "x"}], "labels": ["x", "y"]}, {"text": ["a"], "label": ["x"]}),
    ({"text": ["a", "b"], "label": ["x", "y"], "names": ["p", "q", "r"], "name": "ds"},
     {"text": ["a", "b"], "label": ["x", "y"]}),
    ({"train": [{"text": "a", "split": "mine"}], "test": [{"text": "b", "split": "mine"}]},
     {"text": ["a", "b"], "split": ["mine", "mine"], "part": ["train", "test"]}),
])
def test_json_documents_in_the_shapes_people_write(document, table):
    assert read(json.dumps(document).encode(), "d.json").to_dict("list") == table


@pytest.mark.parametrize("raw", [b"[{}, {}]", b"{}\n{}\n"])
def test_rows_of_empty_objects_are_refused_with_the_shape_needed(raw):
    with pytest.raises(DataError, match=r"'d.json' has 2 rows but no columns: every row is empty.*Each row needs a "
                                        r"text and its label, such as \{\"text\""):
        read_file(raw, "d.json")


def test_two_stray_quotes_are_read_as_written_with_a_note_to_look():
    raw = ("text,label\n" + "".join(f"msg {i},ham\n" for i in range(5)) + '"oops msg 5,spam\nmsg 6,ham\nmsg 7,ham\n'
           'msg 8 closes",ham\n' + "".join(f"msg {i},ham\n" for i in range(9, 15))).encode()
    result = read_file(raw, "x.csv")
    assert result.rows == 12 and not result.skipped
    assert result.problems() == ["Lines 7–10 were read as one quoted text, yet its lines look like rows of their own. "
                                 "If they are, a quote is missing on line 7."]


@pytest.mark.parametrize("raw, first", [(b'label,text\na,"abc\ndef" \nb,plain\n', "abc\ndef "),
                                        (b'text,label\n"abc\ndef" ,x\nplain,y\n', "abc\ndef ")])
def test_spaces_after_a_closing_quote_do_not_make_a_text_suspect(raw, first):
    result = read_file(raw, "x.csv")
    assert (result.rows, result.skipped, result.notes) == (2, [], [])
    assert first in result.table.iloc[0].tolist()


def test_long_texts_in_a_file_of_them_keep_their_place():
    texts = ["\n".join(f"line {j}" for j in range(25)) if i in (2, 5, 8) else f"text {i}" for i in range(10)]
    out = io.StringIO()
    pd.DataFrame({"text": texts, "label": ["a"] * 10}).to_csv(out, index=False)
    result = read_file(out.getvalue().encode(), "x.csv")
    assert result.table["text"].tolist() == texts and not result.notes


def test_zip_classes_named_like_a_split_stay_classes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("emails/valid/1.txt", "emails/invalid/2.txt", "emails/valid/3.txt"):
            archive.writestr(name, "an email")
    table = read(buffer.getvalue(), "emails.zip")
    assert table["label"].tolist() == ["valid", "invalid", "valid"] and "split" not in table


@pytest.mark.parametrize("stray, why", [
    ("../../evil.txt", "outside the archive's folders"), ("/etc/evil.txt", "outside the archive's folders"),
    ("C:\\evil.txt", "outside the archive's folders"), ("README.txt", "not inside a class folder")])
def test_a_stray_entry_beside_the_class_folders_is_named_and_moves_no_class(stray, why):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(3):
            archive.writestr(f"data/ham/{i}.txt", f"see you at lunch {i}")
            archive.writestr(f"data/spam/{i}.txt", f"win a prize now {i}")
        archive.writestr(stray, "a stray text")
    result = read_file(buffer.getvalue(), "sms.zip")
    assert sorted(set(result.table["label"])) == ["ham", "spam"] and result.rows == 6
    (skipped,) = result.skipped
    assert skipped.place == stray and why in skipped.reason
