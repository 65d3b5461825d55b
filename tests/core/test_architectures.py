"""One suite run over every registered architecture, so a newly registered one is covered automatically."""
from __future__ import annotations

import json
import random
from dataclasses import MISSING, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from core.architectures import REGISTRY, Architecture, get_architecture
from core.architectures.base import BUNDLE_FILE, OneShotClassifier, TextClassifier, applies
from core.architectures.neural import length_bucketed
from core.architectures.tokenization import encode, train_tokenizer
from core.data.splitting import split
from core.data.text_set import TextSet, subset
from core.formats.description import KEY
from core.inference.attributions import gradient, occlusion, words
from core.models.loading import load_model
from core.training.callbacks import Callback
from core.training.state import TrainState
from tests.conftest import CHINESE, WORDS

ARCHS = list(REGISTRY)
# Small settings, applied to whichever of them an architecture has: enough for the tiny data, fast on a CPU.
SMALL: dict[str, Any] = {"epochs": 8, "batch_size": 8, "learning_rate": 0.01, "max_length": 32, "vocab_size": 500,
                         "embedding_dim": 16, "num_filters": 8, "hidden_size": 16, "device": "cpu",
                         "early_stopping_patience": 0, "buckets": 1000, "num_layers": 1, "num_heads": 2, "ff_dim": 32}


