"""How far to trust one prediction's confidence: checked against the report's reliability bands, never shown as a
promise of 100%, and unknown (said so) for a model without test results."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.evaluation.trust import MIN_TEXTS, Scores, band, downloaded_scores, trust
from core.evaluation.curves import reliability
from core.wording import percent


def scores_of(groups: list[tuple[float, int, int]]) -> Scores:
    """A two-class model's test scores from (confidence, texts, of which right) groups, through `reliability`."""
    proba, codes = [], []
    for confidence, texts, right in groups:
        proba += [[confidence, 1 - confidence]] * texts
        codes += [0] * right + [1] * (texts - right)
    proba, codes = np.array(proba), np.array(codes)
    return Scores(float((proba.argmax(axis=1) == codes).mean()), reliability(codes, proba))


# Sure of itself at 99.5% but right on 91 of 100; honest at 75%; too modest at 55%; a handful at 65%.
SCORES = scores_of([(0.995, 100, 91), (0.75, 30, 22), (0.55, 25, 25), (0.65, MIN_TEXTS - 1, 10)])


@pytest.mark.parametrize("p, shown", [(1.0, "over 99%"), (0.9996, "over 99%"), (0.99, "99%"), (0.5, "50%"),
                                      (0.004, "under 1%"), (0.0, "under 1%")])
def test_percent_never_promises_all_or_nothing(p, shown):
    assert percent(p) == shown


def test_an_overconfident_prediction_is_shown_as_its_measured_chance_with_a_warning():
    verdict = trust(1.0, SCORES)
    assert verdict.warn
    assert verdict.sentence == ("The model says over 99%, but take it as about 91%: on the test texts, when it was "
                                "over 90% sure, it was right 91% of the time (100 texts).")


def test_a_well_calibrated_prediction_is_taken_at_its_word():
    verdict = trust(0.72, SCORES)
    assert not verdict.warn
    assert verdict.sentence == ("The model is 72% sure, and that holds: on the test texts, when it was between 70% "
                                "and 80% sure, it was right 73% of the time (30 texts).")


def test_a_modest_prediction_says_the_model_does_better():
    verdict = trust(0.52, SCORES)
    assert not verdict.warn
    assert "does better than that" in verdict.sentence and "right every time (25 texts)" in verdict.sentence


def test_too_few_test_texts_at_that_confidence_falls_back_to_the_overall_accuracy():
    for confidence in (0.62, 0.85):  # a band with too few texts, and one with none
        verdict = trust(confidence, SCORES)
        assert "Too few test texts" in verdict.sentence
        assert f"right {percent(SCORES.accuracy)} of the time" in verdict.sentence
    assert not trust(0.62, SCORES).warn  # less than the 85% it gets right overall
    # Right on 60% overall, and on only 5 texts at 95%: a confidence of 97% is more than it can be trusted with.
    assert trust(0.97, scores_of([(0.55, 40, 22), (0.95, 5, 5)])).warn


def test_without_test_results_how_far_to_trust_it_is_unknown():
    assert trust(0.999, None) == (
        "The model is over 99% sure, but how far to trust that is unknown: this model came without test results.",
        True)
    verdict = trust(0.999, Scores(0.77))
    assert verdict.warn and "unknown" in verdict.sentence and "right 77% of the time" in verdict.sentence


def test_bands_are_those_of_scikit_learn_even_at_an_edge():
    # scikit-learn puts a confidence of exactly 0.9 in the band up to 0.9, not the one above it.
    calibration = scores_of([(0.9, 30, 27), (0.95, 40, 20)]).calibration
    assert band(calibration, 0.9) == (0.8, 0.9, 0.9, 30)
    assert band(calibration, 0.96) == (0.9, 1.0, 0.5, 40)
    assert band(calibration, 0.5) is None


def test_downloaded_scores_take_only_what_is_well_formed(tmp_path):
    assert downloaded_scores(tmp_path) is None
    (tmp_path / "metrics.json").write_text("{not json")
    assert downloaded_scores(tmp_path) is None
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 7}))
    assert downloaded_scores(tmp_path) is None
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.8, "calibration": {"confidence": [0.9]}}))
    assert downloaded_scores(tmp_path) == Scores(0.8)
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.8, "calibration": SCORES.calibration.to_dict()}))
    read = downloaded_scores(tmp_path)
    assert read.calibration.count == SCORES.calibration.count
    assert trust(1.0, read) == trust(1.0, SCORES._replace(accuracy=0.8))
