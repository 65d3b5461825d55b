"""What every quality check and fix needs, computed once per table: 64-bit keys of the texts (core.data.text_keys),
codes of the labels, and from them the repeats, conflicts and leaks. A hash table is built only where sorting would
copy a million codes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.labels import STRING, LabelOptions, clean_labels
from core.data.splitting import MIN_PER_CLASS, SPLIT_NAMES
from core.data.text_keys import keys

ROW_LIMIT = 1000  # Finding.rows keeps the first this many; the message always gives the full count
EXAMPLE_CHARS = 60


@dataclass
class Scan:
    """What the checks and the fixes need, computed once. Arrays are positional, one entry per row of the frame."""
    index: pd.Index
    label_col: str  # the label column's name (a multi-label table's 0/1 columns have none: 'None')
    source: pd.Series  # the text column as given, only read to quote an example
    written: pd.Series  # the label column as given, only read to say how missing labels were written
    empty: np.ndarray  # no text, or only spaces
    lengths: np.ndarray  # characters, after stripping
    classes: pd.Index  # the cleaned labels, in order of first appearance; label_codes index it (-1: no label)
    usable: np.ndarray  # has a text and a label
    key_codes: np.ndarray  # equal for texts equal after normalisation
    label_codes: np.ndarray
    counts: pd.Series  # usable rows per class, largest first
    exact: np.ndarray  # same text and label as an earlier usable row: saving leaves it out (preparation.prepare)
    relabelled: np.ndarray  # same text as an earlier usable row, another label: saving leaves it out too
    near: np.ndarray  # same normalised text and label as an earlier usable row, yet kept by saving (not exact)
    clashing: np.ndarray  # key codes of texts that carry 2+ labels
    leaks: np.ndarray  # test rows, among those saving keeps, whose normalised text is a kept training row's

    @property
    def conflicts(self) -> np.ndarray:
        return self.usable & _isin(self.key_codes, self.clashing)

    @property
    def rare(self) -> pd.Series:
        return self.counts[self.counts < MIN_PER_CLASS]

    @property
    def rare_rows(self) -> np.ndarray:
        return _isin(self.label_codes, self.classes.get_indexer(self.rare.index))

    def quote(self, position: int) -> str:
        return _quote(str(self.source.iloc[position]).strip())

    def rows(self, mask: np.ndarray) -> list[int]:
        return self.index[np.flatnonzero(mask)[:ROW_LIMIT]].tolist()


def scan(df: pd.DataFrame, text_col: str, label_col: str | None, split_col: str | None, options: LabelOptions,
         cleaned: pd.Series | None = None) -> Scan:
    """`cleaned`: the labels as read already (a multi-label table's joined labels), instead of `label_col` cleaned."""
    empty, lengths, text_codes, key_codes = keys(df[text_col])
    labels = clean_labels(df[label_col], options) if cleaned is None else cleaned
    label_codes, uniques = pd.factorize(labels)
    usable = ~empty & (label_codes != -1)
    exact = _seen_before(usable, _pair(text_codes, label_codes))
    same = _seen_before(usable, _pair(key_codes, label_codes))
    # Saving keeps the first usable row of each text as written, whatever its label.
    repeated = usable.copy()
    repeated[usable] = pd.Series(text_codes[usable]).duplicated().to_numpy()
    # The first row of each (normalised text, label) pair: a text is in conflict when it has two such rows.
    firsts = key_codes[usable & ~same]
    clashing = np.unique(firsts[pd.Series(firsts).duplicated().to_numpy()])
    leaks = _leaks(df, split_col, usable & ~repeated, key_codes)
    per_class = pd.Series(label_codes[usable]).value_counts()
    classes = pd.Index(uniques, dtype=STRING)
    counts = pd.Series(per_class.to_numpy(), index=classes.take(per_class.index), name="count")
    written = df[label_col] if label_col is not None else labels
    return Scan(df.index, str(label_col), df[text_col], written, empty, lengths, classes, usable, key_codes,
                label_codes, counts, exact, repeated & ~exact, same & ~repeated, clashing, leaks)


def _pair(codes: np.ndarray, label_codes: np.ndarray) -> np.ndarray:
    """One 64-bit code per (text, label) pair; one array of codes hashes in a fraction of the memory of two. A row
    without a label (code -1) or without a text (the hash of "") never pairs like a usable row does."""
    paired = codes * np.uint64(0x9E3779B97F4A7C15)
    paired ^= label_codes.view(np.uint64)
    return paired


def _isin(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """np.isin by a hash table of `values`: np.isin sorts all of `codes`, which costs several copies of a million."""
    return pd.Series(codes).isin(values).to_numpy()


def _seen_before(among: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Rows of `among` whose code equals that of an earlier row; `_pair` codes of other rows never equal theirs."""
    return among & pd.Series(codes).duplicated().to_numpy()


def _leaks(df: pd.DataFrame, split_col: str | None, kept: np.ndarray, key_codes: np.ndarray) -> np.ndarray:
    """Test rows whose normalised text is also a training row's, among the rows `kept`. Saving keeps one row of each
    text as written, so what leaks after it are texts that differ in capitals, punctuation or spacing."""
    if split_col is None:
        return np.zeros(len(kept), dtype=bool)
    split = df[split_col].astype(STRING).str.strip().str.lower()
    train, test = (kept & split.isin([k for k, v in SPLIT_NAMES.items() if v == side])
                   .to_numpy(dtype=bool, na_value=False) for side in ("train", "test"))
    return test & _isin(key_codes, key_codes[train])


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return f"'{flat[:EXAMPLE_CHARS]}…'" if len(flat) > EXAMPLE_CHARS else f"'{flat}'"