@pytest.fixture(scope="module", autouse=True)
def small_pretrained_model(tiny_bert):
    """The pretrained families load the session's tiny BERT in place of a real checkpoint."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(SMALL, "model", str(tiny_bert))
        yield


# Settings on another scale in one family: fastText's Adagrad takes larger steps than AdamW; few-shot's pairs make
# 40 steps per training text by default; zero-shot learns nothing from the texts, and the tiny BERT knows none of the
# class names, so each class is described with words of its texts.
SMALL_FOR: dict[str, dict[str, Any]] = {
    "fasttext": {"learning_rate": 0.5},
    "few_shot": {"pair_rounds": 1, "epochs": 1, "learning_rate": 0.001},
    "zero_shot": {"descriptions": "\n".join(f"{label}: {' '.join(words)}"
                                            for label, words in {**WORDS, **CHINESE}.items())},
}


def small_config(arch: Architecture):
    names = {f.name for f in fields(arch.config_cls)}
    small = {**SMALL, **SMALL_FOR.get(arch.name, {})}
    return arch.config_cls.from_dict({k: v for k, v in small.items() if k in names})


class Recorder(Callback):
    """Records every hook call, and optionally stops training once `stop_at` steps are done."""

    def __init__(self, stop_at: int | None = None):
        self.events: list[str] = []
        self.metrics: list[dict[str, float]] = []
        self.stop_at = stop_at
        self.stopped_at: int | None = None
        self.final: TrainState | None = None
        self.progress: list[tuple[str, int, int]] = []

    def on_train_begin(self, state: TrainState) -> None:
        self.events.append("train_begin")

    def on_step_end(self, state: TrainState) -> None:
        self.events.append("step_end")
        if self.stop_at is not None and self.stopped_at is None and state.step >= min(self.stop_at, state.total_steps):
            self.stopped_at = state.step
            state.stop("x")

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        self.events.append("evaluate")
        self.metrics.append(dict(metrics))

    def on_epoch_end(self, state: TrainState) -> None:
        self.events.append("epoch_end")

    def on_train_end(self, state: TrainState) -> None:
        self.events.append("train_end")
        self.final = state

    def on_progress(self, state: TrainState) -> None:
        self.progress.append((state.task, state.task_done, state.task_total))


@dataclass
class Fitted:
    arch: Architecture
    model: TextClassifier
    returned: Any
    recorder: Recorder
    train: TextSet
    val: TextSet
    test: TextSet


def splits(df: pd.DataFrame) -> tuple[TextSet, TextSet, TextSet]:
    parts = split(df, seed=0)
    return subset(parts, "train"), subset(parts, "val"), subset(parts, "test")


def accuracy(model: TextClassifier, data: TextSet) -> float:
    proba = model.predict_proba(data.texts)
    truth = np.searchsorted(model.classes_, np.asarray(data.labels, dtype=object))
    return float((proba.argmax(axis=1) == truth).mean())


@pytest.fixture(scope="module")
def _fits() -> dict[str, Fitted]:
    return {}


@pytest.fixture(params=ARCHS)
def fitted(request, tiny_df, _fits) -> Fitted:
    """Each architecture fit once on the tiny data (held in a module cache), with a recording callback."""
    name = request.param
    if name not in _fits:
        arch = get_architecture(name)
        train, val, test = splits(tiny_df)
        model = arch.model_cls(small_config(arch))
        recorder = Recorder()
        returned = model.fit(train, val, [recorder])
        _fits[name] = Fitted(arch, model, returned, recorder, train, val, test)
    return _fits[name]


def chinese_df(n_per_class: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = [("".join(rng.choices(words, k=5)), label) for label, words in CHINESE.items() for _ in range(n_per_class)]
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=["text", "label"])


# fit / predict

def test_fit_returns_self(fitted):
    assert fitted.returned is fitted.model


def test_classes_sorted(fitted):
    first_seen = list(dict.fromkeys(fitted.train.labels))
    assert first_seen != sorted(first_seen)  # so sorting is really tested
    assert fitted.model.classes_.tolist() == sorted(first_seen)


def test_probabilities(fitted):
    proba = fitted.model.predict_proba(fitted.test.texts)
    assert proba.shape == (len(fitted.test.texts), len(fitted.model.classes_))
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_predict_returns_labels_in_classes_order(fitted):
    model, texts = fitted.model, fitted.test.texts
    predicted = model.predict(texts)
    assert set(predicted) <= set(model.classes_)
    assert predicted.tolist() == model.classes_[model.predict_proba(texts).argmax(axis=1)].tolist()


def test_learns_separable_data(fitted):
    # The columns of predict_proba are read through classes_, so this also checks their order.
    assert accuracy(fitted.model, fitted.test) >= 0.9
    if fitted.arch.name == "zero_shot":
        return  # it compares texts with its class descriptions through a random tiny BERT: four words are too few
    assert fitted.model.predict(["goal match team league", "pasta cheese sauce bread", "laptop chip server code"]
                                ).tolist() == ["sport", "food", "tech"]


def test_unseen_words_and_empty_text_still_get_probabilities(fitted):
    proba = fitted.model.predict_proba(["", "zzzz qqqq xxxx"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_word_explanations(fitted):
    """Occlusion weighs every word of any model; gradients, where a model gives them, every word too."""
    text = "The goal, at the stadium!"
    spans = words(text)
    assert [(w.start, w.end) for w in occlusion(fitted.model, text).weights] == spans
    by_gradient = gradient(fitted.model, text)
    if by_gradient is not None:
        assert [(w.start, w.end) for w in by_gradient.weights] == spans
        assert np.isfinite([w.weight for w in by_gradient.weights]).all()


# callbacks

def test_callbacks_fire_in_order(fitted):
    events, final = fitted.recorder.events, fitted.recorder.final
    assert events[0] == "train_begin" and events[-1] == "train_end"
    assert events.count("train_begin") == events.count("train_end") == 1
    assert events.count("step_end") == final.step == final.total_steps > 0
    assert events.count("evaluate") == events.count("epoch_end") == final.epoch == final.epochs
    # Every epoch's steps come before its evaluation, and each evaluation right before its epoch end.
    for i, event in enumerate(events):
        if event == "evaluate":
            assert events[i - 1] == "step_end" and events[i + 1] == "epoch_end"


def test_a_model_fit_in_one_go_reports_its_progress_in_texts(fitted):
    """The fit and the validation pass count the texts done, so the Train page's bar moves within them."""
    if not isinstance(fitted.model, OneShotClassifier):
        assert fitted.recorder.progress == []
        return
    by_task: dict[str, list[tuple[int, int]]] = {}
    for task, done, total in fitted.recorder.progress:
        by_task.setdefault(task, []).append((done, total))
    assert set(by_task) == {fitted.model.fit_task, "Scoring the validation texts"}
    for reports, n in ((by_task[fitted.model.fit_task], len(fitted.train.texts)),
                       (by_task["Scoring the validation texts"], len(fitted.val.texts))):
        assert reports[0] == (0, n) and reports[-1] == (n, n)
        assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    if fitted.arch.name == "sentence_embeddings":  # one report per batch of texts turned into vectors
        assert len(by_task[fitted.model.fit_task]) >= len(fitted.train.texts) // SMALL["batch_size"]
    assert fitted.recorder.final.task is None


