"""Typed records kept as JSON: a report, a download's metrics.json and a run's progress as the version before the
records were typed wrote them (tests/core/fixtures) still load, with the same values, and are written the same."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.evaluation.trust import downloaded_scores, run_scores
from core.evaluation.report_records import Baseline, ClassScores, Report
from core.evaluation.report import REPORT_FILE, evaluate, load_report
from core.store.records import Progress

FIXTURES = Path(__file__).parent / "fixtures"
# The test texts the fixtures' report was computed from.
LABELS = ["ham"] * 9 + ["spam"] * 5
P_SPAM = np.array([.1, .2, .05, .3, .6, .15, .2, .4, .1, .9, .7, .35, .8, .95])
TEXTS = ["hi", "see you soon", "ok", "call me later tonight", "win cash", "lunch?", "meeting at noon",
         "free ticket home", "yes", "WIN a prize now!!", "claim your reward", "your parcel is waiting",
         "urgent: reply now", "free entry in a weekly draw"]


def test_a_saved_report_loads_with_its_values_and_is_saved_again_unchanged(tmp_path):
    saved = (FIXTURES / REPORT_FILE).read_text(encoding="utf-8")
    (tmp_path / REPORT_FILE).write_text(saved, encoding="utf-8")
    report = load_report(tmp_path)
    data = json.loads(saved)
    assert report.accuracy == data["accuracy"] and report.macro_f1 == data["macro_f1"] and report.n_test == 14
    assert report.baseline == Baseline(class_name="ham", accuracy=data["baseline"]["accuracy"])
    assert report.intervals.accuracy == tuple(data["intervals"]["accuracy"])
    assert report.per_class[1] == ClassScores(class_name="spam", precision=0.8, recall=0.8, f1=0.8, support=5)
    assert [c.class_name for c in report.curves] == ["ham", "spam"]
    assert report.calibration.ece == data["calibration"]["ece"]
    assert report.thresholds["spam"].tp == data["thresholds"]["spam"]["tp"]
    assert [s.slice for s in report.length_slices] == [s["slice"] for s in data["length_slices"]]
    assert json.dumps(report.to_dict(), indent=2, ensure_ascii=False) == saved


def test_this_version_writes_the_report_the_previous_one_wrote():
    written = evaluate(LABELS, np.column_stack([1 - P_SPAM, P_SPAM]), ["ham", "spam"], TEXTS)
    assert written.to_dict() == json.loads((FIXTURES / REPORT_FILE).read_text(encoding="utf-8"))


def test_a_first_version_report_without_its_predictions_loads_with_the_parts_it_lacks_empty():
    first = {"n_test": 2, "classes": ["a", "b", "c"], "accuracy": 0.5, "macro_f1": 0.4,
             "per_class": [{"class": c, "precision": 0.5, "recall": 0.5, "f1": 0.4, "support": 1} for c in "abc"],
             "confusion_matrix": [[1, 0, 0], [1, 0, 0], [0, 0, 0]]}
    report = Report.from_dict(first)
    assert report.version == 1 and report.task == "multiclass" and report.baseline is None
    assert report.intervals is None and report.calibration is None
    assert report.curves == report.length_slices == [] and report.thresholds == {}


def test_a_downloaded_models_metrics_give_the_runs_own_scores(tmp_path):
    (tmp_path / REPORT_FILE).write_text((FIXTURES / REPORT_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "metrics.json").write_text((FIXTURES / "metrics.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert downloaded_scores(tmp_path) == run_scores(tmp_path)


@pytest.mark.parametrize("stored", json.loads((FIXTURES / "progress.json").read_text(encoding="utf-8")))
def test_stored_progress_loads_with_its_values(stored):
    data = json.loads(stored)
    progress = Progress.from_dict(data)
    assert {k: getattr(progress, k) for k in data} == data
    assert progress.began == bool(data)
    assert Progress.from_dict(progress.to_dict()) == progress


def test_progress_is_stored_as_the_worker_wrote_it():
    training, testing, empty, _ = json.loads((FIXTURES / "progress.json").read_text(encoding="utf-8"))
    for stored in (training, testing, empty):
        assert Progress.from_dict(json.loads(stored)).to_dict() == json.loads(stored)
