"""Prepared datasets kept in the workspace: columns text, label and split, stored as Parquet by content hash."""
from __future__ import annotations

import hashlib
from typing import NamedTuple

import pandas as pd

from core.store import DatasetRecord, Store
from core.workspace import datasets_dir


class TextSet(NamedTuple):
    texts: list[str]
    labels: list[str]


def content_id(df: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(df[["text", "label", "split"]], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def save_dataset(store: Store, df: pd.DataFrame, name: str) -> DatasetRecord:
    """Keep a split dataset in the workspace; the same content saved twice is one dataset."""
    dataset_id = content_id(df)
    path = datasets_dir(store.root) / f"{dataset_id}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        df[["text", "label", "split"]].to_parquet(tmp, index=False)
        tmp.replace(path)
    classes = sorted(df["label"].unique().tolist())
    return store.add_dataset(dataset_id, name, str(path), len(df), classes)


def load_dataset(store: Store, dataset_id: str) -> pd.DataFrame:
    return pd.read_parquet(store.get_dataset(dataset_id).path)


def subset(df: pd.DataFrame, split: str) -> TextSet:
    part = df[df["split"] == split]
    return TextSet(part["text"].tolist(), part["label"].tolist())
