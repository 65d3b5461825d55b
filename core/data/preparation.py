"""Guess a table's text and label columns, check them in plain language, and prepare the rows for training."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.data import multilabel_quality, quality
from core.data.labels import STRING, LabelOptions, clean_labels, is_numeric, stripped
from core.data.multilabel import join_labels, split_labels
from core.data.multilabel_shapes import COLUMNS, SINGLE, LabelShape, row_labels
from core.data.quality import LISTED, Finding
from core.data.splitting import split_problem
from core.errors import DataError
from core.wording import count, listing

LABEL_NAMES = ("label", "labels", "class", "category", "target", "y", "sentiment", "intent", "topic", "tag")
TEXT_NAMES = ("text", "texts", "sentence", "message", "content", "body", "review", "title", "question", "document")
OTHER_NAMES = ("id", "index", "split")  # columns that are neither the texts nor the labels
GUESS_ROWS = 10_000
# A number however a file writes it: 3, -2.5, 1,000, 1e+20, 12%, inf. RE2 syntax: Arrow's kernels run it.
NUMBER = r"[-+]?(?:[0-9][0-9.,]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?%?|(?i:[-+]?inf(?:inity)?)"
TRUTH = r"(?i:true|false)"


def guess_columns(df: pd.DataFrame) -> tuple[str, str | None]:
    """Guess (text column, label column): the text is long free text, the label a few repeated values. Judged on the
    first GUESS_ROWS rows, so a million-row table is not scanned (or copied) for a guess. A column of numbers is the
    text only when no column holds anything else; `validate` then says why it cannot be."""
    sample = df.head(GUESS_ROWS)
    columns = list(sample.columns)
    if not columns:
        raise DataError("The table has no columns. It needs a column of texts and a column of their labels.")
    lowered = {c: str(c).lower() for c in columns}

    def mean_length(col: str) -> float:
        lengths = sample[col].dropna().astype(str).str.len()
        return float(lengths.mean()) if len(lengths) else 0.0

    words = [c for c in columns if not_text(sample[c]) is None]
    named_text = [c for c in words if lowered[c] in TEXT_NAMES]
    unnamed = [c for c in words if lowered[c] not in LABEL_NAMES + OTHER_NAMES]
    unlabelled = [c for c in columns if lowered[c] not in LABEL_NAMES]
    text_col = named_text[0] if named_text else max(unnamed or unlabelled or columns, key=mean_length)
    rest = [c for c in columns if c != text_col and lowered[c] not in OTHER_NAMES]
    named_label = [c for c in rest if lowered[c] in LABEL_NAMES]
    if named_label:
        return text_col, named_label[0]
    limit = max(2, min(100, int(0.5 * len(sample))))
    candidates = [c for c in rest if 2 <= sample[c].nunique(dropna=True) <= limit]
    label_col = min(candidates, key=lambda c: sample[c].nunique(dropna=True)) if candidates else None
    return text_col, label_col


def not_text(column: pd.Series) -> str | None:
    """What a column holds in words ("numbers (ids)") when it is not texts a model can learn from; None when it may
    be. Judged on its first GUESS_ROWS rows."""
    values = stripped(column.head(GUESS_ROWS)).dropna()
    if values.empty:
        return "nothing (every cell is empty)"
    if values.str.fullmatch(NUMBER).all():
        return "numbers (ids)" if is_numeric(values) and values.is_unique and len(values) > 1 else "numbers"
    return "only true or false" if values.str.fullmatch(TRUTH).all() else None


def validate(df: pd.DataFrame, text_col: str, label_col: str | None, split_col: str | None = None,
             labels: LabelOptions = LabelOptions(), shape: LabelShape = SINGLE) -> list[Finding]:
    """What stands in the way of training on these columns (errors) and what is worth fixing (warnings), each in
    plain words and most with a one-click fix. `shape`: how the labels are written (one per text unless it says
    otherwise); 0/1 label columns need no `label_col`."""
    if shape.kind == COLUMNS:
        label_col = None
        if taken := {text_col, split_col} & set(shape.label_columns):
            return [Finding("same_column", "error", f"Column '{taken.pop()}' cannot be both a label column and the "
                            "text or split column.")]
    if df.shape[1] == 1:
        return [Finding("one_column", "error", "The file has only one column. Add a column with the label of each "
                        "text (the answer the model should learn) and upload it again.")]
    if problem := _not_texts(df, text_col, label_col, split_col):
        return [problem]
    if label_col is None and shape.kind != COLUMNS:
        return [Finding("no_label_column", "error", "Choose the column that holds the labels (the answer the model "
                        "should learn).")]
    if text_col == label_col:
        return [Finding("same_column", "error", "The text column and the label column are the same; choose two "
                        "different columns.")]
    if split_col is not None and split_col in (text_col, label_col):
        return [Finding("same_column", "error", f"Column '{split_col}' cannot be both the split and the "
                        f"{'text' if split_col == text_col else 'label'} column.")]
    if split_col is not None and (problem := split_problem(df[split_col])):
        return [Finding("split_values", "error", problem)]
    if shape.multilabel:
        try:
            return multilabel_quality.findings(df, text_col, label_col, split_col, labels, shape)
        except DataError as exc:  # a label name holding the joiner, a 0/1 column holding something else
            return [Finding("label_values", "error", str(exc))]
    return quality.findings(df, text_col, label_col, split_col, labels)


def _not_texts(df: pd.DataFrame, text_col: str, label_col: str | None, split_col: str | None) -> Finding | None:
    """A text column of numbers (ids, scores) trains a model that learns nothing: say so, and name the columns that
    could hold the texts, or what each column holds when none could."""
    holds = not_text(df[text_col])
    if holds is None:
        return None
    others = {c: not_text(df[c]) for c in df.columns if c not in (text_col, label_col, split_col)}
    if texts := [f"'{c}'" for c, held in others.items() if held is None]:
        return Finding("not_text", "error", f"Column '{text_col}' holds {holds}, not texts: a model learns from texts "
                       f"such as sentences, messages or reviews. Choose the column that holds them"
                       f"{': ' if len(texts) == 1 else ', one of '}{listing(texts, LISTED)}.")
    held = [f"'{text_col}' holds {holds}", *(f"'{c}' holds {what}" for c, what in others.items())]
    held += [f"'{c}' holds the {what}" for c, what in ((label_col, "labels"), (split_col, "split"))
             if c not in (None, text_col)]
    return Finding("no_text", "error", f"No column holds texts: {listing(held, LISTED)}. A model learns from texts "
                   "such as sentences, messages or reviews: add a column of them to the file (named 'text', it is "
                   "chosen by itself) and upload it again, or choose the column that holds them.")


@dataclass(frozen=True)
class LeftOut:
    """How many rows `prepare` left out, by why. The quality report (core.data.quality) counts the same rows."""
    unusable: int = 0  # no text (or only spaces), or no label
    repeats: int = 0  # the text and label of an earlier row
    relabelled: int = 0  # the text of an earlier row, under another label: the first row's label is the one kept
    joined: int = 0  # several labels per text: the text of an earlier row with other labels, joined to its labels

    def sentence(self) -> str:
        """What was left out and why, as one sentence; "" when nothing was."""
        parts = [f"{count(self.unusable, 'row')} without text or label"] if self.unusable else []
        if self.repeats:
            parts.append(f"{count(self.repeats, 'row')} that {'repeats' if self.repeats == 1 else 'repeat'} the text "
                         "and label of an earlier row")
        if self.relabelled:
            parts.append(f"{count(self.relabelled, 'row')} whose text an earlier row has with another label (the "
                         "earlier row's label is kept)")
        if self.joined:
            parts.append(f"{count(self.joined, 'row')} whose text an earlier row has with other labels (their labels "
                         "are joined to that row's)")
        if not parts:
            return ""
        return f"Left out {', '.join(parts[:-1])}{' and ' if len(parts) > 1 else ''}{parts[-1]}."


def prepare(df: pd.DataFrame, text_col: str, label_col: str | None, labels: LabelOptions = LabelOptions(),
            split_col: str | None = None, shape: LabelShape = SINGLE) -> pd.DataFrame:
    """The rows a model can learn from, as columns `text` and `label` (and `split` from the user's split column):
    texts stripped, labels cleaned as chosen, no empty text, no missing label, each text once. Several labels per
    text (`shape`) are joined by core.data.multilabel.JOINER in `label`."""
    return prepare_counted(df, text_col, label_col, labels, split_col, shape)[0]


def prepare_counted(df: pd.DataFrame, text_col: str, label_col: str | None, labels: LabelOptions = LabelOptions(),
                    split_col: str | None = None, shape: LabelShape = SINGLE) -> tuple[pd.DataFrame, LeftOut]:
    """`prepare`'s rows, and how many it left out and why, for the message that says so."""
    label = row_labels(df, label_col, shape, labels) if shape.multilabel else clean_labels(df[label_col], labels)
    out = pd.DataFrame({"text": df[text_col].astype(STRING).str.strip(), "label": label})
    if split_col is not None:
        out["split"] = df[split_col]
    usable = out["text"].notna() & (out["text"] != "") & out["label"].notna()
    out = out[usable]
    seen_text, seen_pair = out.duplicated(subset="text"), out.duplicated(subset=["text", "label"])
    if shape.multilabel:
        # A text twice with other labels has all of them: several labels per text are no conflict.
        other = seen_text & ~seen_pair
        left_out = LeftOut(int((~usable).sum()), int(seen_pair.sum()), joined=int(other.sum()))
        if other.any():
            texts = out.loc[other, "text"]
            repeated = out[out["text"].isin(texts)]
            union = repeated.groupby("text", sort=False)["label"].agg(
                lambda joined: join_labels(label for j in joined for label in split_labels(j)))
            out = out.assign(label=out["label"].mask(out["text"].isin(texts), out["text"].map(union)))
    else:
        # Each text once, the first row of it kept: one text with two labels cannot be learned either way.
        left_out = LeftOut(int((~usable).sum()), int(seen_pair.sum()), int((seen_text & ~seen_pair).sum()))
    return out[~seen_text].astype({"text": str, "label": str}).reset_index(drop=True), left_out
