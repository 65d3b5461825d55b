"""What each family does beyond the shared suite: padding that changes nothing, its options, its own errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
import skops.io as sio
import torch
from safetensors.torch import load_file, save_file

from core.architectures.base import BUNDLE_FILE
from core.architectures.bilstm import AttentionPooling, BiLSTMClassifier, BiLSTMConfig
from core.architectures.fasttext import FastTextClassifier, FastTextConfig, FastTextModule, hashed_ngrams
from core.architectures.scratch import WEIGHTS_FILE
from core.architectures.tfidf import CALIBRATION_TYPES, CLASSIFIERS, TfidfClassifier, TfidfConfig
from core.architectures.transformer import TransformerClassifier, TransformerConfig, TransformerModule
from core.data.splitting import split
from core.data.text_set import TextSet, subset
from core.formats.description import KEY
from core.models.loading import load_model
from tests.conftest import make_texts

TINY = {"epochs": 8, "batch_size": 8, "max_length": 32, "vocab_size": 500, "embedding_dim": 16, "device": "cpu",
        "early_stopping_patience": 0}


@pytest.fixture(scope="module")
def data() -> tuple[TextSet, TextSet, TextSet]:
    parts = split(make_texts(), seed=0)
    return subset(parts, "train"), subset(parts, "val"), subset(parts, "test")


def accuracy(model, data: TextSet) -> float:
    return float((model.predict(data.texts) == np.asarray(data.labels, dtype=object)).mean())


def padded(ids: list[int], length: int) -> tuple[torch.Tensor, torch.Tensor]:
    tokens = torch.tensor([ids + [0] * (length - len(ids))])
    return tokens, tokens != 0


def same_logits_however_padded(module: torch.nn.Module, ids: list[int]) -> None:
    module.eval()
    with torch.no_grad():
        tight, loose = module(*padded(ids, len(ids))), module(*padded(ids, len(ids) + 9))
    torch.testing.assert_close(tight, loose, atol=1e-5, rtol=0)


def same_predictions_in_any_batch(model, texts: list[str]) -> None:
    """Alone, a short text is not padded; next to a long one it is. Its probabilities must not change."""
    long = " ".join(texts) * 2
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(model.predict_proba([*texts, long])[: len(texts)], alone, atol=1e-5, rtol=0)


# fastText

def test_hashed_ngrams_cover_real_tokens_only():
    tokens = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 0, 0, 0]])
    bigrams = hashed_ngrams(tokens, tokens != 0, 2, vocab_size=50, buckets=1000)
    assert bigrams.shape == (2, 4)
    assert (bigrams[0, :2] >= 50).all() and (bigrams[0, :2] < 1050).all() and bigrams[1, 0] >= 50
    assert bigrams[0, 2:].tolist() == [0, 0] and bigrams[1, 1:].tolist() == [0, 0, 0]
    assert bigrams[0, 0] != bigrams[0, 1]  # (5, 6) and (6, 7) are different pairs
    order = hashed_ngrams(torch.tensor([[6, 5]]), torch.tensor([[True, True]]), 2, 50, 1000)
    assert order[0, 0] != bigrams[0, 0]  # "5 6" and "6 5" are different pairs too
    assert hashed_ngrams(tokens[:, :1], tokens[:, :1] != 0, 2, 50, 1000).shape == (2, 0)


@pytest.mark.parametrize("ngrams", [1, 2, 3])
def test_fasttext_ignores_padding(ngrams):
    torch.manual_seed(0)
    cfg = FastTextConfig(embedding_dim=8, buckets=1000, ngrams=ngrams)
    module = FastTextModule(vocab_size=50, n_classes=3, cfg=cfg)
    assert module.embedding.num_embeddings == 50 + (1000 if ngrams > 1 else 0)
    same_logits_however_padded(module, [5, 6, 7, 8])


def test_fasttext_updates_only_the_rows_its_batch_uses():
    model = FastTextClassifier(FastTextConfig(embedding_dim=8, buckets=1000))
    model.module_ = FastTextModule(vocab_size=50, n_classes=3, cfg=model.config)
    optimizer = model._optimizer(torch.device("cpu"))
    before = model.module_.embedding.weight.detach().clone()
    tokens, mask = padded([5, 6, 7], 5)
    torch.nn.functional.cross_entropy(model.module_(tokens, mask), torch.tensor([1])).backward()
    assert model.module_.embedding.weight.grad.is_sparse
    optimizer.step()
    changed = (model.module_.embedding.weight.detach() != before).any(dim=1).nonzero().flatten().tolist()
    bigrams = hashed_ngrams(tokens, mask, 2, 50, 1000)[0, :2].tolist()
    assert changed == sorted([5, 6, 7, *bigrams])


def test_fasttext_predictions_do_not_depend_on_the_batch(data):
    train, val, test = data
    cfg = FastTextConfig.from_dict({**TINY, "learning_rate": 0.5, "buckets": 1000})
    model = FastTextClassifier(cfg).fit(train, val)
    assert accuracy(model, test) >= 0.9
    same_predictions_in_any_batch(model, test.texts[:4])


# Transformer

def test_transformer_ignores_padding():
    torch.manual_seed(0)
    cfg = TransformerConfig(embedding_dim=16, num_heads=2, num_layers=2, ff_dim=32, max_length=32)
    same_logits_however_padded(TransformerModule(vocab_size=50, n_classes=3, cfg=cfg), [5, 6, 7, 8])


def test_transformer_predictions_do_not_depend_on_the_batch(data):
    train, val, test = data
    cfg = TransformerConfig.from_dict({**TINY, "learning_rate": 0.01, "num_heads": 2, "num_layers": 1, "ff_dim": 32})
    model = TransformerClassifier(cfg).fit(train, val)
    assert accuracy(model, test) >= 0.9
    same_predictions_in_any_batch(model, test.texts[:4])


def test_heads_that_do_not_divide_the_vector_are_a_clear_error():
    with pytest.raises(ValueError, match=r"embedding_dim \(30\) must be a multiple of num_heads \(4\).*"
                                         r"num_heads=3 or embedding_dim=32"):
        TransformerConfig.from_dict({"embedding_dim": 30, "num_heads": 4})


@pytest.mark.parametrize("preset", ["quick", "balanced", "best"])
def test_transformer_presets_are_valid(preset):
    cfg = TransformerConfig.preset(preset, n_train=5000)
    assert cfg.embedding_dim % cfg.num_heads == 0


# BiLSTM / BiGRU

def test_attention_pooling_ignores_padded_positions():
    torch.manual_seed(0)
    pooling = AttentionPooling(4)
    outputs = torch.randn(1, 5, 4)
    mask = torch.tensor([[True, True, True, False, False]])
    noisy = outputs.clone()
    noisy[0, 3:] = 1e4
    torch.testing.assert_close(pooling(outputs, mask), pooling(noisy, mask))
    torch.testing.assert_close(pooling(outputs, mask), pooling(outputs[:, :3], mask[:, :3]))


@pytest.mark.parametrize("cell,pooling", [("gru", "attention"), ("lstm", "attention"), ("gru", "final")])
def test_recurrent_options_train_and_reload(cell, pooling, data, tmp_path):
    train, val, test = data
    cfg = BiLSTMConfig.from_dict({**TINY, "learning_rate": 0.01, "hidden_size": 16, "cell": cell, "pooling": pooling})
    model = BiLSTMClassifier(cfg).fit(train, val)
    assert isinstance(model.module_.rnn, torch.nn.GRU if cell == "gru" else torch.nn.LSTM)
    assert accuracy(model, test) >= 0.9
    same_predictions_in_any_batch(model, test.texts[:4])
    model.save(tmp_path / "model")
    reloaded = load_model(tmp_path / "model")
    np.testing.assert_allclose(reloaded.predict_proba(test.texts), model.predict_proba(test.texts), atol=1e-6, rtol=0)


def test_a_bilstm_saved_before_gru_and_attention_still_loads(data, tmp_path):
    """Such a model's bundle lacks `cell` and `pooling`, and its weights call the recurrent layer `lstm`."""
    train, val, test = data
    cfg = BiLSTMConfig.from_dict({**TINY, "learning_rate": 0.01, "hidden_size": 16, "pooling": "final"})
    model = BiLSTMClassifier(cfg).fit(train, val)
    folder = tmp_path / "model"
    model.save(folder)
    bundle = json.loads((folder / BUNDLE_FILE).read_text(encoding="utf-8"))
    for name in ("cell", "pooling"):
        del bundle["config"][name]
    del bundle[KEY]  # nor did models carry checksums then
    (folder / BUNDLE_FILE).write_text(json.dumps(bundle), encoding="utf-8")
    weights = load_file(str(folder / WEIGHTS_FILE))
    save_file({k.replace("rnn.", "lstm.", 1): v for k, v in weights.items()}, str(folder / WEIGHTS_FILE))
    loaded = load_model(folder)
    assert (loaded.config.cell, loaded.config.pooling) == ("lstm", "final")
    np.testing.assert_allclose(loaded.predict_proba(test.texts), model.predict_proba(test.texts), atol=1e-6, rtol=0)


