"""The review of labels that may be wrong, kept in the workspace per dataset: the rows found (so the search is not run
again), each reviewer's decisions on them (relabel, drop or keep, with their time; undoable), and the new version of
the dataset those decisions make, saved beside the original, which stays as it was."""
from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from core.data.multilabel import join_labels, split_labels
from core.store.datasets import load_dataset, save_dataset
from core.store.store import DatasetRecord, Store
from core.workspace import write_json, written_aside

ACTIONS = ("relabel", "drop", "keep")
FOUND_FILE = "found.parquet"
APPLIED_FILE = "applied.json"  # in a reviewed version's folder: the decisions that made it


@dataclass(frozen=True)
class Decision:
    row: int  # the row's position in the dataset
    action: str  # one of ACTIONS
    label: str | None  # the new label of a relabelled row (labels joined by "|" for several per text)
    at: float  # when it was decided (seconds since the epoch)


def review_dir(store: Store, dataset_id: str) -> Path:
    store.get_dataset(dataset_id)  # one the viewer may see
    path = store.root / "label_review" / dataset_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def _decisions_file(store: Store, dataset_id: str) -> Path:
    # One file per reviewer: two people reviewing a shared dataset keep their own decisions.
    who = hashlib.sha256((store.owner or "").encode()).hexdigest()[:12]
    return review_dir(store, dataset_id) / f"decisions-{who}.json"


def save_found(store: Store, dataset_id: str, found: pd.DataFrame) -> None:
    """Keep the rows the search found (core.evaluation.label_errors), so a reopened page shows them at once."""
    with written_aside(review_dir(store, dataset_id) / FOUND_FILE) as partial:
        found.to_parquet(partial, index=False)


def load_found(store: Store, dataset_id: str) -> pd.DataFrame | None:
    path = review_dir(store, dataset_id) / FOUND_FILE
    return pd.read_parquet(path) if path.exists() else None


def decisions(store: Store, dataset_id: str) -> list[Decision]:
    """This reviewer's decisions on a dataset's rows, oldest first, one per row (the last made)."""
    path = _decisions_file(store, dataset_id)
    return [Decision(**d) for d in json.loads(path.read_text(encoding="utf-8"))] if path.exists() else []


def _write(store: Store, dataset_id: str, kept: list[Decision]) -> None:
    write_json(_decisions_file(store, dataset_id), [asdict(d) for d in kept])


def decide(store: Store, dataset_id: str, row: int, action: str, label: str | None = None) -> Decision:
    """Record a decision on a row, in place of any earlier one on it. A relabel names one of the dataset's classes
    (for several labels per text, a "|"-joined set of them)."""
    dataset = store.get_dataset(dataset_id)
    if action not in ACTIONS:
        raise ValueError(f"A row's label is relabelled, dropped or kept, not '{action}'.")
    if not 0 <= row < dataset.n_rows:
        raise ValueError(f"This dataset has rows 0 to {dataset.n_rows - 1}; there is no row {row}.")
    if action == "relabel":
        picked = split_labels(label or "") if dataset.multilabel else (label,)
        unknown = [p for p in picked if p not in dataset.classes]
        if unknown or not (picked or dataset.multilabel):
            raise ValueError(f"'{label}' is not a class of this dataset; pick one of {', '.join(dataset.classes)}.")
        label = join_labels(picked) if dataset.multilabel else label
    decision = Decision(int(row), action, label if action == "relabel" else None, time.time())
    _write(store, dataset_id, [d for d in decisions(store, dataset_id) if d.row != decision.row] + [decision])
    return decision


def undo(store: Store, dataset_id: str, row: int | None = None) -> Decision | None:
    """Forget the decision on `row`, or the last one made when no row is named; returns it (None: nothing to undo)."""
    kept = decisions(store, dataset_id)
    gone = next((d for d in reversed(kept) if row is None or d.row == row), None)
    if gone is not None:
        _write(store, dataset_id, [d for d in kept if d is not gone])
    return gone


def reviewed(table: pd.DataFrame, made: list[Decision]) -> pd.DataFrame:
    """A dataset's rows with the decisions applied: relabelled rows changed, dropped rows removed."""
    table = table.copy()
    for d in made:
        if d.action == "relabel":
            table.loc[d.row, "label"] = d.label
    return table.drop(index=[d.row for d in made if d.action == "drop"]).reset_index(drop=True)


def save_reviewed(store: Store, dataset_id: str) -> DatasetRecord:
    """Save the reviewed dataset as a new one, "<name> (reviewed N)", with the decisions that made it kept in its
    folder; the original and its decisions stay as they were. ValueError when no decision changes a row."""
    dataset = store.get_dataset(dataset_id)
    made = decisions(store, dataset_id)
    if not any(d.action != "keep" for d in made):
        raise ValueError("Nothing to save yet: relabel or drop at least one row; a kept row is already as it was.")
    table = reviewed(load_dataset(store, dataset_id), made)
    taken = re.compile(rf"{re.escape(dataset.name)} \(reviewed (\d+)\)$")
    numbers = [int(m.group(1)) for d in store.list_datasets() if (m := taken.match(d.name))]
    record = save_dataset(store, table, f"{dataset.name} (reviewed {max(numbers, default=0) + 1})",
                          dataset.source_hash, dataset.multilabel)
    write_json(review_dir(store, record.id) / APPLIED_FILE,
               {"from": dataset_id, "decisions": [asdict(d) for d in made]})
    return record
