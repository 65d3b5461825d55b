"""The multi-label test report: every score equals scikit-learn's, intervals hold the score, the report survives
JSON and its rebuild from the saved predictions, the missed-or-added matrix counts the texts it lists, threshold
sliders rescore exactly, and two multi-label runs compare on paired bootstraps."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (accuracy_score, f1_score, hamming_loss, multilabel_confusion_matrix,
                             precision_recall_fscore_support)

from core.formats.thresholds import LabelThresholds
from core.evaluation import intervals, multilabel_scores
from core.evaluation.multilabel_records import MultilabelReport
from core.evaluation.multilabel_report import evaluate_multilabel, missed_added, multilabel_predictions_table
from core.evaluation.multilabel_slices import behind_cell, differences, mistakes
from core.evaluation.report import REPORT_FILE, keep_thresholds, load_report, report_from_predictions, save_report
from core.evaluation.trust import run_scores
from core.workspace import PREDICTIONS_FILE

CLASSES = ["money", "politics", "sport"]
THRESHOLDS = LabelThresholds({"money": 0.4, "politics": 0.6}, fallback=0.5)


def noisy(n: int = 200, seed: int = 0, skill: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A 0/1 truth matrix and probabilities that lean towards it by `skill`."""
    rng = np.random.default_rng(seed)
    truth = (rng.random((n, len(CLASSES))) < 0.35).astype(int)
    return truth, np.clip(truth * skill + rng.random(truth.shape) * (1 - skill + 0.2), 0, 1)


def as_sets(truth01: np.ndarray) -> list[tuple[str, ...]]:
    return [tuple(c for c, v in zip(CLASSES, row) if v) for row in truth01]


@pytest.fixture
def known() -> tuple[np.ndarray, np.ndarray, MultilabelReport]:
    truth, proba = noisy()
    return truth, proba, evaluate_multilabel(as_sets(truth), proba, CLASSES, THRESHOLDS)


def test_scores_equal_scikit_learn_on_a_hand_built_case():
    truth = [("money",), ("money", "sport"), (), ("politics",), ("sport",)]
    proba = np.array([[0.9, 0.1, 0.2], [0.8, 0.1, 0.3], [0.1, 0.1, 0.1], [0.2, 0.7, 0.6], [0.1, 0.1, 0.9]])
    report = evaluate_multilabel(truth, proba, CLASSES, LabelThresholds())
    t = np.array([[1, 0, 0], [1, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 1]])
    p = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 0], [0, 1, 1], [0, 0, 1]])
    assert report.micro_f1 == pytest.approx(f1_score(t, p, average="micro"))
    assert report.macro_f1 == pytest.approx(f1_score(t, p, average="macro"))
    assert report.weighted_f1 == pytest.approx(f1_score(t, p, average="weighted"))
    # The third text rightly has no label: it scores 1, as scikit-learn's zero_division=1 counts it.
    assert report.samples_f1 == pytest.approx(f1_score(t, p, average="samples", zero_division=1)) == pytest.approx(
        (1 + 2 / 3 + 1 + 2 / 3 + 1) / 5)
    assert report.hamming_loss == pytest.approx(hamming_loss(t, p)) == pytest.approx(2 / 15)
    assert report.subset_accuracy == report.accuracy == pytest.approx(accuracy_score(t, p)) == 0.6
    precision, recall, f1, support = precision_recall_fscore_support(t, p, zero_division=0)
    assert [(r.label, r.precision, r.recall, r.f1, r.support, r.threshold) for r in report.per_label] == [
        (c, pytest.approx(a), pytest.approx(b), pytest.approx(f), s, 0.5)
        for c, a, b, f, s in zip(CLASSES, precision, recall, f1, support)]
    assert report.label_confusion == multilabel_confusion_matrix(t, p).tolist()
    assert report.baseline.labels == "money" and report.baseline.subset_accuracy == pytest.approx(1 / 5)


def test_the_vectorized_scores_equal_scikit_learn_and_the_intervals_hold_each_score(known):
    truth, proba, report = known
    chosen = THRESHOLDS.decide(proba, CLASSES)
    assert multilabel_scores.macro_f1(truth, chosen) == pytest.approx(f1_score(truth, chosen, average="macro"))
    assert multilabel_scores.weighted_f1(truth, chosen) == pytest.approx(f1_score(truth, chosen, average="weighted"))
    assert set(report.intervals) == set(multilabel_scores.SCORES)
    for name, (low, high) in report.intervals.items():
        assert low <= getattr(report, name) <= high, name
        assert low < high, name
    again = evaluate_multilabel(as_sets(truth), proba, CLASSES, THRESHOLDS)
    assert again.intervals == report.intervals, "a fixed seed draws the same intervals"


def test_the_report_survives_json_and_its_rebuild_from_the_saved_predictions(tmp_path, known):
    truth, proba, report = known
    assert MultilabelReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    table = multilabel_predictions_table([f"text {i}" for i in range(len(truth))], as_sets(truth), proba, CLASSES,
                                         THRESHOLDS)
    assert list(table.columns) == ["text", "label", "predicted", "P(money)", "P(politics)", "P(sport)"]
    assert table["label"][0] == "|".join(as_sets(truth)[0])
    table.to_parquet(tmp_path / PREDICTIONS_FILE, index=False)
    assert report_from_predictions(pd.read_parquet(tmp_path / PREDICTIONS_FILE), CLASSES, THRESHOLDS) == report
    save_report(report, tmp_path)
    assert json.loads((tmp_path / REPORT_FILE).read_text())["task"] == "multilabel"
    assert load_report(tmp_path) == report
    assert run_scores(tmp_path) is None, "each label's probability has no reliability bands to trust it by"


