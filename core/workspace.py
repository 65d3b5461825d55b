"""Where datasets, runs and the store live on disk."""
from __future__ import annotations

import json
import os
from pathlib import Path

WORKSPACE_ENV = "CLASSIFIER_STUDIO_WORKSPACE"


def workspace_dir() -> Path:
    """The workspace folder: `$CLASSIFIER_STUDIO_WORKSPACE`, else `./workspace`."""
    path = Path(os.environ.get(WORKSPACE_ENV, "workspace")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


MODEL_DIR = "model"  # inside a run folder: the saved model bundle
PREDICTIONS_FILE = "test_predictions.parquet"  # inside a run folder: the test split with predictions
CHECKPOINT_FILE = "checkpoint.pt"  # inside a run folder: where training stood, to resume from (core/checkpoints.py)
EXPORT_DIR = "export"  # inside a run folder: the ZIP files downloaded so far, kept for the next download


def datasets_dir(root: Path | None = None) -> Path:
    path = (root or workspace_dir()) / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(run_id: int, root: Path | None = None) -> Path:
    path = (root or workspace_dir()) / "runs" / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: Path, value: object) -> None:
    """Write `value` as JSON beside `path` and rename it into place, so no reader ever sees half a file."""
    tmp = path.with_name(f"{path.name}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