def test_scoring_in_parts_gives_what_scoring_at_once_gives(fitted):
    texts = fitted.test.texts * 3
    reports: list[tuple[int, int]] = []
    proba = fitted.model.predict_proba_reporting(texts, lambda done, total: reports.append((done, total)))
    assert np.allclose(proba, fitted.model.predict_proba(texts))
    assert reports[0] == (0, len(texts)) and reports[-1] == (len(texts), len(texts))


def test_on_evaluate_gets_validation_metrics(fitted):
    assert fitted.recorder.metrics
    for metrics in fitted.recorder.metrics:
        assert {"loss", "accuracy", "macro_f1"} <= set(metrics)
        assert metrics["loss"] >= 0 and 0 <= metrics["accuracy"] <= 1 and 0 <= metrics["macro_f1"] <= 1
    assert fitted.recorder.metrics[-1]["accuracy"] >= 0.8


@pytest.mark.parametrize("name", ARCHS)
def test_callback_stop_ends_training(name, tiny_df):
    arch = get_architecture(name)
    train, val, _ = splits(tiny_df)
    recorder = Recorder(stop_at=2)
    arch.model_cls(small_config(arch)).fit(train, val, [recorder])
    final = recorder.final
    assert final.should_stop and final.stop_reason == "x"
    assert final.step == recorder.stopped_at  # no step after the stop
    if final.total_steps > 2:
        assert final.step < final.total_steps
        assert final.epoch < final.epochs
    assert recorder.events[-1] == "train_end"


# 42 training texts in batches of 8 make 6 steps an epoch: stopped mid-epoch, at the first epoch's end, and in the
# second epoch, once early stopping holds a best epoch's weights.
@pytest.mark.parametrize("stop_at", [5, 6, 8])
def test_a_stopped_run_resumed_from_its_checkpoint_ends_as_an_unbroken_one(fitted, tmp_path, stop_at):
    """Stopped (as by Stop or a killed worker) and fit again on the same checkpoint folder, a model takes the
    steps it had left and ends with the weights of a run never stopped: same seed, same number of steps."""
    config = fitted.model.config
    first = Recorder(stop_at=stop_at)
    fitted.arch.model_cls(config).fit(fitted.train, fitted.val, [first], checkpoints=tmp_path)
    second = Recorder()
    resumed = fitted.arch.model_cls(config).fit(fitted.train, fitted.val, [second], checkpoints=tmp_path)
    assert second.final.step == fitted.recorder.final.step
    if first.final.total_steps > stop_at:
        assert second.events.count("step_end") == fitted.recorder.final.step - first.final.step
        assert second.final.resumed_from == first.final.step
    np.testing.assert_allclose(resumed.predict_proba(fitted.test.texts), fitted.model.predict_proba(fitted.test.texts),
                               atol=1e-6, rtol=0)


# save / load

def test_save_load_round_trip(fitted, tmp_path):
    model, texts = fitted.model, fitted.test.texts + ["", "zzzz unseen"]
    model.save(tmp_path / "model")
    bundle = json.loads((tmp_path / "model" / BUNDLE_FILE).read_text(encoding="utf-8"))
    assert bundle.pop(KEY)["files"].keys() == {p.relative_to(tmp_path / "model").as_posix()
                                               for p in (tmp_path / "model").rglob("*") if p.is_file()} - {BUNDLE_FILE}
    assert bundle == {"arch": fitted.arch.name, "config": model.config.to_dict(), "classes": model.classes_.tolist()}
    for loaded in (fitted.arch.model_cls.load(tmp_path / "model"), load_model(tmp_path / "model")):
        assert type(loaded) is type(model)
        assert loaded.classes_.tolist() == model.classes_.tolist()
        assert loaded.config == model.config
        np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-6, rtol=0)


