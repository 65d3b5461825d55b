"""The quick model of the Label page: TF-IDF features of the whole pool, computed once, and a logistic regression
refit on the labelled texts in a fraction of a second, with the Train page's TF-IDF settings."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from core.architectures.tfidf import TfidfConfig, vectorizer


class PoolModel:
    """Every text of the pool as TF-IDF features (the vocabulary learnt from the pool itself, which needs no
    labels), ready for a model fit on any subset of them."""

    def __init__(self, texts: Sequence[str], config: TfidfConfig | None = None):
        self.config = config or TfidfConfig()
        self.features = vectorizer(self.config, texts).fit_transform(texts)

    def fit_predict(self, rows: Sequence[int], labels: Sequence[str], classes: Sequence[str]) -> np.ndarray | None:
        """Fit on the texts at `rows` with their `labels`; the probabilities of every text of the pool over
        `classes` (0 for a class with no label yet), or None while fewer than two classes have labels."""
        if len(set(labels)) < 2:
            return None
        model = LogisticRegression(C=self.config.C, max_iter=self.config.max_iter, random_state=self.config.seed)
        labelled = self.features[list(rows)]
        # Only the n-grams of the labelled texts: the others would get a weight of 0 anyway, and the solver's steps
        # over hundreds of thousands of columns made a round take seconds instead of a fraction of one.
        used = np.unique(labelled.indices)
        model.fit(labelled[:, used], list(labels))
        proba = np.zeros((self.features.shape[0], len(classes)))
        columns = [list(classes).index(c) for c in model.classes_]
        proba[:, columns] = model.predict_proba(self.features[:, used])
        return proba
