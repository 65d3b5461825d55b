"""The database behind the store: a SQLite file in the workspace, or a server (PostgreSQL) named by a SQLAlchemy URL
in `$CLASSIFIER_STUDIO_DATABASE_URL`, so workers on other machines write the status and curves the dashboard reads.

Writes are serialised on both, as SQLite's `BEGIN IMMEDIATE` does: the store's read-then-write steps (a double
click's second Start, a run claimed by two dispatchers) rely on it. Reads never wait for a writer.
"""
from __future__ import annotations

import errno
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from core.disk_space import is_disk_full, low_on_space
from core.settings import settings
from core.store.schema import ADDED_COLUMNS, metadata

SQLITE_FILE = "studio.sqlite3"
# Any number of PostgreSQL's own choosing would do: the lock that serialises writes, held to the transaction's end.
WRITE_LOCK = 0x5354_5544  # "STUD"
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url(root: Path) -> str:
    """The database URL setting, when set, else the SQLite file in the workspace folder `root`."""
    return settings().database_url or f"sqlite:///{root / SQLITE_FILE}"


def engine_for(url: str) -> Engine:
    """One engine per database for the whole process, its tables made and brought up to date on first use. While the
    disk is full a SQLite workspace can still be read: the engine is handed out unprepared, and prepared on a later
    call once there is room."""
    with _engines_lock:
        if url not in _engines:
            engine = _sqlite_engine(url) if url.startswith("sqlite") else create_engine(url)
            try:
                _prepare(engine)
            except Exception as exc:
                if not is_disk_full(exc):
                    raise
                return engine
            _engines[url] = engine
        return _engines[url]


class ReadOnlyWhileFull(sqlite3.Connection):
    """A connection opened read-only because the disk was too full to open the database as usual."""


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database

    def connect() -> sqlite3.Connection:
        # A connection per call, as with sqlite3 before: nothing is shared across threads or with forked workers.
        connection = sqlite3.connect(path, timeout=30)
        connection.isolation_level = None  # the BEGIN below, not the driver's, opens each transaction
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # readers go on while a worker writes
        except sqlite3.OperationalError as exc:
            connection.close()
            # WAL needs a shared-memory file beside the database, which a full disk has no room for; read without
            # it, so the runs can still be listed ("immutable": no file is made, none is locked).
            # SQLite says "disk I/O error" for a failing disk too: only a disk really short of space is read so.
            if not (is_disk_full(exc) and low_on_space(Path(path).parent)) or not Path(path).exists():
                raise
            connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro&immutable=1", uri=True,
                                         timeout=30, factory=ReadOnlyWhileFull)
            connection.isolation_level = None
        return connection

    engine = create_engine(url, poolclass=NullPool, creator=connect)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get("write"):
            if isinstance(connection.connection.dbapi_connection, ReadOnlyWhileFull):
                raise OSError(errno.ENOSPC, f"No room on the disk to write to {path}")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def _prepare(engine: Engine) -> Engine:
    with transaction(engine, write=True) as conn:
        metadata.create_all(conn)
        # Under the write lock, so two processes opening one older workspace add each column once.
        for table, column in ADDED_COLUMNS:
            if column not in {c["name"] for c in inspect(conn).get_columns(table.name)}:
                spec = table.c[column]
                default = f" DEFAULT {spec.server_default.arg.text}" if spec.server_default is not None else ""
                kind = spec.type.compile(dialect=engine.dialect)
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column} {kind}"
                                  f"{' NOT NULL' if not spec.nullable else ''}{default}"))
    return engine


@contextmanager
def transaction(engine: Engine, write: bool) -> Iterator[Connection]:
    """One transaction, committed at the end, rolled back on an error; a write one waits for any other writer."""
    with engine.execution_options(write=write).begin() as conn:
        if write and engine.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(WRITE_LOCK)))
        yield conn
