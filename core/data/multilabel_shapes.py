"""The ways a table writes several labels per text, which one a table seems to use, and each row's labels read from it.

Three shapes: one cell with the labels and a separator ("sport|money"; "|" and ";" are recognised by themselves, ","
only when the person confirms it, as prose has commas too); one 0/1 column per label (1/0, yes/no, true/false, x or
blank); and a JSON list in a cell (`["sport", "money"]`; JSON, JSON Lines and Parquet files arrive with their lists
already written "sport|money", see core.data.reading.structured). `LabelShape` is the person's choice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.labels import STRING, LabelOptions, clean_labels, detect_multilabel, stripped
from core.data.multilabel import JOINER, join_labels
from core.errors import DataError
from core.wording import count, listing

SINGLE_KIND, SEPARATED, COLUMNS, LISTS = "single", "separated", "columns", "lists"
AUTOMATIC = ("|", ";")  # separators taken by themselves; "," waits for the person to confirm it
YES = ("1", "1.0", "true", "yes", "y", "x", "✓", "✔")
NO = ("0", "0.0", "false", "no", "n")
LIST_SHARE = 0.5  # of the labels present, those written as a JSON list, for a column to be one of lists
SHOWN = 5


@dataclass(frozen=True)
class LabelShape:
    """How the labels are written: `kind` one of "single" (one label per text, as always), "separated" (one cell,
    `separator` between the labels), "columns" (`label_columns`, one 0/1 column per label) or "lists" (a JSON list
    in a cell). An empty label cell is a missing label, and its row is left out, unless `empty_is_none` says the
    person means "none of these labels" by it (a 0/1 row of zeros always means that)."""
    kind: str = SINGLE_KIND
    separator: str | None = None
    label_columns: tuple[str, ...] = ()
    empty_is_none: bool = False

    @property
    def multilabel(self) -> bool:
        return self.kind != SINGLE_KIND

    def to_dict(self) -> dict:
        """Its JSON form, as the Data page keeps a person's choices."""
        return {"kind": self.kind, "separator": self.separator, "label_columns": list(self.label_columns),
                "empty_is_none": self.empty_is_none}

    @classmethod
    def from_dict(cls, data: dict) -> LabelShape:
        """A shape from its JSON form; SINGLE from choices kept before there were shapes ({})."""
        return cls(data.get("kind", SINGLE_KIND), data.get("separator"), tuple(data.get("label_columns", ())),
                   bool(data.get("empty_is_none", False)))

    @property
    def confirm(self) -> bool:
        """Whether the person must say it is several labels before it is taken so (a comma may be prose)."""
        return self.kind == SEPARATED and self.separator not in AUTOMATIC


SINGLE = LabelShape()


def detect_shape(column: pd.Series) -> LabelShape:
    """The shape a label column seems to have: lists, labels separated by "|", ";" or ",", or SINGLE."""
    present = column.dropna().head(10_000)
    lists = present.map(lambda v: isinstance(v, (list, tuple, np.ndarray)) or _json_list(v) is not None)
    if len(present) and lists.mean() >= LIST_SHARE:
        return LabelShape(LISTS)
    separator = detect_multilabel(column)
    return LabelShape(SEPARATED, separator) if separator else SINGLE


def indicator_columns(df: pd.DataFrame, exclude: tuple[str | None, ...] = ()) -> list[str]:
    """Columns whose every value reads as yes or no (1/0, yes/no, true/false, x or blank) and that say yes at least
    once: the likely label columns of a table with one 0/1 column per label. The first rows rule a column out, so
    a long text column is not read whole; a rare label may say yes only further down."""
    found = []
    for column in df.columns:
        if column in exclude:
            continue
        first = stripped(df[column].head(10_000)).str.lower().dropna()
        if not len(first) or not first.isin(YES + NO).all():
            continue
        if first.isin(YES).any() or stripped(df[column]).str.lower().isin(YES).any():
            found.append(column)
    return found


