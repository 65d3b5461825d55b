"""Early stopping: keep the best epoch's weights, and stop once validation has not improved for a while."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from core.training.callbacks import Callback
from core.training.state import METRIC_NAMES, TrainState
from core.wording import count


class EarlyStopping(Callback):
    """Keeps the weights of the best validation score and puts them back at the end of training.

    With `patience`, training also stops once that many evaluations in a row brought no improvement. A tie
    on `metric` goes to the lower validation loss: on small validation sets macro-F1 often reaches its best
    early, and the later, more confident epoch is the better model.
    """

    def __init__(self, module: nn.Module, metric: str = "macro_f1", patience: int = 0):
        self.module, self.metric, self.patience = module, metric, patience
        self.best: tuple[float, float] | None = None
        self.best_epoch: int | None = None
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.waited = 0

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        if self.metric not in metrics:
            return
        value = (metrics[self.metric], -metrics.get("loss", 0.0))
        if self.best is None or value > self.best:
            self.best, self.best_epoch, self.waited = value, state.epoch, 0
            self.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in self.module.state_dict().items()}
            return
        self.waited += 1
        if self.patience and self.waited >= self.patience:
            state.stop(self.reason())

    def reason(self) -> str:
        """Why training stopped, in words for the Train page and the run log."""
        when = "in the last epoch" if self.patience == 1 else f"for {count(self.patience, 'epoch')} in a row"
        return (f"the model's {METRIC_NAMES.get(self.metric, self.metric)} on the validation texts did not improve "
                f"{when}, so more epochs were unlikely to help")

    def state_dict(self) -> dict[str, Any]:
        if self.best is None:
            return {}
        return {"best": list(self.best), "best_epoch": self.best_epoch, "weights": self.best_weights,
                "waited": self.waited}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = tuple(state["best"]), state["best_epoch"]
        self.best_weights, self.waited = state["weights"], state["waited"]

    def on_train_begin(self, state: TrainState) -> None:
        # Resumed from a checkpoint written after this callback had stopped training: it stays stopped.
        if self.patience and self.waited >= self.patience:
            state.stop(self.reason())

    def on_train_end(self, state: TrainState) -> None:
        if self.best_weights is not None:
            self.module.load_state_dict(self.best_weights)
            state.best_epoch = self.best_epoch
