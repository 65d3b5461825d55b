"""Read whatever table a user drops in, and say exactly what was read, left out and changed."""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from core.data.reading.delimited import SEPARATORS, read_delimited
from core.data.reading.encoding import ENCODINGS, MARK, codec_name, damage_notes, decode, describe, detect, mended
from core.data.reading.folders import read_folders
from core.data.reading.plain import read_lines
from core.data.reading.result import Note, ReadResult, Skipped, column_names, line_list, physical_lines
from core.data.reading.structured import read_excel, read_json, read_json_lines, read_parquet
from core.errors import DataError
from core.wording import count

TEXT_FORMATS = {".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson"}
SUPPORTED = sorted(TEXT_FORMATS | {".xlsx", ".parquet", ".zip"})

__all__ = ["ENCODINGS", "SEPARATORS", "SUPPORTED", "TEXT_FORMATS", "Note", "ReadResult", "Skipped", "describe", "read_file"]


def read_file(source: str | Path | bytes | BinaryIO, filename: str | None = None, *, encoding: str | None = None,
              delimiter: str | None = None, header: bool | None = None, sheet: str | None = None) -> ReadResult:
    """Read a table by its file name's extension. `encoding`, `delimiter`, `header` and `sheet` override
    what is detected. Raises DataError, with what to do, when the file cannot be read at all."""
    if isinstance(source, (str, Path)):
        filename = filename or Path(source).name
        raw = Path(source).read_bytes()
    else:
        raw = source if isinstance(source, bytes) else source.read()
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SUPPORTED:
        raise DataError(f"'{filename}' is not a supported file type. Use one of: {', '.join(SUPPORTED)}.")
    if not raw:
        raise DataError(f"'{filename}' is empty.")
    try:
        result = _read(raw, suffix, encoding, delimiter, header, sheet)
    except DataError as exc:
        raise DataError(f"Could not read '{filename}'. {exc}") from exc
    except Exception as exc:  # every reader's own error becomes one clear message
        raise DataError(f"Could not read '{filename}' as {suffix[1:].upper()}: {exc}") from exc
    if result.rows == 0 and not result.skipped:
        raise DataError(f"'{filename}' has " + ("column names but no rows." if result.table.shape[1] else "no rows."))
    if result.table.shape[1] == 0 and result.rows:
        raise DataError(f"'{filename}' has {count(result.rows, 'row')} but no columns: every row is empty, like "
                        '{} in JSON. Each row needs a text and its label, such as {"text": "…", "label": "…"}.')
    result.table = result.table.reset_index(drop=True)
    result.table.columns = column_names(list(result.table.columns))
    return result


def _read(raw: bytes, suffix: str, encoding: str | None, delimiter: str | None, header: bool | None,
          sheet: str | None) -> ReadResult:
    if suffix == ".xlsx":
        return read_excel(raw, sheet)
    if suffix == ".parquet":
        return read_parquet(raw)
    encoding = codec_name(encoding) if encoding else None
    if suffix == ".zip":
        return read_folders(raw, encoding)
    encoding = encoding or detect(raw)
    if suffix in (".csv", ".tsv"):
        return read_delimited(raw, encoding, delimiter or ("\t" if suffix == ".tsv" else None), header,
                              kind=suffix[1:].upper())
    text = decode(raw, encoding).removeprefix("\ufeff")
    damaged = [number for number, line in enumerate(physical_lines(text), 1) if MARK in line] if MARK in text else []
    text = mended(text)
    reader = read_lines if suffix == ".txt" else read_json if suffix == ".json" else read_json_lines
    result = reader(text, encoding)
    result.notes += damage_notes(encoding, line_list(damaged) if damaged else None)
    return result
