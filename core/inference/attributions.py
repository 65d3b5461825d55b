"""Which words of a text pushed a model towards its prediction.

`occlusion` works for every model: it takes each word out in turn and sees how far the probability of the class
falls; for a multi-label model that is the label's own probability, so each chosen label has words of its own.
`gradient` asks the model itself, through its gradients, where the model has a vector per token.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.architectures import TextClassifier

# Chinese and Japanese are written without spaces, so each of their characters counts as a word; Korean, which
# puts spaces between words, is split like English.
CJK_CHAR = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
WORD = re.compile(rf"{CJK_CHAR}|(?:(?!{CJK_CHAR})\w)+")
# Occlusion predicts one text per word; past this many words it would keep the page waiting too long.
MAX_WORDS = 200


@dataclass(frozen=True)
class WordWeight:
    start: int
    end: int
    word: str
    weight: float  # above 0: the word pushed towards the class; below 0: away from it


@dataclass(frozen=True)
class Explanation:
    target: str  # the class the weights are about
    weights: list[WordWeight]  # the first words of the text, in order
    words_left_out: int  # words after those, which got no weight (past MAX_WORDS, or past the model's length)


def words(text: str) -> list[tuple[int, int]]:
    """The (start, end) character span of every word; punctuation and spaces belong to none."""
    return [match.span() for match in WORD.finditer(text)]


def _class_index(model: TextClassifier, proba: np.ndarray, target: str | None) -> int:
    if target is None:
        return int(proba.argmax())
    classes = [str(c) for c in model.classes_]
    if target not in classes:
        raise ValueError(f"The model has no class '{target}'. Classes: {', '.join(classes)}.")
    return classes.index(target)


def occlusion(model: TextClassifier, text: str, target: str | None = None) -> Explanation:
    """Each word's weight: the probability of `target` (by default the predicted class) for the whole text,
    minus that probability for the text without the word."""
    spans = words(text)
    kept = spans[:MAX_WORDS]
    proba = model.predict_proba([text, *(text[:start] + text[end:] for start, end in kept)])
    index = _class_index(model, proba[0], target)
    drops = proba[0, index] - proba[1:, index]
    weights = [WordWeight(s, e, text[s:e], float(drop)) for (s, e), drop in zip(kept, drops)]
    return Explanation(str(model.classes_[index]), weights, len(spans) - len(kept))


def gradient(model: TextClassifier, text: str, target: str | None = None) -> Explanation | None:
    """Each word's weight: the sum over its tokens of gradient x input, the first-order estimate of how much the
    token's vector adds to the log-probability of `target` (by default the predicted class; for a multi-label model
    the label's own probability). None for a model without a vector per token."""
    index = _class_index(model, model.predict_proba([text])[0], target)
    scored = model.token_gradients(text, index)
    if scored is None:
        return None
    token_spans, scores = scored
    spans = words(text)
    # The model reads texts only up to its maximum length; words after its last token got no weight.
    read_to = max((end for _, end in token_spans), default=0)
    read = [span for span in spans if span[0] < read_to]
    totals = per_word(read, token_spans, scores)
    weights = [WordWeight(s, e, text[s:e], float(total)) for (s, e), total in zip(read, totals)]
    return Explanation(str(model.classes_[index]), weights, len(spans) - len(read))


def per_word(spans: Sequence[tuple[int, int]], token_spans: Sequence[tuple[int, int]],
             scores: Sequence[float]) -> np.ndarray:
    """Each word's sum of the scores of the tokens that overlap it; tokens of no word (punctuation, [CLS]) drop."""
    ends = [end for _, end in spans]
    totals = np.zeros(len(spans))
    for (start, end), score in zip(token_spans, scores):
        i = bisect_right(ends, start)  # the first word ending after the token starts
        while start < end and i < len(spans) and spans[i][0] < end:
            totals[i] += score
            i += 1
    return totals
