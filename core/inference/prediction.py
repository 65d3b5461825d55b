"""Load a finished run's model and predict with it."""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from core.architectures import TextClassifier
from core.formats.thresholds import LabelThresholds
from core.data.multilabel import join_labels
from core.evaluation.report import probability_column
from core.models.loading import load_folder
from core.store.shared_storage import run_files
from core.store.store import Store
from core.workspace import MODEL_DIR


def load_run_model(store: Store, run_id: int) -> TextClassifier:
    run = store.get_run(run_id)
    if not run.has_model:
        raise ValueError(f"Run {run_id} is {run.status} and has no model to predict with; a run has one once it has "
                         "finished, or when stopped after an epoch.")
    # The app wrote this folder itself: the checks of a model from anyone (models.loading.load_model) are not needed.
    return load_folder(run_files(store, run_id) / MODEL_DIR)


# The column of a multi-label prediction: the chosen labels joined as a multi-label dataset's `label` column holds
# them; a single-label one has `predicted` and its `confidence` instead.
LABELS_COLUMN, PREDICTED_COLUMN = "labels", "predicted"


def is_multilabel(model) -> bool:
    """Whether `model` chooses any number of labels per text; models saved before there were such models are not."""
    return bool(getattr(model, "multilabel_", False))


def prediction_frame(texts: Sequence[str], proba: np.ndarray, classes: Sequence[str]) -> pd.DataFrame:
    """One row per text: the text, the predicted label, its probability, then `P(class)` for every class."""
    classes = np.asarray(classes, dtype=object)
    table = pd.DataFrame(proba, columns=[probability_column(str(c)) for c in classes])
    table.insert(0, "confidence", proba.max(axis=1) if len(proba) else [])
    table.insert(0, PREDICTED_COLUMN, classes[proba.argmax(axis=1)].astype(str) if len(proba) else [])
    table.insert(0, "text", list(texts))
    return table


def chosen_labels(proba: np.ndarray, classes: Sequence[str], thresholds: LabelThresholds) -> list[list[str]]:
    """Each row's labels whose probability reaches their threshold, in `classes` order."""
    classes = [str(c) for c in classes]
    return [[c for c, on in zip(classes, row) if on] for row in thresholds.decide(proba, classes)]


def multilabel_frame(texts: Sequence[str], proba: np.ndarray, classes: Sequence[str],
                     thresholds: LabelThresholds) -> pd.DataFrame:
    """One row per text: the text, its chosen labels joined by "|" ("" when none reached its threshold), then
    `P(label)` for every label; the probabilities are each label's own and need not sum to 1."""
    table = pd.DataFrame(proba, columns=[probability_column(str(c)) for c in classes])
    table.insert(0, LABELS_COLUMN, [join_labels(row) for row in chosen_labels(proba, classes, thresholds)])
    table.insert(0, "text", list(texts))
    return table


def label_table(proba: np.ndarray, classes: Sequence[str], thresholds: LabelThresholds) -> pd.DataFrame:
    """One text's labels, most probable first: each label's probability, its threshold and whether it was chosen."""
    chosen = set(chosen_labels(proba[None, :], classes, thresholds)[0])
    table = pd.DataFrame({"label": [str(c) for c in classes], "probability": proba,
                          "threshold": thresholds.for_classes(classes)})
    table["chosen"] = table["label"].isin(chosen)
    return table.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


def prediction_records(classes: Sequence[str], proba: np.ndarray) -> list[dict[str, Any]]:
    """One JSON-ready record per row of `proba`: the label, its probability and every class's, as plain floats."""
    classes = [str(c) for c in classes]
    return [{"label": classes[int(row.argmax())], "confidence": float(row.max()),
             "probabilities": {c: float(p) for c, p in zip(classes, row)}} for row in proba]


