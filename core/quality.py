"""A quality report on the rows chosen for training: each finding in plain words, most with a one-click fix.

Finding kinds: one_class, empty_text, missing_label, duplicates, near_duplicates, conflicts, leakage, label_case,
too_many_classes, rare_classes, imbalance, long_texts. Fix keys (FIXES): drop_empty, drop_duplicates,
drop_conflicts, merge_rare, drop_leaks; and CASEFOLD, which is a label option rather than a change of rows.

Built for a million rows: every check runs on 64-bit keys of the texts (core.text_keys) and codes of the labels,
never on the strings again, and a hash table is built only where sorting would copy a million codes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.labels import STRING, LabelOptions, clean_labels, label_ids
from core.splitting import MIN_PER_CLASS, SPLIT_NAMES
from core.text_keys import keys

ROW_LIMIT = 1000  # Finding.rows keeps the first this many; the message always gives the full count
LONG_TEXT = 5000
IMBALANCE_RATIO = 10  # largest class over smallest; beyond it accuracy alone flatters a model
OTHER = "other"
CASEFOLD = "casefold"  # a fix the page makes by choosing LabelOptions(casefold=True), not by changing rows
EXAMPLE_CHARS = 60
LISTED = 10  # classes named in a message before "and N more"
_KEEP_FIRST = "Drop the repeats; the first of each is kept."


@dataclass
class Finding:
    kind: str
    level: str  # "error" blocks training, "warning" does not, "info" is worth knowing
    message: str
    rows: list[int] = field(default_factory=list)  # index labels of affected rows, the first ROW_LIMIT only
    fix: str | None = None  # a key of FIXES
    fix_label: str | None = None  # the fix button's text


@dataclass
class _Scan:
    """What the checks and the fixes need, computed once. Arrays are positional, one entry per row of the frame."""
    index: pd.Index
    label_col: str
    source: pd.Series  # the text column as given, only read to quote an example
    empty: np.ndarray  # no text, or only spaces
    lengths: np.ndarray  # characters, after stripping
    classes: pd.Index  # the cleaned labels, in order of first appearance; label_codes index it (-1: no label)
    usable: np.ndarray  # has a text and a label
    key_codes: np.ndarray  # equal for texts equal after normalisation
    label_codes: np.ndarray
    counts: pd.Series  # usable rows per class, largest first
    exact: np.ndarray  # same text and label as an earlier usable row
    near: np.ndarray  # same normalised text and label as an earlier usable row, but not exact
    clashing: np.ndarray  # key codes of texts that carry 2+ labels
    leaks: np.ndarray  # test rows whose normalised text is a training row's
    exact_leaks: np.ndarray  # of those, the ones with exactly a training row's text

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


def findings(df: pd.DataFrame, text_col: str, label_col: str, split_col: str | None = None,
             labels: LabelOptions = LabelOptions()) -> list[Finding]:
    """Everything worth telling the user about these columns, most serious first."""
    scan = _scan(df, text_col, label_col, split_col, labels)
    return [finding for finding in (check(scan) for check in CHECKS) if finding is not None]


def apply_fix(df: pd.DataFrame, text_col: str, label_col: str, fix: str, split_col: str | None = None,
              labels: LabelOptions = LabelOptions()) -> tuple[pd.DataFrame, str]:
    """A new frame with the fix applied (other columns and the kept rows' index labels unchanged), and a sentence
    saying what changed. The input frame is never modified."""
    if fix not in FIXES:
        raise ValueError(f"Unknown fix '{fix}'; choose one of: {', '.join(FIXES)}.")
    if fix == "drop_leaks" and split_col is None:
        raise ValueError("Dropping leaking test rows needs the split column.")
    return FIXES[fix](df, _scan(df, text_col, label_col, split_col, labels))


def _scan(df: pd.DataFrame, text_col: str, label_col: str, split_col: str | None, options: LabelOptions) -> _Scan:
    empty, lengths, text_codes, key_codes = keys(df[text_col])
    label_codes, uniques = pd.factorize(clean_labels(df[label_col], options))
    usable = ~empty & (label_codes != -1)
    exact = _seen_before(usable, _pair(text_codes, label_codes))
    same = _seen_before(usable, _pair(key_codes, label_codes))
    # The first row of each (normalised text, label) pair: a text is in conflict when it has two such rows.
    firsts = key_codes[usable & ~same]
    clashing = np.unique(firsts[pd.Series(firsts).duplicated().to_numpy()])
    leaks, exact_leaks = _leaks(df, split_col, usable, text_codes, key_codes)
    per_class = pd.Series(label_codes[usable]).value_counts()
    classes = pd.Index(uniques, dtype=STRING)
    counts = pd.Series(per_class.to_numpy(), index=classes.take(per_class.index), name="count")
    return _Scan(df.index, label_col, df[text_col], empty, lengths, classes, usable, key_codes, label_codes, counts,
                 exact, same & ~exact, clashing, leaks, exact_leaks)


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


def _leaks(df: pd.DataFrame, split_col: str | None, usable: np.ndarray, text_codes: np.ndarray,
           key_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Test rows whose normalised text is also a training row's, and those whose text is exactly one."""
    if split_col is None:
        return np.zeros(len(usable), dtype=bool), np.zeros(len(usable), dtype=bool)
    split = df[split_col].astype(STRING).str.strip().str.lower()
    train, test = (usable & split.isin([k for k, v in SPLIT_NAMES.items() if v == side])
                   .to_numpy(dtype=bool, na_value=False) for side in ("train", "test"))
    leaks = test & _isin(key_codes, key_codes[train])
    return leaks, leaks & _isin(text_codes, text_codes[train])


def _one_class(scan: _Scan) -> Finding | None:
    if len(scan.counts) >= 2:
        return None
    only = f"Only one class ('{scan.counts.index[0]}') has" if len(scan.counts) else "No class has"
    return Finding("one_class", "error", f"{only} rows with both a text and a label; a classifier needs at least 2 "
                   "classes. Check the text and label columns, or add rows of other classes.")


def _empty_text(scan: _Scan) -> Finding | None:
    missing = scan.empty
    if not missing.any():
        return None
    return Finding("empty_text", "warning", f"Rows without text (empty or only spaces): {missing.sum():,}. They will "
                   "be left out; fill in the texts in your file, or drop these rows.", scan.rows(missing),
                   *_drop_empty_button(scan))


def _missing_label(scan: _Scan) -> Finding | None:
    missing = scan.label_codes == -1
    if not missing.any():
        return None
    return Finding("missing_label", "warning", f"Rows without a label in column '{scan.label_col}': {missing.sum():,}. "
                   "A model cannot learn from a text without its answer, so they will be left out; fill in the labels "
                   "in your file, or drop these rows.", scan.rows(missing), *_drop_empty_button(scan))


def _drop_empty_button(scan: _Scan) -> tuple[str, str]:
    return "drop_empty", f"Drop the {_count((~scan.usable).sum(), 'row')} without text or label"


def _duplicates(scan: _Scan) -> Finding | None:
    if not scan.exact.any():
        return None
    first = np.flatnonzero(scan.exact)[0]
    return Finding("duplicates", "warning", f"Rows that repeat the text and label of an earlier row: "
                   f"{scan.exact.sum():,}, e.g. {scan.quote(first)}. Repeats weigh more in training, and a "
                   f"copy in both training and test makes the test scores look better than they are. {_KEEP_FIRST}",
                   scan.rows(scan.exact), *_drop_duplicates_button(scan))


def _near_duplicates(scan: _Scan) -> Finding | None:
    if not scan.near.any():
        return None
    later = np.flatnonzero(scan.near)[0]
    same = scan.usable & (scan.key_codes == scan.key_codes[later]) & (scan.label_codes == scan.label_codes[later])
    earlier = np.flatnonzero(same)[0]
    return Finding("near_duplicates", "warning", f"Rows that nearly repeat an earlier row with the same label: "
                   f"{scan.near.sum():,}, differing only in capitals, punctuation or spacing, e.g. "
                   f"{scan.quote(earlier)} and {scan.quote(later)}. Like exact repeats, they "
                   f"can make the test scores look better than they are. {_KEEP_FIRST}", scan.rows(scan.near),
                   *_drop_duplicates_button(scan))


def _drop_duplicates_button(scan: _Scan) -> tuple[str, str]:
    return "drop_duplicates", f"Drop the {_count((scan.exact | scan.near).sum(), 'duplicate row')}"


def _conflicting(scan: _Scan) -> Finding | None:
    texts, rows = len(scan.clashing), scan.conflicts
    if not texts:
        return None
    first = np.flatnonzero(rows)[0]
    shown = scan.classes.take(pd.unique(scan.label_codes[scan.usable & (scan.key_codes == scan.key_codes[first])]))
    return Finding("conflicts", "warning", f"{_count(texts, 'text')} {'appears' if texts == 1 else 'appear'} with "
                   f"different labels, e.g. {scan.quote(first)} as {_both(shown)} "
                   f"({_count(rows.sum(), 'row')} in all). A model cannot learn two answers for one text. Correct the "
                   "labels in your file, or drop these rows.",
                   scan.rows(rows), "drop_conflicts", f"Drop the {_count(rows.sum(), 'row')} with conflicting labels")


def _leakage(scan: _Scan) -> Finding | None:
    leaks, exact = scan.leaks.sum(), scan.exact_leaks.sum()
    if not leaks:
        return None
    return Finding("leakage", "warning", f"Test rows whose text is also in training: {leaks:,} ({exact:,} exactly, "
                   f"{leaks - exact:,} after ignoring capitals, punctuation and spacing). The model learns these "
                   "texts, so its test scores look better than they really are. Drop them from the test set.",
                   scan.rows(scan.leaks), "drop_leaks", f"Drop the {_count(leaks, 'leaking test row')}")


def _rare_classes(scan: _Scan) -> Finding | None:
    rare, minimum = scan.rare, MIN_PER_CLASS
    if len(scan.counts) < 2 or not len(rare):
        return None
    listed = ", ".join(f"'{c}' ({n})" for c, n in rare.head(LISTED).items())
    if len(rare) > LISTED:
        listed += f" and {len(rare) - LISTED:,} more"
    return Finding("rare_classes", "warning", f"Classes with fewer than {minimum} rows: {listed}. A class needs "
                   f"{minimum}, one each for training, validation and test; these can be used for training only and "
                   f"are never scored. Add rows, or merge them into one class '{OTHER}'.",
                   scan.rows(scan.usable & scan.rare_rows), "merge_rare",
                   f"Merge the {_count(len(rare), 'small class', 'small classes')} into '{OTHER}'")


def _label_case(scan: _Scan) -> Finding | None:
    """Classes that differ only in capitals, which the label option "ignore capitals" makes one."""
    lowered = pd.Series(scan.counts.index, dtype=STRING).str.lower()
    clashes = lowered[lowered.duplicated(keep=False)]
    if clashes.empty:
        return None
    groups = [" and ".join(f"'{c}'" for c in scan.counts.index[clashes.index[clashes == low]]) for low in clashes.unique()]
    shown = "; ".join(groups[:LISTED]) + (f" and {len(groups) - LISTED:,} more" if len(groups) > LISTED else "")
    return Finding("label_case", "warning", f"Labels that differ only in capitals are separate classes now: {shown}. "
                   "If they mean the same, make them one class.", fix=CASEFOLD,
                   fix_label="Ignore capitals in labels")


def _too_many_classes(scan: _Scan) -> Finding | None:
    classes, rows = len(scan.counts), int(scan.usable.sum())
    if classes <= max(50, 0.5 * rows):
        return None
    return Finding("too_many_classes", "warning", f"Column '{scan.label_col}' has {classes:,} different values for "
                   f"{rows:,} rows. Is it really the label column? A label is the answer the model should learn, shared "
                   "by many texts.")


def _imbalance(scan: _Scan) -> Finding | None:
    counts = scan.counts[scan.counts >= MIN_PER_CLASS]  # classes too small to test have a finding of their own
    if len(counts) < 2 or counts.iloc[0] < IMBALANCE_RATIO * counts.iloc[-1]:
        return None
    return Finding("imbalance", "warning", f"The classes are heavily imbalanced: '{counts.index[0]}' has "
                   f"{counts.iloc[0]:,} rows and '{counts.index[-1]}' only {counts.iloc[-1]:,}. Accuracy alone will "
                   "flatter the model; look at macro-F1 and the per-class scores, or add rows of the small classes.")


def _long_texts(scan: _Scan) -> Finding | None:
    lengths = scan.lengths
    long = lengths > LONG_TEXT
    if not long.any():
        return None
    return Finding("long_texts", "info", f"Texts longer than {LONG_TEXT:,} characters: {long.sum():,} (the longest has "
                   f"{lengths.max():,}). Most models read only the first few hundred words and cut the rest; if the "
                   "label depends on the end of a text, put the important part first.", scan.rows(long))


CHECKS: tuple[Callable[[_Scan], Finding | None], ...] = (
    _one_class, _empty_text, _missing_label, _duplicates, _near_duplicates, _conflicting, _leakage, _label_case,
    _too_many_classes, _rare_classes, _imbalance, _long_texts)


def _drop(df: pd.DataFrame, mask: np.ndarray, noun: str, plural: str) -> tuple[pd.DataFrame, str]:
    if not mask.any():
        return df.copy(), f"Nothing to drop: there are no {plural}."
    kept = df[~mask]
    return kept, f"Dropped {_count(mask.sum(), noun, plural)}; {len(kept):,} remain."


def _merge_rare(df: pd.DataFrame, scan: _Scan) -> tuple[pd.DataFrame, str]:
    """Relabel the rows of classes under MIN_PER_CLASS rows as OTHER. The label column becomes text, as `label_ids`
    shows it (stripped; "1.0" as "1" in a numeric column), so the user's names still find their ids."""
    rare, minimum = scan.rare, MIN_PER_CLASS
    if not len(rare):
        return df.copy(), f"No class has fewer than {minimum} rows; nothing to merge."
    out = df.copy()
    out[scan.label_col] = label_ids(df[scan.label_col]).mask(scan.rare_rows, OTHER).astype("str")
    kept = scan.counts.drop(rare.index)
    size = int(rare.sum() + kept.get(OTHER, 0))
    listed = ", ".join(f"'{c}'" for c in rare.index[:LISTED]) + (f" and {len(rare) - LISTED:,} more" if len(rare) > LISTED else "")
    message = (f"Merged {_count(len(rare), 'class', 'classes')} with fewer than {minimum} rows ({listed}) into "
               f"'{OTHER}', which now has {_count(size, 'row')}.")
    if size < minimum:
        message += f" That is still fewer than {minimum}, so '{OTHER}' can be used for training only."
    if len(set(kept.index) | {OTHER}) < 2:
        message += " Only one class is left, and a classifier needs at least 2."
    return out, message


FIXES: dict[str, Callable[[pd.DataFrame, _Scan], tuple[pd.DataFrame, str]]] = {
    "drop_empty": lambda df, scan: _drop(df, ~scan.usable, "row without text or label", "rows without text or label"),
    "drop_duplicates": lambda df, scan: _drop(df, scan.exact | scan.near, "duplicate row", "duplicate rows"),
    "drop_conflicts": lambda df, scan: _drop(df, scan.conflicts, "row with conflicting labels",
                                             "rows with conflicting labels"),
    "merge_rare": _merge_rare,
    "drop_leaks": lambda df, scan: _drop(df, scan.leaks, "test row that repeats a training text",
                                         "test rows that repeat a training text"),
}


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return f"'{flat[:EXAMPLE_CHARS]}…'" if len(flat) > EXAMPLE_CHARS else f"'{flat}'"


def _both(labels: np.ndarray) -> str:
    names = [f"'{label}'" for label in labels]
    return f"both {names[0]} and {names[1]}" if len(names) == 2 else ", ".join(names[:-1]) + f" and {names[-1]}"
