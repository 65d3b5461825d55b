"""What the training loop hands its callbacks and its helpers: where training stands, and a batch."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

# The validation metrics in words, for the run log and the reasons training stopped.
METRIC_NAMES = {"loss": "loss", "accuracy": "accuracy", "macro_f1": "macro-F1", "micro_f1": "micro-F1",
                "subset_accuracy": "every label right"}

# A batch's inputs by the module's argument names, and its class-index targets.
Batch = tuple[dict[str, torch.Tensor], torch.Tensor]


@dataclass
class TrainState:
    """Where training stands; callbacks read it and may set `should_stop`."""
    epochs: int = 1
    steps_per_epoch: int = 0
    epoch: int = 0  # epochs finished
    step: int = 0  # optimizer steps taken
    loss: float = float("nan")  # last training-batch loss
    val_metrics: dict[str, float] = field(default_factory=dict)
    start_time: float = field(default_factory=time.time)
    should_stop: bool = False
    stop_reason: str | None = None
    best_epoch: int | None = None  # the epoch whose weights the model ends with, when early stopping kept them
    accumulation: int = 1  # passes each batch is split into; doubled when the GPU runs out of memory
    resumed_from: int | None = None  # the step a checkpoint put training back at
    # Long work outside the steps (embedding every training text, scoring the test texts), counted in texts, so
    # progress moves within it: what it is, how far it got, and when it began.
    task: str | None = None
    task_done: int = 0
    task_total: int = 0
    task_started: float = 0.0

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def fractional_epoch(self) -> float:
        return self.step / self.steps_per_epoch if self.steps_per_epoch else float(self.epoch)

    @property
    def elapsed(self) -> float:
        return time.time() - self.start_time

    @property
    def eta(self) -> float | None:
        if self.step == 0 or not self.total_steps:
            return None
        return self.elapsed / self.step * max(self.total_steps - self.step, 0)

    def stop(self, reason: str) -> None:
        self.should_stop = True
        self.stop_reason = reason

    def start_task(self, what: str | None, total: int = 0) -> None:
        """Begin (or, with None, end) a piece of long work of `total` texts."""
        self.task, self.task_done, self.task_total, self.task_started = what, 0, total, time.time()
