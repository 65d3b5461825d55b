"""Guess a table's text and label columns, check them in plain language, and prepare the rows for training."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import quality
from core.labels import STRING, LabelOptions, clean_labels, detect_multilabel, multilabel_message
from core.quality import Finding
from core.splitting import split_problem
from core.wording import count

LABEL_NAMES = ("label", "labels", "class", "category", "target", "y", "sentiment", "intent", "topic", "tag")
TEXT_NAMES = ("text", "texts", "sentence", "message", "content", "body", "review", "title", "question", "document")
GUESS_ROWS = 10_000


def guess_columns(df: pd.DataFrame) -> tuple[str, str | None]:
    """Guess (text column, label column): the text is long free text, the label a few repeated values. Judged on the
    first GUESS_ROWS rows, so a million-row table is not scanned (or copied) for a guess."""
    sample = df.head(GUESS_ROWS)
    columns = list(sample.columns)
    lowered = {c: c.lower() for c in columns}
    stringy = [c for c in columns if sample[c].dtype == object or pd.api.types.is_string_dtype(sample[c])] or columns

    def mean_length(col: str) -> float:
        return float(sample[col].dropna().astype(str).str.len().mean() or 0.0)

    named_text = [c for c in stringy if lowered[c] in TEXT_NAMES]
    text_col = named_text[0] if named_text else max(stringy, key=mean_length)
    rest = [c for c in columns if c != text_col and lowered[c] not in ("id", "index", "split")]
    named_label = [c for c in rest if lowered[c] in LABEL_NAMES]
    if named_label:
        return text_col, named_label[0]
    limit = max(2, min(100, int(0.5 * len(sample))))
    candidates = [c for c in rest if 2 <= sample[c].nunique(dropna=True) <= limit]
    label_col = min(candidates, key=lambda c: sample[c].nunique(dropna=True)) if candidates else None
    return text_col, label_col


def validate(df: pd.DataFrame, text_col: str, label_col: str | None, split_col: str | None = None,
             labels: LabelOptions = LabelOptions()) -> list[Finding]:
    """What stands in the way of training on these columns (errors) and what is worth fixing (warnings), each in
    plain words and most with a one-click fix."""
    if df.shape[1] == 1:
        return [Finding("one_column", "error", "The file has only one column. Add a column with the label of each "
                        "text (the answer the model should learn) and upload it again.")]
    if label_col is None:
        return [Finding("no_label_column", "error", "Choose the column that holds the labels (the answer the model "
                        "should learn).")]
    if text_col == label_col:
        return [Finding("same_column", "error", "The text column and the label column are the same; choose two "
                        "different columns.")]
    if split_col in (text_col, label_col):
        return [Finding("same_column", "error", f"Column '{split_col}' cannot be both the split and the "
                        f"{'text' if split_col == text_col else 'label'} column.")]
    if split_col is not None and (problem := split_problem(df[split_col])):
        return [Finding("split_values", "error", problem)]
    delimiter = detect_multilabel(df[label_col])
    if delimiter is not None:
        example = df[label_col].astype(str)[df[label_col].astype(str).str.contains(delimiter, regex=False)].iloc[0]
        return [Finding("multilabel", "error", multilabel_message(label_col, delimiter, example))]
    return quality.findings(df, text_col, label_col, split_col, labels)


@dataclass(frozen=True)
class LeftOut:
    """How many rows `prepare` left out, by why. The quality report (core.quality) counts the same rows."""
    unusable: int = 0  # no text (or only spaces), or no label
    repeats: int = 0  # the text and label of an earlier row
    relabelled: int = 0  # the text of an earlier row, under another label: the first row's label is the one kept

    def sentence(self) -> str:
        """What was left out and why, as one sentence; "" when nothing was."""
        parts = [f"{count(self.unusable, 'row')} without text or label"] if self.unusable else []
        if self.repeats:
            parts.append(f"{count(self.repeats, 'row')} that {'repeats' if self.repeats == 1 else 'repeat'} the text "
                         "and label of an earlier row")
        if self.relabelled:
            parts.append(f"{count(self.relabelled, 'row')} whose text an earlier row has with another label (the "
                         "earlier row's label is kept)")
        if not parts:
            return ""
        return f"Left out {', '.join(parts[:-1])}{' and ' if len(parts) > 1 else ''}{parts[-1]}."


def prepare(df: pd.DataFrame, text_col: str, label_col: str, labels: LabelOptions = LabelOptions(),
            split_col: str | None = None) -> pd.DataFrame:
    """The rows a model can learn from, as columns `text` and `label` (and `split` from the user's split column):
    texts stripped, labels cleaned as chosen, no empty text, no missing label, each text once."""
    return prepare_counted(df, text_col, label_col, labels, split_col)[0]


def prepare_counted(df: pd.DataFrame, text_col: str, label_col: str, labels: LabelOptions = LabelOptions(),
                    split_col: str | None = None) -> tuple[pd.DataFrame, LeftOut]:
    """`prepare`'s rows, and how many it left out and why, for the message that says so."""
    out = pd.DataFrame({"text": df[text_col].astype(STRING).str.strip(), "label": clean_labels(df[label_col], labels)})
    if split_col is not None:
        out["split"] = df[split_col]
    usable = out["text"].notna() & (out["text"] != "") & out["label"].notna()
    out = out[usable]
    # Each text once, the first row of it kept: one text with two labels cannot be learned either way.
    seen_text, seen_pair = out.duplicated(subset="text"), out.duplicated(subset=["text", "label"])
    left_out = LeftOut(int((~usable).sum()), int(seen_pair.sum()), int((seen_text & ~seen_pair).sum()))
    return out[~seen_text].astype({"text": str, "label": str}).reset_index(drop=True), left_out
