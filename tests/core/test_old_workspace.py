"""A workspace written before core/ was reorganised by domain still opens: its datasets, runs, reports, models,
exported bundle and a stopped run's checkpoint.

fixtures/workspace_v1 was written by `python -m core train | submit | cancel | export` at commit 8fdf132, from 120
texts of the SMS spam sample: run 1 TF-IDF and run 2 TextCNN (succeeded), run 3 TextCNN cancelled at epoch 47 of 60
with its checkpoint kept, and bundle.zip, run 1 exported. Its database records the dataset's file at the folder it
was written in, which no longer exists: a workspace moved elsewhere must still find its files.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.data.text_set import subset
from core.evaluation.report import load_predictions, load_report
from core.inference.prediction import load_run_model
from core.models.loading import load_model
from core.runs import run_log
from core.runs.worker import execute_run
from core.store.datasets import load_dataset
from core.store.store import Store
from core.training.checkpoints import CHECKPOINT_FILE
from core.workspace import run_dir

OLD = Path(__file__).parent / "fixtures" / "workspace_v1"


@pytest.fixture
def old(tmp_path, monkeypatch) -> Store:
    shutil.copytree(OLD, tmp_path / "moved")
    root = tmp_path / "moved" / "studio"
    monkeypatch.setenv("CLASSIFIER_STUDIO_WORKSPACE", str(root))
    return Store(root)


def test_its_datasets_and_runs_read_as_they_were_written(old):
    (dataset,) = old.list_datasets()
    assert dataset.n_rows == 119 and dataset.classes == ["ham", "spam"] and not dataset.multilabel
    table = load_dataset(old, dataset.id)
    assert len(table) == 119 and set(table["split"]) == {"train", "val", "test"}
    runs = {run.id: run for run in old.list_runs()}
    assert {i: (r.arch, r.status) for i, r in runs.items()} == {
        1: ("tfidf", "succeeded"), 2: ("textcnn", "succeeded"), 3: ("textcnn", "cancelled")}
    assert runs[3].progress.epoch == 47 and runs[3].config["epochs"] == 60


@pytest.mark.parametrize("run_id", [1, 2, 3])
def test_its_reports_and_models_give_what_they_gave(old, run_id):
    folder = run_dir(run_id, old.root)
    report = load_report(folder)
    assert report.accuracy == pytest.approx(old.get_run(run_id).result["accuracy"])
    saved = load_predictions(folder)
    model = load_run_model(old, run_id)
    proba = model.predict_proba(saved["text"].tolist())
    assert list(model.classes_) == ["ham", "spam"]
    np.testing.assert_allclose(proba, saved[["P(ham)", "P(spam)"]].to_numpy(), atol=1e-5, rtol=0)


def test_its_exported_bundle_loads_and_predicts_as_the_run(old):
    test = subset(load_dataset(old, old.list_datasets()[0].id), "test")
    bundled = load_model(OLD / "bundle.zip")
    np.testing.assert_allclose(bundled.predict_proba(test.texts), load_run_model(old, 1).predict_proba(test.texts),
                               atol=1e-6, rtol=0)


def test_its_stopped_run_resumes_from_the_checkpoint(old):
    folder = run_dir(3, old.root)
    assert (folder / CHECKPOINT_FILE).exists()
    assert old.requeue(3)
    run = execute_run(old, 3)
    assert run.status == "succeeded", run_log.read(folder)
    assert run.progress.epoch == 60
    assert "Resumed from the checkpoint at step 517" in run_log.read(folder)
