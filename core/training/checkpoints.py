"""Training checkpoints: all the training loop needs to carry on a stopped run exactly where it stood.

A checkpoint holds the module, optimizer and scheduler states, where training stood (epoch, step, time spent),
the random number generators' states (dropout draws from them) and the state of every callback that keeps one
(early stopping's best weights), each under a key of its own. Together with batches that depend only on the seed and the epoch, a run
resumed from it takes the same steps and ends with the same weights as one never stopped.

It is written with `torch.save` and read back with `weights_only=True`, which loads tensors and plain
containers only, never code. Checkpoints stay inside the workspace; nothing a user downloads contains one.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.training.callbacks import CallbackList
from core.training.state import TrainState
from core.workspace import CHECKPOINT_FILE, written_aside

log = logging.getLogger(__name__)
# A checkpoint of a large model takes seconds to write; every few minutes bounds what a killed run loses.
SAVE_EVERY_SECONDS = 180.0


class Checkpoints:
    """Where a run's checkpoint lives, and how often the training loop writes it between epochs."""

    def __init__(self, folder: Path, fingerprint: dict[str, Any], every_seconds: float = SAVE_EVERY_SECONDS):
        self.path = Path(folder) / CHECKPOINT_FILE
        self.fingerprint = fingerprint  # what training writes it: a checkpoint of any other is not resumed
        self.every_seconds = every_seconds
        self._last_save = time.monotonic()

    def load(self) -> dict[str, Any] | None:
        """The checkpoint, if there is one of this training; one left by another (a run folder reused after the
        workspace's database was deleted) is ignored and later overwritten."""
        if not self.path.exists():
            return None
        saved = torch.load(self.path, map_location="cpu", weights_only=True)
        if saved.get("fingerprint") != self.fingerprint:
            log.warning("A checkpoint of other settings or data was found in the run's folder and is ignored; "
                        "training starts from the beginning.")
            return None
        return saved

    def due(self) -> bool:
        return time.monotonic() - self._last_save >= self.every_seconds

    def save(self, state: TrainState, module: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any,
             callbacks: CallbackList) -> None:
        payload = {
            "fingerprint": self.fingerprint,
            "module": module.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "state": {"epoch": state.epoch, "step": state.step, "elapsed": state.elapsed,
                      "accumulation": state.accumulation, "val_metrics": state.val_metrics},
            "rng": {"cpu": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []},
            "callbacks": callbacks.state_dict(),
        }
        # Written aside and renamed: a worker killed mid-write leaves the previous checkpoint whole.
        with written_aside(self.path) as partial:
            torch.save(payload, partial)
        self._last_save = time.monotonic()


def restore(saved: dict[str, Any], state: TrainState, module: nn.Module, optimizer: torch.optim.Optimizer,
            scheduler: Any, callbacks: CallbackList) -> None:
    """Put a checkpoint back into freshly built training objects (the same architecture and settings)."""
    module.load_state_dict(saved["module"])
    optimizer.load_state_dict(saved["optimizer"])
    if scheduler is not None and saved["scheduler"] is not None:
        scheduler.load_state_dict(saved["scheduler"])
    where = saved["state"]
    state.epoch, state.step = where["epoch"], where["step"]
    state.accumulation, state.val_metrics = where["accumulation"], where["val_metrics"]
    state.start_time = time.time() - where["elapsed"]
    state.resumed_from = state.step
    torch.set_rng_state(saved["rng"]["cpu"])
    if saved["rng"]["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(saved["rng"]["cuda"])
    callbacks.load_state_dict(saved["callbacks"])
