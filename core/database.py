"""The database behind the store: a SQLite file in the workspace, or a server (PostgreSQL) named by a SQLAlchemy URL
in DATABASE_URL_ENV, so workers on other machines write the status and curves the dashboard reads.

Writes are serialised on both, as SQLite's `BEGIN IMMEDIATE` does: the store's read-then-write steps (a double
click's second Start, a run claimed by two dispatchers) rely on it. Reads never wait for a writer.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.pool import NullPool

from core.store_schema import ADDED_COLUMNS, metadata

DATABASE_URL_ENV = "CLASSIFIER_STUDIO_DATABASE_URL"
SQLITE_FILE = "studio.sqlite3"
# Any number of PostgreSQL's own choosing would do: the lock that serialises writes, held to the transaction's end.
WRITE_LOCK = 0x5354_5544  # "STUD"
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url(root: Path) -> str:
    """DATABASE_URL_ENV when set, else the SQLite file in the workspace folder `root`."""
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{root / SQLITE_FILE}"


def engine_for(url: str) -> Engine:
    """One engine per database for the whole process, its tables made and brought up to date on first use."""
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _prepare(_sqlite_engine(url) if url.startswith("sqlite") else create_engine(url))
        return _engines[url]


def _sqlite_engine(url: str) -> Engine:
    # A connection per call, as with sqlite3 before: nothing is shared across threads or with forked workers.
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # the BEGIN below, not the driver's, opens each transaction
        dbapi_connection.execute("PRAGMA journal_mode=WAL")  # readers go on while a worker writes

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get("write") else "BEGIN")

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
