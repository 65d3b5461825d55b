"""What a reader got out of a file: the table, how it was read, and every line it left out or changed."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from core.wording import count, listing

SHOWN_LOCATIONS = 5  # places named in one problem line before "and N more"


@dataclass(frozen=True)
class Skipped:
    """A line (or a file inside a ZIP) that did not become a row, with why, and its content for download."""
    reason: str
    content: str
    line: int | None = None
    place: str | None = None  # where, when not a line: a file inside a ZIP, an item of a JSON list

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line is not None else (self.place or "")


@dataclass(frozen=True)
class Note:
    """Something kept but changed or worth knowing (replaced bytes, a quote read line by line), with where."""
    message: str
    lines: tuple[int, ...] = ()


@dataclass
class ReadResult:
    table: pd.DataFrame
    kind: str  # what the file was read as, in words: "CSV", "JSON Lines", "ZIP of class folders", ...
    encoding: str | None = None  # a Python codec name; None for binary formats
    delimiter: str | None = None
    header: bool | None = None  # whether the first row gave the column names (delimited files)
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.table)

    def summary(self) -> str:
        left_out = f"; {len(self.skipped):,} left out" if self.skipped else ""
        return f"{count(self.rows, 'row')} and {count(self.table.shape[1], 'column')} read{left_out}."

    def problems(self) -> list[str]:
        """Each note (they often explain what follows), then one sentence per kind of left-out line, naming the
        first few places."""
        by_reason: dict[str, list[Skipped]] = defaultdict(list)
        for item in self.skipped:
            by_reason[item.reason].append(item)
        sentences = [f"Left out {_places(items)}: {reason}" for reason, items in by_reason.items()]
        return [note.message for note in self.notes] + sentences

    def skipped_table(self) -> pd.DataFrame:
        """The left-out lines as a table a user can download, fix and upload again."""
        return pd.DataFrame({"where": [s.where for s in self.skipped], "reason": [s.reason for s in self.skipped],
                             "content": [s.content for s in self.skipped]})


def _places(items: list[Skipped]) -> str:
    lines = [s.line for s in items if s.line is not None]
    if len(lines) == len(items):
        return line_list(lines)
    return listing([s.where for s in items], SHOWN_LOCATIONS)


def line_list(lines: list[int]) -> str:
    """'line 4', 'lines 4, 9 and 12', 'lines 4, 9, 12, 15, 20 and 31 more'."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    if len(lines) > SHOWN_LOCATIONS:
        return f"lines {listing([str(n) for n in lines], SHOWN_LOCATIONS)}"
    return f"lines {', '.join(map(str, lines[:-1]))} and {lines[-1]}"


def column_names(names: list[str]) -> list[str]:
    """Stripped, never blank ('column_3'), and unique ('text', 'text (2)'): two columns of one name cannot be told apart."""
    wanted = [str(name).strip() or f"column_{i + 1}" for i, name in enumerate(names)]
    taken: set[str] = set()
    unique = []
    for name in wanted:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name} ({n})"
        taken.add(candidate)
        unique.append(candidate)
    return unique


def physical_lines(text: str) -> list[str]:
    """The lines as a text editor numbers them, ended by \\n, \\r\\n or \\r (old Mac Excel): str.splitlines()
    also breaks at U+2028, U+0085 and form feeds, which JSON Lines and plain texts may hold inside a line."""
    return re.split(r"\r\n|\r|\n", text.removesuffix("\n").removesuffix("\r")) if text else []
