"""Clean a label column the way the user chose on the Data page, and spot columns holding several labels per row
(core.data.multilabel_shapes reads them)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Explicit pyarrow storage: the .str methods then run in Arrow's C++ kernels, which a million rows need.
STRING = pd.StringDtype("pyarrow")
# [0-9], not \d: pandas runs \d through Python's re (row by row) as soon as one value is not ASCII.
_WHOLE_NUMBER = r"-?[0-9]+(\.0+)?"
OTHER = "other"  # the class that small classes are merged into
DELIMITERS = ("|", ";", ",")
MULTILABEL_SHARE = 0.05
# An evenly spaced sample of labels shows the pattern, and keeps a million-row text column cheap.
MULTILABEL_SAMPLE = 100_000
# How tools write a missing value into a file (the spellings pandas and R read as missing): a label written so is no
# class, and the row is one without a label.
MISSING = ("", "NaN", "nan", "-NaN", "-nan", "NA", "N/A", "n/a", "<NA>", "NULL", "null", "None", "#N/A", "#N/A N/A",
           "#NA", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN")
EXACT_FLOAT = 2**53  # past it a float is not an exact whole number, and 1e20 does not fit an Int64


@dataclass(frozen=True)
class LabelOptions:
    """The user's label cleaning. `names` maps an id as `label_ids` shows it (after casefolding, when chosen), e.g.
    "0", to a name, e.g. "ham". The names stay out of the hash (a dict has none) so the options can still be hashed;
    == compares them."""
    casefold: bool = False
    names: dict[str, str] = field(default_factory=dict, hash=False)


def label_ids(series: pd.Series) -> pd.Series:
    """Labels as the user should see them before naming: stripped, empty or written as missing (NaN, null…) as
    missing, and in a column of whole numbers "1.0" as "1" (a column of integer ids with one gap is read as floats,
    and 1.0 and 1 are one class)."""
    labels = stripped(series)
    if _whole_numbers(labels[labels != OTHER]):
        labels = labels.str.replace(r"\.0+$", "", regex=True)
    return labels


def clean_labels(series: pd.Series, options: LabelOptions = LabelOptions()) -> pd.Series:
    """`label_ids`, then lower case when chosen ("Spam", "spam " and "SPAM" become one class), then the user's names
    for ids; a value without a name stays as it is."""
    labels = label_ids(series)
    if options.casefold:
        # Arrow's lower(), not str.casefold(): pandas runs casefold row by row, and for labels the two only differ on
        # rare letters such as the German ß.
        labels = labels.str.lower()
    if options.names:
        labels = labels.map(options.names).fillna(labels).astype(STRING)
    return labels


def is_numeric(series: pd.Series) -> bool:
    """True when every label present is a whole number ("0", "2", "-1", "1.0"): ids that the user may want to name.
    OTHER, which merging small classes brings, does not count against it."""
    labels = stripped(series)
    return _whole_numbers(labels[labels != OTHER])


def stripped(series: pd.Series) -> pd.Series:
    """The values as text, stripped, with those that say a value is missing (empty, NaN, null…) as missing."""
    if pd.api.types.is_float_dtype(series) and (series.dropna() % 1 == 0).all():
        # 1.0 as "1" at once, and many times faster than writing floats as text.
        big = series.abs() > EXACT_FLOAT
        series = series.mask(big).astype("Int64").astype(STRING).mask(big, series[big].astype(STRING))
    labels = series.astype(STRING).str.strip()
    return labels.mask(labels.isin(MISSING))


def _whole_numbers(labels: pd.Series) -> bool:
    present = labels.dropna()
    return bool(len(present)) and bool(present.str.fullmatch(_WHOLE_NUMBER).all())


def detect_multilabel(series: pd.Series) -> str | None:
    """The delimiter ("|", ";" or ",") when the column holds several labels per row, like "sports|politics"; else None.

    A delimiter counts when at least 5% of the labels contain it and its pieces repeat like tags do: every piece also
    appears alone as a label, or there are fewer distinct pieces than distinct joined values. Prose with commas fails
    both, and so do labels like "Paris, France": each brings at least one piece of its own. Labels such as "Sci/Tech"
    or "B-PER" use none of the delimiters. Looks at up to MULTILABEL_SAMPLE labels, evenly spaced over the column."""
    values = stripped(series.iloc[::max(1, len(series) // MULTILABEL_SAMPLE)]).dropna()
    for delimiter in DELIMITERS:
        joined = values.str.contains(delimiter, regex=False).to_numpy(dtype=bool)
        if joined.any() and joined.mean() >= MULTILABEL_SHARE and _like_tags(values, joined, delimiter):
            return delimiter
    return None


def _like_tags(values: pd.Series, joined: np.ndarray, delimiter: str) -> bool:
    combos = pd.Series(values[joined].unique(), dtype=STRING)
    pieces = combos.str.split(delimiter, regex=False).explode().astype(STRING).str.strip()
    pieces = pieces[pieces != ""].unique()
    if not len(pieces):
        return False
    # Python sets, not Series.isin: pandas checks membership in an Arrow column value by value.
    return len(pieces) < len(combos) or set(pieces) <= set(values[~joined].unique())

