"""The Results and Compare pages of multi-label runs: headline scores with intervals, the per-label views, the
threshold slider and keeping its thresholds, the texts behind a missed-or-added cell, and two runs compared. The
runs are trained single-label runs whose report and test predictions are replaced by multi-label ones."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.formats.thresholds import LabelThresholds
from core.data.multilabel import indicator
from core.evaluation.comparison import compare_runs
from core.evaluation.multilabel_records import NOTHING
from core.evaluation.multilabel_report import evaluate_multilabel, multilabel_predictions_table
from core.evaluation.multilabel_scores import threshold_effect
from core.evaluation.multilabel_slices import behind_cell
from core.evaluation.report import load_report, save_report
from core.models import loading
from core.runs.worker import execute_run
from core.store.store import Run, Store
from core.wording import literal_markdown as escape_md
from core.workspace import PREDICTIONS_FILE, run_dir
from tests.app.conftest import open_tab
from tests.app.test_results import heatmap_z

CLASSES = ["money", "politics", "sport"]
THRESHOLDS = LabelThresholds({"money": 0.45}, fallback=0.5)


def as_multilabel(store: Store, run: Run, skill: float, seed: int = 0) -> Run:
    """The run, its report and test predictions replaced by a multi-label model's on 120 texts."""
    rng = np.random.default_rng(0)  # the same texts and labels for every run: they share the test split
    truth = (rng.random((120, len(CLASSES))) < 0.35).astype(int)
    noise = np.random.default_rng(seed + 1).normal(size=truth.shape)
    proba = 1 / (1 + np.exp(-(4 * skill * (2 * truth - 1) + noise)))
    labels = [tuple(c for c, v in zip(CLASSES, row) if v) for row in truth]
    folder = run_dir(run.id, store.root)
    texts = [f"text number {i}" for i in range(len(labels))]
    multilabel_predictions_table(texts, labels, proba, CLASSES, THRESHOLDS).to_parquet(folder / PREDICTIONS_FILE,
                                                                                        index=False)
    save_report(evaluate_multilabel(labels, proba, CLASSES, THRESHOLDS), folder)
    return run


@pytest.fixture
def multilabel_run(store: Store, trained_run: Run) -> Run:
    return as_multilabel(store, trained_run, skill=0.2)


def test_the_headline_shows_each_score_with_its_interval(open_page, store, multilabel_run):
    report = load_report(run_dir(multilabel_run.id, store.root))
    at = open_page("results")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    low, high = report.intervals["micro_f1"]
    assert metrics["Micro-F1"] == f"{report.micro_f1:.2f}"
    assert metrics["Every label right"] == f"{report.subset_accuracy:.1%}"
    assert any(c.value.startswith(f"95% interval {low:.2f}–{high:.2f}. Every yes-or-no decision") for c in at.caption)
    assert metrics["Test texts"] == "120"
    assert not at.get("plotly_chart") or "confusion" not in {c.key for c in at.get("plotly_chart")}
    table = at.dataframe[0].value
    assert table["label"].tolist() == [r.label for r in sorted(report.per_label, key=lambda r: r.f1)]
    assert "label_confusions" in {c.key for c in at.get("plotly_chart")}
    open_tab(at, "Curves")
    picker = at.selectbox(key="results.curve_label")
    assert picker.options == [c.class_name for c in sorted(report.curves, key=lambda c: c.average_precision)]
    picker.select("politics").run()
    roc = json.loads(next(c for c in at.get("plotly_chart") if c.key == "roc").proto.spec)["data"]
    assert roc[0]["name"].startswith("politics (AUC")


