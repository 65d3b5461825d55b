"""Cross-validation: folds that keep each label's share and hold out every text once, probabilities from models that
never saw the text, a run trained with folds that keeps them, and the defaults that turn it on where it is cheap."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from core.architectures import get_architecture
from core.architectures.base import TextClassifier
from core.architectures.tfidf import TfidfClassifier, TfidfConfig
from core.cli.main import main
from core.data.preparation import prepare
from core.data.splitting import split
from core.data.text_set import TextSet
from core.evaluation.cross_validation import OUT_OF_FOLD_FILE, cross_validate, fold_of_each, load_out_of_fold
from core.runs.worker import execute_run
from core.runs.worker_cv import FOLDS_DONE
from core.store.datasets import load_dataset, save_dataset
from core.training.callbacks import Callback
from core.workspace import MODEL_DIR, run_dir
from tests.conftest import make_texts


def tiny(n_per_class: int = 10) -> TextSet:
    df = make_texts(n_per_class).drop_duplicates("text")
    return TextSet(df["text"].tolist(), df["label"].tolist())


class Memoriser(TextClassifier):
    """Certain of the label of every text it was trained on, and of nothing else: any out-of-fold probability that
    is not even would give away a text its fold's model had seen."""

    def fit(self, train, val=None, callbacks=(), checkpoints=None):
        self._encode_labels(train.labels)
        self.seen_ = dict(zip(train.texts, train.labels))
        return self

    def predict_proba(self, texts):
        proba = np.full((len(texts), len(self.classes_)), 1 / len(self.classes_))
        for i, text in enumerate(texts):
            if text in self.seen_:
                proba[i] = self.classes_ == self.seen_[text]
        return proba


def test_folds_hold_out_every_text_once_and_keep_each_class_share():
    data = tiny()
    fold = fold_of_each(data, 5, seed=0)
    assert len(fold) == len(data.texts) and set(fold) == set(range(5))
    counts = pd.crosstab(pd.Series(data.labels), fold)
    assert (counts.max(axis=1) - counts.min(axis=1) <= 1).all(), counts
    assert (fold_of_each(data, 5, seed=0) == fold).all(), "the same seed gives the same folds"


def test_out_of_fold_probabilities_come_from_models_that_never_saw_the_text():
    data = tiny()
    cv = cross_validate(Memoriser, data, folds=4)
    assert np.allclose(cv.proba, 1 / 3), "a fold's model was trained on a text it then scored"
    assert len(cv.scores) == 4 and set(cv.summary()) == {"loss", "accuracy", "macro_f1"}


def test_a_real_model_scores_the_held_out_texts_and_summarises_the_folds():
    data = tiny()
    cv = cross_validate(lambda: TfidfClassifier(TfidfConfig()), data, folds=3)
    assert cv.classes == ["food", "sport", "tech"] and cv.proba.shape == (len(data.texts), 3)
    assert np.allclose(cv.proba.sum(axis=1), 1)
    mean, spread = cv.summary()["accuracy"]
    assert mean == pytest.approx(np.mean([s["accuracy"] for s in cv.scores])) and mean > 0.8 and spread >= 0


def test_several_labels_per_text_are_shared_out_label_by_label():
    base = tiny(12)
    labels = [tuple(sorted((label, "short"))) if i % 2 else (label,) for i, label in enumerate(base.labels)]
    data = TextSet(base.texts, labels, multilabel=True)
    fold = fold_of_each(data, 3, seed=0)
    with_short = pd.Series(["short" in t for t in labels]).groupby(fold).sum()
    assert with_short.max() - with_short.min() <= 1, with_short
    cv = cross_validate(lambda: TfidfClassifier(TfidfConfig()), data, folds=3)
    assert cv.classes == ["food", "short", "sport", "tech"] and cv.proba.shape == (len(data.texts), 4)
    assert {"accuracy", "macro_f1"} <= set(cv.summary())


def test_more_folds_than_texts_is_refused_with_what_to_do():
    data = tiny(2)
    with pytest.raises(ValueError, match=r"between 2 and 6 folds for 6 texts; 7 were asked for\. Choose fewer"):
        fold_of_each(data, 7, seed=0)


class FoldCounter(Callback):
    def __init__(self):
        self.said = []

    def on_progress(self, state):
        if state.task == FOLDS_DONE:
            self.said.append((state.task_done, state.task_total))


@pytest.fixture
def dataset(workspace):
    return save_dataset(workspace, split(prepare(make_texts(), "text", "label"), 0.1, 0.2, 42), "tiny")


