"""A worker's heartbeat: a file in its run folder, naming where the worker runs, touched every second while it lives.

Whether a worker still runs is asked by its process id, which is exact and immediate where the worker's processes
can be seen, and wrong everywhere else: a reader on another machine sharing the workspace folder, or in another
container, sees no such process and would give up a run that trains on. There a worker counts as alive while its
heartbeat is fresh, so a reader anywhere notices a dead one within a few seconds and never ends a live one.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# A dot file: shared storage never gets it (core/store/shared_storage.py leaves them out), as it means something
# only while it beats.
HEARTBEAT_FILE = ".heartbeat"
BEAT_SECONDS = 1.0
# Two beats missed, and a little more for a busy machine: the worker is gone, not late.
STALE_SECONDS = 3.0


def place() -> str:
    """Where this process runs, as far as process ids go: processes with the same place see each other's ids (the
    same boot of the same machine, and the same process-id namespace, which a container has its own of)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        return f"{boot} {os.readlink('/proc/self/ns/pid')}"
    except OSError:  # no /proc (macOS): the machine's name
        return socket.gethostname()


@contextmanager
def beating(folder: Path) -> Iterator[None]:
    """Keep the heartbeat in `folder` fresh, from a thread of its own, while the block runs: through every phase, a
    long load or tokenization included. The file is removed at the end."""
    path = folder / HEARTBEAT_FILE
    done = threading.Event()
    try:
        path.write_text(place(), encoding="utf-8")  # before the block: a run is never claimed without a heartbeat
    except OSError:  # the disk full, say: its process id alone tells whether the worker lives
        done.set()
    thread = threading.Thread(target=_beat, args=(path, done), name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        path.unlink(missing_ok=True)


def _beat(path: Path, done: threading.Event) -> None:
    while not done.wait(BEAT_SECONDS):
        try:
            path.touch()
        except OSError:
            pass


def beats_elsewhere(folder: Path) -> bool:
    """Whether the heartbeat in `folder` is fresh (touched within the last few seconds) and comes from a worker this
    process cannot see; a worker it can see is judged by its process alone, which tells a death at once."""
    path = folder / HEARTBEAT_FILE
    try:
        fresh = time.time() - path.stat().st_mtime < STALE_SECONDS
        return fresh and path.read_text(encoding="utf-8") != place()
    except OSError:
        return False
