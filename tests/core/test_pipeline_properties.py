"""Everything after reading, fuzzed as reading is: a table of mixed values written in any format, or any bytes at all,
goes through what the Data page and `python -m core inspect | train` do with it (read, guess or choose the columns,
the quality report and its fixes, prepare, split) and gives a dataset or a DataError that says what is wrong, never
an unhandled exception. FUZZ_EXAMPLES=3000 runs each test longer."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import zipfile

import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

from core.data.labels import MISSING, OTHER, LabelOptions, clean_labels, is_numeric, label_ids
from core.data.preparation import guess_columns, not_text, prepare_counted, validate
from core.data.quality import CASEFOLD, apply_fix
from core.data.reading import SUPPORTED, read_file
from core.data.splitting import split, split_columns
from core.errors import DataError

SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAMES = st.sampled_from(["text", "label", "id", "y", "split", "Message", "Category", "notes", "score", " ", "中文",
                         " text", "1", "null"])
WORDS = st.sampled_from(["spam", "ham", "Spam", "a fine day", "train", "test", "val", "the match ended 2-1",
                         "sports|politics", "a, b", "体育新闻标题", "😀", "x" * 70, "1.0", "2", "-3", "1e3"])
MISSING_WORDS = st.sampled_from(["NaN", "nan", "null", "NULL", "None", "NA", "N/A", "", "   ", "<NA>", "#N/A"])
TRICKY = st.text(alphabet=st.sampled_from(list(',;\t|"\'\n\r {}[]:abc01é中😀')), max_size=30)
NUMBERS = st.one_of(st.integers(-3, 3), st.sampled_from([2**63 - 1, -(2**63), 2**53 + 1]))
HUGE = st.sampled_from([10**20, 2**64, -(10**30)])  # past 64 bits: text and JSON only
FLOATS = st.one_of(st.sampled_from([1e20, -1e20, math.nan, math.inf, -math.inf, 0.5, 1.0, 2.0, -0.0, 2.0**53 + 2]),
                   st.floats(allow_nan=True, allow_infinity=True))
STRINGS = st.one_of(WORDS, MISSING_WORDS, TRICKY)
# One kind of value per column, as Parquet and Excel need; "mixed" only where the format can hold it.
KINDS = {"int": NUMBERS, "huge": HUGE, "float": FLOATS, "str": STRINGS, "bool": st.booleans(),
         "bytes": st.binary(max_size=8), "list": st.lists(WORDS, max_size=3),
         "dict": st.dictionaries(st.sampled_from(["a", "b"]), st.one_of(WORDS, st.integers(0, 3)), max_size=2),
         "mixed": st.one_of(NUMBERS, HUGE, FLOATS, STRINGS, st.booleans(), st.none(), st.lists(WORDS, max_size=2))}
TEXT_KINDS = {"int", "huge", "float", "str", "bool", "mixed"}
FORMATS = {".csv": TEXT_KINDS, ".tsv": TEXT_KINDS, ".json": TEXT_KINDS | {"list", "dict"},
           ".jsonl": TEXT_KINDS | {"list", "dict"},
           ".parquet": {"int", "float", "str", "bool", "bytes", "list"}, ".xlsx": {"int", "float", "str", "bool"}}


# Texts and labels as real files have them, so that many tables get past the quality report to be split.
SENTENCES = st.tuples(st.sampled_from(["the match ended with a late goal", "bake the bread", "体育新闻标题", "ok",
                                       "Great!", "😀 so good"]), st.integers(0, 99)).map(lambda t: f"{t[0]} {t[1]}")
CLASSES = st.sampled_from(["sport", "food", "Sport", "1", "2", "0.0", 1.0, 2.0, 1e20, math.nan, 0, 1])


@st.composite
def tables(draw, suffix: str) -> pd.DataFrame:
    """Up to 4 columns of up to 30 rows, each column of one kind of value the format holds, with missing cells; often
    a column of texts and one of labels among them, so that most tables get past the quality report."""
    width = draw(st.sampled_from([1, 2, 2, 3, 3, 4]))
    names = draw(st.lists(NAMES, min_size=width, max_size=width, unique=True))
    n = draw(st.one_of(st.integers(0, 5), st.integers(12, 30)))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(sorted(FORMATS[suffix]) + ["texts", "classes"] * 3))
        if kind == "classes":  # two or three of them, and missing labels written as files write them
            pool = draw(st.lists(CLASSES.map(str) if suffix in (".parquet", ".xlsx") else CLASSES, min_size=2,
                                 max_size=3, unique_by=str))
            values = st.one_of(st.sampled_from(pool), st.sampled_from(pool), MISSING_WORDS)
        else:
            values = SENTENCES if kind == "texts" else KINDS[kind]
        columns[name] = draw(st.lists(st.one_of(values, st.none()), min_size=n, max_size=n))
    return pd.DataFrame(columns)


def written(df: pd.DataFrame, suffix: str, wrapped: bool = False) -> bytes:
    """The table as a user's file of that format; `wrapped` JSON as one list per column in an object."""
    if suffix in (".csv", ".tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if suffix == ".tsv" else ",")
        writer.writerows([list(df.columns), *([("" if v is None else str(v)) for v in row] for row in df.values)])
        return out.getvalue().encode("utf-8")
    records = [{k: v for k, v in zip(df.columns, row) if v is not None} for row in df.values.tolist()]
    if suffix == ".json":
        return json.dumps({k: list(v) for k, v in df.items()} if wrapped else records, ensure_ascii=False).encode()
    if suffix == ".jsonl":
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode("utf-8")
    buffer = io.BytesIO()
    if suffix == ".parquet":
        df.to_parquet(buffer)
    else:
        # Excel cells hold no control characters, and openpyxl refuses them.
        df.map(lambda v: "".join(c for c in v if c >= " ") if isinstance(v, str) else v).to_excel(buffer, index=False)
    return buffer.getvalue()


def class_folders(rows: list[tuple[str, str, str | None]]) -> bytes:
    """A ZIP of class folders, in split folders when given one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, (text, label, part) in enumerate(rows):
            archive.writestr(f"{part + '/' if part else ''}{label}/{i}.txt", text)
    return buffer.getvalue()


def through_the_pipeline(raw: bytes, name: str, choose=None, labels: LabelOptions = LabelOptions(),
                         click_fixes: bool = False) -> None:
    """What the Data page does with an upload, in its order; `choose(columns)` stands for the person picking the
    (text, label) columns, else the guess is kept, `labels` for the label options they tick and the names they give,
    and `click_fixes` for clicking every fix the report offers. A DataError is the only exception it may raise, and
    it must say something."""
    try:
        _pipeline(raw, name, choose, labels, click_fixes)
    except DataError as exc:
        assert str(exc).strip(), "a DataError must say what is wrong"


def _pipeline(raw: bytes, name: str, choose, labels: LabelOptions, click_fixes: bool) -> None:
    """Up to the split dataset, or as far as the page goes: it stops where no row was read, or at an error in the
    quality report."""
    df = read_file(raw, name).table
    if not len(df):  # every line was left out; the reading report says why
        return
    text_col, label_col = choose(list(df.columns)) if choose else guess_columns(df)
    split_col = next(iter(split_columns(df)), None)
    issues = validate(df, text_col, label_col, split_col, labels)
    assert all(issue.message.strip() and issue.level in ("error", "warning", "info") for issue in issues)
    if not_text(df[text_col]) is not None:
        assert any(i.level == "error" for i in issues), "a text column of numbers must never pass the report"
    for issue in issues:
        if issue.fix == CASEFOLD:
            labels = LabelOptions(casefold=True, names=labels.names)
        elif issue.fix:
            fixed, message = apply_fix(df, text_col, label_col, issue.fix, split_col, labels)
            assert message.strip() and set(fixed.index) <= set(df.index)
            df = fixed if click_fixes else df
    if click_fixes:  # the page checks the fixed table again
        issues = validate(df, text_col, label_col, split_col, labels)
    if any(issue.level == "error" for issue in issues):
        return
    if is_numeric(df[label_col]):  # the Data page offers to name the ids, sorted as whole numbers
        assert all(re.fullmatch("-?[0-9]+", i) for i in label_ids(df[label_col]).dropna().unique() if i != OTHER)
    classes = clean_labels(df[label_col], labels).dropna().astype(str).value_counts()  # the page's class table
    named = set(labels.names.values())
    assert not set(classes.index) & set(MISSING) - named, "a missing label is shown as a class"
    prepared, left_out = prepare_counted(df, text_col, label_col, labels, split_col)
    assert left_out.sentence() == "" or left_out.sentence().endswith(".")
    assert set(prepared["label"]) <= set(classes.index)
    parts = split(prepared, 0.1, 0.2, 42, split_col=prepared["split"] if split_col else None)
    assert set(parts["split"]) <= {"train", "val", "test"} and len(parts) == len(prepared)


@SETTINGS
@given(data=st.data(), suffix=st.sampled_from(sorted(FORMATS)), wrapped=st.booleans())
def test_a_table_of_mixed_values_in_any_format(data, suffix, wrapped):
    through_the_pipeline(written(data.draw(tables(suffix)), suffix, wrapped), f"upload{suffix}")


@SETTINGS
@given(data=st.data(), suffix=st.sampled_from(sorted(FORMATS)), casefold=st.booleans(),
       names=st.dictionaries(st.sampled_from(["0", "1", "2", "-3"]), st.one_of(WORDS, MISSING_WORDS), max_size=3))
def test_any_columns_and_label_options_the_person_chooses(data, suffix, casefold, names):
    """The Data page's selectboxes and --text-col / --label-col take any column, not only the guessed ones; the page
    lets ids be named anything, and each fix be clicked."""
    def choose(columns: list[str]) -> tuple[str, str | None]:
        return data.draw(st.sampled_from(columns)), data.draw(st.sampled_from([*columns, None]))

    through_the_pipeline(written(data.draw(tables(suffix)), suffix), f"upload{suffix}", choose,
                         LabelOptions(casefold, names), click_fixes=True)


@SETTINGS
@given(rows=st.lists(st.tuples(STRINGS, st.sampled_from(["pos", "neg", "NaN", "a b", "中文", "1", "1.0"]),
                               st.sampled_from([None, "train", "test", "val"])), min_size=1, max_size=12))
def test_a_zip_of_class_folders(rows):
    through_the_pipeline(class_folders(rows), "upload.zip")


@SETTINGS
@given(raw=st.binary(max_size=2000), suffix=st.sampled_from(SUPPORTED))
def test_any_bytes_in_any_format(raw, suffix):
    through_the_pipeline(raw, f"upload{suffix}")
