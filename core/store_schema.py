"""The workspace database's tables, and the columns added since the first version (added to an older workspace
when it is opened)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    classes TEXT NOT NULL,
    created_at REAL NOT NULL,
    source_hash TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id TEXT NOT NULL REFERENCES datasets(id),
    arch TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    pid INTEGER,
    gpu INTEGER,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT NOT NULL DEFAULT '{}',
    result TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    traceback TEXT,
    cancel_at REAL,
    process_started REAL
);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step INTEGER NOT NULL,
    epoch REAL NOT NULL,
    split TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics(run_id, id);
"""
# Columns that workspaces made by earlier versions lack: (table, column, type).
ADDED_COLUMNS = (
    ("datasets", "source_hash", "TEXT"),  # the uploaded file's sha256
    ("runs", "cancel_at", "REAL"),  # when Stop was asked for, so a worker that ignores it is stopped by force
    ("runs", "process_started", "REAL"),  # the worker's start time: a recycled pid is not mistaken for it
    ("datasets", "owner", "TEXT"),  # see core/ownership.py
    ("datasets", "shared", "INTEGER NOT NULL DEFAULT 0"),
    ("runs", "owner", "TEXT"),
    ("runs", "shared", "INTEGER NOT NULL DEFAULT 0"),
)
