"""Guess a table's text and label columns, check them in plain language, and split the rows."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sklearn.model_selection import train_test_split

LABEL_NAMES = ("label", "labels", "class", "category", "target", "y", "sentiment", "intent", "topic", "tag")
TEXT_NAMES = ("text", "texts", "sentence", "message", "content", "body", "review", "title", "question", "document")
SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
               "dev": "val", "test": "test", "testing": "test"}
# A cell spanning this many lines almost always means an opening quote never closed.
SWALLOWED_LINES = 20
MIN_PER_CLASS = 3  # one example each for train, validation and test
IMBALANCE_RATIO = 10


class DataError(ValueError):
    """A file that cannot be read; the message says what is wrong and what to do."""


@dataclass
class Issue:
    level: str  # "error" blocks training; "warning" does not
    message: str
    rows: list[int] = field(default_factory=list)


def guess_columns(df: pd.DataFrame) -> tuple[str, str | None]:
    """Guess (text column, label column): the text is long free text, the label a few repeated values."""
    columns = list(df.columns)
    lowered = {c: c.lower() for c in columns}
    stringy = [c for c in columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])] or columns

    def mean_length(col: str) -> float:
        return float(df[col].dropna().astype(str).str.len().mean() or 0.0)

    named_text = [c for c in stringy if lowered[c] in TEXT_NAMES]
    text_col = named_text[0] if named_text else max(stringy, key=mean_length)
    rest = [c for c in columns if c != text_col and lowered[c] not in ("id", "index", "split")]
    named_label = [c for c in rest if lowered[c] in LABEL_NAMES]
    if named_label:
        return text_col, named_label[0]
    limit = max(2, min(100, int(0.5 * len(df))))
    candidates = [c for c in rest if 2 <= df[c].nunique(dropna=True) <= limit]
    label_col = min(candidates, key=lambda c: df[c].nunique(dropna=True)) if candidates else None
    return text_col, label_col


def _clean_text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _clean_labels(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().replace("", pd.NA)


def validate(df: pd.DataFrame, text_col: str, label_col: str | None) -> list[Issue]:
    """Plain-language problems with this choice of columns. Errors block training; warnings do not."""
    if df.shape[1] == 1:
        return [Issue("error", "The file has only one column. Add a column with the label of each text "
                      "(the answer the model should learn) and upload it again.")]
    if label_col is None:
        return [Issue("error", "Choose the column that holds the labels (the answer the model should learn).")]
    if text_col == label_col:
        return [Issue("error", "The text column and the label column are the same; choose two different columns.")]
    text, labels = _clean_text(df[text_col]), _clean_labels(df[label_col])
    issues: list[Issue] = []
    has_text = text.notna() & (text != "")
    if not has_text.any():
        issues.append(Issue("error", f"Column '{text_col}' has no text in any row. Choose the column with the texts."))
    if labels.isna().all():
        issues.append(Issue("error", f"Column '{label_col}' is empty in every row. Choose the column with the labels."))
    if issues:
        return issues
    usable = has_text & labels.notna()
    counts = labels[usable].value_counts()
    if len(counts) < 2:
        only = counts.index[0] if len(counts) else "none"
        issues.append(Issue("error", f"Only one class ('{only}') has usable rows; a classifier needs at least 2 classes."))
    dropped = list(usable[~usable].index)
    if dropped:
        issues.append(Issue("warning", f"{len(dropped):,} rows have no text or no label and will be left out.", dropped))
    duplicated = text[usable].duplicated()
    if duplicated.any():
        rows = list(duplicated[duplicated].index)
        issues.append(Issue("warning", f"{len(rows):,} rows repeat the text of an earlier row and will be left out, "
                            "so the same text cannot be in both training and test.", rows))
    lines = text.fillna("").str.count("\n")
    swallowed = list(lines[lines >= SWALLOWED_LINES].index)
    if swallowed:
        issues.append(Issue("warning", f"Row {swallowed[0] + 1} holds {int(lines[swallowed[0]]) + 1} lines of the file in one "
                            "text: an opening quote that never closes has probably swallowed the rows after it. "
                            "Fix the quote in the file and upload it again.", swallowed))
    small = counts[counts < MIN_PER_CLASS]
    if len(small) and len(counts) >= 2:
        names = ", ".join(f"'{c}' ({n})" for c, n in small.items())
        issues.append(Issue("warning", f"Classes with fewer than {MIN_PER_CLASS} examples cannot be spread over training, "
                            f"validation and test: {names}. They are used for training only."))
    if len(counts) >= 2 and counts.iloc[0] >= IMBALANCE_RATIO * counts.iloc[-1]:
        issues.append(Issue("warning", f"The classes are heavily imbalanced: '{counts.index[0]}' has {counts.iloc[0]:,} "
                            f"examples and '{counts.index[-1]}' only {counts.iloc[-1]:,}. Accuracy alone will flatter "
                            "the model; look at macro-F1 and the per-class scores."))
    if len(counts) > max(50, 0.5 * usable.sum()):
        issues.append(Issue("warning", f"Column '{label_col}' has {len(counts):,} different values for {int(usable.sum()):,} "
                            "rows. Is it really the label column?"))
    return issues


def prepare(df: pd.DataFrame, text_col: str, label_col: str) -> pd.DataFrame:
    """The rows a model can learn from, as columns `text` and `label`: no empty text, no missing label, no repeats."""
    out = pd.DataFrame({"text": _clean_text(df[text_col]), "label": _clean_labels(df[label_col])})
    out = out[out["text"].notna() & (out["text"] != "") & out["label"].notna()]
    out = out.drop_duplicates(subset="text", keep="first")
    return out.astype({"text": str, "label": str}).reset_index(drop=True)


def split(df: pd.DataFrame, val_frac: float = 0.1, test_frac: float = 0.2, seed: int = 42,
          split_col: pd.Series | None = None) -> pd.DataFrame:
    """Add a `split` column (train / val / test): stratified by label with a fixed seed, or the user's own."""
    out = df.copy()
    if split_col is not None:
        mapped = split_col.astype("string").str.strip().str.lower().map(SPLIT_NAMES)
        if mapped.isna().any():
            bad = sorted(set(split_col[mapped.isna()].astype(str)))[:5]
            raise DataError(f"The split column has values other than train / validation / test: {', '.join(bad)}.")
        out["split"] = mapped.to_numpy()
        return out
    if not 0 < test_frac < 1 or not 0 <= val_frac < 1 or val_frac + test_frac >= 1:
        raise DataError("Validation and test shares must be between 0 and 1 and leave rows for training.")
    counts = out["label"].value_counts()
    rare = out["label"].isin(counts[counts < MIN_PER_CLASS].index)
    common = out[~rare]
    out["split"] = "train"
    try:
        rest, test = train_test_split(common.index, test_size=test_frac, random_state=seed, stratify=common["label"])
        out.loc[test, "split"] = "test"
        if val_frac > 0:
            rest_labels = common.loc[rest, "label"]
            stratify = rest_labels if rest_labels.value_counts().min() >= 2 else None
            _, val = train_test_split(rest, test_size=val_frac / (1 - test_frac), random_state=seed, stratify=stratify)
            out.loc[val, "split"] = "val"
    except ValueError as exc:
        raise DataError(f"There are too few rows to hold out validation and test examples of every class "
                        f"({len(common):,} rows, {common['label'].nunique()} classes). Add rows, lower the "
                        "validation and test shares, or merge small classes.") from exc
    # An unstratified validation draw can take a class's last training rows; a model never learns such a class.
    for label in set(out["label"]) - set(out.loc[out["split"] == "train", "label"]):
        out.loc[out.index[out["label"] == label][0], "split"] = "train"
    return out
