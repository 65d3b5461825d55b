"""The training options every torch family shares: schedule, early stopping, class weights, presets, preview."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from core.architectures import REGISTRY, get_architecture
from core.architectures.base import PRESETS
from core.architectures.preview import preview
from core.data.text_set import TextSet
from core.training.callbacks import Callback
from core.training.early_stopping import EarlyStopping
from core.training.loop import TrainOptions, clip_gradients, make_scheduler, train_loop
from core.training.state import TrainState
from tests.conftest import make_texts

TINY_CNN = {"epochs": 1, "batch_size": 8, "vocab_size": 500, "embedding_dim": 8, "num_filters": 4, "max_length": 16,
            "device": "cpu"}


def learning_rates(kind: str, total: int = 100, warmup: int = 10) -> list[float]:
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = make_scheduler(optimizer, kind, total, warmup)
    rates = []
    for _ in range(total):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize("kind", ["linear", "cosine", "constant"])
def test_warmup_rises_to_the_peak(kind):
    rates = learning_rates(kind)
    assert all(a < b for a, b in zip(rates[:10], rates[1:11]))
    assert rates[0] < 0.1 and rates[10] == pytest.approx(1.0)


def test_linear_decay_falls_in_a_straight_line_to_zero():
    rates = learning_rates("linear")
    steps = [a - b for a, b in zip(rates[10:], rates[11:])]
    assert steps == pytest.approx([1 / 90] * len(steps))
    assert rates[-1] == pytest.approx(1 / 90)


def test_cosine_decay_is_half_way_at_the_middle_and_flat_at_both_ends():
    rates = learning_rates("cosine", total=110, warmup=10)
    assert rates[60] == pytest.approx(0.5)
    assert rates[10] - rates[11] < rates[59] - rates[60]  # slow start, fastest in the middle
    assert rates[-1] == pytest.approx(0.5 * (1 + math.cos(math.pi * 99 / 100)))


def test_constant_stays_at_the_peak_and_an_unknown_schedule_is_refused():
    assert set(learning_rates("constant")[10:]) == {1.0}
    with pytest.raises(ValueError, match="Schedules: linear, cosine, constant"):
        learning_rates("step")


class Snapshots(Callback):
    """Records the module's weight after every evaluation."""

    def __init__(self, module: nn.Module):
        self.module, self.weights = module, []

    def on_evaluate(self, state, metrics):
        self.weights.append(self.module.weight.detach().clone())


def scripted_training(scores: list[tuple[float, float]], patience: int, epochs: int = 8):
    """Train a linear layer while `evaluate` reports the scripted (macro-F1, loss) pairs, one per epoch."""
    torch.manual_seed(0)
    module = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    x, y = torch.randn(8, 2), torch.tensor([0, 1] * 4)
    script = iter(scores)

    def evaluate():
        f1, loss = next(script)
        return {"macro_f1": f1, "loss": loss}

    snapshots = Snapshots(module)
    stopper = EarlyStopping(module, "macro_f1", patience)
    state = train_loop(module, optimizer, lambda epoch: [({"input": x}, y)], evaluate,
                       TrainOptions(epochs=epochs, steps_per_epoch=1), callbacks=[snapshots, stopper])
    return state, module, snapshots.weights


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    state, module, weights = scripted_training([(0.5, 1.0), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.9, 0.1)], patience=2)
    assert state.epoch == 4 and state.should_stop and "did not improve for 2 epochs in a row" in state.stop_reason
    assert state.best_epoch == 2
    assert torch.equal(module.weight, weights[1]) and not torch.equal(module.weight, weights[-1])


def test_without_patience_training_runs_on_but_the_best_weights_are_kept():
    state, module, weights = scripted_training([(0.5, 1.0), (0.9, 0.5), (0.6, 0.4), (0.7, 0.3)], patience=0, epochs=4)
    assert state.epoch == 4 and not state.should_stop
    assert state.best_epoch == 2 and torch.equal(module.weight, weights[1])


def test_a_tie_in_macro_f1_goes_to_the_lower_validation_loss():
    state, module, weights = scripted_training([(1.0, 0.6), (1.0, 0.2), (1.0, 0.4)], patience=0, epochs=3)
    assert state.best_epoch == 2 and torch.equal(module.weight, weights[1])


