"""What one person may ask of a shared server, each set by an environment variable the administrator exports before
starting the app (workers inherit it). Unset, each limit keeps its default; 0 turns a limit off."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from typing import Mapping

from core.wording import count

PREFIX = "CLASSIFIER_STUDIO_"


def limit(default: float, env: str, help: str) -> float:
    return field(default=default, metadata={"env": PREFIX + env, "help": help})


@dataclass(frozen=True)
class Limits:
    upload_mb: int = limit(200, "MAX_UPLOAD_MB", "Largest file one upload may be, in MB. Streamlit's "
                                                 "server.maxUploadSize caps it too: the lower of the two applies.")
    rows_per_dataset: int = limit(2_000_000, "MAX_ROWS", "Most rows a saved dataset may have.")
    runs_per_user: int = limit(0, "MAX_RUNS_PER_USER", "Most runs one signed-in person trains at once; more wait "
                                                       "in the queue. 0: no limit beyond the server's training slots.")
    epochs: int = limit(200, "MAX_EPOCHS", "Most epochs a run may ask for.")
    hours_per_run: float = limit(24.0, "MAX_HOURS_PER_RUN", "Longest a run may train, in hours, checked after each "
                                                            "training step (a resumed run starts a new count); it "
                                                            "then stops and keeps the model it has.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Limits":
        """The limits the environment sets; a value that is no number, or negative, is an error naming the variable."""
        env = os.environ if env is None else env
        values = {}
        for spec in fields(cls):
            raw = env.get(spec.metadata["env"], "").strip()
            if not raw:
                continue
            try:
                value = float(raw) if spec.type == "float" else int(raw)
            except ValueError:
                value = -1
            if not 0 <= value < math.inf:  # nan and inf too: either would switch the limit off unseen
                kind = "a number of hours" if spec.type == "float" else "a whole number"
                raise ValueError(f"{spec.metadata['env']} must be {kind}, 0 or more; it is '{raw}'.")
            values[spec.name] = value
        return cls(**values)

    @property
    def seconds_per_run(self) -> float | None:
        return self.hours_per_run * 3600 if self.hours_per_run else None

    def check_rows(self, n_rows: int) -> None:
        if self.rows_per_dataset and n_rows > self.rows_per_dataset:
            raise ValueError(
                f"This table has {n_rows:,} rows; this server keeps at most {self.rows_per_dataset:,} per dataset. "
                "Upload a part of it, train on the whole table from the command line (python -m core train --data "
                f"FILE), or ask the administrator to raise {PREFIX}MAX_ROWS.")

    def check_upload(self, n_bytes: int, upload_mb: int) -> None:
        """`upload_mb`: the limit in force, which the server's own cap may have lowered."""
        if n_bytes > upload_mb * 1024 * 1024:
            raise ValueError(f"The file is {n_bytes / 1024 / 1024:,.1f} MB; this server takes files of up to "
                             f"{upload_mb:,} MB. Upload a smaller part of it, or train on the whole file from the "
                             "command line (python -m core train --data FILE).")

    def check_epochs(self, config: Mapping[str, object]) -> None:
        epochs = config.get("epochs")
        if self.epochs and isinstance(epochs, int) and epochs > self.epochs:
            raise ValueError(f"The run asks for {count(epochs, 'epoch')}; this server allows at most {self.epochs} "
                             f"per run ({PREFIX}MAX_EPOCHS). Lower Epochs and start again.")
