"""Every string a page hands the browser, by where the browser puts it: Markdown (labels, help, alerts, captions,
radio options, tab names…) or plain text (tables, select options, text boxes, code). A value from a dataset may appear
raw only in plain text; in Markdown it must arrive escaped."""
from __future__ import annotations

import re
from typing import Iterator

from google.protobuf.message import Message

# Elements drawn as plain text whatever they hold: tables draw cells and column names on a canvas (their column
# settings name columns as keys); plotly's strings are checked by tests/app/test_hostile_names.py.
PLAIN_ELEMENTS = {"Code", "Text", "PlotlyChart", "Dataframe", "Json"}
# Fields that are never Markdown in any element: values, ids, options of a select box (not of a radio).
PLAIN_FIELDS = {"id", "form_id", "value", "raw_value", "raw_values", "default", "raw_default", "set_value",
                "placeholder", "data", "url", "spec", "language", "file_name", "key"}
PLAIN_OPTIONS = {"Selectbox", "MultiSelect"}


def strings(message: Message, kind: str | None = None, field: str = "") -> Iterator[tuple[str, str, str]]:
    """(element kind, field, text) for each string inside a proto, nested messages included."""
    kind = kind or type(message).__name__
    for spec, value in message.ListFields():
        values = value if spec.is_repeated else [value]
        for item in values:
            if isinstance(item, Message):
                yield from strings(item, type(item).__name__ if kind in ("Element", "Block") else kind, spec.name)
            elif isinstance(item, str):
                yield kind, spec.name, item


def nodes(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def page_strings(at) -> list[str]:
    """Every string of the app's current page, wherever the browser puts it."""
    return [text for node in nodes(at._tree) if isinstance(getattr(node, "proto", None), Message)
            for _, _, text in strings(node.proto)]


def markdown_strings(at) -> list[tuple[str, str, str]]:
    """The strings of the app's current page the browser renders as Markdown."""
    found = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        for kind, field, text in strings(proto):
            if kind in PLAIN_ELEMENTS or field in PLAIN_FIELDS or (field == "options" and kind in PLAIN_OPTIONS):
                continue
            found.append((kind, field, text))
    return found


def raw_in_markdown(at, values: list[str]) -> list[tuple[str, str, str]]:
    """The Markdown strings holding one of `values` as written, outside backslash escapes: each is a value shown
    as formatting, not as text. HTML the app writes itself (st.html) is read as HTML: there only a value's tags
    would do harm."""
    found = []
    for kind, field, text in markdown_strings(at):
        if kind == "Html":
            raw = any(v in text for v in values if "<" in v)
        else:
            raw = any(v in re.sub(r"\\.", "", text, flags=re.DOTALL) for v in values)  # escaped: shown as itself
        if raw:
            found.append((kind, field, text))
    return found
