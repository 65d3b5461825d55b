"""The test report: every number equals scikit-learn's on known inputs; intervals are deterministic for a seed."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, f1_score,
                             precision_recall_fscore_support, precision_score, recall_score, roc_auc_score)

from core.evaluation import baseline, intervals
from core.evaluation.curves import at_threshold, reliability, threshold_sweep
from core.evaluation.report_records import Baseline, Intervals, Report
from core.evaluation.report import REPORT_FILE, REPORT_VERSION, evaluate, load_report
from core.evaluation.slices import examples, length_slices
from core.inference.prediction import prediction_frame
from core.workspace import PREDICTIONS_FILE

CLASSES = ["ant", "bee", "cat", "dog"]


def noisy_predictions(n: int, n_classes: int, right: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """True codes and probabilities whose argmax is right about `right` of the time."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_classes, n)
    logits = rng.normal(size=(n, n_classes))
    hit = rng.random(n) < right
    logits[np.arange(n)[hit], codes[hit]] += 3
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return codes, proba


@pytest.fixture
def known() -> tuple[list[str], np.ndarray, list[str]]:
    codes, proba = noisy_predictions(300, len(CLASSES), 0.7)
    return [CLASSES[c] for c in codes], proba, [f"text {i} " + "x" * (i % 50) for i in range(300)]


def test_report_numbers_equal_scikit_learn(known):
    y_true, proba, texts = known
    report = evaluate(y_true, proba, CLASSES, texts)
    y_pred = [CLASSES[i] for i in proba.argmax(axis=1)]
    assert report.version == REPORT_VERSION and report.task == "multiclass" and report.n_test == 300
    assert report.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    assert report.macro_f1 == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=CLASSES)
    table = pd.DataFrame([row.to_dict() for row in report.per_class])
    np.testing.assert_allclose(table[["precision", "recall", "f1"]].to_numpy(), np.c_[precision, recall, f1])
    assert table["support"].tolist() == support.tolist()
    assert report.confusion_matrix == confusion_matrix(y_true, y_pred, labels=CLASSES).tolist()
    for k, curve in enumerate(report.curves):
        positive = np.array(y_true) == CLASSES[k]
        assert curve.class_name == CLASSES[k]
        assert curve.roc_auc == pytest.approx(roc_auc_score(positive, proba[:, k]))
        assert curve.average_precision == pytest.approx(average_precision_score(positive, proba[:, k]))
        assert curve.fpr[0] == 0 and curve.tpr[-1] == 1 and len(curve.fpr) <= 200
    assert "thresholds" not in report.to_dict()
    low, high = report.intervals.accuracy
    assert low < report.accuracy < high
    low, high = report.intervals.macro_f1
    assert low < report.macro_f1 < high


def test_vectorized_macro_f1_matches_scikit_learn_with_an_unseen_class():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    y_true[y_true == 3] = 0  # class 3 only predicted, never true
    expected = f1_score(y_true, y_pred, labels=range(5), average="macro", zero_division=0)  # class 4: neither
    assert intervals.macro_f1(5)(y_true, y_pred) == pytest.approx(expected)


def test_intervals_are_deterministic_for_a_seed_and_narrow_with_more_texts():
    codes, proba = noisy_predictions(2000, 3, 0.7)
    pred = proba.argmax(axis=1)
    statistic = intervals.macro_f1(3)
    first = intervals.interval((codes, pred), statistic, seed=7)
    assert intervals.interval((codes, pred), statistic, seed=7) == first
    assert intervals.interval((codes, pred), statistic, seed=8) != first
    small = intervals.interval((codes[:200], pred[:200]), statistic, seed=7)
    assert first[1] - first[0] < small[1] - small[0]
    assert intervals.interval((codes[:1], pred[:1]), statistic) == (statistic(codes[:1], pred[:1]),) * 2


def test_a_clearly_better_run_is_significant_and_mcnemar_equals_the_binomial_test():
    codes, proba = noisy_predictions(1000, 3, 0.9, seed=1)
    good = proba.argmax(axis=1)
    worse = good.copy()
    worse[:150] = (codes[:150] + 1) % 3  # wrong on 150 texts
    result = intervals.compare(codes, good, worse, 3)
    assert result.significant and result.macro_f1_difference > 0 and result.accuracy_interval[0] > 0
    only_a = int(((good == codes) & (worse != codes)).sum())
    only_b = int(((worse == codes) & (good != codes)).sum())
    assert (result.only_a_right, result.only_b_right) == (only_a, only_b)
    assert result.mcnemar_p == pytest.approx(binomtest(only_a, only_a + only_b).pvalue)
    same = intervals.compare(codes, good, good, 3)
    assert not same.significant and same.mcnemar_p == 1.0 and same.macro_f1_difference == 0


def test_threshold_sweep_equals_scikit_learn_at_each_threshold():
    codes, proba = noisy_predictions(400, 2, 0.75, seed=2)
    report = evaluate(["no" if c == 0 else "yes" for c in codes], proba, ["no", "yes"])
    assert report.task == "binary" and set(report.thresholds) == {"no", "yes"}
    for threshold in (0.1, 0.37, 0.5, 0.9):
        flagged = proba[:, 1] >= threshold
        scores = at_threshold(report.thresholds["yes"], threshold)
        assert scores["precision"] == pytest.approx(precision_score(codes == 1, flagged, zero_division=0))
        assert scores["recall"] == pytest.approx(recall_score(codes == 1, flagged))
        assert scores["f1"] == pytest.approx(f1_score(codes == 1, flagged))
        assert [[scores["tn"], scores["fp"]], [scores["fn"], scores["tp"]]] == confusion_matrix(codes == 1, flagged).tolist()
    # At 0.5 the sweep agrees with the argmax report.
    assert at_threshold(report.thresholds["yes"], 0.5)["accuracy"] == pytest.approx(report.accuracy)
    assert threshold_sweep(codes, proba, 1).tp[0] == int((codes == 1).sum())  # threshold 0 flags everything


