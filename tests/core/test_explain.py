"""Word explanations: word spans, occlusion on any model, gradients on the torch models whose tokens map to words."""
from __future__ import annotations

import numpy as np
import pytest

from core.architectures import TextClassifier, get_architecture
from core.data.text_set import TextSet
from core.inference.attributions import MAX_WORDS, Explanation, gradient, occlusion, per_word, words
from tests.conftest import make_texts
from tests.keyword_model import KeywordModel

SMALL = {"epochs": 8, "batch_size": 8, "learning_rate": 0.01, "max_length": 32, "vocab_size": 500,
         "embedding_dim": 16, "num_filters": 8, "device": "cpu", "early_stopping_patience": 0}
SPORT_TEXT = "well, the goal at the stadium!"


def fit(arch: str, **settings) -> TextClassifier:
    """The architecture trained on the tiny topics, with those of `settings` it has."""
    cls = get_architecture(arch).model_cls
    known = {k: v for k, v in settings.items() if k in cls.config_cls.__dataclass_fields__}
    texts = make_texts()
    return cls(cls.config_cls.from_dict(known)).fit(TextSet(texts["text"].tolist(), texts["label"].tolist()))


@pytest.fixture(scope="module")
def tfidf() -> TextClassifier:
    return fit("tfidf")


@pytest.fixture(scope="module")
def textcnn() -> TextClassifier:
    return fit("textcnn", **SMALL)


@pytest.fixture(scope="module")
def finetune(tiny_bert) -> TextClassifier:
    return fit("finetune", **SMALL, model=str(tiny_bert))


def weight_of(explained: Explanation, word: str) -> float:
    return next(w.weight for w in explained.weights if w.word == word)


def spans_of(explained: Explanation) -> list[tuple[int, int]]:
    return [(w.start, w.end) for w in explained.weights]


# words

def test_words_are_exact_spans_without_punctuation():
    text = "Hello, wörld!  It's 3.5 -- ok?"
    spans = words(text)
    assert [text[s:e] for s, e in spans] == ["Hello", "wörld", "It", "s", "3", "5", "ok"]


def test_each_chinese_or_japanese_character_is_a_word_and_korean_words_are_whole():
    text = "足球比赛，goal! ひらがな 한국어 단어"
    assert [text[s:e] for s, e in words(text)] == ["足", "球", "比", "赛", "goal", "ひ", "ら", "が", "な", "한국어", "단어"]


def test_per_word_sums_overlapping_tokens_and_drops_the_rest():
    spans = [(0, 7), (8, 12)]  # "playing golf"
    tokens = [(0, 0), (0, 4), (4, 7), (8, 12), (12, 13), (0, 0)]  # [CLS] play ing golf ! [SEP]
    np.testing.assert_allclose(per_word(spans, tokens, [9.0, 1.0, 2.0, 4.0, 8.0, 16.0]), [3.0, 4.0])


# occlusion

def test_occlusion_weighs_the_class_word_above_filler(tfidf):
    explained = occlusion(tfidf, SPORT_TEXT)
    assert explained.target == "sport"
    assert spans_of(explained) == words(SPORT_TEXT)
    assert [w.word for w in explained.weights] == ["well", "the", "goal", "at", "the", "stadium"]
    assert weight_of(explained, "goal") > 0.05
    assert weight_of(explained, "goal") > weight_of(explained, "well")
    assert explained.words_left_out == 0


def test_occlusion_predicts_the_text_and_each_variant_in_one_call(tfidf, monkeypatch):
    calls = []
    original = tfidf.predict_proba
    monkeypatch.setattr(tfidf, "predict_proba", lambda texts: calls.append(list(texts)) or original(texts))
    occlusion(tfidf, "goal, pasta")
    assert calls == [["goal, pasta", ", pasta", "goal, "]]


def test_occlusion_for_another_class(tfidf):
    explained = occlusion(tfidf, "goal pasta", target="food")
    assert explained.target == "food"
    assert weight_of(explained, "pasta") > 0 > weight_of(explained, "goal")
    with pytest.raises(ValueError, match="no class 'weather'"):
        occlusion(tfidf, "goal", target="weather")


