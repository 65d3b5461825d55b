"""TF-IDF features and a logistic-regression classifier: the fast baseline every other model must beat."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from core.architectures.base import ArchConfig, Architecture, TextClassifier, classification_metrics, option
from core.datasets import TextSet
from core.training import Callback, CallbackList, TrainState

# Chinese, Japanese and Korean are written without spaces between words, so they need character n-grams.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass
class TfidfConfig(ArchConfig):
    analyzer: str = option("auto", "Word n-grams suit English-like text; character n-grams suit Chinese, Japanese "
                           "and Korean. 'auto' picks from the data.", choices=["auto", "word", "char"])
    max_ngram: int = option(2, "Longest n-gram used as a feature (1 = single words or characters).", min=1, max=5)
    min_df: int = option(2, "Ignore n-grams seen in fewer than this many training texts.", min=1, max=100)
    max_features: int = option(200_000, "Keep at most this many of the most frequent n-grams.", min=1_000, max=2_000_000)
    C: float = option(10.0, "Inverse regularization strength: higher fits the training data more closely.", min=0.001, max=1000.0)
    max_iter: int = option(1000, "Most solver iterations.", min=50, max=10_000)


def uses_cjk(texts: Sequence[str], sample: int = 500) -> bool:
    picked = texts[:sample]
    return sum(bool(CJK.search(t)) for t in picked) > len(picked) / 2


class TfidfClassifier(TextClassifier):
    config_cls = TfidfConfig
    arch_name = "tfidf"

    def fit(self, train: TextSet, val: TextSet | None = None, callbacks: Sequence[Callback] = ()) -> "TfidfClassifier":
        cfg = self.config
        hooks = CallbackList(callbacks)
        targets = self._encode_labels(train.labels)
        analyzer = cfg.analyzer if cfg.analyzer != "auto" else ("char" if uses_cjk(train.texts) else "word")
        self.pipeline_ = Pipeline([
            # Single-character words count: scikit-learn's default pattern drops "a", "I" and single digits, so
            # a dataset of short codes would end up with no features at all.
            ("tfidf", TfidfVectorizer(analyzer=analyzer, ngram_range=(1, cfg.max_ngram), sublinear_tf=True,
                                      token_pattern=r"(?u)\b\w+\b" if analyzer == "word" else None,
                                      min_df=min(cfg.min_df, max(1, len(train.texts) // 10)),
                                      max_features=cfg.max_features, dtype=np.float32)),
            ("clf", LogisticRegression(C=cfg.C, max_iter=cfg.max_iter, random_state=cfg.seed)),
        ])
        state = TrainState(epochs=1, steps_per_epoch=1)
        hooks.on_train_begin(state)
        self.pipeline_.fit(train.texts, targets)
        state.step = 1
        state.loss = classification_metrics(targets, self.predict_proba(train.texts))["loss"]
        hooks.on_step_end(state)
        state.epoch = 1
        if val is not None and val.texts:
            state.val_metrics = classification_metrics(self._label_indices(val.labels), self.predict_proba(val.texts))
            hooks.on_evaluate(state, state.val_metrics)
        hooks.on_epoch_end(state)
        hooks.on_train_end(state)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.pipeline_.predict_proba(list(texts))
        # The pipeline was fit on class indices, so its columns are already in `classes_` order.
        full = np.zeros((len(texts), len(self.classes_)), dtype=np.float64)
        full[:, self.pipeline_.classes_] = proba
        # The float32 features give float32 probabilities; renormalize in float64 so rows sum to 1 exactly.
        return full / full.sum(axis=1, keepdims=True)

    def _save_weights(self, directory: Path) -> None:
        sio.dump(self.pipeline_, directory / "pipeline.skops")

    def _load_weights(self, directory: Path) -> None:
        # skops refuses any type outside scikit-learn's own, so a crafted file cannot run code.
        self.pipeline_ = sio.load(directory / "pipeline.skops")


ARCHITECTURE = Architecture(
    name="tfidf",
    title="TF-IDF + logistic regression",
    description="Counts which words (or characters) appear, weighs rare ones up, and fits a linear model. "
                "Trains in seconds on a CPU; the baseline every other model must beat.",
    model_cls=TfidfClassifier,
)
