"""Hold out validation and test rows: stratified by label with a fixed seed, or the user's own split column."""
from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from core.data import multilabel_split
from core.errors import DataError
from core.wording import listing

SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
               "dev": "val", "test": "test", "testing": "test"}
MIN_PER_CLASS = 3  # one example each for train, validation and test


def split_columns(df: pd.DataFrame) -> list[str]:
    """Columns that hold a split the user made: every value present names train, validation or test, with rows for
    both training and test."""
    return [column for column in df.columns if _names_a_split(df[column])]


def _names_a_split(column: pd.Series) -> bool:
    # The first rows rule out a text column before the whole column is hashed.
    if column.head(1000).nunique() > len(SPLIT_NAMES):
        return False
    values = {str(v).strip().lower() for v in column.dropna().unique()}
    return values <= set(SPLIT_NAMES) and {"train", "test"} <= {SPLIT_NAMES[v] for v in values}


def split_problem(column: pd.Series) -> str | None:
    """What is wrong with a split column the user chose, in words, or None when every row names its part."""
    names = _split_names(column)
    unknown = names.isna()
    if not unknown.any():
        missing = [part for part in ("train", "test") if not (names == part).any()]
        return (f"Column '{column.name}' marks no rows for {' or '.join(missing)}; a model needs rows to learn from "
                "and rows to be tested on. Choose another column, or hold out test texts at random.") if missing else None
    values = column[unknown].astype("string").str.strip().fillna("").replace("", "(blank)").value_counts()
    shown = listing([f"'{value}' ({n:,})" for value, n in values.items()], 5)
    return (f"Column '{column.name}' should say train, validation or test in every row, but also holds {shown}. "
            "Fill in those rows, or hold out test texts at random.")


def has_validation(column: pd.Series) -> bool:
    return bool((_split_names(column) == "val").any())


def _split_names(column: pd.Series) -> pd.Series:
    return column.astype("string").str.strip().str.lower().map(SPLIT_NAMES)


def split(df: pd.DataFrame, val_frac: float = 0.1, test_frac: float = 0.2, seed: int = 42,
          split_col: pd.Series | None = None, multilabel: bool = False) -> pd.DataFrame:
    """Add a `split` column (train / val / test): stratified by label with a fixed seed, or the user's own. A user's
    split without validation rows gets `val_frac` of its training rows, so training still has something to steer by.
    `multilabel`: each row's `label` joins several (core.data.multilabel), and each label keeps its share."""
    out = df.copy()
    if split_col is not None:
        if problem := split_problem(split_col):
            raise DataError(problem)
        out["split"] = _split_names(split_col).to_numpy()
        train = out.index[out["split"] == "train"]
        if val_frac > 0 and not has_validation(split_col) and len(train) > 1:
            held = multilabel_split.held_out if multilabel else _validation
            out.loc[held(out.loc[train, "label"], val_frac, seed), "split"] = "val"
        return multilabel_split.train_on_every_label(out) if multilabel else _train_on_every_class(out)
    if not 0 < test_frac < 1 or not 0 <= val_frac < 1 or val_frac + test_frac >= 1:
        raise DataError("Validation and test shares must be between 0 and 1 and leave rows for training.")
    if multilabel:
        return _split_multilabel(out, val_frac, test_frac, seed)
    counts = out["label"].value_counts()
    rare = out["label"].isin(counts[counts < MIN_PER_CLASS].index)
    common = out[~rare]
    out["split"] = "train"
    try:
        rest, test = train_test_split(common.index, test_size=test_frac, random_state=seed, stratify=common["label"])
    except ValueError as exc:
        raise DataError(f"There are too few rows to hold out validation and test examples of every class "
                        f"({len(out):,} rows in {counts.size} classes, the smallest with {counts.min():,}; each "
                        f"needs {MIN_PER_CLASS} or more). Add rows, lower the "
                        "validation and test shares, or merge small classes.") from exc
    out.loc[test, "split"] = "test"
    if val_frac > 0:
        out.loc[_validation(common.loc[rest, "label"], val_frac / (1 - test_frac), seed), "split"] = "val"
    return _train_on_every_class(out)


def _split_multilabel(out: pd.DataFrame, val_frac: float, test_frac: float, seed: int) -> pd.DataFrame:
    if len(out) < MIN_PER_CLASS:
        raise DataError(f"There are too few texts ({len(out):,}) to hold out validation and test texts; each part "
                        "needs at least one. Add texts.")
    out["split"] = "train"
    test = multilabel_split.held_out(out["label"], test_frac, seed)
    out.loc[test, "split"] = "test"
    rest = out.index[out["split"] == "train"]
    if val_frac > 0 and len(rest) > 1:
        out.loc[multilabel_split.held_out(out.loc[rest, "label"], val_frac / (1 - test_frac), seed), "split"] = "val"
    return multilabel_split.train_on_every_label(out)


def _validation(labels: pd.Series, share: float, seed: int) -> pd.Index:
    """A share of these rows for validation: stratified by label when every class can give one, else at random."""
    try:
        return train_test_split(labels.index, test_size=share, random_state=seed, stratify=labels)[1]
    except ValueError:  # a class of one row, or more classes than validation rows
        return train_test_split(labels.index, test_size=share, random_state=seed)[1]


def _train_on_every_class(out: pd.DataFrame) -> pd.DataFrame:
    """A validation draw at random can take a class's last training rows; a model never learns such a class."""
    for label in set(out["label"]) - set(out.loc[out["split"] == "train", "label"]):
        rows = out.index[(out["label"] == label) & (out["split"] == "val")]
        if len(rows):
            out.loc[rows[0], "split"] = "train"
    return out
