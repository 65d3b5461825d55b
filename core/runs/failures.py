"""Why a run failed, in words a user can act on; the traceback is kept beside it for whoever needs it."""
from __future__ import annotations

import pyarrow as pa
import torch

from core.disk_space import disk_full_message, is_disk_full
from core.errors import DataError, OutOfMemory, StorageError
from core.workspace import workspace_dir

GPU_MEMORY = ("The GPU ran out of memory. Lower the batch size or the maximum length in the settings, or "
              "choose a smaller model.")


def explain(exc: BaseException) -> str:
    """A plain-language sentence for a run's failure; our own messages are already written for users."""
    if isinstance(exc, pa.ArrowInvalid):  # before ValueError, which it is too
        return "The dataset's file in the workspace is damaged. Save the dataset again on the Data page."
    if is_disk_full(exc):  # before the kinds a full disk can come as (SQLite's errors, StorageError)
        return disk_full_message(workspace_dir())
    if isinstance(exc, (OutOfMemory, DataError, ValueError, StorageError)):
        return str(exc)
    if isinstance(exc, torch.OutOfMemoryError):
        return GPU_MEMORY
    if isinstance(exc, MemoryError):
        return ("The server ran out of memory. Train on fewer or shorter texts, lower the maximum length, or "
                "wait until other runs have finished.")
    if isinstance(exc, FileNotFoundError):
        return (f"A file the run needs is missing from the workspace ({exc.filename or exc}). Save the dataset "
                "again on the Data page and start a new run.")
    if is_disk_full(exc):
        return disk_full_message(workspace_dir())
    return (f"Training stopped on an unexpected error ({type(exc).__name__}: {exc}). Start the run again; if it stops "
            "the same way, send its run log to whoever looks after this server.")