def multilabel_records(classes: Sequence[str], proba: np.ndarray, thresholds: LabelThresholds) -> list[dict[str, Any]]:
    """One JSON-ready record per row of `proba`: the chosen labels (a list, empty when none reached its threshold),
    every label's probability and every label's threshold, as plain floats."""
    classes = [str(c) for c in classes]
    limits = {c: float(t) for c, t in zip(classes, thresholds.for_classes(classes))}
    return [{"labels": labels, "probabilities": {c: float(p) for c, p in zip(classes, row)}, "thresholds": limits}
            for labels, row in zip(chosen_labels(proba, classes, thresholds), proba)]


def model_records(model, proba: np.ndarray) -> list[dict[str, Any]]:
    """`model`'s predictions of `proba`'s rows as JSON-ready records: `multilabel_records` for a multi-label model,
    `prediction_records` for any other."""
    if is_multilabel(model):
        return multilabel_records(model.classes_, proba, model.label_thresholds_)
    return prediction_records(model.classes_, proba)


def predict_table(model: TextClassifier, texts: Sequence[str]) -> pd.DataFrame:
    """`model`'s predictions of `texts`: `multilabel_frame` for a multi-label model, `prediction_frame` for any
    other."""
    proba = model.predict_proba(list(texts))
    if is_multilabel(model):
        return multilabel_frame(texts, proba, model.classes_, model.label_thresholds_)
    return prediction_frame(texts, proba, model.classes_)


# A row of a file whose text is empty keeps its place in the predictions, with this in the note column instead of a
# label: a guess about nothing would look like an answer, and a dropped row would shift every row after it.
NOTE_COLUMN, NO_TEXT = "note", "no text"


def without_text(texts: pd.Series) -> pd.Series:
    """Which of `texts` are missing or only white space."""
    return texts.fillna("").astype(str).str.strip() == ""


def predict_every_row(texts: pd.Series, predict: Callable[[list[str]], pd.DataFrame]) -> pd.DataFrame:
    """`predict`'s table (as `predict_table` gives it) for every row of `texts`, in their order. A row without text
    gets an empty prediction and "no text" in a note column after the label (or labels), so the output lines up
    with the input row for row; the column is there only when some row needs it."""
    empty = without_text(texts).to_numpy()
    if empty.all():
        raise ValueError("Every row's text is empty: there is nothing to classify.")
    shown = texts.fillna("").astype(str).reset_index(drop=True)
    table = predict(shown[~empty].tolist())
    table.index = np.flatnonzero(~empty)
    table = table.reindex(range(len(shown)))
    table["text"] = shown
    label = LABELS_COLUMN if LABELS_COLUMN in table.columns else PREDICTED_COLUMN
    table[label] = table[label].fillna("")
    if empty.any():
        table.insert(table.columns.get_loc(label) + 1, NOTE_COLUMN, np.where(empty, NO_TEXT, ""))
    return table


def alongside(table: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """The file's own rows and columns (ids, dates, ...) with the predictions beside them, so the result joins back.
    A file column whose name a prediction column takes is kept as '<name> (in the file)'."""
    clashes = {c: f"{c} (in the file)" for c in table.columns if c in predicted.columns}
    return pd.concat([table.rename(columns=clashes).reset_index(drop=True), predicted.reset_index(drop=True)], axis=1)


# A text cell starting with one of these is a formula to a spreadsheet ('=HYPERLINK(...)' would run as one); a
# plain number such as -1 is not.
FORMULA = re.compile(r"^[=+\-@\t\r](?![0-9.]+$)")


def _as_text(value: object) -> object:
    return "'" + value if isinstance(value, str) and FORMULA.match(value) else value


def csv_for_excel(table: pd.DataFrame) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark: without the mark Excel reads the file in the computer's
    local encoding and garbles every letter beyond ASCII. Text that a spreadsheet would run as a formula starts
    with an apostrophe, which it takes as "this is text"."""
    table = table.copy()
    for column in table.columns[[t == object or pd.api.types.is_string_dtype(t) for t in table.dtypes]]:
        table[column] = table[column].map(_as_text)
    table.columns = [_as_text(c) for c in table.columns]
    return table.to_csv(index=False).encode("utf-8-sig")
