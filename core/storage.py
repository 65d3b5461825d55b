"""Datasets and run folders in shared storage, for workers on other machines: an object store or any filesystem
fsspec reaches, named by `$CLASSIFIER_STUDIO_STORAGE_URL` (`s3://bucket/studio`, `gs://...`, `file:///mnt/x`).

Every machine keeps working in its own workspace folder, which becomes a cache: what a machine writes there
(a saved dataset, a run's model, report, predictions, log and checkpoint) it also puts in storage under the same
relative path, and what it needs and lacks it fetches. Without the setting, nothing leaves the workspace folder;
a workspace on a shared mount (NFS, say) needs no setting at all.
"""
from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import fsspec
from fsspec.core import url_to_fs

from core.workspace import CHECKPOINT_FILE, run_dir

if TYPE_CHECKING:
    from core.store import Store

STORAGE_URL_ENV = "CLASSIFIER_STUDIO_STORAGE_URL"
FETCHED = ".fetched"  # in a run folder: which finish of the run its files here were fetched for


def storage_url() -> str | None:
    return os.environ.get(STORAGE_URL_ENV, "").strip().rstrip("/") or None


def _remote(path: Path, root: Path) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem of the storage URL, and where `path` (inside the workspace `root`) lives in it."""
    fs, base = url_to_fs(storage_url())
    return fs, f"{base.rstrip('/')}/{path.resolve().relative_to(root.resolve()).as_posix()}"


def push(path: Path, root: Path) -> None:
    """Put a file or folder of the workspace `root` in storage, replacing what is there."""
    if storage_url() is None or not path.exists():
        return
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")) if path.is_dir() \
        else [path]
    for file in files:
        fs, target = _remote(file, root)
        fs.makedirs(posixpath.dirname(target), exist_ok=True)  # folders exist only on some filesystems
        fs.put_file(str(file), target)


def fetch(path: Path, root: Path, leave_out: tuple[str, ...] = ()) -> bool:
    """Fetch a file or folder of the workspace `root` from storage into place, but for files named in
    `leave_out`; False when storage has none."""
    if storage_url() is None:
        return False
    fs, source = _remote(path, root)
    if not fs.exists(source):
        return False
    if fs.isdir(source):
        path.mkdir(parents=True, exist_ok=True)
        for found in fs.find(source):
            local = path / Path(found[len(source.rstrip("/")) + 1 :])
            if local.name not in leave_out:
                _fetch_file(fs, found, local)
    else:
        _fetch_file(fs, source, path)
    return True


def _fetch_file(fs: fsspec.AbstractFileSystem, source: str, local: Path) -> None:
    local.parent.mkdir(parents=True, exist_ok=True)
    partial = local.with_name(f"{local.name}.partial")
    fs.get_file(source, str(partial))
    os.replace(partial, local)  # a reader never sees half a file


def remove(path: Path, root: Path) -> None:
    """Delete a file or folder of the workspace `root` from storage, as it is deleted here."""
    if storage_url() is None:
        return
    fs, target = _remote(path, root)
    if fs.exists(target):
        fs.rm(target, recursive=True)


def run_files(store: Store, run_id: int) -> Path:
    """The run's folder here, holding what its worker saved: fetched from storage when the run finished on another
    machine, or finished again (resumed) since it was last fetched."""
    folder = run_dir(run_id, store.root)
    if storage_url() is None:
        return folder
    run = store.as_viewer(None).get_run(run_id)
    if run.active:
        return folder
    stamp = folder / FETCHED
    version = str(run.finished_at)
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != version:
        for stale in ("model", "export"):
            shutil.rmtree(folder / stale, ignore_errors=True)  # a resumed run saved another model
        fetch(folder, store.root, leave_out=(CHECKPOINT_FILE,))  # only training reads a checkpoint
        stamp.write_text(version, encoding="utf-8")
    return folder
