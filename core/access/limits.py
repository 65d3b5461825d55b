"""What one person may ask of a shared server, each set by an environment variable the administrator exports before
starting the app (workers inherit it): see core/settings.py. Unset, each limit keeps its default; 0 turns a limit
off."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from core.settings import SETTINGS, env_name, settings
from core.wording import count


def limit(setting: str) -> Any:
    """A limit set by the field `setting` of core/settings.py, whose default it takes."""
    return field(default=SETTINGS[setting].default, metadata={"setting": setting})


@dataclass(frozen=True)
class Limits:
    upload_mb: int = limit("max_upload_mb")
    rows_per_dataset: int = limit("max_rows")
    runs_per_user: int = limit("max_runs_per_user")
    epochs: int = limit("max_epochs")
    hours_per_run: float = limit("max_hours_per_run")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Limits":
        """The limits the settings of `env` (this process's environment when None) set; a malformed one is an error
        naming its variable."""
        current = settings(env)
        return cls(**{spec.name: getattr(current, spec.metadata["setting"]) for spec in fields(cls)})

    @property
    def seconds_per_run(self) -> float | None:
        return self.hours_per_run * 3600 if self.hours_per_run else None

    def check_rows(self, n_rows: int) -> None:
        if self.rows_per_dataset and n_rows > self.rows_per_dataset:
            raise ValueError(
                f"This table has {n_rows:,} rows; this server keeps at most {self.rows_per_dataset:,} per dataset. "
                "Upload a part of it, train on the whole table from the command line (python -m core train --data "
                f"FILE), or ask the administrator to raise {env_name('max_rows')}.")

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
                             f"per run ({env_name('max_epochs')}). Lower Epochs and start again.")
