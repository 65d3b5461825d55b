"""Any bytes at all given to the reader give a table or a clear DataError, never an unhandled exception."""
from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

from core.data.reading import ENCODINGS, SUPPORTED, ReadResult, read_file
from core.errors import DataError

# Text made of the characters that break readers: separators, quotes, line ends, NUL, BOM, CJK and emoji.
PIECES = list(',;\t|"\'\n\r\x00\ufeff\\{}[]: abcXYZ01é中文😀') + ["__label__", '""', "\r\n"]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=150).map("".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_explain(raw: bytes, name: str, **options) -> ReadResult | None:
    try:
        result = read_file(raw, name, **options)
    except DataError as exc:
        assert str(exc).strip(), "a DataError must say what is wrong"
        return None
    assert isinstance(result.table, pd.DataFrame)
    assert result.rows > 0 or result.skipped, "a file read with no rows must say which lines were left out"
    assert all(isinstance(c, str) and c for c in result.table.columns)
    assert len(set(result.table.columns)) == result.table.shape[1]
    return result


@SETTINGS
@given(raw=st.binary(max_size=2000), suffix=st.sampled_from(SUPPORTED))
def test_random_bytes_in_any_format(raw, suffix):
    read_or_explain(raw, f"upload{suffix}")


@SETTINGS
@given(text=TRICKY, suffix=st.sampled_from([".csv", ".tsv", ".txt", ".json", ".jsonl"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030", "cp1252"]))
def test_tricky_text_in_any_encoding(text, suffix, encoding):
    raw = text.encode(encoding, errors="ignore")
    read_or_explain(raw, f"upload{suffix}")


@SETTINGS
@given(text=TRICKY, delimiter=st.sampled_from([",", ";", "\t", "|"]), header=st.booleans(),
       encoding=st.sampled_from(sorted(ENCODINGS)))
def test_every_override_the_user_can_pick(text, delimiter, header, encoding):
    read_or_explain(text.encode("utf-8"), "upload.csv", delimiter=delimiter, header=header, encoding=encoding)


LINES = st.text(alphabet=st.sampled_from(list("ab ,;|\t\"\n") + ["é", "中"]), min_size=1, max_size=40)


@SETTINGS
@given(width=st.integers(1, 3), data=st.data())
def test_a_well_formed_csv_reads_back_exactly(width, data):
    """Texts with separators, quotes and line ends in them, in 1 to 3 columns, come back as written."""
    rows = data.draw(st.lists(st.tuples(*[LINES] * width), min_size=1, max_size=30))
    out = io.StringIO()
    # The default \r\n line end makes csv quote a text holding a lone \r (with "\n" it would not, and the file
    # would be malformed).
    csv.writer(out).writerows([[f"column {i}" for i in range(width)], *rows])
    result = read_file(out.getvalue().encode("utf-8"), "x.csv", delimiter=",", header=True)
    assert not result.skipped
    # A quoted text whose lines look like rows gets a note asking the user to look, and is still read as written.
    assert all("were read as one quoted text" in note.message for note in result.notes)
    read_back = [[None if pd.isna(v) else v for v in row] for row in result.table.itertuples(index=False)]
    assert read_back == [list(row) for row in rows]
