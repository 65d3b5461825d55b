"""An uploaded file read once for every session, and what was read, in plain words, with the detected settings the
user can override."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from core.data.reading import ENCODINGS, SEPARATORS, TEXT_FORMATS, ReadResult, describe, read_file
from core.errors import DataError
from core.inference.prediction import csv_for_excel
from core.store.uploads import open_upload, safe_file_name
from dashboard.components import escape_md

AUTO = "auto"
OPTION_NAMES = ("encoding", "delimiter", "header", "sheet")
NOTHING_READ = "Nothing usable was read: every line was left out."
HEADER_CHOICES = {AUTO: "Detect", True: "Column names", False: "Data (no column names)"}


@st.cache_resource(max_entries=4, show_spinner="Reading the file…")
def read_upload(key: str, options: tuple, _file: tuple[bytes, str] | None = None) -> ReadResult:
    """Read once per file and settings, shared by every session and rerun. `key` names the file: a kept upload's
    sha256, or the id Streamlit gave an upload not kept; `_file`, its bytes and name (not hashed), spares opening a
    kept upload from the disk."""
    kept = _file if _file is not None else open_upload(key)
    if kept is None:
        raise DataError("This upload is no longer kept on the server; upload the file again.")
    return read_file(kept[0], kept[1], **dict(options))


def chosen_options(key: str) -> dict[str, Any]:
    """The read_file overrides picked in the widgets below, read before the file is read with them."""
    picked = {name: st.session_state.get(f"{key}.{name}", AUTO) for name in OPTION_NAMES}
    return {name: value for name, value in picked.items() if value != AUTO}


def options(result: ReadResult, key: str) -> None:
    """Selectors for what the reader detected: encoding, separator, header row and sheet."""
    detected = [result.kind]
    if result.encoding:
        detected.append(describe(result.encoding))
    if result.delimiter:
        detected.append(f"separated by {SEPARATORS.get(result.delimiter, repr(result.delimiter))}")
    if result.sheet:
        detected.append(f"sheet '{result.sheet}'")
    with st.expander(f"Read as {escape_md(', '.join(detected))}. Not right? Change how the file is read"):
        _pickers(key, encoding=result.encoding is not None, delimited=result.delimiter is not None,
                 sheets=result.sheets, found=result.encoding)


def options_after_error(filename: str, key: str) -> None:
    """After a file could not be read: the same selectors where they apply, and a way back to what was detected
    (a chosen sheet, separator or header may be what went wrong)."""
    suffix = Path(filename).suffix.lower()
    if suffix in TEXT_FORMATS or suffix == ".zip":
        st.caption("Change how the file is read:")
        _pickers(key, encoding=True, delimited=suffix in (".csv", ".tsv"), sheets=[], found=None)
    if any(st.session_state.get(f"{key}.{name}", AUTO) != AUTO for name in OPTION_NAMES):
        st.button("Read it as detected", key=f"{key}.reset", on_click=_reset, args=(key,))


def _reset(key: str) -> None:
    for name in OPTION_NAMES:
        st.session_state[f"{key}.{name}"] = AUTO


def _pickers(key: str, encoding: bool, delimited: bool, sheets: list[str], found: str | None) -> None:
    columns = st.columns(3)
    if encoding:
        columns[0].selectbox("Text encoding", [AUTO, *ENCODINGS], key=f"{key}.encoding",
                             format_func=lambda e: describe(e) if e != AUTO else f"Detect (found {describe(found)})"
                             if found else "Detect",
                             help="If letters show as � or as odd symbols (Ã©, æ–‡), pick the encoding the file was "
                                  "saved in.")
    if delimited:
        columns[1].selectbox("Separator", [AUTO, *SEPARATORS], key=f"{key}.delimiter",
                             format_func=lambda d: "Detect" if d == AUTO else SEPARATORS[d])
        columns[2].selectbox("First row", list(HEADER_CHOICES), key=f"{key}.header", format_func=HEADER_CHOICES.get)
    if sheets:
        columns[1].selectbox("Sheet", [AUTO, *sheets], key=f"{key}.sheet",
                             format_func=lambda s: "The first with rows" if s == AUTO else s)


def report(result: ReadResult, name: str) -> None:
    """The summary line, every problem the reader met, and the left-out lines to download."""
    st.markdown(f"**{escape_md(name)}**: {escape_md(result.summary())}")
    for problem in result.problems():
        st.warning(escape_md(problem))
    if not result.rows:
        st.error(f"{NOTHING_READ} Download the left-out lines to see why, or change how the file is read.")
    if result.skipped:
        st.download_button(f"Download the {len(result.skipped):,} left-out lines", csv_for_excel(result.skipped_table()),
                           file_name=f"{Path(safe_file_name(name)).stem}-left-out.csv", mime="text/csv",
                           key="read.left_out",
                           help="Each line with where it was and why it was left out: fix them and upload again.")
