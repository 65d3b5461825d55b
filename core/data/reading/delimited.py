"""CSV, TSV and other delimited text, read record by record so that every line left out is named.

Python's csv module parses; each record's physical lines are kept until the next one, so a row with the
wrong number of fields is reported with its line number and content, and a quote that never closes is
caught instead of silently merging the rows after it into one text (the SMS-spam trap). Fields go into
Arrow arrays a batch at a time, so a million rows never sit in memory as Python strings.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from array import array
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data.preparation import LABEL_NAMES, TEXT_NAMES
from core.data.reading.encoding import MARK, SAMPLE, damage_notes, mended, open_text
from core.data.reading.result import Note, ReadResult, Skipped, column_names, line_list
from core.errors import DataError

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# A record spanning this many lines, in a file whose records are otherwise one line each, is a quote that
# never closed and swallowed the rows after it (shorter ones only when their quotes are malformed: see _suspect).
SWALLOWED_LINES = 20
BATCH = 20_000  # rows gathered as Python strings before they go into Arrow arrays
QUOTED_FIELD = r'(?:^|{d})"(?:[^"]|"")*"(?:{d}|\r?$)'
HEADER_MAX = 60  # characters; a first-row cell longer than this is a text, not a column name
KNOWN_NAMES = {*TEXT_NAMES, *LABEL_NAMES, "id", "split"} - {"y"}  # "y" is as often a label value as a name
LONG, MALFORMED, ROWS = "long", "malformed", "rows"
OPENED = "a quote opens here and is not closed where the row ends: fix the quote, then upload the file again."
# A swallowed quote can make one field megabytes long; it is reported, so the reader must not refuse it first.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class _Lines:
    """The lines csv.reader pulls, remembering those of the current record and the numbers of those that held bytes
    the encoding could not read (marked by `open_text`, handed on mended)."""

    def __init__(self, lines: Iterable[str], first: int = 1):
        self._lines = iter(lines)
        self._record: list[str] = []
        self.last: list[str] = []  # the lines of the record taken last
        self.next_line = first
        self.damaged: list[int] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if MARK in line:
            self.damaged.append(self.next_line + len(self._record))
            line = mended(line)
        self._record.append(line)
        return line

    def take(self) -> tuple[int, list[str]]:
        """(first line number, lines) of the record just parsed."""
        start, lines = self.next_line, self._record
        self.next_line += len(lines)
        self.last, self._record = lines, []
        return start, lines


class _Columns:
    def __init__(self, names: list[str], delimiter: str, header: bool):
        self.names = names
        self.delimiter = delimiter
        self.header = header
        self.batch: list[list[str]] = [[] for _ in names]
        self.chunks: list[list[pa.Array]] = [[] for _ in names]
        self.skipped: list[Skipped] = []
        self.records = self.multiline = 0
        self.starts = array("i")  # each row's first line: rows added after the rest go back in place

    def add(self, start: int, lines: list[str], fields: list[str]) -> None:
        if len(fields) != len(self.names):
            self.skipped.append(Skipped(self._count_reason(len(fields)), "".join(lines), line=start))
            return
        self.records += 1
        self.multiline += len(lines) > 1
        self.starts.append(start)
        for column, value in zip(self.batch, fields):
            column.append(value)
        if len(self.batch[0]) >= BATCH:
            self._flush()

    def _count_reason(self, found: int) -> str:
        where = f"the {'header' if self.header else 'first row'}'s {len(self.names)} columns"
        if found > len(self.names):
            return (f"more values than {where}. A text probably holds the separator "
                    f"({SEPARATORS.get(self.delimiter, repr(self.delimiter))}) without double quotes around it: "
                    "put such texts in double quotes, or save the file as Excel.")
        return f"fewer values than {where}: a value is missing, or the line is in another format."

    def _flush(self) -> None:
        missing = pa.scalar(None, type=pa.large_string())
        for chunks, column in zip(self.chunks, self.batch):
            array = pa.array(column, type=pa.large_string())
            chunks.append(pc.if_else(pc.equal(array, ""), missing, array))  # a blank cell is a missing value
            column.clear()

    def table(self) -> pd.DataFrame:
        self._flush()
        arrays = [pa.chunked_array(chunks, type=pa.large_string()) for chunks in self.chunks]
        table = pa.Table.from_arrays(arrays, names=self.names)
        starts = np.frombuffer(self.starts, dtype=np.int32)
        if (np.diff(starts) < 0).any():
            table = table.take(np.argsort(starts, kind="stable"))
            self.skipped.sort(key=lambda item: item.line)
        table = table.to_pandas()
        # The batches' arrays before blank cells became missing are free now; the pool would keep their memory.
        pa.default_memory_pool().release_unused()
        return table


def read_delimited(raw: bytes, encoding: str, delimiter: str | None = None, header: bool | None = None,
                   kind: str = "CSV") -> ReadResult:
    sample = _sample(raw, encoding)
    delimiter = delimiter or sniff_delimiter(sample)
    dialect = _dialect(delimiter, sample)
    if header is None:
        header = _has_header(list(csv.reader(io.StringIO(sample, newline=""), dialect))[:50])
    lines = _Lines(open_text(raw, encoding))
    records = _records(lines, dialect)
    first = next(((start, fields) for start, raw_lines, fields in records if fields), None)
    if first is None:
        raise DataError("The file holds no rows, only blank lines.")
    if len(lines.last) > 1 and _suspect(lines.last, len(first[1]), dialect) in (MALFORMED, LONG if header else None):
        raise DataError(f"Line {first[0]} opens a quote that is not closed where the row ends, so it swallowed "
                        f"{len(lines.last):,} lines of the file. Fix the quote on line {first[0]} and upload the file "
                        "again.")
    names = column_names(first[1] if header else [f"column_{i + 1}" for i in range(len(first[1]))])
    columns = _Columns(names, delimiter, header)
    if not header:
        columns.add(first[0], [], first[1])
    suspects = []
    for start, raw_lines, fields in records:
        if why := _suspect(raw_lines, len(names), dialect):
            suspects.append((why, start, raw_lines, fields))
        elif fields:
            columns.add(start, raw_lines, fields)
    notes = _settle(suspects, columns, dialect)
    notes += damage_notes(encoding, line_list(lines.damaged) if lines.damaged else None)
    return ReadResult(columns.table(), kind, encoding=encoding, delimiter=delimiter, header=header,
                      skipped=columns.skipped, notes=notes)


def _records(lines: _Lines, dialect: type[csv.Dialect]) -> Iterator[tuple[int, list[str], list[str]]]:
    reader = csv.reader(lines, dialect)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(f"Line {lines.next_line} could not be read: {exc}.") from exc
        start, raw_lines = lines.take()
        yield start, raw_lines, fields


def _suspect(raw_lines: list[str], n_columns: int, dialect: type[csv.Dialect]) -> str | None:
    """Why a record of several lines looks like a quote left open, or None when it looks like a real text:
    MALFORMED when its quotes are (open at the end of the file, or closing in the middle of a value, which a quoted
    text spanning lines never does), ROWS when the lines in between are each a whole row by themselves (a stray
    quote closed by another one rows later), LONG when it spans SWALLOWED_LINES lines or more."""
    if len(raw_lines) < 2:
        return None
    text = "".join(raw_lines)
    if text.count(dialect.quotechar) % 2:
        return MALFORMED
    # Spaces after a closing quote ('"a text" ,label') are sloppy, not a sign of a quote left open.
    loose = re.sub(rf'"[ \t]+(?={re.escape(dialect.delimiter)}|\r?\n|$)', '"', text)
    try:
        list(csv.reader(io.StringIO(loose, newline=""), dialect, strict=True))
    except csv.Error:
        return MALFORMED
    between = raw_lines[1:-1]
    if len(between) >= 2 and all(len(next(csv.reader([line], dialect), [])) == n_columns for line in between):
        return ROWS
    return LONG if len(raw_lines) >= SWALLOWED_LINES else None


def _settle(suspects: list, columns: _Columns, dialect: type[csv.Dialect]) -> list[Note]:
    """Decide, once the whole file is read, which suspect records are swallowed rows: every MALFORMED one, and LONG
    ones unless the file has enough multi-line texts to expect them. ROWS ones are read as written, with a note."""
    texts = [s for s in suspects if s[0] != MALFORMED]
    expected = columns.multiline + len(texts) >= max(3, (columns.records + len(texts)) / 100)
    # Well-formed CSV is read as written, but rows inside a quoted text are worth a look.
    notes = [Note(f"Lines {start}–{start + len(raw_lines) - 1} were read as one quoted text, yet its lines look like "
                  f"rows of their own. If they are, a quote is missing on line {start}.", (start,))
             for why, start, raw_lines, _ in suspects if why == ROWS and not expected]
    for _, start, raw_lines, fields in [s for s in texts if expected or s[0] == ROWS]:
        columns.add(start, raw_lines, fields)
    suspects = [s for s in suspects if s[0] == MALFORMED or s[0] == LONG and not expected]
    opened = []
    while suspects:
        _, start, raw_lines, _ = suspects.pop(0)
        opened.append(start)
        fields = next(csv.reader([raw_lines[0].rstrip("\r\n")], dialect))
        if len(fields) == len(columns.names):
            columns.add(start, raw_lines[:1], fields)
        else:
            columns.skipped.append(Skipped(OPENED, raw_lines[0], line=start))
        for record in _records(_Lines(raw_lines[1:], start + 1), dialect):
            if (why := _suspect(record[1], len(columns.names), dialect)) in (MALFORMED, LONG):
                suspects.insert(0, (why, *record))
            elif record[2]:
                columns.add(*record)
    if opened:
        notes.append(Note(f"A quote opens on {line_list(opened)} and is not closed where the row ends, which would have "
                          "merged the rows after it into one text. Each such line was read on its own, and the lines "
                          "after it as rows of their own.", tuple(opened)))
    return notes


def _sample(raw: bytes, encoding: str) -> str:
    """The first whole lines of the file, for guessing the separator and the header."""
    text = raw[:SAMPLE].decode(encoding, errors="ignore")
    if len(raw) > SAMPLE and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        # Only real separators are candidates: left free, a sniffer splits a one-column file on some letter.
        first = sample.partition("\n")[0]
        counts = {d: first.count(d) for d in SEPARATORS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _dialect(delimiter: str, sample: str) -> type[csv.Dialect]:
    if len(delimiter) != 1:
        raise DataError(f"The separator must be one character; got {delimiter!r}.")
    # Tab- and pipe-separated files are mostly written without quoting, so a quote in them is part of the text
    # ('"Great" movie'), unless the file shows quoted fields.
    quoted = delimiter in ",;" or re.search(QUOTED_FIELD.format(d=re.escape(delimiter)), sample, re.M) is not None
    return type("Chosen", (csv.excel,), {"delimiter": delimiter, "quoting": csv.QUOTE_MINIMAL if quoted
                                         else csv.QUOTE_NONE})


def _has_header(rows: list[list[str]]) -> bool:
    """Column names are short, do not repeat in the rows below as labels do, and name columns of numbers too;
    a single column is named by one word, or its first line is a text."""
    rows = [r for r in rows if r]
    if not rows:
        return True
    first, rest = rows[0], rows[1:]
    if any(len(cell) > HEADER_MAX for cell in first):
        return False
    if any(cell and any(i < len(row) and row[i] == cell for row in rest) for i, cell in enumerate(first)):
        return False
    if {cell.strip().lower() for cell in first} & KNOWN_NAMES:
        return True
    for i, cell in enumerate(first):
        below = [row[i] for row in rest if i < len(row) and row[i]]
        if below and all(_number(v) for v in below) and not _number(cell):
            return True
    return len(first) > 1 or re.fullmatch(r"[^\W\d][\w-]*", first[0].strip()) is not None


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
