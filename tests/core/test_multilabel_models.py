"""Every registered architecture learns several labels per text: independent probabilities, tuples of labels,
thresholds tuned on validation and kept through saving, loading, ONNX export and a later change of them."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from core.architectures import REGISTRY, get_architecture
from core.architectures.base import BUNDLE_FILE, ArchConfig, TextClassifier
from core.data.text_set import TextSet
from core.errors import BundleError
from core.formats.onnx_export import PARITY_TOLERANCE, export
from core.formats.onnx_runtime import MANIFEST_FILE, OnnxClassifier
from core.formats.thresholds import LabelThresholds
from core.models.bundle import write_zip
from core.models.imported import import_model, imported_folder
from core.models.loading import load_model, save_label_thresholds
from tests.conftest import WORDS
from tests.core.test_architectures import small_config
from tests.core.test_loading import model_files, zip_of

# Zero-shot gives one class per text (tests/core/test_zero_shot.py checks that it says so).
ARCHS = [name for name in REGISTRY if name != "zero_shot"]
LABELS = sorted(WORDS)


def multilabel_texts(n: int, seed: int) -> TextSet:
    """Texts with the words of one, two or none of the topics, labelled with exactly those topics."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        chosen = tuple(sorted(rng.sample(LABELS, k=i % 3))) if i % 7 else ()
        if i % 5 == 0 and len(chosen) < 2:
            chosen = tuple(sorted({*chosen, LABELS[i % 3]}))
        words = [w for label in chosen for w in rng.choices(WORDS[label], k=3)]
        texts.append(" ".join(rng.sample(words, len(words))))
        labels.append(chosen)
    return TextSet(texts, labels, multilabel=True)


TRAIN, VAL, TEST = multilabel_texts(90, 0), multilabel_texts(30, 1), multilabel_texts(20, 2)


@dataclass
class Fitted:
    name: str
    model: TextClassifier


@pytest.fixture(scope="module")
def config(tiny_bert) -> Callable[[str], ArchConfig]:
    """`config(name)`: small settings for architecture `name`, the pretrained ones loading the session's tiny BERT."""

    def make(name: str) -> ArchConfig:
        made = small_config(get_architecture(name))
        if hasattr(made, "model"):
            made.model = str(tiny_bert)
        return made

    return make


@pytest.fixture(scope="module")
def fit_once(config) -> Callable[[str], Fitted]:
    """`fit_once(name)`: architecture `name` fit on the tiny multi-label texts, once per module."""
    fits: dict[str, Fitted] = {}

    def fit(name: str) -> Fitted:
        if name not in fits:
            fits[name] = Fitted(name, get_architecture(name).model_cls(config(name)).fit(TRAIN, VAL))
        return fits[name]

    return fit


@pytest.fixture(params=ARCHS)
def fitted(request, fit_once) -> Fitted:
    return fit_once(request.param)


@pytest.fixture
def tfidf(fit_once) -> TextClassifier:
    """One architecture, for what every architecture does alike (reading and writing thresholds)."""
    return fit_once("tfidf").model


def truth(data: TextSet) -> np.ndarray:
    return np.array([[label in row for label in LABELS] for row in data.labels], dtype=int)


def test_probabilities_are_each_labels_own(fitted):
    model = fitted.model
    assert model.multilabel_ and model.classes_.tolist() == LABELS
    proba = model.predict_proba(TEST.texts)
    assert proba.shape == (len(TEST.texts), len(LABELS))
    assert np.all(proba >= 0) and np.all(proba <= 1)
    assert not np.allclose(proba.sum(axis=1), 1.0, atol=1e-3)
    # It learned: each label's probability is higher on the texts that have it than on those that do not.
    for k in range(len(LABELS)):
        has = truth(TEST)[:, k] == 1
        assert proba[has, k].mean() > proba[~has, k].mean() + 0.2


def test_predict_gives_each_text_its_labels(fitted):
    model = fitted.model
    predicted = model.predict(TEST.texts)
    assert all(isinstance(row, tuple) and set(row) <= set(LABELS) for row in predicted)
    chosen = model.label_thresholds_.decide(model.predict_proba(TEST.texts), model.classes_)
    assert predicted == [tuple(np.array(LABELS)[row == 1]) for row in chosen]
    assert np.mean([set(p) == set(t) for p, t in zip(predicted, TEST.labels)]) >= 0.6