def test_keeping_thresholds_redoes_the_predictions_and_the_report(tmp_path, known):
    truth, proba, report = known
    multilabel_predictions_table(list(map(str, range(len(truth)))), as_sets(truth), proba, CLASSES,
                                 THRESHOLDS).to_parquet(tmp_path / PREDICTIONS_FILE, index=False)
    save_report(report, tmp_path)
    stricter = LabelThresholds({c: 0.9 for c in CLASSES}, at_least_one=True)
    kept = keep_thresholds(tmp_path, stricter)
    assert load_report(tmp_path) == kept == evaluate_multilabel(as_sets(truth), proba, CLASSES, stricter)
    predicted = pd.read_parquet(tmp_path / PREDICTIONS_FILE)["predicted"]
    assert (predicted != "").all(), "every text gets at least its most likely label"


def test_the_missed_or_added_matrix_counts_the_texts_behind_each_cell():
    truth = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1], [1, 1, 0], [0, 0, 0]])
    chosen = np.array([[0, 1, 0], [0, 0, 0], [0, 0, 1], [1, 0, 1], [0, 0, 1], [0, 0, 0]])
    matrix = missed_added(truth, chosen)
    # money missed for politics (text 0) and for sport (text 4), which also misses politics for sport; money missed
    # with nothing added (text 1); politics missed with nothing added (text 2); money added, nothing missed (text 3).
    assert matrix.tolist() == [[0, 1, 1, 1],
                               [0, 0, 1, 1],
                               [0, 0, 0, 0],
                               [1, 0, 0, 1]]
    texts = [f"t{i}" for i in range(len(truth))]
    proba = np.where(chosen == 1, 0.9, 0.1)
    predictions = multilabel_predictions_table(texts, as_sets(truth), proba, CLASSES, LabelThresholds())
    names = [*CLASSES, None]
    for i, missed in enumerate(names):
        for j, added in enumerate(names):
            if missed is None or added is None or missed != added:
                assert len(behind_cell(predictions, missed, added)) == matrix[i, j], (missed, added)
    assert behind_cell(predictions, "money", "sport")["text"].tolist() == ["t4"]
    assert behind_cell(predictions, None, None)["text"].tolist() == ["t5"]
    table = differences(predictions)
    assert table.loc[4, "missing"] == ["money", "politics"] and table.loc[4, "extra"] == ["sport"]
    assert mistakes(predictions, "politics")["text"].tolist() == ["t4", "t0", "t2"]
    assert mistakes(predictions, query="T3")["text"].tolist() == ["t3"]


def test_the_threshold_effect_equals_a_direct_recomputation(known):
    truth, proba, _ = known
    moved = LabelThresholds({"money": 0.2, "politics": 0.75, "sport": 0.55}, at_least_one=True)
    effect = multilabel_scores.threshold_effect(truth, proba, CLASSES, moved)
    chosen = moved.decide(proba, CLASSES)
    precision, recall, f1, support = precision_recall_fscore_support(truth, chosen, zero_division=0)
    assert effect.per_label["threshold"].tolist() == [0.2, 0.75, 0.55]
    np.testing.assert_allclose(effect.per_label[["precision", "recall", "f1"]].to_numpy().T, [precision, recall, f1])
    assert effect.per_label["support"].tolist() == support.tolist()
    assert effect.micro_f1 == pytest.approx(f1_score(truth, chosen, average="micro"))
    assert effect.macro_f1 == pytest.approx(f1_score(truth, chosen, average="macro"))
    assert effect.subset_accuracy == pytest.approx(accuracy_score(truth, chosen))


def test_a_clearly_better_multilabel_run_is_significant_on_micro_and_macro_f1():
    truth, good = noisy(n=300, seed=1, skill=0.7)
    _, poor = noisy(n=300, seed=2, skill=0.0)
    a, b = (LabelThresholds().decide(p, CLASSES) for p in (good, poor))
    result = intervals.compare_multilabel(truth, a, b, resamples=300)
    assert result.micro_f1_difference == pytest.approx(f1_score(truth, a, average="micro")
                                                       - f1_score(truth, b, average="micro"))
    assert result.macro_f1_difference == pytest.approx(f1_score(truth, a, average="macro")
                                                       - f1_score(truth, b, average="macro"))
    assert result.micro_f1_interval[0] > 0 and result.significant
    assert result.only_a_right > result.only_b_right and result.mcnemar_p < 0.05
    same = intervals.compare_multilabel(truth, a, a, resamples=100)
    assert same.macro_f1_interval == (0.0, 0.0) and not same.significant and same.mcnemar_p == 1.0


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="one row per test text"):
        evaluate_multilabel([("money",)], np.zeros((2, 3)), CLASSES, LabelThresholds())
    with pytest.raises(ValueError, match="not trained on: weather"):
        evaluate_multilabel([("weather",)], np.zeros((1, 3)), CLASSES, LabelThresholds())
