"""JSON, JSON Lines, Excel and Parquet: formats that carry their own structure."""
from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import openpyxl
import pandas as pd

from core.errors import DataError
from core.reading.encoding import damage_notes
from core.reading.result import ReadResult, Skipped

SHAPE_HINT = 'a list of objects, such as [{"text": "…", "label": "…"}, …]'


def read_json_lines(text: str, encoding: str) -> ReadResult:
    records, skipped, damaged = [], [], []
    for number, line in enumerate(text.splitlines(), 1):
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
        if "\ufffd" in line:
            damaged.append(number)
        records.append(value)
    return ReadResult(_frame(records), "JSON Lines", encoding=encoding, skipped=skipped,
                      notes=damage_notes(encoding, damaged))


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
                       file=f"item {i + 1}") for i, item in enumerate(items) if not isinstance(item, dict)]
    return ReadResult(_frame([item for item in items if isinstance(item, dict)]), "JSON", encoding=encoding,
                      skipped=skipped)


def _items(data: Any) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        lists = [value for value in data.values() if isinstance(value, list)]
        scalars = all(not isinstance(x, (dict, list)) for value in lists for x in value)
        if len(lists) == len(data) and scalars and len({len(v) for v in lists}) == 1:  # {"text": [...], "label": [...]}
            return pd.DataFrame(data).to_dict("records")
        if len(lists) == 1:  # {"data": [...]} and similar wrappers
            return lists[0]
        return [data]
    raise DataError(f"The JSON holds a single {type(data).__name__}; the app reads {SHAPE_HINT}.")


def _frame(records: list[dict]) -> pd.DataFrame:
    df = pd.json_normalize(records) if records else pd.DataFrame()
    for column in df.columns:
        if df[column].map(lambda v: isinstance(v, list)).any():
            # A list of labels becomes "a|b", the form a multi-label column has in a table.
            df[column] = df[column].map(lambda v: "|".join(map(str, v)) if isinstance(v, list) else v)
    return df


def read_excel(raw: bytes, sheet: str | None) -> ReadResult:
    try:
        sheets = openpyxl.load_workbook(io.BytesIO(raw), read_only=True).sheetnames
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataError("This is not an Excel .xlsx workbook. An old .xls file must be saved as .xlsx "
                        "(in Excel: Save As → Excel Workbook) or as CSV first.") from exc
    chosen = sheet if sheet is not None else sheets[0]
    if chosen not in sheets:
        raise DataError(f"The workbook has no sheet '{chosen}'. Its sheets: {', '.join(sheets)}.")
    df = pd.read_excel(io.BytesIO(raw), sheet_name=chosen, dtype=str).dropna(how="all")
    return ReadResult(df, "Excel workbook", sheet=chosen, sheets=sheets)


def read_parquet(raw: bytes) -> ReadResult:
    return ReadResult(pd.read_parquet(io.BytesIO(raw)), "Parquet")
