"""TF-IDF features and a linear classifier (logistic regression, a linear SVM or naive Bayes): the fast baseline
every other model must beat."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from core.architectures.base import ArchConfig, Architecture, OneShotClassifier, option
from core.formats import skops_files
from core.formats.onnx_runtime import ONNX_FILE, VECTORIZER_FILE
from core.training.callbacks import Report

# Chinese, Japanese and Korean are written without spaces between words, so they need character n-grams.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
CLASSIFIERS = ("logistic_regression", "linear_svm", "naive_bayes")
# skops loads only types it knows to be plain data, so a crafted file cannot run code. The calibrated SVM adds two
# private scikit-learn classes, exactly the ones skops.io.get_untrusted_types reports for its pipeline: they hold the
# fitted SVM and the two numbers of its sigmoid. Trusting these names lets no other type through.
CALIBRATION_TYPES = ["sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration"]
# A multi-label model fits one classifier per label (one-vs-rest); for a label that every training text has, or
# none, it keeps that answer in this private class, which holds nothing but the answer.
CONSTANT_TYPES = ["sklearn.multiclass._ConstantPredictor"]
# The linear SVM learns its probabilities from this many cross-validation folds.
SVM_FOLDS = 5
# The fitted pipeline, its vocabulary beside it in pipeline.vocabulary.json (see skops_files.dump_with_vocabulary).
PIPELINE_FILE = "pipeline.skops"


@dataclass
class TfidfConfig(ArchConfig):
    cheap_to_cross_validate = True
    analyzer: str = option("auto", "Word n-grams suit English-like text; character n-grams suit Chinese, Japanese "
                           "and Korean. 'auto' picks from the data.", label="Split texts into",
                           choices=["auto", "word", "char"])
    max_ngram: int = option(2, "Longest n-gram used as a feature (1 = single words or characters).",
                            label="Longest n-gram", min=1, max=5)
    min_df: int = option(2, "Ignore n-grams seen in fewer than this many training texts.",
                         label="Fewest texts per n-gram", min=1, max=100)
    max_features: int = option(200_000, "Keep at most this many of the most frequent n-grams.",
                               label="Most n-grams kept", min=1_000, max=2_000_000)
    classifier: str = option("logistic_regression", "The linear model on the features. Logistic regression gives "
                             "the best-calibrated probabilities; a linear SVM is often a point more accurate; naive "
                             "Bayes trains fastest.", label="Classifier", choices=list(CLASSIFIERS))
    C: float = option(10.0, "Logistic regression's inverse regularization strength: higher fits the training data "
                      "more closely.", label="Regularization (C)", when={"classifier": ["logistic_regression"]},
                      min=0.001, max=1000.0)
    svm_C: float = option(1.0, "The linear SVM's inverse regularization strength: higher fits the training data "
                          "more closely.", label="Regularization (C)", when={"classifier": ["linear_svm"]},
                          min=0.001, max=1000.0)
    nb_alpha: float = option(1.0, "Naive Bayes smoothing: how much weight an n-gram gets in a class it was never "
                             "seen in.", label="Smoothing (alpha)", when={"classifier": ["naive_bayes"]},
                             min=0.001, max=100.0)
    # Naive Bayes counts in one pass; the other two are fit by a solver that iterates.
    max_iter: int = option(1000, "Most solver iterations.", label="Most solver iterations",
                           when={"classifier": ["logistic_regression", "linear_svm"]}, min=50, max=10_000)

    @classmethod
    def preset_values(cls, preset: str, n_train: int) -> dict[str, Any]:
        values = super().preset_values(preset, n_train)
        if preset == "quick":
            values["max_ngram"] = 1
        elif preset == "best":
            # The SVM was the most accurate on every sample, and longer character n-grams catch Chinese words.
            values.update(classifier="linear_svm", max_ngram=3)
        return values


def uses_cjk(texts: Sequence[str], sample: int = 500) -> bool:
    picked = texts[:sample]
    return sum(bool(CJK.search(t)) for t in picked) > len(picked) / 2


def vectorizer(cfg: TfidfConfig, texts: Sequence[str]) -> TfidfVectorizer:
    """The features `cfg` asks for, not yet fit, with n-grams rare among `texts` left out."""
    analyzer = cfg.analyzer if cfg.analyzer != "auto" else ("char" if uses_cjk(texts) else "word")
    # Single-character words count: scikit-learn's default pattern drops "a", "I" and single digits, so a dataset of
    # short codes would end up with no features at all.
    return TfidfVectorizer(analyzer=analyzer, ngram_range=(1, cfg.max_ngram), sublinear_tf=True,
                           token_pattern=r"(?u)\b\w+\b" if analyzer == "word" else None,
                           min_df=min(cfg.min_df, max(1, len(texts) // 10)), max_features=cfg.max_features,
                           dtype=np.float32)


class TfidfClassifier(OneShotClassifier):
    config_cls = TfidfConfig
    arch_name = "tfidf"

    def _fit_once(self, texts: Sequence[str], targets: np.ndarray, report: Report) -> np.ndarray:
        self.pipeline_ = Pipeline([("tfidf", vectorizer(self.config, texts)), ("clf", self._classifier(targets))])
        self.pipeline_.fit(texts, targets)
        return self.predict_proba(texts)

    def _classifier(self, targets: np.ndarray) -> ClassifierMixin:
        """The linear model; for several labels per text (a 0/1 `targets` matrix) one per label, one-vs-rest."""
        cfg = self.config
        if cfg.classifier == "naive_bayes":
            model = ComplementNB(alpha=cfg.nb_alpha)
        elif cfg.classifier == "linear_svm":
            model = self._svm(targets)
        else:
            model = LogisticRegression(C=cfg.C, max_iter=cfg.max_iter, random_state=cfg.seed)
        return OneVsRestClassifier(model) if self.multilabel_ else model

    def _svm(self, targets: np.ndarray) -> CalibratedClassifierCV:
        cfg = self.config
        if self.multilabel_:
            # Each label's SVM is calibrated on the texts with it and those without; a label that every text has, or
            # none, needs no SVM (one-vs-rest keeps its answer), so it sets no limit.
            positives = targets.sum(axis=0)
            fewer_side = np.minimum(positives, len(targets) - positives)
            counts, which = np.where(fewer_side > 0, fewer_side, SVM_FOLDS), "with each label and without it"
        else:
            counts, which = np.bincount(targets), "of every class"
        if counts.min() < 2:
            rare = ", ".join(map(str, self.classes_[counts < 2]))
            raise ValueError(f"The linear SVM learns its probabilities by cross-validation, which needs at least 2 "
                             f"training texts {which}; these have only one: {rare}. Choose logistic "
                             "regression, or add texts of those classes.")
        # One SVM on all the data, with a sigmoid fitted on cross-validated scores to turn its margins into
        # probabilities; the default ensemble would keep one SVM per fold and make the model five times bigger.
        svm = LinearSVC(C=cfg.svm_C, max_iter=cfg.max_iter, random_state=cfg.seed)
        return CalibratedClassifierCV(svm, cv=min(SVM_FOLDS, int(counts.min())), ensemble=False)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        proba = self.pipeline_.predict_proba(list(texts))
        if self.multilabel_:
            # One-vs-rest scores each label on its own, in `classes_` order (the columns it was fit on).
            return proba.astype(np.float64)
        # The pipeline was fit on class indices, so its columns are already in `classes_` order.
        full = np.zeros((len(texts), len(self.classes_)), dtype=np.float64)
        full[:, self.pipeline_.classes_] = proba
        # The float32 features give float32 probabilities; renormalize in float64 so rows sum to 1 exactly.
        return full / full.sum(axis=1, keepdims=True)

    def export_onnx(self, directory: Path) -> dict[str, Any]:
        # The linear model goes to ONNX; the vectorizer stays scikit-learn's, in skops. skl2onnx can convert it,
        # but ONNX Runtime's tokenizer splits words by other rules (RE2 has no Unicode \w, lowercasing needs a
        # system locale, character n-grams are missing), which moved probabilities by 3e-3 on English test texts.
        # Imported here: skl2onnx brings ONNX with it, over a second of every process's start (the dashboard, the
        # command line, a cold worker) for an export few of them make.
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType

        vectorizer, classifier = self.pipeline_.named_steps["tfidf"], self.pipeline_.named_steps["clf"]
        graph = convert_sklearn(classifier, initial_types=[("features", FloatTensorType([None, len(vectorizer.vocabulary_)]))],
                                options={id(classifier): {"zipmap": False}})
        (directory / ONNX_FILE).write_bytes(graph.SerializeToString())
        skops_files.dump_with_vocabulary(vectorizer, directory / VECTORIZER_FILE)
        return {"input": "tfidf"}

    def _save_weights(self, directory: Path) -> None:
        skops_files.dump_with_vocabulary(self.pipeline_, directory / PIPELINE_FILE)

    def _load_weights(self, directory: Path) -> None:
        self.pipeline_ = skops_files.load_with_vocabulary(directory / PIPELINE_FILE,
                                                          trusted=CALIBRATION_TYPES + CONSTANT_TYPES)

    def _n_outputs(self) -> int:
        # Fit on class indices, so its own classes are 0, 1, ... in `classes_` order; predict_proba pads to
        # `classes_`, so only they tell how many the model scores.
        scored = self.pipeline_.classes_
        if not np.array_equal(scored, np.arange(len(scored))):
            raise ValueError(f"the linear model in {PIPELINE_FILE} does not score classes by their place in the list")
        return len(scored)


ARCHITECTURE = Architecture(
    name="tfidf",
    title="TF-IDF + linear model",
    description="Counts which words (or characters) appear, weighs rare ones up, and fits a linear model: "
                "logistic regression, a linear SVM or naive Bayes. Trains in seconds on a CPU; the baseline "
                "every other model must beat.",
    model_cls=TfidfClassifier,
    summary="Counts words and fits a linear model; trains in seconds.",
)
