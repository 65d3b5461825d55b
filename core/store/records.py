"""What the store hands out: a run and a dataset as plain frozen records, read from their table rows, and where a
run stands while it trains, with its JSON form in the runs table."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled", "interrupted")


@dataclass(frozen=True)
class Progress:
    """What the Train page shows of a run while it trains, as its worker last wrote it (at most twice a second). A
    run that has not begun has the defaults: nothing written yet."""

    epoch: int = 0  # epochs finished
    epochs: int = 1
    step: int = 0
    total_steps: int = 0  # 0 while the data and the model are being prepared
    elapsed: float = 0.0  # seconds of training
    eta: float | None = None  # seconds left; None until a step has been timed
    accumulation: int = 1  # passes each batch is split into; more than 1 once the GPU ran short of memory
    phase: str = ""  # "preparing", "cross-validating", "training", "testing", or "stopping" once Stop was seen
    at: float | None = None  # when it was written, so a page can tick the times on between writes
    # Long work outside the steps (a model fit in one go, the test pass), counted in texts.
    task: str | None = None
    task_done: int = 0
    task_total: int = 0
    task_started: float = 0.0

    @property
    def began(self) -> bool:
        """Whether any progress was written: by a worker, or by a stop or a requeue of the run."""
        return self != Progress()

    def to_dict(self) -> dict[str, Any]:
        """Its JSON form, as the worker has always written it: the task's fields only during a task, and nothing
        for a run that has not begun."""
        if not self.began:
            return {}
        return {k: v for k, v in asdict(self).items() if self.task is not None or not k.startswith("task")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Progress:
        """Progress as any version stored it; what it leaves out has the defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Run:
    id: int
    dataset_id: str
    arch: str
    config: dict[str, Any]
    status: str
    pid: int | None
    gpu: int | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    cancel_requested: bool
    progress: Progress
    result: dict[str, Any]
    error: str | None
    traceback: str | None
    cancel_at: float | None
    process_started: float | None
    owner: str | None  # who started it, when sign-in is on; None: made with sign-in off
    shared: bool  # shown to everyone signed in, not only its owner
    job: str | None  # the Ray job training it, when a cluster does; its pid is then another machine's
    launcher: int | None  # the pid of the process launching its worker (or training it itself), until one claims it

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def launched(self) -> bool:
        """A worker was started for it, or is being started, here or as a cluster's job."""
        return self.pid is not None or self.launcher is not None or self.job is not None

    @property
    def has_model(self) -> bool:
        """Finished, or stopped after an epoch whose weights were kept and measured on the test split."""
        return self.status == "succeeded" or (self.status == "cancelled" and "accuracy" in self.result)


@dataclass(frozen=True)
class DatasetRecord:
    id: str
    name: str
    path: str
    n_rows: int
    classes: list[str]
    created_at: float
    source_hash: str | None  # sha256 of the uploaded file's bytes; None for samples and command-line data
    owner: str | None  # who saved it, when sign-in is on; None: made with sign-in off
    shared: bool  # shown to everyone signed in, not only its owner
    multilabel: bool = False  # several labels per text, joined in `label` (core.data.multilabel); classes: each label


def run_from_row(row: Mapping[str, Any]) -> Run:
    data = dict(row)
    data["config"] = json.loads(data["config"])
    data["progress"] = Progress.from_dict(json.loads(data["progress"]))
    data["result"] = json.loads(data["result"])
    data["cancel_requested"] = bool(data["cancel_requested"])
    data["shared"] = bool(data["shared"])
    # The pid column holds a launching process's pid negated (see Store.reserve_launch), never a worker's.
    pid = data["pid"]
    data["launcher"] = -pid if pid is not None and pid < 0 else None
    data["pid"] = pid if data["launcher"] is None else None
    return Run(**data)


def dataset_from_row(row: Mapping[str, Any]) -> DatasetRecord:
    data = dict(row)
    data["classes"] = json.loads(data["classes"])
    data["shared"] = bool(data["shared"])
    data["multilabel"] = bool(data.get("multilabel", False))
    return DatasetRecord(**data)
