"""A checkpoint keeps each callback's state under a key of its own, and those written before keys were told apart
still resume."""
from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch import nn

from core.training.callbacks import Callback, CallbackList
from core.training.checkpoints import Checkpoints
from core.training.early_stopping import EarlyStopping
from core.training.loop import TrainOptions, train_loop
from core.training.state import TrainState
from core.workspace import CHECKPOINT_FILE
from tests.core.test_training import BATCH, Log, N, Tiny, separable

# Written by the code of commit 8fdf132, which kept callbacks' state by class name alone: `train` below with
# EarlyStopping(patience=3) and a callback that stopped it at step 14, in the third epoch.
OLD_CHECKPOINT = Path(__file__).parent / "fixtures" / "checkpoint_keyed_by_class.pt"


class Tally(Callback):
    """Adds its amount at every step, and keeps the sum across a resume."""

    def __init__(self, amount: int):
        self.amount, self.total = amount, 0

    def on_step_end(self, state: TrainState) -> None:
        self.total += self.amount

    def state_dict(self) -> dict:
        return {"total": self.total}

    def load_state_dict(self, state: dict) -> None:
        self.total = state["total"]


def train(module: nn.Module, folder: Path, callbacks: list[Callback], epochs: int = 10) -> TrainState:
    """Train with the same validation scores every epoch, so the first stays the best."""
    x, y = separable(0)

    def batches(epoch: int):
        for start in range(0, N, BATCH):
            yield {"x": x[start : start + BATCH]}, y[start : start + BATCH]

    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    return train_loop(module, optimizer, batches, lambda: {"macro_f1": 0.5, "loss": 1.0},
                      TrainOptions(epochs=epochs, steps_per_epoch=N // BATCH), callbacks=callbacks,
                      checkpoints=Checkpoints(folder, fingerprint={"test": 1}))


def test_a_checkpoint_that_kept_callbacks_by_class_name_resumes(tmp_path):
    assert set(torch.load(OLD_CHECKPOINT, weights_only=True)["callbacks"]) == {"EarlyStopping"}
    shutil.copy(OLD_CHECKPOINT, tmp_path / CHECKPOINT_FILE)
    module = Tiny()
    stopper, log = EarlyStopping(module, patience=3), Log()
    state = train(module, tmp_path, [stopper, log])
    assert state.resumed_from == 14
    assert [step for kind, step, _ in log.events if kind == "step"] == list(range(15, 25))
    # Early stopping counts on from the two epochs before the stop; afresh, it would keep epoch 3 and stop at 6.
    assert (state.epoch, state.best_epoch, stopper.waited) == (4, 1, 3)


def test_two_callbacks_of_one_class_keep_their_own_state(tmp_path):
    module = Tiny()
    ones, tens = Tally(1), Tally(10)
    train(module, tmp_path, [ones, tens, Log(stop_at_step=8)], epochs=2)
    assert (ones.total, tens.total) == (8, 80)
    saved = torch.load(tmp_path / CHECKPOINT_FILE, weights_only=True)["callbacks"]
    assert saved == {"Tally": {"total": 8}, "Tally #2": {"total": 80}}

    ones, tens = Tally(1), Tally(10)
    state = train(module, tmp_path, [ones, tens], epochs=2)
    assert (state.resumed_from, state.step) == (8, 12)
    assert (ones.total, tens.total) == (12, 120)


def test_each_callback_has_a_key_of_its_own():
    class Named(Tally):
        @property
        def state_key(self) -> str:
            return f"Named {self.amount}"

    keyed = CallbackList([Tally(1), Log(), Tally(2), Named(3), Tally(4)]).keyed()
    assert list(keyed) == ["Tally", "Log", "Tally #2", "Named 3", "Tally #3"]
    assert [cb.amount for key, cb in keyed.items() if key != "Log"] == [1, 2, 3, 4]
