"""Zero-shot: texts take the class whose name or description their embedding is closest to, with no training."""
from __future__ import annotations

import numpy as np
import pytest

from core.architectures.zero_shot import (ZeroShotClassifier, ZeroShotConfig, class_texts, parse_descriptions,
                                         similarity_scores, zero_shot_proba)
from core.data.text_set import TextSet
from tests.conftest import WORDS, make_texts


def test_descriptions_are_read_one_line_per_class():
    assert parse_descriptions("sport: games and teams\n\n HUM : a person ") == {"sport": "games and teams",
                                                                               "HUM": "a person"}
    assert class_texts(["HUM", "LOC"], {"HUM": "a person"}) == ["a person", "LOC"]


def test_a_line_without_a_label_and_colon_is_refused_with_what_to_write():
    with pytest.raises(ValueError, match="Line 2 .*'label: description'"):
        parse_descriptions("sport: games\njust words")


def test_probabilities_are_a_softmax_of_the_similarities():
    proba = similarity_scores(np.array([[0.5, 0.2, 0.1], [0.1, 0.1, 0.4]]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba.argmax(axis=1).tolist() == [0, 2] and proba[0, 0] > 0.9


def test_several_labels_per_text_are_refused_with_what_to_choose_instead(tiny_bert):
    data = TextSet(["goal pasta", "chip"], [("food", "sport"), ("tech",)], multilabel=True)
    with pytest.raises(ValueError, match="Choose Few-shot or another model"):
        ZeroShotClassifier(ZeroShotConfig(model=str(tiny_bert))).fit(data)


def test_each_text_takes_the_class_whose_description_it_is_closest_to(tiny_bert):
    data = make_texts(n_per_class=10)
    classes = ["tech", "sport", "food"]  # columns in the order given, not sorted
    proba = zero_shot_proba(data["text"].tolist(), classes, {c: " ".join(WORDS[c]) for c in classes},
                            model=str(tiny_bert))
    assert proba.shape == (len(data), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert (np.array(classes)[proba.argmax(axis=1)] == data["label"].to_numpy()).mean() >= 0.8


def test_fewer_than_two_classes_is_refused(tiny_bert):
    with pytest.raises(ValueError, match="at least two classes"):
        zero_shot_proba(["a text"], ["only"], model=str(tiny_bert))
