"""A quality report on the rows chosen for training: each finding in plain words, most with a one-click fix.

Finding kinds: one_class, empty_text, missing_label, duplicates, near_duplicates, conflicts, leakage, label_case,
too_many_classes, rare_classes, imbalance, long_texts. Fix keys (FIXES): drop_empty, drop_duplicates,
drop_conflicts, merge_rare, drop_leaks; and CASEFOLD, which is a label option rather than a change of rows.
Every check and fix reads the same Scan of the table (core.data.quality_scan), made once per call. A table with several
labels per text gets ROW_CHECKS and the checks of core.data.multilabel_quality instead.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data import quality_scan
from core.data.labels import OTHER, STRING, LabelOptions, label_ids
from core.data.quality_scan import Scan
from core.data.splitting import MIN_PER_CLASS
from core.wording import count, listing

LONG_TEXT = 5000
IMBALANCE_RATIO = 10  # largest class over smallest; beyond it accuracy alone flatters a model
CASEFOLD = "casefold"  # a fix the page makes by choosing LabelOptions(casefold=True), not by changing rows
LISTED = 10  # classes named in a message before "and N more"


@dataclass
class Finding:
    kind: str
    level: str  # "error" blocks training, "warning" does not, "info" is worth knowing
    message: str
    rows: list[int] = field(default_factory=list)  # index labels of affected rows, the first ROW_LIMIT only
    fix: str | None = None  # a key of FIXES
    fix_label: str | None = None  # the fix button's text


def findings(df: pd.DataFrame, text_col: str, label_col: str, split_col: str | None = None,
             labels: LabelOptions = LabelOptions()) -> list[Finding]:
    """Everything worth telling the user about these columns, most serious first."""
    scanned = quality_scan.scan(df, text_col, label_col, split_col, labels)
    return [finding for finding in (check(scanned) for check in CHECKS) if finding is not None]


def apply_fix(df: pd.DataFrame, text_col: str, label_col: str, fix: str, split_col: str | None = None,
              labels: LabelOptions = LabelOptions()) -> tuple[pd.DataFrame, str]:
    """A new frame with the fix applied (other columns and the kept rows' index labels unchanged), and a sentence
    saying what changed. The input frame is never modified."""
    if fix not in FIXES:
        raise ValueError(f"Unknown fix '{fix}'; choose one of: {', '.join(FIXES)}.")
    if fix == "drop_leaks" and split_col is None:
        raise ValueError("Dropping leaking test rows needs the split column.")
    return FIXES[fix](df, quality_scan.scan(df, text_col, label_col, split_col, labels))


def _one_class(scan: Scan) -> Finding | None:
    if len(scan.counts) >= 2:
        return None
    only = f"Only one class ('{scan.counts.index[0]}') has" if len(scan.counts) else "No class has"
    return Finding("one_class", "error", f"{only} rows with both a text and a label; a classifier needs at least 2 "
                   "classes. Check the text and label columns, or add rows of other classes.")


def _empty_text(scan: Scan) -> Finding | None:
    missing = scan.empty
    if not missing.any():
        return None
    return Finding("empty_text", "warning", f"Rows without text (empty or only spaces): {missing.sum():,}. They will "
                   "be left out; fill in the texts in your file, or drop these rows.", scan.rows(missing),
                   *_drop_empty_button(scan))


def _missing_label(scan: Scan) -> Finding | None:
    missing = scan.label_codes == -1
    if not missing.any():
        return None
    return Finding("missing_label", "warning", f"Rows without a label in column '{scan.label_col}': {missing.sum():,}"
                   f"{_spellings(scan.written[missing])}. A model cannot learn from a text without its answer, so they "
                   "will be left out; fill in the labels in your file, or drop these rows.", scan.rows(missing),
                   *_drop_empty_button(scan))


def _spellings(written: pd.Series) -> str:
    """How labels that mean "missing" were written ("NaN", "null"…), so no one looks for a class of that name."""
    words = written.astype(STRING).str.strip()
    shown = words[words.notna() & (words != "")].value_counts()
    if shown.empty:
        return ""
    spelt = [f"{n:,} written '{value}'" for value, n in shown.items()]
    return f" ({listing(spelt, LISTED)}: a missing value, not a class)"


def _drop_empty_button(scan: Scan) -> tuple[str, str]:
    return "drop_empty", f"Drop the {count((~scan.usable).sum(), 'row')} without text or label"


def _duplicates(scan: Scan) -> Finding | None:
    """Exact repeats, which saving leaves out by itself (core.data.preparation.prepare): worth knowing, nothing
    to do."""
    if not scan.exact.any():
        return None
    repeats, first = scan.exact.sum(), np.flatnonzero(scan.exact)[0]
    return Finding("duplicates", "info", f"Rows that repeat the text and label of an earlier row: {repeats:,}, e.g. "
                   f"{scan.quote(first)}. Saving the dataset keeps the first of each and leaves "
                   f"{'this repeat' if repeats == 1 else f'these {repeats:,}'} out.", scan.rows(scan.exact))


def _near_duplicates(scan: Scan) -> Finding | None:
    near = scan.near.sum()
    if not near:
        return None
    later = np.flatnonzero(scan.near)[0]
    same = scan.usable & (scan.key_codes == scan.key_codes[later]) & (scan.label_codes == scan.label_codes[later])
    earlier = np.flatnonzero(same)[0]
    return Finding("near_duplicates", "warning", f"Rows that nearly repeat an earlier row with the same label: "
                   f"{near:,}, differing only in capitals, punctuation or spacing, e.g. {scan.quote(earlier)} and "
                   f"{scan.quote(later)}. Saving keeps them, and a copy in both training and test makes the test "
                   "scores look better than they are. Drop them to keep only the first of each.", scan.rows(scan.near),
                   "drop_duplicates", f"Drop the {count(near, 'near-duplicate row')}")


def _conflicting(scan: Scan) -> Finding | None:
    texts, rows = len(scan.clashing), scan.conflicts
    if not texts:
        return None
    group = np.flatnonzero(rows & (scan.key_codes == scan.key_codes[np.flatnonzero(rows)[0]]))
    codes, firsts = np.unique(scan.label_codes[group], return_index=True)
    order = np.argsort(firsts)
    quotes, labels = [scan.quote(group[firsts[i]]) for i in order], [f"'{scan.classes[codes[i]]}'" for i in order]
    # Texts that differ in capitals or punctuation are quoted each as written, with its labels.
    by_quote: dict[str, list[str]] = {}
    for quote, label in zip(quotes, labels):
        by_quote.setdefault(quote, []).append(label)
    example = (f"{quotes[0]} as {_both(labels)}" if len(by_quote) == 1 else
               "; ".join(f"{q} as {_both(ls, joined=True)}" for q, ls in by_quote.items()))
    # Saving keeps the first row of a text written exactly alike; copies that differ in capitals or punctuation stay.
    relabelled = scan.relabelled.sum()
    saved = (f" If they stay, saving keeps the first row of each text written exactly alike and leaves out "
             f"{count(relabelled, 'later row')} with another label." if relabelled else "")
    return Finding("conflicts", "warning", f"{count(texts, 'text')} {'appears' if texts == 1 else 'appear'} with "
                   f"different labels, e.g. {example} "
                   f"({count(rows.sum(), 'row')} in all). A model cannot learn two answers for one text. Correct the "
                   f"labels in your file, or drop these rows.{saved}",
                   scan.rows(rows), "drop_conflicts", f"Drop the {count(rows.sum(), 'row')} with conflicting labels")


def _leakage(scan: Scan) -> Finding | None:
    """Near copies across the user's split; exact ones cannot leak, as saving keeps one row of each text."""
    leaks = scan.leaks.sum()
    if not leaks:
        return None
    return Finding("leakage", "warning", f"Test rows that nearly repeat a training text, differing only in capitals, "
                   f"punctuation or spacing: {leaks:,}, e.g. {scan.quote(np.flatnonzero(scan.leaks)[0])}. The model "
                   "learns these texts, so its test scores look better than they really are. Drop them from the test "
                   "set.", scan.rows(scan.leaks), "drop_leaks", f"Drop the {count(leaks, 'leaking test row')}")


def _rare_classes(scan: Scan) -> Finding | None:
    rare, minimum = scan.rare, MIN_PER_CLASS
    if len(scan.counts) < 2 or not len(rare):
        return None
    listed = listing([f"'{c}' ({n})" for c, n in rare.items()], LISTED)
    merged = list(rare.index) == [OTHER]  # merging again would change nothing
    return Finding("rare_classes", "warning", f"Classes with fewer than {minimum} rows: {listed}. A class needs "
                   f"{minimum}, one each for training, validation and test; these can be used for training only and "
                   "are never scored. " + ("Add rows to it." if merged else f"Add rows, or merge them into one class "
                                           f"'{OTHER}'."), scan.rows(scan.usable & scan.rare_rows),
                   None if merged else "merge_rare",
                   None if merged else f"Merge the {count(len(rare), 'small class', 'small classes')} into '{OTHER}'")


def _label_case(scan: Scan) -> Finding | None:
    return label_case(scan.counts.index)


def label_case(classes: pd.Index) -> Finding | None:
    """Classes that differ only in capitals, which the label option "ignore capitals" makes one."""
    lowered = pd.Series(classes, dtype=STRING).str.lower()
    clashes = lowered[lowered.duplicated(keep=False)]
    if clashes.empty:
        return None
    groups = [" and ".join(f"'{c}'" for c in classes[clashes.index[clashes == low]]) for low in clashes.unique()]
    shown = listing(groups, LISTED)
    return Finding("label_case", "warning", f"Labels that differ only in capitals are separate classes now: {shown}. "
                   "If they mean the same, make them one class.", fix=CASEFOLD,
                   fix_label="Ignore capitals in labels")


def _too_many_classes(scan: Scan) -> Finding | None:
    classes, rows = len(scan.counts), int(scan.usable.sum())
    if classes <= max(50, 0.5 * rows):
        return None
    return Finding("too_many_classes", "warning", f"Column '{scan.label_col}' has {classes:,} different values for "
                   f"{rows:,} rows. Is it really the label column? A label is the answer the model should learn, shared "
                   "by many texts.")


def _imbalance(scan: Scan) -> Finding | None:
    counts = scan.counts[scan.counts >= MIN_PER_CLASS]  # classes too small to test have a finding of their own
    if len(counts) < 2 or counts.iloc[0] < IMBALANCE_RATIO * counts.iloc[-1]:
        return None
    return Finding("imbalance", "warning", f"The classes are heavily imbalanced: '{counts.index[0]}' has "
                   f"{counts.iloc[0]:,} rows and '{counts.index[-1]}' only {counts.iloc[-1]:,}. Accuracy alone will "
                   "flatter the model; look at macro-F1 and the per-class scores, or add rows of the small classes.")


def _long_texts(scan: Scan) -> Finding | None:
    lengths = scan.lengths
    long = lengths > LONG_TEXT
    if not long.any():
        return None
    return Finding("long_texts", "info", f"Texts longer than {LONG_TEXT:,} characters: {long.sum():,} (the longest has "
                   f"{lengths.max():,}). Most models read only the first few hundred words and cut the rest; if the "
                   "label depends on the end of a text, put the important part first.", scan.rows(long))


CHECKS: tuple[Callable[[Scan], Finding | None], ...] = (
    _one_class, _empty_text, _missing_label, _duplicates, _near_duplicates, _conflicting, _leakage, _label_case,
    _too_many_classes, _rare_classes, _imbalance, _long_texts)
# The checks of rows rather than classes: a multi-label table has them too (core.data.multilabel_quality).
ROW_CHECKS = (_empty_text, _missing_label, _duplicates, _near_duplicates, _leakage, _long_texts)


def _drop(df: pd.DataFrame, mask: np.ndarray, noun: str, plural: str) -> tuple[pd.DataFrame, str]:
    if not mask.any():
        return df.copy(), f"Nothing to drop: there are no {plural}."
    kept = df[~mask]
    return kept, f"Dropped {count(mask.sum(), noun, plural)}; {len(kept):,} remain."


def _drop_duplicates(df: pd.DataFrame, scan: Scan) -> tuple[pd.DataFrame, str]:
    """The near duplicates, and the exact repeats with them: dropping only the near ones could leave a repeat of a
    dropped row as a new near duplicate of the row kept."""
    near, exact = scan.near.sum(), scan.exact.sum()
    if not near and not exact:
        return df.copy(), "Nothing to drop: there are no duplicate rows."
    kept = df[~(scan.near | scan.exact)]
    dropped = ([count(near, "near-duplicate row")] if near else []) + (
        [f"{count(exact, 'exact repeat')}, which saving would have left out anyway"] if exact else [])
    return kept, f"Dropped {' and '.join(dropped)}; {len(kept):,} remain."


def _merge_rare(df: pd.DataFrame, scan: Scan) -> tuple[pd.DataFrame, str]:
    """Relabel the rows of classes under MIN_PER_CLASS rows as OTHER. The label column becomes text, as `label_ids`
    shows it (stripped; "1.0" as "1" in a numeric column), so the user's names still find their ids."""
    rare, minimum = scan.rare, MIN_PER_CLASS
    if not len(rare):
        return df.copy(), f"No class has fewer than {minimum} rows; nothing to merge."
    out = df.copy()
    out[scan.label_col] = label_ids(df[scan.label_col]).mask(scan.rare_rows, OTHER).astype("str")
    kept = scan.counts.drop(rare.index)
    size = int(rare.sum() + kept.get(OTHER, 0))
    listed = listing([f"'{c}'" for c in rare.index], LISTED)
    message = (f"Merged {count(len(rare), 'class', 'classes')} with fewer than {minimum} rows ({listed}) into "
               f"'{OTHER}', which now has {count(size, 'row')}.")
    if size < minimum:
        message += f" That is still fewer than {minimum}, so '{OTHER}' can be used for training only."
    if len(set(kept.index) | {OTHER}) < 2:
        message += " Only one class is left, and a classifier needs at least 2."
    return out, message


FIXES: dict[str, Callable[[pd.DataFrame, Scan], tuple[pd.DataFrame, str]]] = {
    "drop_empty": lambda df, scan: _drop(df, ~scan.usable, "row without text or label", "rows without text or label"),
    "drop_duplicates": _drop_duplicates,
    "drop_conflicts": lambda df, scan: _drop(df, scan.conflicts, "row with conflicting labels",
                                             "rows with conflicting labels"),
    "merge_rare": _merge_rare,
    "drop_leaks": lambda df, scan: _drop(df, scan.leaks, "test row that nearly repeats a training text",
                                         "test rows that nearly repeat a training text"),
}


def _both(names: list[str], joined: bool = False) -> str:
    """"both 'a' and 'b'", or "'a', 'b' and 'c'"; `joined` leaves out "both"."""
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{'' if joined else 'both '}{names[0]} and {names[1]}"
    return ", ".join(names[:-1]) + f" and {names[-1]}"
