"""The workspace database's tables, for SQLite and PostgreSQL alike, and the columns added since the first version
(added to an older workspace when it is opened)."""
from sqlalchemy import Column, Double, Index, Integer, MetaData, Table, Text, text

metadata = MetaData()

datasets = Table(
    "datasets", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("classes", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("source_hash", Text),  # the uploaded file's sha256
    Column("owner", Text),  # see core/access/ownership.py
    Column("shared", Integer, nullable=False, server_default=text("0")),
    Column("multilabel", Integer, nullable=False, server_default=text("0")),  # see core/data/multilabel.py
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Text, nullable=False),
    Column("arch", Text, nullable=False),
    Column("config", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'queued'")),
    Column("pid", Integer),
    Column("gpu", Integer),
    Column("created_at", Double, nullable=False),
    Column("started_at", Double),
    Column("finished_at", Double),
    Column("cancel_requested", Integer, nullable=False, server_default=text("0")),
    Column("progress", Text, nullable=False, server_default=text("'{}'")),
    Column("result", Text, nullable=False, server_default=text("'{}'")),
    Column("error", Text),
    Column("traceback", Text),
    Column("cancel_at", Double),  # when Stop was asked for, so a worker that ignores it is stopped by force
    Column("process_started", Double),  # the worker's start time: a recycled pid is not mistaken for it
    Column("owner", Text),
    Column("shared", Integer, nullable=False, server_default=text("0")),
    Column("job", Text),  # the Ray job training the run, when a cluster does (see core/runs/backends/ray_api.py)
    sqlite_autoincrement=True,  # ids never reused, as the first version's tables had them
)

metrics = Table(
    "metrics", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    Column("step", Integer, nullable=False),
    Column("epoch", Double, nullable=False),
    Column("split", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("value", Double, nullable=False),
    Column("time", Double, nullable=False),
    Index("metrics_by_run", "run_id", "id"),
    sqlite_autoincrement=True,
)

# Columns that workspaces made by earlier versions lack: (table, column); their types come from the tables above.
ADDED_COLUMNS = (
    (datasets, "source_hash"), (runs, "cancel_at"), (runs, "process_started"),
    (datasets, "owner"), (datasets, "shared"), (runs, "owner"), (runs, "shared"),
    (runs, "job"), (datasets, "multilabel"),
)