# TF-IDF

@pytest.mark.parametrize("classifier", CLASSIFIERS)
def test_each_tfidf_classifier_learns_and_reloads_exactly(classifier, data, tmp_path):
    train, val, test = data
    model = TfidfClassifier(TfidfConfig(classifier=classifier)).fit(train, val)
    assert accuracy(model, test) >= 0.9
    proba = model.predict_proba(test.texts)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    model.save(tmp_path / "model")
    # Only the types the loader trusts by name; a file holding any other type is refused.
    assert set(sio.get_untrusted_types(file=tmp_path / "model" / "pipeline.skops")) <= set(CALIBRATION_TYPES)
    np.testing.assert_array_equal(load_model(tmp_path / "model").predict_proba(test.texts), proba)


def test_the_svm_needs_two_texts_of_every_class():
    texts = TextSet(["goal match", "match team", "pasta cheese", "cheese bread", "laptop chip"],
                    ["sport", "sport", "food", "food", "tech"])
    with pytest.raises(ValueError, match="at least 2 training texts of every class; these have only one: tech"):
        TfidfClassifier(TfidfConfig(classifier="linear_svm")).fit(texts)
    assert TfidfClassifier(TfidfConfig(classifier="logistic_regression")).fit(texts).classes_.tolist() == [
        "food", "sport", "tech"]


def test_tfidf_presets():
    assert TfidfConfig.preset("quick", 1000).max_ngram == 1
    assert TfidfConfig.preset("balanced", 1000) == TfidfConfig()
    best = TfidfConfig.preset("best", 1000)
    assert (best.classifier, best.max_ngram) == ("linear_svm", 3)
