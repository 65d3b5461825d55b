"""How a multi-label model picks each text's labels: a threshold per label tuned for that label's F1 on validation
texts, the fallback for labels too rare to tune, and the curves' scores."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from core.architectures.label_thresholds import MIN_TUNING_POSITIVES, best_threshold, multilabel_metrics, tune
from core.formats.thresholds import LabelThresholds


def test_the_best_threshold_sits_between_the_label_and_the_rest():
    # Every text with the label scores 0.3 or more, every other one 0.2 or less: only a cut between them is perfect.
    truth = np.array([1] * MIN_TUNING_POSITIVES + [0] * 40)
    scores = np.concatenate([np.linspace(0.3, 0.9, MIN_TUNING_POSITIVES), np.linspace(0.0, 0.2, 40)])
    cut = best_threshold(truth, scores)
    assert 0.2 < cut <= 0.3
    assert f1_score(truth, scores >= cut) == 1.0 and f1_score(truth, scores >= 0.5) < 1.0


def test_a_label_too_rare_to_tune_keeps_the_fallback():
    truth = np.array([1] * (MIN_TUNING_POSITIVES - 1) + [0] * 40)
    scores = np.concatenate([np.full(MIN_TUNING_POSITIVES - 1, 0.3), np.full(40, 0.1)])
    assert best_threshold(truth, scores, fallback=0.4) == 0.4


def test_tuning_gives_each_label_its_own_threshold_and_beats_one_half_on_the_texts_tuned_on():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, size=(400, 3))
    # Each label's probabilities run low by its own amount: 0.5 misses many of its texts.
    proba = np.clip(truth * 0.35 + rng.random((400, 3)) * 0.4 - np.array([0.0, 0.1, 0.2]), 0, 1)
    tuned = tune(truth, proba, ["a", "b", "c"])
    cuts = tuned.for_classes(["a", "b", "c"])
    assert cuts[0] > cuts[1] > cuts[2]
    half = LabelThresholds().decide(proba, ["a", "b", "c"])
    assert f1_score(truth, tuned.decide(proba, ["a", "b", "c"]), average="macro") > f1_score(truth, half,
                                                                                              average="macro")


def test_at_least_one_gives_a_text_with_no_label_its_most_likely_one():
    proba = np.array([[0.2, 0.4], [0.9, 0.1]])
    assert LabelThresholds().decide(proba, ["a", "b"]).tolist() == [[0, 0], [1, 0]]
    assert LabelThresholds(at_least_one=True).decide(proba, ["a", "b"]).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("saved, message", [({"thresholds": {"a": 7}}, "between 0 and 1"),
                                            ({"fallback": -0.1}, "between 0 and 1")])
def test_a_threshold_outside_zero_to_one_is_refused(saved, message):
    with pytest.raises(ValueError, match=message):
        LabelThresholds.from_dict(saved)


def test_the_curves_scores_agree_with_scikit_learn_at_one_half():
    truth = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    proba = np.array([[0.9, 0.2], [0.4, 0.6], [0.7, 0.3], [0.1, 0.8]])
    chosen = (proba >= 0.5).astype(int)
    scores = multilabel_metrics(truth, proba)
    assert scores["accuracy"] == accuracy_score(truth, chosen) == 0.5
    assert scores["macro_f1"] == pytest.approx(f1_score(truth, chosen, average="macro"))
    assert scores["loss"] > 0


def test_a_label_the_model_cannot_tell_apart_is_not_given_to_every_text():
    # Scores that say nothing: the best F1 would come from giving the label to all 300 texts (F1 0.18 against 0 at
    # one half), a long list of labels on every answer.
    rng = np.random.default_rng(1)
    truth = (rng.random(300) < 0.1).astype(int)
    scores = rng.random(300) * 0.3
    assert truth.sum() >= MIN_TUNING_POSITIVES
    cut = best_threshold(truth, scores)
    assert cut == 0.5 or (scores >= cut).sum() <= 2 * truth.sum()