def test_occlusion_stops_at_max_words(tfidf):
    text = " ".join(["goal"] * (MAX_WORDS + 7))
    explained = occlusion(tfidf, text)
    assert len(explained.weights) == MAX_WORDS
    assert explained.words_left_out == 7


def test_text_without_words_gets_no_weights(tfidf):
    assert occlusion(tfidf, "?!").weights == []


# gradients

def test_gradient_is_none_for_tfidf(tfidf):
    assert gradient(tfidf, SPORT_TEXT) is None


def test_gradient_of_textcnn_finds_the_class_words(textcnn):
    explained = gradient(textcnn, SPORT_TEXT)
    assert explained.target == "sport"
    assert spans_of(explained) == words(SPORT_TEXT)
    weights = np.array([w.weight for w in explained.weights])
    assert np.isfinite(weights).all() and np.abs(weights).max() > 0
    top = max(explained.weights, key=lambda w: w.weight)
    assert top.word in ("goal", "stadium")


def test_gradient_leaves_the_model_as_it_was(textcnn):
    before = textcnn.predict_proba([SPORT_TEXT])
    grads = [None if p.grad is None else p.grad.clone() for p in textcnn.module_.parameters()]
    gradient(textcnn, SPORT_TEXT)
    assert not textcnn.module_.training
    for param, grad in zip(textcnn.module_.parameters(), grads):
        assert (param.grad is None) if grad is None else param.grad.equal(grad)
    np.testing.assert_array_equal(textcnn.predict_proba([SPORT_TEXT]), before)


def test_gradient_of_finetuned_transformer(finetune):
    explained = gradient(finetune, SPORT_TEXT)
    assert spans_of(explained) == words(SPORT_TEXT)
    weights = np.array([w.weight for w in explained.weights])
    assert np.isfinite(weights).all() and np.abs(weights).max() > 0
    assert explained.words_left_out == 0


def test_gradient_leaves_out_words_past_the_maximum_length(finetune):
    text = " ".join(["goal"] * 40)  # [CLS] + 30 words + [SEP] fill max_length 32
    explained = gradient(finetune, text)
    assert len(explained.weights) == 30
    assert explained.words_left_out == 10


def test_occlusion_of_a_multilabel_model_weighs_each_labels_own_words():
    model, text = KeywordModel(), "goal match pasta bread"
    sport, food = occlusion(model, text, "sport"), occlusion(model, text, "food")
    assert (sport.target, food.target) == ("sport", "food")
    # Each label's probability falls from 0.95 to 0.5 without one of its two words, and not at all without the other
    # label's.
    assert [w.weight for w in sport.weights] == pytest.approx([0.45, 0.45, 0.0, 0.0])
    assert [w.weight for w in food.weights] == pytest.approx([0.0, 0.0, 0.45, 0.45])


def test_gradients_of_a_multilabel_model_weigh_each_labels_own_words():
    texts = make_texts(30)
    both = [f"{a} {b}" for a, b in zip(texts["text"][:30], texts["text"][30:60])]
    rows = [(label,) for label in texts["label"]] + [tuple(sorted({a, b})) for a, b in
                                                       zip(texts["label"][:30], texts["label"][30:60])]
    cls = get_architecture("textcnn").model_cls
    model = cls(cls.config_cls.from_dict({k: v for k, v in SMALL.items() if k in cls.config_cls.__dataclass_fields__}))
    model.fit(TextSet(texts["text"].tolist() + both, rows, multilabel=True))
    text = "goal match pasta bread"
    sport, food = gradient(model, text, "sport"), gradient(model, text, "food")
    assert (sport.target, food.target) == ("sport", "food")
    # Each label's own words push it up more than the other label's words do.
    assert min(weight_of(sport, "goal"), weight_of(sport, "match")) > max(weight_of(sport, "pasta"),
                                                                          weight_of(sport, "bread"))
    assert min(weight_of(food, "pasta"), weight_of(food, "bread")) > max(weight_of(food, "goal"),
                                                                         weight_of(food, "match"))
