"""JSON, JSON Lines, Excel and Parquet: formats that carry their own structure."""
from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from core.data.reading.encoding import MARK, decode, mended
from core.data.reading.result import SHOWN_LOCATIONS, Note, ReadResult, Skipped, physical_lines
from core.data.splitting import SPLIT_NAMES
from core.errors import DataError
from core.wording import listing

SHAPE_HINT = 'a list of objects, such as [{"text": "…", "label": "…"}, …]'


def read_json_lines(text: str, encoding: str) -> ReadResult:
    records, skipped = [], []
    for number, line in enumerate(physical_lines(text), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            skipped.append(Skipped(f"not valid JSON: {exc.msg}.", line, line=number))
            continue
        if not isinstance(value, dict):
            skipped.append(Skipped(f"a JSON {type(value).__name__}, not an object with named fields.", line, line=number))
            continue
        records.append(value)
    return ReadResult(_frame(records), "JSON Lines", encoding=encoding, skipped=skipped)


def read_json(text: str, encoding: str) -> ReadResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # one object per line: JSON Lines saved as .json
            result = read_json_lines(text, encoding)
            result.kind = "JSON Lines (in a .json file)"
            return result
        raise DataError(f"Line {exc.lineno}, column {exc.colno}: {exc.msg}. The file is not valid JSON; "
                        f"the app reads {SHAPE_HINT}, or JSON Lines.") from exc
    items = _items(data)
    skipped = [Skipped(f"a JSON {type(item).__name__}, not an object with named fields.", json.dumps(item)[:1000],
                       place=f"item {i + 1}") for i, item in enumerate(items) if not isinstance(item, dict)]
    return ReadResult(_frame([item for item in items if isinstance(item, dict)]), "JSON", encoding=encoding,
                      skipped=skipped)


def _items(data: Any) -> list:
    """The records of a JSON document: a list of them, or the shapes people wrap them in."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise DataError(f"The JSON holds a single {type(data).__name__}; the app reads {SHAPE_HINT}.")
    records = {key: value for key, value in data.items() if isinstance(value, list) and _mostly_objects(value)}
    if len(records) == 1:  # {"data": [...]}; other keys describe the file
        return next(iter(records.values()))
    if records:  # {"train": [...], "test": [...]}: one table, each row saying which list it came from
        taken = {key for items in records.values() for item in items if isinstance(item, dict) for key in item}
        column = "split" if "split" not in taken and all(k.strip().lower() in SPLIT_NAMES for k in records) else "part"
        return [{**item, column: key} if isinstance(item, dict) else item
                for key, items in records.items() for item in items]
    columns = {key: value for key, value in data.items()
               if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value)}
    lengths = Counter(len(value) for value in columns.values())
    if lengths and (length := lengths.most_common(1)[0][0]) and (lengths[length] > 1 or len(columns) == len(data)):
        # {"text": [...], "label": [...]}: the lists of one length are the columns; others describe the file
        return pd.DataFrame({key: value for key, value in columns.items() if len(value) == length}).to_dict("records")
    if data and all(isinstance(value, dict) for value in data.values()):  # {"id1": {...}, "id2": {...}}
        return [{"key": key, **value} for key, value in data.items()]
    if data and not any(isinstance(value, (dict, list)) for value in data.values()):  # {"text one": "label", ...}
        return [{"key": key, "value": value} for key, value in data.items()]
    return [data]


def _mostly_objects(items: list) -> bool:
    return bool(items) and sum(isinstance(item, dict) for item in items) * 2 >= len(items)


def _frame(records: list[dict]) -> pd.DataFrame:
    return _flatten(pd.json_normalize(records)) if records else pd.DataFrame()


def _flatten(df: pd.DataFrame) -> pd.DataFrame:
    """Cells holding lists become "a|b", the form a multi-label column has in a table, and nested objects JSON
    text, so every cell can be compared and counted."""
    for column in df.columns[df.dtypes == object]:
        nested = df[column].map(lambda v: isinstance(v, (list, tuple, np.ndarray, dict)))
        if nested.any():
            df[column] = df[column].map(lambda v: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict)
                                        else "|".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
    return df


def read_excel(raw: bytes, sheet: str | None) -> ReadResult:
    """The chosen sheet, or the first one with any rows."""
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError("This is not an Excel .xlsx workbook. An old .xls file must be saved as .xlsx "
                        "(in Excel: Save As → Excel Workbook) or as CSV first.") from exc
    with book:
        sheets = [str(name) for name in book.sheet_names]
        if sheet is not None and sheet not in sheets:
            raise DataError(f"The workbook has no sheet '{sheet}'. Its sheets: {', '.join(sheets)}.")
        for chosen in [sheet] if sheet is not None else sheets:
            df = pd.read_excel(book, sheet_name=chosen, dtype=str).dropna(how="all")
            if len(df):
                break
    if not len(df):
        raise DataError(f"Sheet '{sheet}' is empty; choose another one ({', '.join(sheets)})." if sheet is not None
                        else f"Every sheet of the workbook is empty ({', '.join(sheets)}).")
    return ReadResult(df, "Excel workbook", sheet=chosen, sheets=sheets)


def read_parquet(raw: bytes) -> ReadResult:
    try:
        df = pd.read_parquet(io.BytesIO(raw))
    except (OSError, ValueError) as exc:
        raise DataError(f"This is not a readable Parquet file ({exc}).") from exc
    damaged = [f"'{column}'" for column in _decode_bytes(df)]
    where = f"{'column' if len(damaged) == 1 else 'columns'} {listing(damaged, SHOWN_LOCATIONS)}"
    notes = [Note(f"Bytes that are not UTF-8 text were replaced by '\ufffd' in {where}. If many texts show '\ufffd', "
                  "save the texts in the file as strings, not bytes.")] if damaged else []
    return ReadResult(_flatten(df), "Parquet", notes=notes)


def _decode_bytes(df: pd.DataFrame) -> list[str]:
    """Cells of bytes as UTF-8 text, so every cell can be compared and counted. Returns the columns where some bytes
    were not UTF-8."""
    damaged = []
    for column in df.columns[df.dtypes == object]:
        binary = df[column].map(lambda v: isinstance(v, (bytes, bytearray))).to_numpy(dtype=bool)
        if binary.any():
            texts = [decode(bytes(value), "utf-8") for value in df.loc[binary, column]]
            damaged += [column] if any(MARK in text for text in texts) else []
            df.loc[binary, column] = [mended(text) for text in texts]
    return damaged