class FirstLoss(Callback):
    def on_step_end(self, state: TrainState) -> None:
        self.loss = getattr(self, "loss", state.loss)


def first_step_loss(data: TextSet, class_weights: bool) -> float:
    recorder = FirstLoss()
    # One batch holds every text: a batch without the rare class would weigh all its texts alike.
    config = get_architecture("textcnn").config_cls.from_dict({**TINY_CNN, "batch_size": 64,
                                                                "class_weights": class_weights})
    get_architecture("textcnn").model_cls(config).fit(data, None, [recorder])
    return recorder.loss


def test_class_weights_change_the_loss_only_when_classes_are_imbalanced():
    df = make_texts(n_per_class=12)
    balanced = TextSet(df["text"].tolist(), df["label"].tolist())
    assert first_step_loss(balanced, True) == pytest.approx(first_step_loss(balanced, False), rel=1e-6)
    keep = [i for i, label in enumerate(balanced.labels) if label != "food" or i % 4 == 0]
    imbalanced = TextSet([balanced.texts[i] for i in keep], [balanced.labels[i] for i in keep])
    assert first_step_loss(imbalanced, True) != pytest.approx(first_step_loss(imbalanced, False), rel=1e-3)


def test_autocast_in_bfloat16_trains():
    torch.manual_seed(0)
    module = nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(module.parameters(), lr=0.1)
    x, y = torch.randn(32, 4), (torch.randn(32) > 0).long()
    x[:, 0] += y * 3
    state = train_loop(module, optimizer, lambda epoch: [({"input": x}, y)], dict,
                       TrainOptions(epochs=30, steps_per_epoch=1, amp_dtype=torch.bfloat16))
    assert state.step == 30 and state.loss < 0.4


@pytest.mark.parametrize("name", list(REGISTRY))
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_of_every_architecture_is_a_valid_config(name, preset):
    config_cls = get_architecture(name).config_cls
    assert isinstance(config_cls.preset(preset, 5_000), config_cls)


def test_presets_give_small_datasets_more_epochs_and_best_more_than_quick():
    config_cls = get_architecture("textcnn").config_cls
    assert config_cls.preset("balanced", 500).epochs > config_cls.preset("balanced", 100_000).epochs
    assert config_cls.preset("best", 5_000).epochs > config_cls.preset("quick", 5_000).epochs
    with pytest.raises(ValueError, match="Presets: quick, balanced, best"):
        config_cls.preset("fastest", 100)


def test_yes_no_settings_read_from_text():
    config_cls = get_architecture("textcnn").config_cls
    assert config_cls.from_dict({"class_weights": "yes"}).class_weights is True
    assert config_cls.from_dict({"class_weights": "False"}).class_weights is False
    with pytest.raises(ValueError, match="class_weights: expected yes or no"):
        config_cls.from_dict({"class_weights": "maybe"})


def test_preview_counts_the_texts_the_maximum_length_cuts():
    long = "goal match team coach league score player stadium goal match team coach"  # 12 known words
    texts = ["goal match"] * 6 + [long] * 4
    arch = get_architecture("textcnn")
    shown = preview(arch.model_cls(arch.config_cls.from_dict({**TINY_CNN, "max_length": 8})), texts)
    assert sorted(set(shown.lengths)) == [2, 12] and shown.max_length == 8
    assert shown.n_cut == 4 and shown.cut_share == pytest.approx(0.4)


def test_a_model_that_reads_texts_whole_has_no_length_preview():
    arch = get_architecture("tfidf")
    shown = preview(arch.model_cls(), ["a b", "c d"])
    assert shown.lengths is None and shown.n_cut == 0 and shown.warnings == []


def test_gradients_over_the_limit_are_scaled_to_it_and_those_within_left_alone():
    module = nn.Linear(3, 2)
    module.weight.grad, module.bias.grad = torch.full((2, 3), 10.0), torch.full((2,), 10.0)
    clip_gradients(module, 1.0)
    assert torch.cat([module.weight.grad.flatten(), module.bias.grad]).norm().item() == pytest.approx(1.0)
    module.weight.grad, module.bias.grad = torch.full((2, 3), 0.1), torch.full((2,), 0.1)
    clip_gradients(module, 1.0)
    assert torch.equal(module.weight.grad, torch.full((2, 3), 0.1))
