"""Where datasets, runs and the store live on disk."""
from __future__ import annotations

import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.settings import settings


def workspace_dir() -> Path:
    """The workspace folder: `$CLASSIFIER_STUDIO_WORKSPACE`, else `./workspace`."""
    path = Path(settings().workspace).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


MODEL_DIR = "model"  # inside a run folder: the saved model bundle
PREDICTIONS_FILE = "test_predictions.parquet"  # inside a run folder: the test split with predictions
# Inside a run folder: where training stood, to resume from (core/training/checkpoints.py).
CHECKPOINT_FILE = "checkpoint.pt"
EXPORT_DIR = "export"  # inside a run folder: the ZIP files downloaded so far, kept for the next download


def datasets_dir(root: Path | None = None) -> Path:
    path = (root or workspace_dir()) / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(run_id: int, root: Path | None = None) -> Path:
    path = (root or workspace_dir()) / "runs" / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def written_aside(path: Path) -> Iterator[Path]:
    """A file beside `path` to write to, renamed onto `path` when the block ends, so no reader ever sees half a file.
    Its name is its own, so two processes writing one file at once do not take each other's, and it is removed
    when writing fails (a full disk, say)."""
    # A random name rather than mkstemp's file, which would be readable by its owner alone once renamed.
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def folder_written_aside(path: Path) -> Iterator[Path]:
    """`written_aside` for a folder: a new folder beside `path`, put in its place whole when the block ends. A write
    that fails leaves the folder that was there before (a stopped run's model, say), and nothing half-written."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        yield partial
        if path.exists():
            old = partial.with_name(f"{partial.name}.old")
            os.replace(path, old)
            os.replace(partial, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(partial, path)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def write_json(path: Path, value: object) -> None:
    """Write `value` as JSON to `path`, whole or not at all."""
    with written_aside(path) as partial:
        partial.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
