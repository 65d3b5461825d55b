"""Datasets and run folders in shared storage, for workers on other machines: an object store or any filesystem
fsspec reaches, named by `$CLASSIFIER_STUDIO_STORAGE_URL` (`s3://bucket/studio`, `gs://...`, `file:///mnt/x`).

Every machine keeps working in its own workspace folder, which becomes a cache: what a machine writes there
(a saved dataset, a run's model, report, predictions, log and checkpoint) it also puts in storage under the same
relative path, and what it needs and lacks it fetches. Without the setting, nothing leaves the workspace folder;
a workspace on a shared mount (NFS, say) needs no setting at all.
"""
from __future__ import annotations

import fcntl
import os
import posixpath
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import fsspec
from fsspec.core import url_to_fs

from core.errors import StorageError
from core.settings import settings
from core.workspace import CHECKPOINT_FILE, EXPORT_DIR, MODEL_DIR, run_dir, written_aside

if TYPE_CHECKING:
    from core.store.store import Store

FETCHED = ".fetched"  # in a run folder: which finish of the run its files here were fetched for


def storage_url() -> str | None:
    return settings().storage_url


def _remote(path: Path, root: Path) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem of the storage URL, and where `path` (inside the workspace `root`) lives in it."""
    fs, base = url_to_fs(storage_url())
    return fs, f"{base.rstrip('/')}/{_relative(path, root)}"


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


@contextmanager
def _said(failed: str) -> Iterator[None]:
    """Any filesystem's own error (each has its own) as a StorageError: `failed`, the storage, and the cause."""
    try:
        yield
    except Exception as exc:
        raise StorageError(f"{failed} {storage_url()}: {exc}. Check that the storage is reachable from this "
                           "machine, then try again.") from exc


def push(path: Path, root: Path) -> None:
    """Put a file or folder of the workspace `root` in storage, replacing what is there."""
    if storage_url() is None or not path.exists():
        return
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")) if path.is_dir() \
        else [path]
    with _said(f"{_relative(path, root)} could not be put in"):
        for file in files:
            fs, target = _remote(file, root)
            fs.makedirs(posixpath.dirname(target), exist_ok=True)  # folders exist only on some filesystems
            fs.put_file(str(file), target)


def quietly(action: Callable[[Path, Path], object], path: Path, root: Path) -> bool:
    """`push` or `remove`, with a failure (storage out of reach, say) printed rather than raised: where a later
    push brings storage up to date, or a file left behind costs only space, failing would cost more."""
    try:
        action(path, root)
    except StorageError as exc:
        print(f"warning: {exc}", file=sys.stderr, flush=True)
        return False
    return True


def exists(path: Path, root: Path) -> bool:
    """Whether the file or folder is here, or in storage."""
    if path.exists() or storage_url() is None:
        return path.exists()
    with _said(f"Could not look for {_relative(path, root)} in"):
        fs, source = _remote(path, root)
        return fs.exists(source)


def fetch(path: Path, root: Path, leave_out: tuple[str, ...] = ()) -> bool:
    """Fetch a file or folder of the workspace `root` from storage into place, but for files named in
    `leave_out`; False when storage has none."""
    if storage_url() is None:
        return False
    with _said(f"{_relative(path, root)} could not be fetched from"):
        fs, source = _remote(path, root)
        return _download(fs, source, path, leave_out)


def _download(fs: fsspec.AbstractFileSystem, source: str, path: Path, leave_out: tuple[str, ...] = ()) -> bool:
    if not fs.exists(source):
        return False
    if not fs.isdir(source):
        _download_file(fs, source, path)
        return True
    path.mkdir(parents=True, exist_ok=True)
    for found in fs.find(source):
        local = path / Path(found[len(source.rstrip("/")) + 1 :])
        if local.name not in leave_out:
            _download_file(fs, found, local)
    return True


def _download_file(fs: fsspec.AbstractFileSystem, source: str, local: Path) -> None:
    local.parent.mkdir(parents=True, exist_ok=True)
    with written_aside(local) as partial:  # the ranks of one run may fetch one file at once
        fs.get_file(source, str(partial))


def remove(path: Path, root: Path) -> None:
    """Delete a file or folder of the workspace `root` from storage, as it is deleted here."""
    if storage_url() is None:
        return
    with _said(f"{_relative(path, root)} could not be removed from"):
        fs, target = _remote(path, root)
        if fs.exists(target):
            fs.rm(target, recursive=True)


def run_files(store: Store, run_id: int) -> Path:
    """The run's folder here, holding what its worker saved: fetched from storage when the run finished on another
    machine, or finished again (resumed) since it was last fetched. Raises StorageError when storage cannot be
    read; what is here stays as it was."""
    folder = run_dir(run_id, store.root)
    if storage_url() is None:
        return folder
    run = store.as_viewer(None).get_run(run_id)
    if run.active:
        return folder
    stamp = folder / FETCHED
    version = str(run.finished_at)

    def fetched() -> bool:
        return stamp.exists() and stamp.read_text(encoding="utf-8") == version

    if fetched():
        return folder
    # One fetch at a time, whichever session or process asks: another would find half a swap.
    with open(folder / ".fetching", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not fetched():
            with _said(f"The files of run {run_id} could not be fetched from"):
                found = _refresh(folder, store.root)
            if found:  # else looked for again next time: its worker may not have reached storage yet
                stamp.write_text(version, encoding="utf-8")
    return folder


def _refresh(folder: Path, root: Path) -> bool:
    """Replace what `folder` holds by storage's copy, fetched aside first; a folder storage lacks (a run from before
    the setting, or one whose worker could not reach it) stays as it is, and False is returned."""
    incoming = folder.with_name(f".{folder.name}.incoming")
    shutil.rmtree(incoming, ignore_errors=True)
    fs, source = _remote(folder, root)
    if not _download(fs, source, incoming, leave_out=(CHECKPOINT_FILE,)):  # only training reads a checkpoint
        return False
    if (incoming / MODEL_DIR).exists():
        shutil.rmtree(folder / EXPORT_DIR, ignore_errors=True)  # downloads made from an earlier model
    for item in incoming.iterdir():
        if item.is_dir():
            shutil.rmtree(folder / item.name, ignore_errors=True)
        os.replace(item, folder / item.name)
    incoming.rmdir()
    return True