def test_word_weights_follow_one_labels_probability(fitted):
    weighed = fitted.model.token_gradients("goal pasta laptop", LABELS.index("sport"))
    if weighed is not None:  # a model with token vectors to take gradients of
        spans, weights = weighed
        assert len(spans) == len(weights) and np.isfinite(weights).all()


def test_a_fine_tuned_model_tells_hugging_face_it_scores_each_label_alone(fit_once, tmp_path):
    fit_once("finetune").model.save(tmp_path / "model")
    saved = json.loads((tmp_path / "model" / "hf" / "config.json").read_text(encoding="utf-8"))
    assert saved["problem_type"] == "multi_label_classification"


def test_thresholds_are_tuned_on_validation_and_kept(fitted, tmp_path):
    model = fitted.model
    thresholds = model.label_thresholds_
    assert set(thresholds.thresholds) == set(LABELS) and not thresholds.at_least_one
    assert all(0 < t < 1 for t in thresholds.thresholds.values())
    model.save(tmp_path / "model")
    bundle = json.loads((tmp_path / "model" / BUNDLE_FILE).read_text(encoding="utf-8"))
    assert bundle["multilabel"] is True and bundle["label_thresholds"] == thresholds.to_dict()
    write_zip(tmp_path / "model", {}, tmp_path / "model.zip")
    loaded = load_model(tmp_path / "model.zip")
    assert loaded.multilabel_ and loaded.label_thresholds_ == thresholds
    np.testing.assert_allclose(loaded.predict_proba(TEST.texts), model.predict_proba(TEST.texts), rtol=0, atol=1e-12)
    assert loaded.predict(TEST.texts) == model.predict(TEST.texts)


def test_without_validation_texts_every_threshold_is_one_half(config):
    model = get_architecture("tfidf").model_cls(config("tfidf")).fit(TRAIN)
    assert model.label_thresholds_.for_classes(model.classes_).tolist() == [0.5] * len(LABELS)


def test_onnx_export_gives_each_labels_probability(fitted, tmp_path):
    model = fitted.model
    manifest = export(model, tmp_path / "onnx", TEST.texts + ["", "zzz qqq"])
    assert manifest["multilabel"] is True and manifest["label_thresholds"] == model.label_thresholds_.to_dict()
    assert manifest["parity"]["max_difference"] <= PARITY_TOLERANCE
    onnx = load_model(tmp_path / "onnx")
    assert isinstance(onnx, OnnxClassifier) and onnx.multilabel_
    assert onnx.label_thresholds_ == model.label_thresholds_
    assert np.abs(onnx.predict_proba(TEST.texts) - model.predict_proba(TEST.texts)).max() <= PARITY_TOLERANCE
    assert onnx.predict(TEST.texts) == model.predict(TEST.texts)


@pytest.mark.parametrize("name", ["tfidf", "fasttext"])
def test_changed_thresholds_are_written_into_the_saved_model_and_its_export(name, fit_once, tmp_path):
    model = fit_once(name).model
    changed = LabelThresholds({"food": 0.9, "sport": 0.1}, fallback=0.3, at_least_one=True)
    model.save(tmp_path / "model")
    save_label_thresholds(tmp_path / "model", changed)
    export(model, tmp_path / "onnx")
    save_label_thresholds(tmp_path / "onnx", changed)
    for folder in ("model", "onnx"):
        loaded = load_model(tmp_path / folder)  # checksums are checked: they were written anew
        assert loaded.label_thresholds_ == changed
        assert all(len(row) >= 1 for row in loaded.predict(["", "zzz qqq"] + TEST.texts))


def test_an_imported_model_keeps_its_thresholds(tfidf, tmp_path):
    tfidf.save(tmp_path / "model")
    write_zip(tmp_path / "model", {"README.md": "card"}, tmp_path / "model.zip")
    info = import_model((tmp_path / "model.zip").read_bytes(), "model.zip", root=tmp_path)
    loaded = load_model(imported_folder(info.id, tmp_path))
    assert loaded.multilabel_ and loaded.label_thresholds_ == tfidf.label_thresholds_


def test_thresholds_of_a_single_label_model_cannot_be_saved(tmp_path):
    arch = get_architecture("tfidf")
    texts = TextSet(TRAIN.texts, [row[0] if row else "none" for row in TRAIN.labels])
    arch.model_cls(small_config(arch)).fit(texts).save(tmp_path / "model")
    with pytest.raises(ValueError, match="gives each text one label"):
        save_label_thresholds(tmp_path / "model", LabelThresholds())


