"""The workspace store: datasets, runs and their metrics, in SQLite or PostgreSQL (see core/store/database.py).

Each call runs in its own short transaction, so the store is safe to share between Streamlit's script threads,
worker processes and, on a database server, workers on other machines.
"""
from __future__ import annotations

import copy
import json
import os
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Connection, Table, delete, func, insert, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from core.access.ownership import Viewer, require_change
from core.store.database import database_url, engine_for, transaction
from core.store.records import ACTIVE, FINISHED, DatasetRecord, Progress, Run, dataset_from_row, run_from_row
from core.store.schema import datasets, metrics, runs
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
        self.url = database_url(self.root)
        self.engine = engine_for(self.url)

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

    def _visible(self, table: Table):
        """The condition `core.access.ownership.can_see` puts on the rows of `table`."""
        if self.viewer is None or self.viewer.admin:
            return true()
        return or_(table.c.owner.is_(None), table.c.owner == self.viewer.id, table.c.shared == 1)

    @contextmanager
    def _connect(self, write: bool = True) -> Iterator[Connection]:
        with transaction(self.engine, write) as conn:
            yield conn

    # datasets
    def add_dataset(self, dataset_id: str, name: str, path: str, n_rows: int, classes: list[str],
                    source_hash: str | None = None, multilabel: bool = False) -> DatasetRecord:
        """Record a dataset; the same content added twice keeps its first record, which learns a source file
        it lacked, so an upload of content first saved from the command line is still recognised. `multilabel`:
        several labels per text, `classes` each label."""
        with self._connect() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            row = dialect.insert(datasets).values(id=dataset_id, name=name, path=path, n_rows=n_rows,
                                                  classes=json.dumps(classes), created_at=time.time(),
                                                  source_hash=source_hash, owner=self.owner,
                                                  multilabel=int(multilabel))
            conn.execute(row.on_conflict_do_update(
                index_elements=[datasets.c.id],
                set_={"source_hash": func.coalesce(datasets.c.source_hash, row.excluded.source_hash)}))
        return self.get_dataset(dataset_id)

    def get_dataset(self, dataset_id: str) -> DatasetRecord:
        """KeyError for a dataset the viewer may not see, as for one that does not exist."""
        with self._connect(write=False) as conn:
            row = conn.execute(select(datasets).where(datasets.c.id == dataset_id, self._visible(datasets))).first()
        if row is None:
            raise KeyError(f"No dataset with id {dataset_id}.")
        return dataset_from_row(row._mapping)

    def list_datasets(self) -> list[DatasetRecord]:
        query = select(datasets).where(self._visible(datasets)).order_by(datasets.c.created_at.desc())
        with self._connect(write=False) as conn:
            return [dataset_from_row(r) for r in conn.execute(query).mappings()]

    def datasets_from_source(self, source_hash: str) -> list[DatasetRecord]:
        """The datasets saved from one uploaded file, newest first (other columns or splits make others)."""
        query = (select(datasets).where(datasets.c.source_hash == source_hash, self._visible(datasets))
                 .order_by(datasets.c.created_at.desc()))
        with self._connect(write=False) as conn:
            return [dataset_from_row(r) for r in conn.execute(query).mappings()]

    def rename_dataset(self, dataset_id: str, name: str) -> DatasetRecord:
        name = name.strip()
        if not name:
            raise ValueError("A dataset needs a name; the new name is empty.")
        dataset = self.get_dataset(dataset_id)
        require_change(self.viewer, dataset, f"Dataset '{dataset.name}'", "rename")
        with self._connect() as conn:
            if conn.execute(update(datasets).where(datasets.c.id == dataset_id).values(name=name)).rowcount == 0:
                raise KeyError(f"No dataset with id {dataset_id}.")
        return self.get_dataset(dataset_id)

    def delete_dataset(self, dataset_id: str) -> list[int]:
        """Delete a dataset with its runs and their metrics; returns the deleted run ids. Refused while a run of
        it is queued or training, since its worker still reads the data and writes to the run. Runs that others
        trained on it go with it: they were made from the data its owner takes away."""
        dataset = self.get_dataset(dataset_id)
        require_change(self.viewer, dataset, f"Dataset '{dataset.name}'", "delete")
        with self._connect() as conn:
            if conn.execute(select(datasets.c.id).where(datasets.c.id == dataset_id)).first() is None:
                raise KeyError(f"No dataset with id {dataset_id}.")
            found = conn.execute(select(runs.c.id, runs.c.status).where(runs.c.dataset_id == dataset_id)).all()
            active = sum(r.status in ACTIVE for r in found)
            if active:
                raise ValueError(f"Dataset '{dataset.name}' still has {count(active, 'run')} queued or "
                                 "training; it can be deleted once they have finished or been cancelled.")
            ids = [r.id for r in found]
            conn.execute(delete(metrics).where(metrics.c.run_id.in_(ids)))
            conn.execute(delete(runs).where(runs.c.dataset_id == dataset_id))
            conn.execute(delete(datasets).where(datasets.c.id == dataset_id))
        return sorted(ids)

    def share_dataset(self, dataset_id: str, shared: bool) -> DatasetRecord:
        dataset = self.get_dataset(dataset_id)
        require_change(self.viewer, dataset, f"Dataset '{dataset.name}'", "share")
        with self._connect() as conn:
            conn.execute(update(datasets).where(datasets.c.id == dataset_id).values(shared=int(shared)))
        return self.get_dataset(dataset_id)

    # runs
    def create_run(self, dataset_id: str, arch: str, config: dict[str, Any], reserved: bool = False) -> int:
        """Queue a run; a `reserved` one is trained by the calling process (its `launcher`), so no dispatcher
        launches it."""
        with self._connect() as conn:
            return self._insert_run(conn, dataset_id, arch, json.dumps(config), _launching() if reserved else None)

    def _insert_run(self, conn: Connection, dataset_id: str, arch: str, settings: str, pid: int | None = None) -> int:
        return int(conn.execute(insert(runs).values(dataset_id=dataset_id, arch=arch, config=settings,
                                                    created_at=time.time(), pid=pid, owner=self.owner)
                                .returning(runs.c.id)).scalar_one())

    def create_run_once(self, dataset_id: str, arch: str, config: dict[str, Any], within: float) -> tuple[int, bool]:
        """Queue a run unless the same one was queued less than `within` seconds ago and is still waiting or
        training (a double click); returns the run id and whether it is new."""
        settings = json.dumps(config)
        with self._connect() as conn:
            same = conn.execute(
                select(runs.c.id).where(runs.c.dataset_id == dataset_id, runs.c.arch == arch, runs.c.config == settings,
                                        runs.c.created_at > time.time() - within, runs.c.status.in_(ACTIVE),
                                        runs.c.owner.is_not_distinct_from(self.owner))
                .order_by(runs.c.id.desc()).limit(1)).first()
            if same is not None:
                return int(same.id), False
            return self._insert_run(conn, dataset_id, arch, settings), True

    def requeue(self, run_id: int) -> bool:
        """Queue a cancelled or interrupted run again, to resume; False for any other status."""
        with self._connect() as conn:
            row = conn.execute(select(runs.c.progress).where(runs.c.id == run_id,
                                                             runs.c.status.in_(("cancelled", "interrupted")))).first()
            if row is None:
                return False
            # The progress stays, to show where the run stood, but no longer says it is stopping.
            progress = replace(Progress.from_dict(json.loads(row.progress)), phase="preparing")
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                status="queued", pid=None, gpu=None, job=None, process_started=None, finished_at=None,
                cancel_requested=0, cancel_at=None, error=None, traceback=None, result="{}",
                progress=json.dumps(progress.to_dict())))
            return True

    def get_run(self, run_id: int) -> Run:
        """KeyError for a run the viewer may not see, as for one that does not exist."""
        with self._connect(write=False) as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id, self._visible(runs))).first()
        if row is None:
            raise KeyError(f"No run with id {run_id}.")
        return run_from_row(row._mapping)

    def list_runs(self, status: tuple[str, ...] | None = None, dataset_id: str | None = None) -> list[Run]:
        query = select(runs).where(self._visible(runs))
        if status:
            query = query.where(runs.c.status.in_(status))
        if dataset_id:
            query = query.where(runs.c.dataset_id == dataset_id)
        with self._connect(write=False) as conn:
            return [run_from_row(r) for r in conn.execute(query.order_by(runs.c.id.desc())).mappings()]

    def share_run(self, run_id: int, shared: bool) -> Run:
        require_change(self.viewer, self.get_run(run_id), f"Run {run_id}", "share")
        with self._connect() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(shared=int(shared)))
        return self.get_run(run_id)

    def runs_with_model(self, dataset_id: str | None = None) -> list[Run]:
        """Finished runs, and runs stopped after an epoch whose model was kept; newest first."""
        return [r for r in self.list_runs(status=("succeeded", "cancelled"), dataset_id=dataset_id) if r.has_model]

    def transition(self, run_id: int, status: str, **fields: Any) -> bool:
        """Move a run to `status` if its current status allows it; False when another process got there first."""
        now = time.time()
        updates = {"status": status, **fields}
        if status == "running":
            updates["started_at"] = now
        elif status in FINISHED:
            updates["finished_at"] = now
        for key in ("progress", "result"):
            if key in updates:
                updates[key] = json.dumps(updates[key])
        return self._update_if(run_id, runs.c.status.in_(TRANSITIONS[status]), **updates)

    def _update_if(self, run_id: int, condition, **values: Any) -> bool:
        """Set `values` on the run when `condition` holds; whether it did (another process may have got there)."""
        with self._connect() as conn:
            return conn.execute(update(runs).where(runs.c.id == run_id, condition).values(**values)).rowcount == 1

    def set_progress(self, run_id: int, progress: Progress) -> None:
        self._update_if(run_id, true(), progress=json.dumps(progress.to_dict()))

    def reserve_launch(self, run_id: int) -> bool:
        """Mark a queued run as being launched by this process (its `launcher`); False when another process is
        launching it."""
        return self._update_if(run_id, (runs.c.status == "queued") & runs.c.pid.is_(None), pid=_launching())

    def set_pid(self, run_id: int, pid: int | None, gpu: int | None = None,
                process_started: float | None = None) -> None:
        """Record the worker process of a run this process reserved, and the GPU it was given (None: no GPU). A
        worker that has claimed the run already recorded itself, and is left alone."""
        self._update_if(run_id, (runs.c.status == "queued") & (runs.c.pid == _launching()), pid=pid, gpu=gpu,
                        process_started=process_started)

    def set_job(self, run_id: int, job: str) -> None:
        """Record the Ray job a run this process reserved was handed to; a worker that has claimed the run
        already is left alone."""
        self._update_if(run_id, (runs.c.status == "queued") & (runs.c.pid == _launching()), pid=None, job=job)

    def release_job(self, run_id: int, job: str) -> bool:
        """Queue a run again whose Ray job the cluster no longer knows, for the next dispatch to hand over anew.
        False when the run has moved on meanwhile."""
        return self._update_if(run_id, (runs.c.status == "queued") & (runs.c.job == job), job=None)

    def release_launch(self, run_id: int, launcher: int | None = None) -> bool:
        """Queue a run again whose launch went nowhere: its `launcher` (by default this process) gave up, or is
        gone, before it started a worker. False when the run has moved on meanwhile."""
        return self._release(run_id, _launching(launcher))

    def release_worker(self, run_id: int, pid: int) -> bool:
        """Queue a run again whose worker, launched as `pid`, is gone before it claimed the run. False when the run
        has moved on meanwhile."""
        return self._release(run_id, pid)

    def _release(self, run_id: int, stored_pid: int) -> bool:
        return self._update_if(run_id, (runs.c.status == "queued") & (runs.c.pid == stored_pid), pid=None, gpu=None,
                               process_started=None)

    def request_cancel(self, run_id: int) -> None:
        """Ask the run's worker to stop; the first request's time is kept."""
        self._update_if(run_id, true(), cancel_requested=1, cancel_at=func.coalesce(runs.c.cancel_at, time.time()))

    def mark_stopping(self, run_id: int) -> None:
        """The worker's acknowledgement of Stop: it stops at its next step, so no one needs to force it."""
        with self._connect() as conn:
            row = conn.execute(select(runs.c.progress).where(runs.c.id == run_id, runs.c.status == "running")).first()
            if row is not None:
                progress = replace(Progress.from_dict(json.loads(row.progress)), phase="stopping")
                conn.execute(update(runs).where(runs.c.id == run_id).values(progress=json.dumps(progress.to_dict())))

    def cancel_requested(self, run_id: int) -> bool:
        with self._connect(write=False) as conn:
            return bool(conn.execute(select(runs.c.cancel_requested).where(runs.c.id == run_id)).scalar())

    # metrics
    def log_metrics(self, run_id: int, step: int, epoch: float, split: str, values: dict[str, float]) -> None:
        now = time.time()
        with self._connect() as conn:
            rows = [{"run_id": run_id, "step": step, "epoch": epoch, "split": split, "name": name, "value": float(v),
                     "time": now} for name, v in values.items()]
            conn.execute(insert(metrics), rows)

    def drop_metrics_after(self, run_id: int, step: int) -> None:
        """Forget the metrics logged after `step`: a run resumed from a checkpoint there logs those steps again."""
        with self._connect() as conn:
            conn.execute(delete(metrics).where(metrics.c.run_id == run_id, metrics.c.step > step))

    def metrics_since(self, run_id: int, after_id: int = 0) -> list[dict[str, Any]]:
        """Metric rows of a run newer than `after_id`, oldest first; live charts pass the last id they have."""
        query = (select(metrics.c.id, metrics.c.step, metrics.c.epoch, metrics.c.split, metrics.c.name,
                        metrics.c.value, metrics.c.time)
                 .where(metrics.c.run_id == run_id, metrics.c.id > after_id).order_by(metrics.c.id))
        with self._connect(write=False) as conn:
            return [dict(r) for r in conn.execute(query).mappings()]


def _launching(launcher: int | None = None) -> int:
    """What the pid column holds while `launcher` (by default this process) launches a run: its pid negated, so it is
    never taken for a worker's. records.py reads it back as `Run.launcher`."""
    return -(launcher if launcher is not None else os.getpid())
