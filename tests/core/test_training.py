"""The one torch training loop, with a tiny module and synthetic tensors."""
from __future__ import annotations

import functools
import logging
import time

import numpy as np
import pytest
import torch
from torch import nn

from core.errors import OutOfMemory
from core.training.callbacks import Callback, CallbackList
from core.training.checkpoints import Checkpoints
from core.training.early_stopping import EarlyStopping
from core.training.loop import TrainOptions, optimizer_step, train_loop
from core.training.losses import label_pos_weight, weighted_loss, weighted_multilabel_loss
from core.training.state import TrainState

N, FEATURES, CLASSES, BATCH = 96, 4, 3, 16  # 6 steps per epoch


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(FEATURES, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def separable(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(N) % CLASSES
    centers = torch.eye(CLASSES, FEATURES) * 4
    return centers[y] + torch.randn(N, FEATURES, generator=g) * 0.5, y


class Log(Callback):
    def __init__(self, stop_at_step: int | None = None):
        self.events: list[tuple[str, int, int]] = []
        self.losses: list[float] = []
        self.etas: list[float | None] = []
        self.elapsed: list[float] = []
        self.metrics: list[dict[str, float]] = []
        self.stop_at_step = stop_at_step

    def on_train_begin(self, state):
        self.events.append(("begin", state.step, state.epoch))
        self.etas.append(state.eta)

    def on_step_end(self, state):
        self.events.append(("step", state.step, state.epoch))
        self.losses.append(state.loss)
        self.etas.append(state.eta)
        self.elapsed.append(state.elapsed)
        if state.step == self.stop_at_step:
            state.stop("enough")

    def on_evaluate(self, state, metrics):
        self.events.append(("evaluate", state.step, state.epoch))
        self.metrics.append(metrics)

    def on_epoch_end(self, state):
        self.events.append(("epoch_end", state.step, state.epoch))

    def on_train_end(self, state):
        self.events.append(("end", state.step, state.epoch))


class Fragile(Tiny):
    """Runs out of memory, as a GPU would, on any training pass of more than `most` rows (evaluation, without
    gradients, fits)."""

    def __init__(self, most: int):
        super().__init__()
        self.most = most

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and len(x) > self.most:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {len(x)} rows.")
        return super().forward(x)


def run(epochs: int = 5, callbacks=(), seed: int = 0, module: nn.Module | None = None) -> tuple[TrainState, nn.Module]:
    torch.manual_seed(seed)
    x, y = separable(seed)
    module = module or Tiny()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    order = torch.Generator().manual_seed(seed)

    def batches(epoch: int):
        perm = torch.randperm(N, generator=order)
        for start in range(0, N, BATCH):
            idx = perm[start : start + BATCH]
            yield {"x": x[idx]}, y[idx]

    def evaluate() -> dict[str, float]:
        logits = module(x)
        return {"loss": nn.functional.cross_entropy(logits, y).item(),
                "accuracy": (logits.argmax(1) == y).float().mean().item()}

    state = train_loop(module, optimizer, batches, evaluate, TrainOptions(epochs=epochs, steps_per_epoch=N // BATCH),
                       callbacks=callbacks)
    return state, module


def test_loss_falls_and_the_module_learns():
    log = Log()
    state, _ = run(epochs=5, callbacks=[log])
    first_epoch, last_epoch = log.losses[:6], log.losses[-6:]
    assert sum(last_epoch) / 6 < 0.5 * sum(first_epoch) / 6
    assert log.metrics[-1]["loss"] < log.metrics[0]["loss"]
    assert log.metrics[-1]["accuracy"] == 1.0
    assert state.val_metrics == log.metrics[-1]
    assert state.loss == log.losses[-1]


def test_state_counts_steps_and_epochs():
    log = Log()
    state, _ = run(epochs=3, callbacks=[log])
    assert (state.step, state.epoch, state.steps_per_epoch, state.total_steps) == (18, 3, 6, 18)
    assert state.fractional_epoch == 3.0
    assert not state.should_stop and state.stop_reason is None
    assert [s for kind, s, _ in log.events if kind == "step"] == list(range(1, 19))
    assert [(s, e) for kind, s, e in log.events if kind == "evaluate"] == [(6, 1), (12, 2), (18, 3)]
    assert log.events[0] == ("begin", 0, 0) and log.events[-1] == ("end", 18, 3)


def test_eta_and_elapsed():
    log = Log()
    before = time.time()
    state, _ = run(epochs=2, callbacks=[log])
    assert log.etas[0] is None  # no step taken yet
    assert all(eta is not None and eta >= 0 for eta in log.etas[1:])
    assert log.etas[-1] == 0.0
    assert log.elapsed == sorted(log.elapsed)
    assert 0 < state.elapsed <= time.time() - before + 1e-3
    assert state.elapsed < 30


def test_eta_formula():
    state = TrainState(epochs=2, steps_per_epoch=5, start_time=time.time() - 10.0)
    assert state.eta is None
    state.step = 4
    assert state.eta == pytest.approx(10.0 / 4 * 6, rel=0.01)
    assert state.fractional_epoch == 0.8
    assert TrainState().eta is None


def test_stop_mid_epoch_skips_the_partial_evaluation():
    log = Log(stop_at_step=8)  # in the second epoch
    state, _ = run(epochs=5, callbacks=[log])
    assert state.should_stop and state.stop_reason == "enough"
    assert state.step == 8 and state.epoch == 1
    assert [kind for kind, *_ in log.events].count("evaluate") == 1
    assert log.events[-1] == ("end", 8, 1)


def test_stop_at_epoch_end_still_evaluates_that_epoch():
    log = Log(stop_at_step=12)  # the last step of the second epoch
    state, _ = run(epochs=5, callbacks=[log])
    assert state.step == 12 and state.epoch == 2
    assert [(s, e) for kind, s, e in log.events if kind == "evaluate"] == [(6, 1), (12, 2)]


def test_stop_before_training_takes_no_step():
    class StopAtBegin(Callback):
        def on_train_begin(self, state):
            state.stop("cancelled")

    log = Log()
    state, _ = run(epochs=3, callbacks=[StopAtBegin(), log])
    assert state.step == 0 and state.epoch == 0 and state.stop_reason == "cancelled"
    assert [kind for kind, *_ in log.events] == ["begin", "end"]


def test_every_callback_sees_every_hook_in_order():
    first, second = Log(), Log()
    run(epochs=1, callbacks=[first, second])
    assert first.events == second.events
    assert [kind for kind, *_ in first.events] == ["begin"] + ["step"] * 6 + ["evaluate", "epoch_end", "end"]


def test_callback_base_hooks_are_no_ops():
    state = TrainState()
    hooks = CallbackList([Callback()])
    hooks.fire("on_train_begin", state)
    hooks.fire("on_step_end", state)
    hooks.fire("on_evaluate", state, {})
    hooks.fire("on_epoch_end", state)
    hooks.fire("on_train_end", state)
    assert state == TrainState(start_time=state.start_time)


def test_same_seed_same_weights():
    _, a = run(epochs=2, seed=3)
    _, b = run(epochs=2, seed=3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb)


def test_out_of_memory_halves_the_pass_and_keeps_learning_from_the_whole_batch(caplog):
    _, whole = run(epochs=2, seed=4)
    torch.manual_seed(4)  # Fragile starts from the same weights as Tiny did
    caplog.set_level(logging.WARNING, logger="core.training.loop")
    state, split = run(epochs=2, seed=4, module=Fragile(most=5))
    assert state.accumulation == 4 and state.step == 12  # 16 rows: 8 still too many, 4 fit; no step lost
    for a, b in zip(whole.parameters(), split.parameters()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    assert [r.getMessage() for r in caplog.records] == [
        "Out of memory at step 1 with 16 texts at a time; each step now takes 2 smaller passes of up to 8 texts and "
        "still learns from all 16, only a little slower.",
        "Out of memory at step 1 with 8 texts at a time; each step now takes 4 smaller passes of up to 4 texts and "
        "still learns from all 16, only a little slower.",
    ]


def test_out_of_memory_with_one_text_per_pass_is_a_plain_error():
    with pytest.raises(OutOfMemory, match="ran out of memory even with one text per pass. Lower the maximum length"):
        run(epochs=1, module=Fragile(most=0))


@pytest.mark.parametrize("multilabel", [False, True])
def test_class_weighted_loss_adds_up_exactly_over_passes(multilabel):
    if multilabel:
        # Each label's positives weighed by its negatives per positive, on rows of 0/1 labels.
        loss_fn = functools.partial(weighted_multilabel_loss, pos_weight=torch.tensor([0.5, 1.0, 3.0]))
    else:
        loss_fn = functools.partial(weighted_loss, weight=torch.tensor([0.5, 1.0, 3.0]))

    def trained(module: nn.Module) -> nn.Module:
        torch.manual_seed(6)
        x, y = separable(6)
        if multilabel:
            y = torch.stack([y == 0, y != 1, y == 2], dim=1).float()
        state = TrainState(epochs=1, steps_per_epoch=1)
        optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
        optimizer_step(module.train(), optimizer, ({"x": x[:16]}, y[:16]), state,
                       TrainOptions(epochs=1, steps_per_epoch=1, grad_clip=None, loss_fn=loss_fn))
        return module

    torch.manual_seed(1)
    whole = trained(Tiny())
    torch.manual_seed(1)
    split = trained(Fragile(most=3))
    for a, b in zip(whole.parameters(), split.parameters()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


def test_each_labels_positives_weigh_as_much_as_its_negatives():
    targets = np.array([[1, 0, 1], [0, 0, 1], [0, 1, 1], [0, 0, 1]])
    # 1 text of 4 has the first label, 1 the second, all 4 the third (which still learns, at weight 1/4).
    np.testing.assert_allclose(label_pos_weight(targets), [3.0, 3.0, 0.25])


def test_a_run_that_stopped_early_stays_stopped_when_resumed(tmp_path):
    x, y = separable(0)
    module = Tiny()
    checkpoints = Checkpoints(tmp_path, fingerprint={"test": 1})

    def train(callbacks) -> TrainState:
        def batches(epoch: int):
            for start in range(0, N, BATCH):
                yield {"x": x[start : start + BATCH]}, y[start : start + BATCH]

        optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
        return train_loop(module, optimizer, batches, lambda: {"macro_f1": 0.5, "loss": 1.0},
                          TrainOptions(epochs=10, steps_per_epoch=N // BATCH), callbacks=callbacks,
                          checkpoints=checkpoints)

    first = train([EarlyStopping(module, patience=2)])
    assert first.epoch == 3 and first.stop_reason == ("the model's macro-F1 on the validation texts did not improve "
                                                      "for 2 epochs in a row, so more epochs were unlikely to help")
    log = Log()
    again = train([EarlyStopping(module, patience=2), log])
    assert (again.step, again.epoch, again.best_epoch) == (first.step, 3, 1)
    assert [e[0] for e in log.events] == ["begin", "end"]  # not one step more


def test_a_checkpoint_of_other_settings_is_not_resumed(tmp_path, caplog):
    x, y = separable(0)

    def train(fingerprint) -> TrainState:
        def batches(epoch: int):
            yield {"x": x}, y

        module = Tiny()
        return train_loop(module, torch.optim.SGD(module.parameters(), lr=0.1), batches, dict,
                          TrainOptions(epochs=2, steps_per_epoch=1),
                          checkpoints=Checkpoints(tmp_path, fingerprint=fingerprint))

    assert train({"epochs": 2}).step == 2
    caplog.set_level(logging.WARNING, logger="core.training.checkpoints")
    fresh = train({"epochs": 3})
    assert fresh.resumed_from is None and fresh.step == 2
    assert "A checkpoint of other settings or data was found" in caplog.text