def row_labels(df: pd.DataFrame, label_col: str | None, shape: LabelShape,
               options: LabelOptions = LabelOptions()) -> pd.Series:
    """Each row's labels as the prepared `label` column holds them (cleaned as `options` says, sorted, joined by
    JOINER); "" for a row with none, and missing (NA) for an empty cell, which is a missing label. Raises DataError
    for a label name holding JOINER or a 0/1 column holding something else."""
    if shape.kind == COLUMNS:
        return _from_columns(df, shape.label_columns, options)
    cells = df[label_col]
    if shape.kind == LISTS:
        pieces = cells.map(_as_list)
    else:
        pieces = stripped(cells).astype(object).map(
            lambda v: None if v is None or v is pd.NA else str(v).split(shape.separator))
    missing = pieces.isna()
    exploded = pieces[~missing].explode()
    cleaned = clean_labels(exploded, options).dropna()
    _refuse_joiner(cleaned, shape)
    joined = cleaned.groupby(level=0, sort=False).agg(join_labels)
    out = pd.Series("", index=df.index, dtype=STRING)
    out.loc[joined.index] = joined.astype(str)
    if shape.empty_is_none:
        return out
    # A cell of separators only has no label in it: missing, like an empty cell. An empty list says "none of these".
    return out.mask(missing | ((out == "") & (shape.kind == SEPARATED)))


def describe(shape: LabelShape, joined: pd.Series) -> str:
    """What was found, in one sentence: "Several labels per text, separated by '|': 3,021 texts, 12 labels, 1.8
    labels per text on average"."""
    how = {SEPARATED: f"separated by '{shape.separator}'", LISTS: "written as lists",
           COLUMNS: f"one 0/1 column per label ({listing([repr(c) for c in shape.label_columns], SHOWN)})"}
    rows = joined.dropna().astype(str).str.split(JOINER, regex=False).map(lambda ls: [x for x in ls if x])
    names = {label for labels in rows for label in labels}
    mean = float(rows.map(len).mean()) if len(rows) else 0.0
    return (f"Several labels per text, {how[shape.kind]}: {count(len(rows), 'text')}, {count(len(names), 'label')}, "
            f"{mean:.1f} labels per text on average.")


def _json_list(value: object) -> list | None:
    if not isinstance(value, str) or not value.lstrip().startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) else None


def _as_list(value: object) -> list | None:
    """A cell's labels: a list as it is, a JSON list parsed, another text as its one label; None when empty."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    parsed = _json_list(value)
    if parsed is not None:
        return [str(v) for v in parsed if v is not None]
    return None if str(value).strip() == "" else [str(value)]


def _from_columns(df: pd.DataFrame, columns: tuple[str, ...], options: LabelOptions) -> pd.Series:
    if len(columns) < 2:
        raise DataError("Choose at least two label columns: one 0/1 column per label.")
    marks = {column: _yes_no(df[column]) for column in columns}
    names = column_labels(columns, options)
    _refuse_joiner(pd.Series(names, dtype=STRING), LabelShape(COLUMNS, label_columns=columns))
    out = np.full(len(df), "", dtype=object)
    # Column by column in sorted order, so each row's labels come out sorted; columns that one name joins count once.
    for name in sorted(set(names) - {""}):
        marked = np.logical_or.reduce([marks[c] for c, n in zip(columns, names) if n == name])
        out = np.where(marked, np.where(out == "", name, out + JOINER + name), out)
    return pd.Series(out, index=df.index, dtype=STRING)


def column_labels(columns: tuple[str, ...], options: LabelOptions = LabelOptions()) -> list[str]:
    """The label each 0/1 column stands for: its name, cleaned as `options` say."""
    return clean_labels(pd.Series([str(c) for c in columns], dtype=STRING), options).fillna("").astype(str).tolist()


def _yes_no(column: pd.Series) -> np.ndarray:
    values = stripped(column).str.lower()
    odd = values.notna() & ~values.isin(YES + NO)
    if odd.any():
        shown = listing([f"'{v}'" for v in column[odd.to_numpy(dtype=bool)].astype(str).unique()], SHOWN)
        raise DataError(f"Column '{column.name}' should say yes or no (1/0, yes/no, true/false, x or blank) in every "
                        f"row, but also holds {shown}. Untick it as a label column, or correct those cells.")
    return values.isin(YES).to_numpy(dtype=bool, na_value=False)


def _refuse_joiner(labels: pd.Series, shape: LabelShape) -> None:
    bad = labels[labels.astype(str).str.contains(JOINER, regex=False)]
    if len(bad):
        where = "column names" if shape.kind == COLUMNS else "labels"
        raise DataError(f"Some {where} hold '{JOINER}', which joins a text's labels: "
                        f"{listing([repr(b) for b in bad.unique()], SHOWN)}. Rename them without '{JOINER}'.")