def test_saved_bundle_has_no_pickle(fitted, tmp_path):
    fitted.model.save(tmp_path / "model")
    names = {p.name for p in (tmp_path / "model").rglob("*")}
    assert not {n for n in names if n.endswith((".pkl", ".pickle", ".joblib", ".pt", ".bin"))}


def test_refit_is_independent_and_reproducible(fitted):
    """Refitting ignores the previous fit, and the same seed on the same data gives the same model."""
    model = fitted.arch.model_cls(fitted.model.config)
    two = [i for i, label in enumerate(fitted.train.labels) if label != "tech"]
    model.fit(TextSet([fitted.train.texts[i] for i in two], [fitted.train.labels[i] for i in two]))
    assert model.classes_.tolist() == ["food", "sport"]
    assert model.predict_proba(fitted.test.texts).shape[1] == 2
    assert model.fit(fitted.train, fitted.val) is model
    assert model.classes_.tolist() == fitted.model.classes_.tolist()
    np.testing.assert_allclose(model.predict_proba(fitted.test.texts), fitted.model.predict_proba(fitted.test.texts),
                               atol=1e-6, rtol=0)


# config

@pytest.mark.parametrize("name", ARCHS)
def test_config_fields_drive_the_form(name):
    config_cls = get_architecture(name).config_cls
    defaults = config_cls()
    specs = {f.name: f for f in fields(config_cls)}
    for f in specs.values():
        assert f.default is not MISSING, f"{f.name} needs a default"
        assert f.metadata.get("help"), f"{f.name} needs help text for the form"
        assert f.metadata.get("label", "")[:1].isupper(), f"{f.name} needs a label in words for the form"
        for other, values in f.metadata.get("when", {}).items():
            assert other in specs and other != f.name, f"{f.name} depends on {other}, which is no setting of {name}"
            choices = specs[other].metadata.get("choices", [True, False])
            assert values and set(values) <= set(choices), f"{f.name}: {other} has no choice {values}"
        assert callable(f.metadata.get("available", bool)), f"{f.name}: 'available' must be a check to call"
    assert config_cls.from_dict(defaults.to_dict()) == defaults  # the defaults are within their own limits
    assert "seed" in defaults.to_dict()


def shown(config_cls, **values) -> set[str]:
    settings = {**config_cls().to_dict(), **values}
    return {f.name for f in fields(config_cls) if applies(f, settings)}


@pytest.mark.parametrize("classifier, own, others", [
    ("logistic_regression", {"C", "max_iter"}, {"svm_C", "nb_alpha"}),
    ("linear_svm", {"svm_C", "max_iter"}, {"C", "nb_alpha"}),
    ("naive_bayes", {"nb_alpha"}, {"C", "svm_C", "max_iter"}),
])
def test_tfidf_shows_only_the_settings_of_the_chosen_classifier(classifier, own, others):
    settings = shown(get_architecture("tfidf").config_cls, classifier=classifier)
    assert own <= settings and not others & settings
    assert {"analyzer", "max_ngram", "classifier", "seed"} <= settings


@pytest.mark.parametrize("bf16, device, offered", [
    (False, "auto", False),  # a CPU, or a GPU without bfloat16
    (True, "auto", True),
    (True, "cuda", True),
    (True, "cpu", False),  # the GPU is there, but the run trains on the CPU
])
def test_mixed_precision_is_offered_only_where_a_gpu_trains_in_bfloat16(monkeypatch, bf16, device, offered):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: bf16)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16)
    for name in ("textcnn", "finetune"):
        assert ("mixed_precision" in shown(get_architecture(name).config_cls, device=device)) is offered, name


@pytest.mark.parametrize("name", ARCHS)
def test_config_rejects_unknown_keys(name):
    config_cls = get_architecture(name).config_cls
    with pytest.raises(ValueError, match="Unknown setting.*no_such_setting"):
        config_cls.from_dict({"no_such_setting": 1})