def test_reliability_and_expected_calibration_error_on_a_known_case():
    # Four texts at 95% confidence (3 right) and four at 65% (2 right): ECE = 0.5*|0.75-0.95| + 0.5*|0.5-0.65|.
    proba = np.array([[0.95, 0.05]] * 4 + [[0.65, 0.35]] * 4)
    codes = np.array([0, 0, 0, 1, 0, 0, 1, 1])
    result = reliability(codes, proba)
    assert result.count == [4, 4]
    np.testing.assert_allclose(result.accuracy, [0.5, 0.75])
    np.testing.assert_allclose(result.confidence, [0.65, 0.95])
    assert result.ece == pytest.approx(0.5 * 0.2 + 0.5 * 0.15)


def test_length_slices_partition_the_texts_and_score_each_with_scikit_learn(known):
    y_true, proba, texts = known
    y_pred = [CLASSES[i] for i in proba.argmax(axis=1)]
    slices = length_slices(texts, y_true, y_pred)
    assert 2 <= len(slices) <= 5 and sum(s.n for s in slices) == len(texts)
    lengths = np.array([len(t) for t in texts])
    for s in slices:
        mask = (lengths >= s.min_length) & (lengths <= s.max_length)
        assert mask.sum() == s.n
        assert s.accuracy == pytest.approx(accuracy_score(np.array(y_true)[mask], np.array(y_pred)[mask]))
    assert all(a.max_length < b.min_length for a, b in zip(slices, slices[1:]))


def test_examples_filter_search_and_put_the_most_confident_first():
    table = prediction_frame(["Goal!", "pasta goal", "a GOAL", "bread"],
                             np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]]), ["sport", "food"])
    table.insert(1, "label", ["sport", "sport", "sport", "food"])
    mistakes = examples(table, mistakes_only=True)
    assert mistakes["text"].tolist() == ["pasta goal", "a GOAL"]
    assert examples(table, "sport", "sport")["text"].tolist() == ["Goal!"]
    assert examples(table, query="goal")["text"].tolist() == ["Goal!", "pasta goal", "a GOAL"]
    assert examples(table, predicted="food", query="BREAD")["text"].tolist() == ["bread"]


def test_a_report_from_an_older_version_is_rebuilt_from_the_saved_predictions(tmp_path, known):
    y_true, proba, texts = known
    predictions = prediction_frame(texts, proba, CLASSES)
    predictions.insert(1, "label", y_true)
    predictions.to_parquet(tmp_path / PREDICTIONS_FILE)
    old = {k: v for k, v in evaluate(y_true, proba, CLASSES).to_dict().items()
           if k in ("accuracy", "classes", "n_test")}
    (tmp_path / REPORT_FILE).write_text(json.dumps(old), encoding="utf-8")
    report = load_report(tmp_path)
    assert report.version == REPORT_VERSION and report.length_slices and report.curves
    assert report.baseline == evaluate(y_true, proba, CLASSES).baseline
    assert report.accuracy == old["accuracy"]
    assert f'"version": {REPORT_VERSION}' in (tmp_path / REPORT_FILE).read_text()


def test_the_baseline_is_scikit_learns_most_frequent_answer():
    codes, proba = noisy_predictions(500, 3, 0.8, seed=5)
    codes[:200] = 2  # class "cat" the most common
    y_true = [CLASSES[c] for c in codes]
    report = evaluate(y_true, proba[:, :3], CLASSES[:3])
    dummy = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y_true), 1)), y_true)
    assert report.baseline.to_dict() == {"class": dummy.predict([[0]])[0],
                                         "accuracy": pytest.approx(dummy.score(np.zeros((len(y_true), 1)), y_true))}


def scored(accuracy: float, low: float, trivial: float) -> Report:
    return Report(version=REPORT_VERSION, task="binary", n_test=1000, classes=["ham", "spam"], accuracy=accuracy,
                  macro_f1=accuracy, per_class=[], confusion_matrix=[],
                  intervals=Intervals(accuracy=(low, min(1.0, 2 * accuracy - low)), macro_f1=(low, accuracy),
                                      confidence_level=0.95, resamples=intervals.RESAMPLES, seed=intervals.SEED),
                  baseline=Baseline(class_name="ham", accuracy=trivial))


def test_the_verdict_weighs_the_model_against_always_answering_the_most_common_class():
    level, sentence = baseline.verdict(scored(0.985, 0.978, 0.876))
    assert level == baseline.GOOD
    fewer = 1 - 0.015 / 0.124  # of the 12.4% of texts that always answering "ham" gets wrong, 1.5% remain
    assert f"makes {fewer:.0%} fewer mistakes than always answering “ham”, which would score 87.6%" in sentence
    level, sentence = baseline.verdict(scored(0.89, 0.86, 0.876))
    assert level == baseline.WEAK and "within the margin of error" in sentence
    level, sentence = baseline.verdict(scored(0.882, 0.880, 0.876))
    assert level == baseline.WEAK and "avoids only 5% of the mistakes" in sentence
    level, sentence = baseline.verdict(scored(0.80, 0.77, 0.876))
    assert level == baseline.WORSE and "87.6%, better than the model" in sentence
    level, sentence = baseline.verdict(scored(1.0, 1.0, 1.0))
    assert level == baseline.WEAK and sentence.startswith("Every test text is “ham”")
