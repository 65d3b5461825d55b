"""A full disk, recognised wherever it surfaces and told in one plain sentence: which folder, how much is free, how
much to free. It surfaces as ENOSPC from a write, and from SQLite as "database or disk is full" or "disk I/O error"
(it cannot create the files it needs beside the database to open it)."""
from __future__ import annotations

import errno
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from core.settings import env_name

# What to ask for when the need is not known: room for a dataset, a model and the database to grow.
DEFAULT_NEED = 200 * 2**20
FULL_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
SQLITE_FULL = ("database or disk is full", "disk i/o error")
# Room a worker keeps for its last words: recording a failure in the store takes a few pages of SQLite's journal.
ROOM_FILE = ".room"
ROOM_BYTES = 2**20


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what lies under it: chained exceptions, and the driver's error inside SQLAlchemy's."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return seen


def is_disk_full(exc: BaseException) -> bool:
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in FULL_DISK_ERRNOS:
            return True
        if isinstance(cause, sqlite3.OperationalError) and any(s in str(cause).lower() for s in SQLITE_FULL):
            return True
    return False


def free_bytes(folder: Path) -> int:
    """Free space on the disk holding `folder`, or the nearest folder above it that exists."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return 0


def _size(n: int) -> str:
    return f"{n / 2**30:,.1f} GB" if n >= 2**30 else f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 1024:,.0f} KB"


def disk_full_message(folder: Path, needed: int = DEFAULT_NEED) -> str:
    return (f"The disk holding {folder} is full ({_size(free_bytes(folder))} free). Free at least {_size(needed)} "
            "there (remove old runs or datasets, or other files on that disk), or move the workspace to a larger "
            f"disk with {env_name('workspace')}, then try again.")


def low_on_space(folder: Path, needed: int = DEFAULT_NEED) -> bool:
    return free_bytes(folder) < needed


@contextmanager
def room_kept(folder: Path) -> Iterator[Callable[[], None]]:
    """Hold a megabyte of `folder`'s disk while the block runs; the function it gives frees it, so that a process the
    full disk stopped still has room to record why. Where there is no megabyte left the block runs without."""
    path = folder / ROOM_FILE
    try:
        path.write_bytes(bytes(ROOM_BYTES))
    except OSError as exc:
        if not is_disk_full(exc):
            raise
    try:
        yield lambda: path.unlink(missing_ok=True)
    finally:
        path.unlink(missing_ok=True)
