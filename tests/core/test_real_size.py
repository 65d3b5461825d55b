"""Full-size samples through the whole life of a model, for each architecture that trains in under a minute here at
the Quick preset: train as a worker does, predict with the run's model, download the bundle, import it, predict,
download the ONNX export, import it, predict. Tiny data once hid a blocker: the recommended TF-IDF model, trained on
a real sample, could not predict, be exported or be imported, while every test passed."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from core.architectures import get_architecture
from core.data.labels import LabelOptions
from core.data.multilabel import indicator, split_labels
from core.data.multilabel_shapes import COLUMNS, LabelShape
from core.data.preparation import prepare
from core.data.samples import get_sample
from core.data.splitting import split
from core.inference.prediction import load_run_model
from core.models.bundle import run_zip
from core.models.imported import import_model, imported_folder
from core.models.loading import load_folder, load_model
from core.runs.worker import execute_run
from core.store.datasets import create_dataset, load_dataset, save_dataset
from core.store.store import DatasetRecord, Store

pytestmark = pytest.mark.e2e
SAMPLES = ("sms_spam", "thucnews")
ARCHS = ("tfidf", "fasttext", "textcnn")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    return Store(tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def datasets(store) -> dict[str, DatasetRecord]:
    """Each sample whole, prepared and split as the Data page does by default."""
    saved = {}
    for name in SAMPLES:
        sample = get_sample(name)
        parts = split(prepare(sample.load(), "text", "label", LabelOptions()), seed=42)
        saved[name] = save_dataset(store, parts, sample.title)
    return saved


@pytest.mark.parametrize("arch_name", ARCHS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_a_full_sample_through_the_life_of_a_model(store, datasets, sample, arch_name):
    dataset = datasets[sample]
    df = load_dataset(store, dataset.id)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"]
    arch = get_architecture(arch_name)
    config = arch.config_cls.preset("quick", len(train)).to_dict()
    run_id = store.create_run(dataset.id, arch_name, config, reserved=True)
    run = execute_run(store, run_id)
    assert run.status == "succeeded", run.error
    # Well above always answering the most common class (SMS spam: 87% ham; THUCNews: 10 balanced classes).
    majority = test["label"].value_counts(normalize=True).iloc[0]
    assert run.result["accuracy"] > majority + 0.05, run.result

    texts = test["text"].tolist()
    model = load_run_model(store, run_id)
    expected = model.predict_proba(texts)
    assert (model.classes_[expected.argmax(axis=1)] == test["label"]).mean() == pytest.approx(run.result["accuracy"])

    for kind, tolerance in (("bundle", 1e-9), ("onnx", 1e-4)):
        download = run_zip(store, run_id, kind)
        for loaded in (load_model(download),
                       load_folder(imported_folder(import_model(download.read_bytes(), download.name, store.root).id,
                                                   store.root))):
            assert list(loaded.classes_) == list(model.classes_)
            assert np.abs(loaded.predict_proba(texts) - expected).max() <= tolerance, (kind, type(loaded))
    assert pd.Series(model.predict(texts[:5])).isin(dataset.classes).all()


def test_the_full_multilabel_sample_through_the_life_of_a_model(store):
    """The disaster messages, 35 labels as 0/1 columns with their published split, as the Data page saves them, with
    the model the Train page recommends first. (Every architecture learns several labels at full size in
    benchmarks/multilabel.py; the tests of each at small size are in test_multilabel_models.py.)"""
    arch_name = "tfidf"
    df = get_sample("disaster").load()
    shape = LabelShape(COLUMNS, label_columns=tuple(df.columns[2:]))
    dataset, parts, _ = create_dataset(store, df, "Disaster messages", "text", None, split_col="split", shape=shape)
    assert dataset.multilabel and len(dataset.classes) == 35
    train, test = parts[parts["split"] == "train"], parts[parts["split"] == "test"]
    arch = get_architecture(arch_name)
    run_id = store.create_run(dataset.id, arch_name, arch.config_cls.preset("quick", len(train)).to_dict(),
                              reserved=True)
    run = execute_run(store, run_id)
    assert run.status == "succeeded", run.error
    # Well above giving every text the most common set of labels ("related" alone, about 0.4 micro-F1).
    assert run.result["multilabel"] and run.result["micro_f1"] > run.result["baseline"]["micro_f1"] + 0.05, run.result

    texts = test["text"].tolist()
    model = load_run_model(store, run_id)
    expected = model.predict_proba(texts)
    truth = indicator([split_labels(joined) for joined in test["label"]], model.classes_)
    chosen = model.label_thresholds_.decide(expected, model.classes_)
    assert f1_score(truth, chosen, average="micro") == pytest.approx(run.result["micro_f1"])
    for kind, tolerance in (("bundle", 1e-9), ("onnx", 1e-4)):
        download = run_zip(store, run_id, kind)
        for loaded in (load_model(download),
                       load_folder(imported_folder(import_model(download.read_bytes(), download.name, store.root).id,
                                                   store.root))):
            assert loaded.multilabel_ and loaded.label_thresholds_ == model.label_thresholds_
            assert np.abs(loaded.predict_proba(texts) - expected).max() <= tolerance, (kind, type(loaded))
            assert loaded.predict(texts[:50]) == model.predict(texts[:50])
