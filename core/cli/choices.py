"""What the Data and Train pages decide and say before a run, for `python -m core train | submit | inspect`: the
columns, the split, and what the model will make of the texts."""
from __future__ import annotations

import sys

import pandas as pd

from core.architectures import Architecture
from core.architectures.preview import preview
from core.data.labels import LabelOptions
from core.data.multilabel_shapes import (COLUMNS, SEPARATED, SINGLE, LabelShape, describe, detect_shape,
                                        indicator_columns, row_labels)
from core.data.preparation import guess_columns
from core.data.splitting import has_validation, split_columns
from core.errors import DataError
from core.store.datasets import split_table
from core.wording import count

RANDOM_SPLIT = "none"  # `--split-col none`: hold test texts out at random, whatever column marks a split
CUT_WARNING_SHARE = 0.05  # above it, the Train page advises a longer maximum length


def choose_columns(df: pd.DataFrame, source: str, text: str | None, label: str | None,
                   split_col: str | None) -> tuple[str, str | None, str | None]:
    """(text, label, split) columns: each as named, else as the Data page preselects them: the guessed text and
    label columns, and the first column that marks rows for training and test. The split is None for a random one."""
    guessed_text, guessed_label = guess_columns(df)
    if split_col is None:
        split_col = next(iter(split_columns(df)), None)
    elif split_col.lower() == RANDOM_SPLIT:
        split_col = None
    chosen = (text or guessed_text, label or guessed_label, split_col)
    missing = [c for c in chosen if c is not None and c not in df.columns]
    if missing:
        random = f" Or split at random with --split-col {RANDOM_SPLIT}." if split_col in missing else ""
        raise DataError(f"No column {', '.join(map(repr, missing))} in {source}. Columns: "
                        f"{', '.join(map(str, df.columns))}.{random}")
    return chosen


def choose_shape(df: pd.DataFrame, source: str, label_col: str | None, label_sep: str | None,
                 label_columns: str | None, labels: LabelOptions, label_col_given: bool = True) -> LabelShape:
    """How the labels are written: 0/1 columns as `label_columns` ("a,b,c") names them, one column with `label_sep`
    between the labels, else as the label column looks (lists, or "|" or ";" between labels; "," only when
    `label_sep` says so, as prose has commas too). A guessed label column that is one of several 0/1 columns
    brings them all, as the Data page ticks them. Says on stderr what was found."""
    yes_no = [] if label_columns or label_col_given else indicator_columns(df)
    if len(yes_no) >= 2 and label_col in yes_no:
        print(f"note: {len(yes_no)} columns say yes or no (1/0) for each text, each read as a label; name others "
              "with --label-columns, or one with --label-col for one label per text.", file=sys.stderr)
        label_columns = ",".join(map(str, yes_no))
    if label_columns:
        chosen = tuple(c.strip() for c in label_columns.split(",") if c.strip())
        if missing := [c for c in chosen if c not in df.columns]:
            raise DataError(f"No column {', '.join(map(repr, missing))} in {source}. Columns: "
                            f"{', '.join(map(str, df.columns))}.")
        shape = LabelShape(COLUMNS, label_columns=chosen)
    elif label_col is None:
        return SINGLE
    elif label_sep:
        shape = LabelShape(SEPARATED, label_sep)
    else:
        shape = detect_shape(df[label_col])
        if shape.confirm:
            print(f"note: column '{label_col}' may hold several labels per text separated by '{shape.separator}'; "
                  f"add --label-sep '{shape.separator}' to read them so. Read as one label per text.", file=sys.stderr)
            return SINGLE
    if shape.multilabel:
        print(describe(shape, row_labels(df, label_col, shape, labels)), file=sys.stderr)
    return shape


def split_rows(df: pd.DataFrame, text_col: str, label_col: str | None, labels: LabelOptions, split_col: str | None,
               seed: int, shape: LabelShape = SINGLE) -> pd.DataFrame:
    """The rows as the Data page saves them, with the part of each: as `split_col` says (validation rows taken from
    its training rows when it marks none), or held out at random. Says on stderr how the rows were shared out."""
    parts = split_table(df, text_col, label_col, labels, split_col, seed=seed, shape=shape)[0]
    n = parts["split"].value_counts()
    if split_col is None:
        how = f"Validation and test texts held out at random (seed {seed})"
    else:
        how = f"Rows split as column '{split_col}' says (--split-col none splits at random instead)"
    print(f"{how}: {n.get('train', 0):,} training, {n.get('val', 0):,} validation and {n.get('test', 0):,} test "
          "texts.", file=sys.stderr)
    if split_col is not None and not has_validation(df[split_col]):
        print(f"Column '{split_col}' marks no validation rows, so {n.get('val', 0):,} of its training rows are held "
              "out to steer training.", file=sys.stderr)
    if left_out := len(df) - len(parts):
        joined = " (several labels of one text are joined)" if shape.multilabel else ""
        print(f"{count(left_out, 'row')} left out: no text, no label, or a text already in an earlier row{joined}.",
              file=sys.stderr)
    return parts


def say_preview(arch: Architecture, config: dict, texts: list[str], model_warnings: bool) -> None:
    """On stderr, what the Train page shows before Start: the model's warnings about the texts (left out where the
    training that follows prints them itself) and how many texts are longer than the model reads."""
    try:
        shown = preview(arch.model_cls(arch.config_cls.from_dict(config)), texts)
    except OSError as exc:  # a pretrained model that cannot be found or read
        raise DataError(str(exc)) from exc
    if model_warnings:
        for warning in shown.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if shown.n_cut:
        many = shown.cut_share > CUT_WARNING_SHARE
        print(f"{'warning' if many else 'note'}: {shown.cut_share:.0%} of the training texts ({shown.n_cut:,} of "
              f"{len(shown.lengths):,}) are longer than the maximum length of {shown.max_length} tokens and will be "
              "cut. " + ("Raise it with --set max_length=N to keep more of them." if many else "That is few enough."),
              file=sys.stderr)