def test_a_run_with_folds_keeps_their_predictions_and_scores_and_trains_its_model_as_usual(workspace, dataset):
    counter = FoldCounter()
    run = execute_run(workspace, workspace.create_run(dataset.id, "tfidf", {"cv_folds": 3}), [counter])
    assert run.status == "succeeded", run.error
    assert counter.said == [(1, 3), (2, 3), (3, 3)]
    assert run.result["cv"]["folds"] == 3
    mean, spread = run.result["cv"]["summary"]["accuracy"]
    assert 0.8 < mean <= 1 and spread >= 0
    folder = run_dir(run.id, workspace.root)
    table, classes, proba = load_out_of_fold(folder)
    df = load_dataset(workspace, dataset.id)
    learned = df[df["split"].isin(["train", "val"])]
    assert len(table) == len(learned) and set(table["split"]) == {"train", "val"} and set(table["fold"]) == {0, 1, 2}
    assert (df.loc[table["row"], "text"].to_numpy() == table["text"].to_numpy()).all(), "row: the dataset's row"
    assert classes == sorted(dataset.classes) and proba.shape == (len(learned), 3)
    assert (folder / MODEL_DIR).exists() and run.result["accuracy"] > 0.8, "the model kept is trained as before"


def test_a_run_without_folds_keeps_no_cross_validation(workspace, dataset):
    run = execute_run(workspace, workspace.create_run(dataset.id, "tfidf", {}))
    assert run.status == "succeeded" and "cv" not in run.result
    assert not (run_dir(run.id, workspace.root) / OUT_OF_FOLD_FILE).exists()


def test_folds_the_data_cannot_take_are_a_warning_and_the_run_trains_on(workspace):
    few = save_dataset(workspace, split(prepare(make_texts(4), "text", "label"), 0.1, 0.2, 42), "few")
    run = execute_run(workspace, workspace.create_run(few.id, "tfidf", {"cv_folds": 20}))
    assert run.status == "succeeded" and "cv" not in run.result
    assert any(w.startswith("No cross-validation for this run: Cross-validation needs between 2 and")
               for w in run.result["warnings"]), run.result["warnings"]


def test_stop_while_cross_validating_ends_the_run_with_nothing_kept(workspace, dataset):
    class PressStop(Callback):
        """Presses Stop once the first fold is done, and waits until the worker has seen it."""

        def __init__(self, run_id):
            self.run_id = run_id

        def on_progress(self, state):
            if state.task == FOLDS_DONE and state.task_done == 1:
                workspace.request_cancel(self.run_id)
                for _ in range(100):
                    if workspace.get_run(self.run_id).progress.phase == "stopping":
                        break
                    time.sleep(0.1)

    run_id = workspace.create_run(dataset.id, "tfidf", {"cv_folds": 3})
    run = execute_run(workspace, run_id, [PressStop(run_id)])
    assert run.status == "cancelled"
    folder = run_dir(run_id, workspace.root)
    assert not (folder / MODEL_DIR).exists() and not (folder / OUT_OF_FOLD_FILE).exists()
    assert "Stopped by the user while cross-validating, in fold 2 of 3" in (folder / "run.log").read_text()


def test_cross_validation_is_on_by_default_where_it_is_cheap_and_old_settings_still_read():
    tfidf, fasttext, textcnn = (get_architecture(a).config_cls for a in ("tfidf", "fasttext", "textcnn"))
    assert tfidf.dataset_defaults("balanced", 1_000, 100)["cv_folds"] == 5
    assert fasttext.dataset_defaults("quick", 40_000, 9_999)["cv_folds"] == 5
    assert "cv_folds" not in tfidf.dataset_defaults("balanced", 45_000, 5_000)
    assert "cv_folds" not in textcnn.dataset_defaults("balanced", 1_000, 100)
    assert TfidfConfig.preset("balanced", 1_000) == TfidfConfig(), "the presets themselves are unchanged"
    assert TfidfConfig.from_saved({"seed": 1}).cv_folds == 1, "a model saved before the setting reads as without"
    assert TfidfConfig.from_dict({"cv_folds": "3"}).to_dict()["cv_folds"] == 3
    with pytest.raises(ValueError, match="cv_folds must be between 1 and 20; got 21"):
        TfidfConfig.from_dict({"cv_folds": 21})


def test_train_cv_prints_the_spread_and_report_repeats_it(workspace, tiny_csv, capsys):
    assert main(["train", "--data", str(tiny_csv), "--arch", "tfidf", "--cv", "3"]) == 0
    out = capsys.readouterr()
    summary = out.out.strip().splitlines()
    assert summary[0].startswith("run 1 succeeded: test accuracy")
    assert summary[1].startswith("Cross-validation, 3 folds: accuracy ") and " ± " in summary[1]
    assert "Cross-validation folds done: 3 of 3" in out.err
    assert main(["report", "1"]) == 0
    assert summary[1] in capsys.readouterr().out
    assert main(["train", "--data", str(tiny_csv), "--arch", "tfidf", "--cv", "0"]) == 2
    assert "cv_folds must be between 1 and 20; got 0" in capsys.readouterr().err
