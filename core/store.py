"""The SQLite workspace store: datasets, runs and their metrics.

Each call opens its own short connection, so the store is safe to share between Streamlit's script
threads and worker processes. WAL mode lets the dashboard read while a worker writes.
"""
from __future__ import annotations

import copy
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from core.ownership import Viewer, require_change, visible_clause
from core.records import ACTIVE, FINISHED, DatasetRecord, Run, dataset_from_row, run_from_row
from core.store_schema import ADDED_COLUMNS, SCHEMA
from core.wording import count
from core.workspace import workspace_dir

# Status only moves forward; `requeue` alone queues a stopped run again, to resume from its checkpoint.
TRANSITIONS = {
    "running": ("queued",),
    "succeeded": ("running",),
    "failed": ("queued", "running"),
    "cancelled": ("queued", "running"),
    "interrupted": ("running",),
}

class Store:
    """The whole workspace, as workers and the command line see it; `as_viewer` gives one person's view of it."""

    viewer: Viewer | None = None

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else workspace_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "studio.sqlite3"
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        finally:
            conn.close()
        # The write lock makes two processes opening one old workspace add each column once.
        with self._connect() as conn:
            for table, column, kind in ADDED_COLUMNS:
                if column not in {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def as_viewer(self, viewer: Viewer | None) -> "Store":
        """This store as `viewer` sees it: lists and lookups hold only what they may see, what they add is theirs,
        and changing what is not theirs raises PermissionError. None: everything, as with sign-in off."""
        scoped = copy.copy(self)
        scoped.viewer = viewer
        return scoped

    @property
    def owner(self) -> str | None:
        """Who owns what this store adds."""
        return self.viewer.id if self.viewer is not None else None

    @contextmanager
    def _connect(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A short connection; writes run in one immediate transaction, reads take no write lock."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # not when BEGIN itself failed, e.g. on "database is locked"
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    # datasets
    def add_dataset(self, dataset_id: str, name: str, path: str, n_rows: int, classes: list[str],
                    source_hash: str | None = None) -> DatasetRecord:
        """Record a dataset; the same content added twice keeps its first record, which learns a source file
        it lacked, so an upload of content first saved from the command line is still recognised."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO datasets (id, name, path, n_rows, classes, created_at, source_hash, owner) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET source_hash = COALESCE(source_hash, excluded.source_hash)",
                (dataset_id, name, path, n_rows, json.dumps(classes), time.time(), source_hash, self.owner),
            )
        return self.get_dataset(dataset_id)

    def get_dataset(self, dataset_id: str) -> DatasetRecord:
        """KeyError for a dataset the viewer may not see, as for one that does not exist."""
        visible, args = visible_clause(self.viewer)
        with self._connect(write=False) as conn:
            row = conn.execute(f"SELECT * FROM datasets WHERE id = ? AND {visible}", (dataset_id, *args)).fetchone()
        if row is None:
            raise KeyError(f"No dataset with id {dataset_id}.")
        return dataset_from_row(row)

    def list_datasets(self) -> list[DatasetRecord]:
        visible, args = visible_clause(self.viewer)
        with self._connect(write=False) as conn:
            rows = conn.execute(f"SELECT * FROM datasets WHERE {visible} ORDER BY created_at DESC", args).fetchall()
        return [dataset_from_row(r) for r in rows]

    def datasets_from_source(self, source_hash: str) -> list[DatasetRecord]:
        """The datasets saved from one uploaded file, newest first (other columns or splits make others)."""
        visible, args = visible_clause(self.viewer)
        with self._connect(write=False) as conn:
            rows = conn.execute(f"SELECT * FROM datasets WHERE source_hash = ? AND {visible} ORDER BY created_at DESC",
                                (source_hash, *args)).fetchall()
        return [dataset_from_row(r) for r in rows]

    def rename_dataset(self, dataset_id: str, name: str) -> DatasetRecord:
        name = name.strip()
        if not name:
            raise ValueError("A dataset needs a name; the new name is empty.")
        dataset = self.get_dataset(dataset_id)
        require_change(self.viewer, dataset, f"Dataset '{dataset.name}'", "rename")
        with self._connect() as conn:
            if conn.execute("UPDATE datasets SET name = ? WHERE id = ?", (name, dataset_id)).rowcount == 0:
                raise KeyError(f"No dataset with id {dataset_id}.")
        return self.get_dataset(dataset_id)

    def delete_dataset(self, dataset_id: str) -> list[int]:
        """Delete a dataset with its runs and their metrics; returns the deleted run ids. Refused while a run of
        it is queued or training, since its worker still reads the data and writes to the run. Runs that others
        trained on it go with it: they were made from the data its owner takes away."""
        dataset = self.get_dataset(dataset_id)
        require_change(self.viewer, dataset, f"Dataset '{dataset.name}'", "delete")
        with self._connect() as conn:
            row = conn.execute("SELECT name FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
            if row is None:
                raise KeyError(f"No dataset with id {dataset_id}.")
            runs = conn.execute("SELECT id, status FROM runs WHERE dataset_id = ?", (dataset_id,)).fetchall()
            active = sum(r["status"] in ACTIVE for r in runs)
            if active:
                raise ValueError(f"Dataset '{row['name']}' still has {count(active, 'run')} queued or "
                                 "training; it can be deleted once they have finished or been cancelled.")
            conn.execute("DELETE FROM metrics WHERE run_id IN (SELECT id FROM runs WHERE dataset_id = ?)",
                         (dataset_id,))
            conn.execute("DELETE FROM runs WHERE dataset_id = ?", (dataset_id,))
            conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))
        return sorted(r["id"] for r in runs)

    def share_dataset(self, dataset_id: str, shared: bool) -> DatasetRecord:
        dataset = self.get_dataset(dataset_id)
        require_change(self.viewer, dataset, f"Dataset '{dataset.name}'", "share")
        with self._connect() as conn:
            conn.execute("UPDATE datasets SET shared = ? WHERE id = ?", (int(shared), dataset_id))
        return self.get_dataset(dataset_id)

    # runs
    def create_run(self, dataset_id: str, arch: str, config: dict[str, Any], reserved: bool = False) -> int:
        """Queue a run; a `reserved` one is trained by the calling process, so no dispatcher launches it. A pid
        stored negated names the process launching or about to train the run."""
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO runs (dataset_id, arch, config, created_at, pid, owner) VALUES (?, ?, ?, ?, ?, ?)",
                (dataset_id, arch, json.dumps(config), time.time(), -os.getpid() if reserved else None, self.owner),
            )
            return int(cur.lastrowid)

    def create_run_once(self, dataset_id: str, arch: str, config: dict[str, Any], within: float) -> tuple[int, bool]:
        """Queue a run unless the same one was queued less than `within` seconds ago and is still waiting or
        training (a double click); returns the run id and whether it is new."""
        settings = json.dumps(config)
        with self._connect() as conn:
            same = conn.execute(
                "SELECT id FROM runs WHERE dataset_id = ? AND arch = ? AND config = ? AND created_at > ? "
                "AND status IN ('queued', 'running') AND owner IS ? ORDER BY id DESC LIMIT 1",
                (dataset_id, arch, settings, time.time() - within, self.owner)).fetchone()
            if same is not None:
                return int(same["id"]), False
            cur = conn.execute("INSERT INTO runs (dataset_id, arch, config, created_at, owner) VALUES (?, ?, ?, ?, ?)",
                               (dataset_id, arch, settings, time.time(), self.owner))
            return int(cur.lastrowid), True

    def requeue(self, run_id: int) -> bool:
        """Queue a cancelled or interrupted run again, to resume; False for any other status."""
        with self._connect() as conn:
            # The progress stays, to show where the run stood, but no longer says it is stopping.
            cur = conn.execute(
                "UPDATE runs SET status = 'queued', pid = NULL, gpu = NULL, process_started = NULL, finished_at = NULL, "
                "cancel_requested = 0, cancel_at = NULL, error = NULL, traceback = NULL, result = '{}', "
                "progress = json_set(progress, '$.phase', 'preparing') "
                "WHERE id = ? AND status IN ('cancelled', 'interrupted')", (run_id,))
            return cur.rowcount == 1

    def get_run(self, run_id: int) -> Run:
        """KeyError for a run the viewer may not see, as for one that does not exist."""
        visible, args = visible_clause(self.viewer)
        with self._connect(write=False) as conn:
            row = conn.execute(f"SELECT * FROM runs WHERE id = ? AND {visible}", (run_id, *args)).fetchone()
        if row is None:
            raise KeyError(f"No run with id {run_id}.")
        return run_from_row(row)

    def list_runs(self, status: tuple[str, ...] | None = None, dataset_id: str | None = None) -> list[Run]:
        visible, args = visible_clause(self.viewer)
        query = f"SELECT * FROM runs WHERE {visible}"
        if status:
            query += f" AND status IN ({','.join('?' * len(status))})"
            args += list(status)
        if dataset_id:
            query += " AND dataset_id = ?"
            args.append(dataset_id)
        with self._connect(write=False) as conn:
            rows = conn.execute(query + " ORDER BY id DESC", args).fetchall()
        return [run_from_row(r) for r in rows]

    def share_run(self, run_id: int, shared: bool) -> Run:
        require_change(self.viewer, self.get_run(run_id), f"Run {run_id}", "share")
        with self._connect() as conn:
            conn.execute("UPDATE runs SET shared = ? WHERE id = ?", (int(shared), run_id))
        return self.get_run(run_id)

    def runs_with_model(self, dataset_id: str | None = None) -> list[Run]:
        """Finished runs, and runs stopped after an epoch whose model was kept; newest first."""
        return [r for r in self.list_runs(status=("succeeded", "cancelled"), dataset_id=dataset_id) if r.has_model]

    def transition(self, run_id: int, status: str, **fields: Any) -> bool:
        """Move a run to `status` if its current status allows it; False when another process got there first."""
        allowed = TRANSITIONS[status]
        now = time.time()
        updates = {"status": status, **fields}
        if status == "running":
            updates["started_at"] = now
        elif status in FINISHED:
            updates["finished_at"] = now
        for key in ("progress", "result"):
            if key in updates:
                updates[key] = json.dumps(updates[key])
        sets = ", ".join(f"{k} = ?" for k in updates)
        with self._connect() as conn:
            cur = conn.execute(
                f"UPDATE runs SET {sets} WHERE id = ? AND status IN ({','.join('?' * len(allowed))})",
                [*updates.values(), run_id, *allowed],
            )
            return cur.rowcount == 1

    def set_progress(self, run_id: int, progress: dict[str, Any]) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE runs SET progress = ? WHERE id = ?", (json.dumps(progress), run_id))

    def reserve_launch(self, run_id: int) -> bool:
        """Mark a queued run as being launched by this process; False when another process is launching it."""
        with self._connect() as conn:
            cur = conn.execute("UPDATE runs SET pid = ? WHERE id = ? AND status = 'queued' AND pid IS NULL",
                               (-os.getpid(), run_id))
            return cur.rowcount == 1

    def set_pid(self, run_id: int, pid: int | None, gpu: int | None = None, process_started: float | None = None) -> None:
        """Record the worker process of a run this process reserved, and the GPU it was given (None: no GPU). A
        worker that has claimed the run already recorded itself, and is left alone."""
        with self._connect() as conn:
            conn.execute("UPDATE runs SET pid = ?, gpu = ?, process_started = ? "
                         "WHERE id = ? AND status = 'queued' AND pid = ?",
                         (pid, gpu, process_started, run_id, -os.getpid()))

    def release_launch(self, run_id: int, pid: int) -> bool:
        """Queue a run again whose launch went nowhere: launched as `pid` (or reserved by -`pid`), gone before it
        claimed the run. False when the run has moved on meanwhile."""
        with self._connect() as conn:
            cur = conn.execute("UPDATE runs SET pid = NULL, gpu = NULL, process_started = NULL "
                               "WHERE id = ? AND status = 'queued' AND pid = ?", (run_id, pid))
            return cur.rowcount == 1

    def request_cancel(self, run_id: int) -> None:
        """Ask the run's worker to stop; the first request's time is kept."""
        with self._connect() as conn:
            conn.execute("UPDATE runs SET cancel_requested = 1, cancel_at = COALESCE(cancel_at, ?) WHERE id = ?",
                         (time.time(), run_id))

    def mark_stopping(self, run_id: int) -> None:
        """The worker's acknowledgement of Stop: it stops at its next step, so no one needs to force it."""
        with self._connect() as conn:
            conn.execute("UPDATE runs SET progress = json_set(progress, '$.phase', 'stopping') "
                         "WHERE id = ? AND status = 'running'", (run_id,))

    def cancel_requested(self, run_id: int) -> bool:
        with self._connect(write=False) as conn:
            row = conn.execute("SELECT cancel_requested FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    # metrics
    def log_metrics(self, run_id: int, step: int, epoch: float, split: str, values: dict[str, float]) -> None:
        now = time.time()
        with self._connect() as conn:
            conn.executemany(
                "INSERT INTO metrics (run_id, step, epoch, split, name, value, time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, step, epoch, split, name, float(v), now) for name, v in values.items()],
            )

    def drop_metrics_after(self, run_id: int, step: int) -> None:
        """Forget the metrics logged after `step`: a run resumed from a checkpoint there logs those steps again."""
        with self._connect() as conn:
            conn.execute("DELETE FROM metrics WHERE run_id = ? AND step > ?", (run_id, step))

    def metrics_since(self, run_id: int, after_id: int = 0) -> list[dict[str, Any]]:
        """Metric rows of a run newer than `after_id`, oldest first; live charts pass the last id they have."""
        with self._connect(write=False) as conn:
            rows = conn.execute(
                "SELECT id, step, epoch, split, name, value, time FROM metrics WHERE run_id = ? AND id > ? ORDER BY id",
                (run_id, after_id),
            ).fetchall()
        return [dict(r) for r in rows]