def test_thresholds_naming_other_labels_are_refused(tfidf, tmp_path):
    tfidf.save(tmp_path / "model")
    with pytest.raises(ValueError, match="does not have: weather"):
        save_label_thresholds(tmp_path / "model", LabelThresholds({"weather": 0.5}))


@pytest.mark.parametrize("change, message", [
    (lambda b: b.update(multilabel="yes"), "'multilabel' in bundle.json must be true or false"),
    (lambda b: b["label_thresholds"]["thresholds"].update(food=7), "threshold of 'food' must be a number between 0"),
    (lambda b: b.update(label_thresholds=[0.5]), "must be a mapping"),
    (lambda b: b["label_thresholds"].update(thresholds="high"), "must map each label to a number"),
    (lambda b: b["label_thresholds"]["thresholds"].update(weather=0.5), "does not have: weather"),
    (lambda b: b["label_thresholds"].update(at_least_one="no"), "must be true or false"),
])
def test_hostile_thresholds_are_refused_with_a_clear_message(tfidf, tmp_path, change, message):
    tfidf.save(tmp_path / "model")
    files = model_files(tmp_path / "model", checksums=False)
    bundle = json.loads(files[BUNDLE_FILE])
    change(bundle)
    files[BUNDLE_FILE] = json.dumps(bundle).encode()
    with pytest.raises(BundleError, match=message):
        load_model(zip_of(tmp_path / "edited.zip", files))


def test_hostile_onnx_thresholds_are_refused(tfidf, tmp_path):
    export(tfidf, tmp_path / "onnx")
    files = model_files(tmp_path / "onnx", checksums=False)
    manifest = json.loads(files[MANIFEST_FILE])
    manifest["label_thresholds"]["fallback"] = -1
    files[MANIFEST_FILE] = json.dumps(manifest).encode()
    with pytest.raises(BundleError, match="fallback threshold must be a number between 0 and 1"):
        load_model(zip_of(tmp_path / "edited.zip", files))


@pytest.mark.parametrize("name", [n for n in ARCHS if "class_weights" in
                                  {f for f in get_architecture(n).config_cls.__dataclass_fields__}][:1])
def test_class_weights_weigh_each_labels_positives(name, config):
    settings = config(name)
    settings.class_weights = True
    model = get_architecture(name).model_cls(settings).fit(TRAIN, VAL)
    assert model.predict_proba(TEST.texts).shape == (len(TEST.texts), len(LABELS))


@pytest.mark.parametrize("name, classifier", [("tfidf", "logistic_regression"), ("tfidf", "linear_svm"),
                                              ("tfidf", "naive_bayes"), ("sentence_embeddings", None)])
def test_a_label_every_training_text_has_is_learned_and_saved(name, classifier, config, tmp_path):
    """One-vs-rest keeps a constant answer for it, which loads again from skops and exports to ONNX."""
    settings = config(name)
    if classifier:
        settings.classifier = classifier
    everywhere = TextSet(TRAIN.texts, [tuple(sorted({*row, "news"})) for row in TRAIN.labels], multilabel=True)
    with pytest.warns(UserWarning, match="present in all training examples"):
        model = get_architecture(name).model_cls(settings).fit(everywhere)
    assert model.predict_proba(TEST.texts)[:, model.classes_.tolist().index("news")].min() == 1.0
    model.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    np.testing.assert_allclose(loaded.predict_proba(TEST.texts), model.predict_proba(TEST.texts), rtol=0, atol=1e-12)
    export(model, tmp_path / "onnx", TEST.texts)


def test_the_linear_svm_names_a_label_too_rare_to_calibrate(config):
    settings = config("tfidf")
    settings.classifier = "linear_svm"
    rare = TextSet(TRAIN.texts, [("weather",) if i == 0 else row for i, row in enumerate(TRAIN.labels)], True)
    with pytest.raises(ValueError, match="with each label and without it; these have only one: weather"):
        get_architecture("tfidf").model_cls(settings).fit(rare)


def test_one_label_is_not_enough(config):
    with pytest.raises(ValueError, match="needs at least 2 labels"):
        get_architecture("tfidf").model_cls(config("tfidf")).fit(TextSet(["a b", "c d"], [("x",), ()], multilabel=True))