def test_a_threshold_slider_rescores_live_and_the_thresholds_can_be_kept(open_page, store, multilabel_run,
                                                                         monkeypatch):
    folder = run_dir(multilabel_run.id, store.root)
    saved = []
    monkeypatch.setattr(loading, "save_label_thresholds", lambda d, t: saved.append((d, t)), raising=False)
    at = open_page("results")
    open_tab(at, "Thresholds")
    at.selectbox(key=f"results.threshold_label.{multilabel_run.id}").select("sport").run()
    slider = at.slider(key=f"results.label_threshold.{multilabel_run.id}.sport")
    assert slider.value == 0.5
    assert not at.button, "nothing to keep before a slider moves"
    slider.set_value(0.8).run()
    assert not at.exception
    predictions = pd.read_parquet(folder / PREDICTIONS_FILE)
    truth = indicator([tuple(v.split("|")) if v else () for v in predictions["label"]], CLASSES)
    proba = predictions[[f"P({c})" for c in CLASSES]].to_numpy()
    moved = LabelThresholds({"money": 0.45, "politics": 0.5, "sport": 0.8}, fallback=0.5)
    effect = threshold_effect(truth, proba, CLASSES, moved)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Recall"] == f"{effect.per_label['recall'][2]:.1%}"
    assert metrics["Micro-F1"] == f"{effect.micro_f1:.3f}"

    at.button(key=f"results.keep_thresholds.{multilabel_run.id}").click().run()
    assert not at.exception
    assert saved == [(folder / "model", moved)]
    assert load_report(folder).thresholds == moved
    assert "Kept" in at.success[-1].value


def test_the_texts_behind_a_missed_or_added_cell_and_the_mistakes_with_missing_and_extra_labels(
        open_page, store, multilabel_run):
    folder = run_dir(multilabel_run.id, store.root)
    report = load_report(folder)
    at = open_page("results")
    open_tab(at, "Missed or added")
    counts = heatmap_z(at, "missed_added")
    assert counts.shape == (4, 4) and np.isnan(counts[-1, -1])
    at.selectbox(key=f"results.missed.{multilabel_run.id}").select("sport").run()
    at.selectbox(key=f"results.added.{multilabel_run.id}").select("money").run()
    assert not at.exception
    rows = at.dataframe[0].value
    assert len(rows) == report.missed_added[2][0] > 0
    expected = behind_cell(pd.read_parquet(folder / PREDICTIONS_FILE), "sport", "money")
    assert rows["text"].tolist() == expected["text"].tolist()
    assert rows["missing"].str.contains("sport").all() and rows["extra"].str.contains("money").all()
    at.selectbox(key=f"results.added.{multilabel_run.id}").select(NOTHING).run()
    rows = at.dataframe[0].value
    assert len(rows) == report.missed_added[2][3] > 0 and (rows["extra"] == "").all()

    open_tab(at, "Mistakes")
    at.selectbox(key="results.mistakes.label").select("money").run()
    table = at.dataframe[0].value
    assert len(table) and (table["missing"].str.contains("money") | table["extra"].str.contains("money")).all()


def test_two_multilabel_runs_compare_on_micro_and_macro_f1(open_page, store, trained_run):
    as_multilabel(store, trained_run, skill=0.6, seed=1)
    other = as_multilabel(store, execute_run(store, store.create_run(trained_run.dataset_id, "tfidf", {"C": 0.5})),
                          skill=0.1, seed=2)
    at = open_page("compare")
    assert not at.exception
    result, _ = compare_runs(store, trained_run.id, other.id)
    assert result.micro_f1_interval[0] > 0
    metrics = {m.label: m.value for m in at.metric}
    assert {"Micro-F1, A minus B", "Macro-F1, A minus B", "Every label right, A minus B"} <= set(metrics)
    assert abs(float(metrics["Micro-F1, A minus B"])) == pytest.approx(abs(result.micro_f1_difference), abs=1e-3)


def test_a_single_label_run_next_to_a_multilabel_one_gets_a_clear_message(open_page, store, trained_run):
    other = as_multilabel(store, execute_run(store, store.create_run(trained_run.dataset_id, "tfidf", {"C": 0.5})),
                          skill=0.5)
    at = open_page("compare")
    assert not at.exception
    message = escape_md(f"Run {other.id} gives each text several labels and run {trained_run.id} one label, so "
                        "their scores do not measure the same thing; compare runs of the same kind.")
    assert message in [e.value for e in at.error]