@pytest.mark.parametrize("name", ARCHS)
def test_config_rejects_out_of_range_values(name):
    config_cls = get_architecture(name).config_cls
    checked = 0
    for f in fields(config_cls):
        meta = f.metadata
        if "min" in meta:
            with pytest.raises(ValueError, match=f"{f.name} must be between"):
                config_cls.from_dict({f.name: meta["min"] - 1})
            checked += 1
        if "max" in meta:
            with pytest.raises(ValueError, match=f"{f.name} must be between"):
                config_cls.from_dict({f.name: meta["max"] * 2 + 1})
            checked += 1
        if "choices" in meta:
            with pytest.raises(ValueError, match=f"{f.name} must be one of"):
                config_cls.from_dict({f.name: "not-a-choice"})
            checked += 1
    assert checked >= 2  # at least the seed's limits


@pytest.mark.parametrize("name", ARCHS)
def test_config_converts_text_values(name):
    """The command line and the form pass text; numbers are converted and checked."""
    config_cls = get_architecture(name).config_cls
    config = config_cls.from_dict({"seed": "7"})
    assert config.seed == 7 and isinstance(config.seed, int)
    with pytest.raises(ValueError):
        config_cls.from_dict({"seed": "seven"})


def test_unknown_architecture():
    with pytest.raises(ValueError, match="no architecture called 'nope'.*tfidf"):
        get_architecture("nope")


# Chinese

def test_tokenizer_splits_cjk_characters():
    tokenizer = train_tokenizer(chinese_df()["text"].tolist(), vocab_size=500, max_length=32)
    assert tokenizer.encode("足球比赛").tokens == ["足", "球", "比", "赛"]
    assert tokenizer.encode("足球 match").tokens[:2] == ["足", "球"]
    ids = encode(tokenizer, ["足球", "", "完全陌生"])
    unk = tokenizer.token_to_id("[UNK]")
    assert len(ids[0]) == 2 and ids[1] == [unk] and set(ids[2]) == {unk}


def test_tokenizer_is_deterministic():
    """The same texts give the same vocabulary, so the same seed on the same data gives the same model."""
    texts = chinese_df()["text"].tolist() + [f"{w}s {w}ing re{w}" for w in ("match", "bake", "code", "league")] * 3
    first = train_tokenizer(texts, vocab_size=500, max_length=32).to_str()
    assert all(train_tokenizer(texts, vocab_size=500, max_length=32).to_str() == first for _ in range(5))


@pytest.mark.parametrize("name", ARCHS)
def test_learns_chinese(name, tmp_path):
    arch = get_architecture(name)
    train, val, test = splits(chinese_df())
    model = arch.model_cls(small_config(arch)).fit(train, val)
    assert model.classes_.tolist() == sorted(CHINESE)
    assert accuracy(model, test) >= 0.9
    assert model.predict(["足球比赛进球", "面条晚餐甜点", "电脑芯片代码"]).tolist() == ["体育", "美食", "科技"]
    model.save(tmp_path / "model")
    np.testing.assert_allclose(load_model(tmp_path / "model").predict_proba(test.texts), model.predict_proba(test.texts),
                               atol=1e-6, rtol=0)


def test_length_bucketed_batches_cover_every_text_once_with_similar_lengths():
    lengths = [random.Random(i).randint(1, 200) for i in range(1000)]
    batches = length_bucketed(lengths, batch_size=16, generator=torch.Generator().manual_seed(0), pool_batches=10)
    assert sorted(i for batch in batches for i in batch) == list(range(1000))
    assert all(len(batch) <= 16 for batch in batches)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 40  # random batches of 16 from 1..200 spread about 170
    again = length_bucketed(lengths, batch_size=16, generator=torch.Generator().manual_seed(0), pool_batches=10)
    assert again == batches


def test_labels_the_model_never_saw_are_an_error_not_a_neighbouring_class():
    model = get_architecture("tfidf").model_cls().fit(TextSet(["a b", "c d", "a c", "d b"], ["x", "y", "x", "y"]))
    with pytest.raises(ValueError, match="not trained on: 0"):
        model._label_indices(["x", "0"])
