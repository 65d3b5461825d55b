"""Prepared datasets kept in the workspace: columns text, label and split, stored as Parquet by content hash."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd

from core.data.labels import LabelOptions
from core.data.multilabel import label_names, split_labels
from core.data.multilabel_shapes import SINGLE, LabelShape
from core.data.preparation import LeftOut, prepare_counted
from core.data.splitting import split
from core.store.shared_storage import fetch, push, quietly, remove
from core.store.store import DatasetRecord, Store
from core.store.uploads import forget_upload
from core.workspace import datasets_dir, run_dir, written_aside


def content_id(df: pd.DataFrame, owner: str | None = None, multilabel: bool = False) -> str:
    """The dataset's id: its content's hash, and its owner's, so two people saving the same table each own one; a
    multi-label dataset's differs from that of the same cells read as one label per text."""
    rows = pd.util.hash_pandas_object(df[["text", "label", "split"]], index=False).to_numpy()
    hashed = hashlib.sha256(rows.tobytes())
    if owner is not None:
        hashed.update(b"\0" + owner.encode())
    if multilabel:
        hashed.update(b"\0multilabel")
    return hashed.hexdigest()[:16]


def split_table(df: pd.DataFrame, text_col: str, label_col: str | None, labels: LabelOptions = LabelOptions(),
                split_col: str | None = None, val_share: float = 0.1, test_share: float = 0.2,
                seed: int = 42, shape: LabelShape = SINGLE) -> tuple[pd.DataFrame, LeftOut]:
    """The rows a model can learn from, each with its part (train, val or test): as `split_col` says, or held out
    at random by `seed`; and how many rows were left out and why. Raises DataError for rows that cannot be split.
    `shape`: how the labels are written (core.data.multilabel_shapes); one per text unless it says otherwise."""
    prepared, left_out = prepare_counted(df, text_col, label_col, labels, split_col, shape)
    parts = split(prepared, val_share, test_share, seed, split_col=prepared["split"] if split_col else None,
                  multilabel=shape.multilabel)
    return parts, left_out


def create_dataset(store: Store, df: pd.DataFrame, name: str, text_col: str, label_col: str | None,
                   labels: LabelOptions = LabelOptions(), split_col: str | None = None, val_share: float = 0.1,
                   test_share: float = 0.2, seed: int = 42, source_hash: str | None = None,
                   shape: LabelShape = SINGLE) -> tuple[DatasetRecord, pd.DataFrame, LeftOut]:
    """A table as the Data page saves it: `split_table`'s rows, saved (`save_dataset`); returns the saved record,
    its rows and what was left out."""
    parts, left_out = split_table(df, text_col, label_col, labels, split_col, val_share, test_share, seed, shape)
    return save_dataset(store, parts, name, source_hash, shape.multilabel), parts, left_out


def save_dataset(store: Store, df: pd.DataFrame, name: str, source_hash: str | None = None,
                 multilabel: bool = False) -> DatasetRecord:
    """Keep a split dataset in the workspace, as the store's viewer's; the same content saved twice by one person
    is one dataset. `source_hash` is that of the uploaded file it was made from. `multilabel`: each row's `label`
    joins several (core.data.multilabel), and the classes are the labels one by one."""
    dataset_id = content_id(df, store.owner, multilabel)
    path = dataset_file(store, dataset_id)
    if not path.exists():
        with written_aside(path) as partial:
            df[["text", "label", "split"]].to_parquet(partial, index=False)
    push(path, store.root)  # for workers on other machines; saved again, it is put there again
    classes = label_names(map(split_labels, df["label"])) if multilabel else sorted(df["label"].unique().tolist())
    return store.add_dataset(dataset_id, name, str(path), len(df), classes, source_hash, multilabel)


def delete_dataset(store: Store, dataset_id: str) -> list[int]:
    """Delete a dataset, its runs and their files; returns the deleted run ids. Refused (ValueError) while a run
    of it is queued or training."""
    record = store.get_dataset(dataset_id)
    run_ids = store.delete_dataset(dataset_id)
    # The rows go first, so nothing is left pointing at a missing file. The file is named by the content hash,
    # which is the id, so no other dataset shares it.
    dataset_file(store, dataset_id).unlink(missing_ok=True)
    quietly(remove, dataset_file(store, dataset_id), store.root)
    for run_id in run_ids:
        # The rows are gone already: a folder that cannot be removed costs only disk space.
        folder = run_dir(run_id, store.root)
        shutil.rmtree(folder, ignore_errors=True)
        quietly(remove, folder, store.root)
    # The uploaded file goes with the last dataset made from it: deleting data must not leave a copy behind.
    if record.source_hash and not store.as_viewer(None).datasets_from_source(record.source_hash):  # anyone's
        forget_upload(record.source_hash, store.root)
    return run_ids


def dataset_file(store: Store, dataset_id: str) -> Path:
    """Where a dataset's rows are, in this machine's workspace. Found by its id, never by the path its row recorded:
    a workspace moved to another folder, or seen from another machine, keeps its datasets."""
    return datasets_dir(store.root) / f"{dataset_id}.parquet"


def load_dataset(store: Store, dataset_id: str) -> pd.DataFrame:
    store.get_dataset(dataset_id)  # one the viewer may see
    path = dataset_file(store, dataset_id)
    if not path.exists():
        fetch(path, store.root)  # saved on another machine
    return pd.read_parquet(path)
