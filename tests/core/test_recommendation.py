"""Which model to take: the cheapest of the runs the top scorer does not beat beyond chance, in plain words."""
from __future__ import annotations

import numpy as np
import pytest

from core.evaluation import intervals
from core.evaluation.intervals import Comparison
from core.evaluation.recommendation import (Candidate, how_often, judge_pair, per_text, recommend, relative_costs, size,
                                            train_time, turned_round)

FINETUNED = Candidate(5, "Pretrained Transformer (fine-tuned)", 0.912, 0.975, train_seconds=185.0, latency_ms=12.0,
                      model_bytes=250_000_000)
TFIDF = Candidate(3, "TF-IDF + linear model", 0.908, 0.971, train_seconds=2.0, latency_ms=0.8, model_bytes=3_000_000)
TEXTCNN = Candidate(6, "TextCNN", 0.88, 0.96, train_seconds=25.0, latency_ms=2.0, model_bytes=8_000_000)


def versus(gap: float, low: float, high: float, n: int = 1033) -> Comparison:
    """The top scorer against another run: a macro-F1 gap and its 95% interval (the rest is not read here)."""
    return Comparison(n=n, accuracy_difference=gap, accuracy_interval=(low, high), macro_f1_difference=gap,
                      macro_f1_interval=(low, high), only_a_right=12, only_b_right=8, mcnemar_p=0.5)


CHANCE, BEYOND = versus(0.004, -0.010, 0.018), versus(0.032, 0.012, 0.052)


def test_a_cheaper_run_the_best_does_not_beat_beyond_chance_is_the_pick_with_the_numbers():
    verdict = recommend([FINETUNED, TFIDF, TEXTCNN], {TFIDF.run: CHANCE, TEXTCNN.run: BEYOND})
    assert verdict.pick == TFIDF and verdict.tied == (TFIDF,) and verdict.beaten == (TEXTCNN,)
    assert not verdict.clear_lead
    assert [verdict.standing(c.run) for c in (FINETUNED, TFIDF, TEXTCNN)] == ["tied", "tied", ""]
    assert verdict.headline() == "Take #3 TF-IDF + linear model."
    reason = verdict.reason()
    assert ("scores only 0.004 less macro-F1 than #5 Pretrained Transformer (fine-tuned) on these 1,033 test texts "
            "(accuracy 97.1% against 97.5%), which could be chance") in reason
    assert ("It trains in 2 s instead of 3 min 05 s, answers in 0.8 ms instead of 12 ms per text and is 3.0 MB "
            "instead of 250 MB on disk.") in reason


def test_a_lead_beyond_chance_gets_the_trophy_and_says_what_it_costs():
    verdict = recommend([FINETUNED, TFIDF, TEXTCNN], {TFIDF.run: BEYOND, TEXTCNN.run: versus(0.05, 0.03, 0.07)})
    assert verdict.pick == FINETUNED and verdict.clear_lead and verdict.tied == ()
    assert [verdict.standing(c.run) for c in (FINETUNED, TFIDF, TEXTCNN)] == ["best", "", ""]
    reason = verdict.reason()
    assert "ahead of every other model by more than chance" in reason
    assert "#3 TF-IDF + linear model, scores 0.032 less macro-F1" in reason and "a gap larger than chance" in reason
    assert ("The gain has a price: #5 Pretrained Transformer (fine-tuned) trains in 3 min 05 s instead of 2 s, "
            "answers in 12 ms instead of 0.8 ms per text") in reason


def test_a_top_scorer_that_is_also_cheapest_is_the_pick_however_close_the_others():
    tied = recommend([TFIDF, TEXTCNN], {TEXTCNN.run: CHANCE})
    assert tied.pick == TFIDF and tied.standing(TFIDF.run) == tied.standing(TEXTCNN.run) == "tied"
    assert tied.headline() == "Of the two, take #3 TF-IDF + linear model."
    assert "no model that scores about as well costs clearly less" in tied.reason()
    ahead = recommend([TFIDF, TEXTCNN], {TEXTCNN.run: BEYOND})
    assert ahead.clear_lead and "No model costs clearly less: #3 TF-IDF + linear model trains in 2 s instead of 25 s" \
        in ahead.reason()


