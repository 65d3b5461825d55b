"""Few-shot (SetFit): the pairs it tunes the encoder on, and the Train page's advice to use it when labels are few.
The registry's suites (test_architectures.py and others) train, stop, resume, save, load and export it."""
from __future__ import annotations

from collections import Counter

import numpy as np

from core.architectures.advice import FEW_SHOT_BELOW, fewest_per_class, recommended
from core.architectures.few_shot import draw_pairs
from tests.conftest import make_texts

LABELS = ["a"] * 5 + ["b"] * 3 + ["c"]


def test_each_round_pairs_every_text_with_one_of_its_class_and_one_of_another():
    pairs, alike = draw_pairs(LABELS, rounds=4, limit=10_000, seed=0)
    assert len(pairs) == 2 * 4 * len(LABELS)
    same = np.array([LABELS[i] == LABELS[j] for i, j in pairs])
    np.testing.assert_array_equal(alike, same.astype(np.float32))
    assert same.sum() == (~same).sum()
    assert Counter(i for i, _ in pairs) == {i: 8 for i in range(len(LABELS))}
    assert {j for (i, j), value in zip(pairs, alike) if i == 8 and value == 1} == {8}  # "c" has itself alone


def test_pairs_are_capped_and_the_same_for_the_same_seed():
    pairs, _ = draw_pairs(LABELS, rounds=20, limit=50, seed=3)
    assert len(pairs) == 50
    np.testing.assert_array_equal(pairs, draw_pairs(LABELS, rounds=20, limit=50, seed=3)[0])
    assert not np.array_equal(pairs, draw_pairs(LABELS, rounds=20, limit=50, seed=4)[0])


def test_with_several_labels_a_pair_is_as_alike_as_the_labels_it_shares():
    labels = [("x",), ("x", "y"), ("y",), ("x", "y")]
    pairs, alike = draw_pairs(labels, rounds=3, limit=100, seed=0)
    for (i, j), value in zip(pairs, alike):
        a, b = set(labels[i]), set(labels[j])
        assert value == np.float32(len(a & b) / len(a | b))


def test_few_shot_is_recommended_when_a_class_has_fewer_than_about_50_texts():
    small = make_texts(n_per_class=FEW_SHOT_BELOW - 1)
    picks = recommended(small["text"].tolist(), small["label"].tolist())
    assert "few_shot" in picks and f"only {FEW_SHOT_BELOW - 1} training texts" in picks["few_shot"].reason
    assert list(picks)[0] == "tfidf"  # still the first to try: it takes seconds
    enough = make_texts(n_per_class=FEW_SHOT_BELOW)
    assert "few_shot" not in recommended(enough["text"].tolist(), enough["label"].tolist())
    assert fewest_per_class([("x", "y"), ("x",)]) == 1
