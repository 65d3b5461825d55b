"""Every environment variable an administrator sets, with its type, default and one line of help, read in one place.

Modules ask `settings()` for what they need instead of reading the environment themselves. The variables are parsed
once per distinct environment: a process whose environment changes (a standby worker handed its run, a test that
sets a variable) sees the change, while asking again costs a lookup. A malformed value is an error that names the
variable and what it must be, whichever setting was asked for, so a misconfigured server says so at once rather than
when the setting is first used. README.md's table under "Settings" is checked against this file by
tests/core/test_settings.py.
"""
from __future__ import annotations

import functools
import math
import os
from dataclasses import Field, dataclass, field, fields
from typing import Any, Callable, Literal, Mapping

PREFIX = "CLASSIFIER_STUDIO_"


def _text(env: str, text: str) -> str:
    return text


def _folder_url(env: str, text: str) -> str | None:
    return text.rstrip("/") or None


def _folders(env: str, text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(os.pathsep) if part.strip())


def _number(text: str, whole: bool) -> float | None:
    """`text` as a number, 0 or more (a whole one if `whole`); None when it is none."""
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        return None
    return value if 0 <= value < math.inf else None  # nan and inf too: either would switch a limit off unseen


def _whole(env: str, text: str) -> int:
    value = _number(text, whole=True)
    if value is None:
        raise ValueError(f"{env} must be a whole number, 0 or more; it is '{text}'.")
    return int(value)


def _hours(env: str, text: str) -> float:
    value = _number(text, whole=False)
    if value is None:
        raise ValueError(f"{env} must be a number of hours, 0 or more; it is '{text}'.")
    return value


def _megabytes(env: str, text: str) -> float:
    value = _number(text, whole=False)
    if not value:
        raise ValueError(f"{env} must be a number of MB, more than 0; it is '{text}'.")
    return value


def _gpus(env: str, text: str) -> int:
    value = _number(text, whole=True)
    if value is None:
        raise ValueError(f"{env} is '{text}': set it to a whole number of GPUs (0 trains on CPUs).")
    return int(value)


def _processes(env: str, text: str) -> int | Literal["all"]:
    text = text.lower()
    if text == "all":
        return "all"
    value = _number(text, whole=True)
    if not value:
        raise ValueError(f"{env} is '{text}': set it to 1 (one run per GPU), 'all' (one run across all GPUs) or a "
                         "number of processes.")
    return int(value)


def _switch(env: str, text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{env} must be 1 (on) or 0 (off); it is '{text}'.")


def setting(name: str, default: Any, help: str, parse: Callable[[str, str], Any] = _text,
            blank_is_unset: bool = True) -> Any:
    """A field set by `$CLASSIFIER_STUDIO_{name}`, read by `parse(variable, value)`. A value of spaces only counts
    as unset, unless `blank_is_unset` is False: then it reaches `parse` as ''."""
    return field(default=default, metadata={"env": PREFIX + name, "help": help, "parse": parse,
                                            "blank_is_unset": blank_is_unset})


@dataclass(frozen=True)
class Settings:
    """What the administrator set: each field from the variable its metadata names (`env`), else its default. The
    help is a line of README.md's table, as the administrator reads it there."""
    workspace: str = setting(
        "WORKSPACE", "workspace", "the folder that holds datasets, runs, imported models and the store; a relative "
        "path starts from the folder the app is started in")
    database_url: str | None = setting(
        "DATABASE_URL", None, "a SQLAlchemy URL of a database server (PostgreSQL) that workers on other machines "
        "reach too; unset: a SQLite file in the workspace")
    storage_url: str | None = setting(
        "STORAGE_URL", None, "where datasets and run folders are shared with workers on other machines (`s3://…`, "
        "`gs://…`, `file:///…`); unset: nothing leaves the workspace folder", _folder_url)
    max_upload_mb: int = setting(
        "MAX_UPLOAD_MB", 200, "size of an uploaded table in MB (Streamlit's `server.maxUploadSize` caps it too: "
        "the lower of the two applies); 0: Streamlit's cap only", _whole)
    max_rows: int = setting("MAX_ROWS", 2_000_000, "rows in a saved dataset; 0: no limit", _whole)
    max_runs_per_user: int = setting(
        "MAX_RUNS_PER_USER", 0, "runs one signed-in person trains at once; more wait, and others' runs go first "
        "(runs with no owner are not counted); 0: no limit beyond the server's training slots", _whole)
    max_epochs: int = setting(
        "MAX_EPOCHS", 200, "epochs a run may ask for, checked at start and at resume; 0: no limit", _whole)
    max_hours_per_run: float = setting(
        "MAX_HOURS_PER_RUN", 24.0, "training time of a run in hours, checked after each training step; the run then "
        "stops and keeps the model it has. A model fit in one go (TF-IDF, sentence embeddings) finishes its fit, and "
        "a resumed run starts a new count; 0: no limit", _hours)
    # Large enough for a fine-tuned BERT-large.
    max_bundle_mb: float = setting(
        "MAX_BUNDLE_MB", 2048.0, "size in MB that a model's files may unpack to when it is imported or loaded",
        _megabytes)
    model_dirs: tuple[str, ...] | None = setting(
        "MODEL_DIRS", None, "the only folders (`:`-separated) pretrained models may be read from. Unset: any folder "
        "for administrators and with sign-in off, none for others. Never a folder inside the workspace", _folders,
        blank_is_unset=False)
    slots: int | None = setting(
        "SLOTS", None, "runs training at once on the whole server; unset: one per GPU (per group of GPUs when runs "
        "train across several), else one; with a Ray cluster, unset means every waiting run is handed to it", _whole)
    processes_per_run: int | Literal["all"] = setting(
        "PROCESSES_PER_RUN", 1, "processes that train one run, each on a GPU of its own: 1 is one run per GPU, "
        "`all` one run across all of them; on a machine without GPUs, a number of CPU processes", _processes)
    warm_worker: bool = setting(
        "WARM_WORKER", True, "1: the app keeps a worker ready so that a run starts training at once (it holds about "
        "500 MB of memory while it waits); 0: each run starts a worker of its own", _switch)
    ray_address: str | None = setting(
        "RAY_ADDRESS", None, "the Ray dashboard address (`http://HEAD:8265`) that runs are sent to as Ray jobs; "
        "unset: runs train on this machine")
    ray_gpus_per_run: int | None = setting(
        "RAY_GPUS_PER_RUN", None, "GPUs each run asks the Ray cluster for (0 trains on CPUs; several train it with "
        "DistributedDataParallel on one node); unset: one when the cluster has any, else none", _gpus)


SETTINGS: dict[str, Field] = {spec.name: spec for spec in fields(Settings)}


def env_name(name: str) -> str:
    """The environment variable that sets the field `name`, for a message that names it or a child's environment."""
    return SETTINGS[name].metadata["env"]


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings `env` makes (this process's environment when None). Raises ValueError on a malformed value."""
    env = os.environ if env is None else env
    return _parsed(tuple(env.get(spec.metadata["env"]) for spec in SETTINGS.values()))


@functools.lru_cache(maxsize=32)  # errors are not cached: a malformed value is reported on every call
def _parsed(raw: tuple[str | None, ...]) -> Settings:
    values = {}
    for spec, value in zip(SETTINGS.values(), raw):
        text = None if value is None else value.strip()
        if text is None or (not text and spec.metadata["blank_is_unset"]):
            continue
        values[spec.name] = spec.metadata["parse"](spec.metadata["env"], text)
    return Settings(**values)