def test_costs_within_the_noise_leave_the_pick_to_the_higher_score():
    twin = Candidate(9, "TF-IDF + linear model", 0.90, 0.97, train_seconds=2.2, latency_ms=0.85, model_bytes=3_100_000)
    verdict = recommend([TFIDF, twin], {twin.run: CHANCE})
    assert verdict.pick == TFIDF and "costs about the same to train and to run" in verdict.reason()
    reversed_order = recommend([twin, TFIDF], {TFIDF.run: CHANCE})
    assert reversed_order.pick == twin


def test_each_cost_counts_the_same_in_proportion_and_an_unmeasured_cost_as_the_lowest():
    fast_to_answer = Candidate(1, "a", 0.9, 0.9, train_seconds=20.0, latency_ms=1.0, model_bytes=1_000)
    fast_to_train = Candidate(2, "b", 0.9, 0.9, train_seconds=10.0, latency_ms=2.0, model_bytes=1_000)
    unmeasured = Candidate(3, "c", 0.9, 0.9, train_seconds=40.0, latency_ms=None, model_bytes=1_000)
    costs = relative_costs([fast_to_answer, fast_to_train, unmeasured])
    assert costs[1] == pytest.approx(costs[2]) == pytest.approx(np.log(2))
    assert costs[3] == pytest.approx(np.log(4))


def test_a_run_that_could_not_be_compared_is_left_out_and_takes_the_trophy_away():
    verdict = recommend([FINETUNED, TFIDF, TEXTCNN], {TEXTCNN.run: BEYOND}, {TFIDF.run: "no saved predictions"})
    assert verdict.pick == FINETUNED and not verdict.clear_lead and verdict.standing(FINETUNED.run) == ""
    assert verdict.reason().endswith("Left out of this verdict (see why below): #3.")
    alone = recommend([FINETUNED, TFIDF], {}, {TFIDF.run: "no saved predictions"})
    assert alone.pick == FINETUNED and alone.reason().startswith("It scores highest, but could not be compared")


def test_two_runs_are_judged_from_the_higher_scorer_with_the_comparison_turned_round():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 400)
    good, worse = truth.copy(), truth.copy()
    good[:30] = (truth[:30] + 1) % 3
    worse[:90] = (truth[:90] + 1) % 3
    a_minus_b = intervals.compare(truth, worse, good, 3)
    turned = turned_round(a_minus_b)
    b_minus_a = intervals.compare(truth, good, worse, 3)
    assert turned.macro_f1_difference == pytest.approx(b_minus_a.macro_f1_difference)
    assert turned.macro_f1_interval == pytest.approx(b_minus_a.macro_f1_interval)
    assert turned.accuracy_interval == pytest.approx(b_minus_a.accuracy_interval)
    assert (turned.only_a_right, turned.only_b_right, turned.mcnemar_p) == \
        (b_minus_a.only_a_right, b_minus_a.only_b_right, b_minus_a.mcnemar_p)

    cheap_but_worse, dear_but_better = TFIDF, FINETUNED
    verdict = judge_pair(a_minus_b, cheap_but_worse, dear_but_better)
    assert verdict.best == dear_but_better and verdict.clear_lead and verdict.pick == dear_but_better
    assert verdict.versus_best[cheap_but_worse.run] == turned


@pytest.mark.parametrize("value, shown", [(0.04, "0.04 ms"), (0.8, "0.8 ms"), (1.43, "1.4 ms"), (54.2, "54 ms"),
                                          (1234.0, "1.2 s"), (None, "—")])
def test_time_per_text_reads_at_a_glance(value, shown):
    assert per_text(value) == shown


def test_sizes_training_times_and_chances_read_in_words():
    assert [size(b) for b in (850_000, 3_200_000, 250_000_000, 1_300_000_000, None)] == \
        ["850 kB", "3.2 MB", "250 MB", "1.3 GB", "—"]
    assert [train_time(s) for s in (0.2, 13.0, 302.0, None)] == ["under 1 s", "13 s", "5 min 02 s", "—"]
    assert [how_often(p) for p in (1.0, 0.664, 0.004, 0.0001)] == \
        ["nearly every time", "about 66 times in 100", "about 4 times in 1,000", "less than once in 1,000"]
