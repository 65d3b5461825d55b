"""A frozen pretrained encoder turns each text into one vector; logistic regression learns the labels from those."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from torch import nn

from core.architectures.base import ArchConfig, Architecture, OneShotClassifier, TextClassifier, option
from core.architectures.tfidf import CONSTANT_TYPES
from core.architectures.pretrained import (MINILM, SUGGESTIONS, load_encoder, load_saved_encoder, load_saved_tokenizer,
                                           load_tokenizer, mean_pool, save_model, unknown_token_warning)
from core.formats import skops_files
from core.formats.onnx_export import Probabilities, export_hf_tokenizer, export_module
from core.formats.onnx_runtime import ONNX_FILE
from core.training.callbacks import Report
from core.training.device import DEVICE_CHOICES, pick_device

# The encoder and its tokenizer, copied next to the classifier so the model works without its original source.
HF_FOLDER = "hf"
HEAD_FILE = "head.skops"
# The score of a label the training texts all had (or none had): sigmoid(40) is 1 in float32, sigmoid(-40) 4e-18.
CONSTANT_SCORE = 40.0


@dataclass
class EncoderConfig(ArchConfig):
    """The settings of every model that reads texts through a pretrained sentence encoder."""
    model: str = option(MINILM, "The pretrained encoder: a Hugging Face Hub name, or a folder that holds a saved "
                        "model (config.json and its weights). Sentence-transformers models give the best vectors.",
                        suggestions=list(SUGGESTIONS), label="Pretrained model")
    max_length: int = option(128, "Tokens read per text; longer texts are cut.", label="Max length (tokens)",
                             min=8, max=4096)
    batch_size: int = option(64, "Texts encoded at once; lower it if the server runs out of memory.",
                             label="Batch size", min=1, max=1024)
    device: str = option("auto", "Where to encode: 'auto' picks a GPU when the server has one.", label="Device",
                         choices=list(DEVICE_CHOICES))


@dataclass
class SentenceEmbeddingsConfig(EncoderConfig):
    C: float = option(10.0, "Inverse regularization strength: higher fits the training data more closely.",
                      label="Regularization (C)", min=0.001, max=1000.0)


def linear_scores(head: LogisticRegression | OneVsRestClassifier) -> tuple[np.ndarray, np.ndarray]:
    """The weights and biases that give the head's scores; one row per label for a one-vs-rest head, where a label
    every training text has (or none) scores a constant far enough out that its sigmoid is 1 (or 0) in float32."""
    if not isinstance(head, OneVsRestClassifier):
        return head.coef_, head.intercept_
    rows = [(e.coef_[0], e.intercept_[0]) if hasattr(e, "coef_") else (np.zeros(head.n_features_in_),
            CONSTANT_SCORE if e.y_[0] else -CONSTANT_SCORE) for e in head.estimators_]
    return np.stack([w for w, _ in rows]), np.array([b for _, b in rows])


class EmbeddingHead(nn.Module):
    """The encoder, mean pooling and a fixed linear layer (the logistic regression's, or the zero-shot model's
    class vectors) as one module, so they export as one graph."""

    def __init__(self, encoder: nn.Module, weight: np.ndarray, bias: np.ndarray, multilabel: bool):
        super().__init__()
        self.encoder = encoder
        self.weight = nn.Parameter(torch.tensor(weight, dtype=torch.float32), requires_grad=False)
        self.bias = nn.Parameter(torch.tensor(bias, dtype=torch.float32), requires_grad=False)
        self.multilabel = multilabel

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=tokens, attention_mask=mask.long()).last_hidden_state
        scores = mean_pool(hidden.float(), mask) @ self.weight.T + self.bias
        # With two classes scikit-learn keeps one score, for the second class; softmax over (0, score) is its
        # sigmoid. One-vs-rest keeps one per label, each its own sigmoid.
        single = scores.shape[1] == 1 and not self.multilabel
        return torch.cat([torch.zeros_like(scores), scores], dim=1) if single else scores


class EmbeddingModel(TextClassifier):
    """What the models that read texts as one vector each share: the encoder (`encoder_`, `tokenizer_`), a head on
    its vectors (`head_`, logistic regression), scoring, saving and ONNX export."""

    def check_data(self, texts: Sequence[str]) -> list[str]:
        warning = unknown_token_warning(load_tokenizer(self.config.model), texts, self.config.model)
        return [warning] if warning else []

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in load_tokenizer(self.config.model)(list(texts), verbose=False)["input_ids"]]

    def _fit_head(self, features: np.ndarray, targets: np.ndarray) -> None:
        """Logistic regression on the texts' vectors (one per label, for several labels per text)."""
        head = LogisticRegression(C=self.config.C, max_iter=2000, random_state=self.config.seed)
        self.head_ = (OneVsRestClassifier(head) if self.multilabel_ else head).fit(features, targets)

    @torch.no_grad()
    def embed(self, texts: Sequence[str], report: Report | None = None) -> np.ndarray:
        """One unit-length vector per text, from batches of similar lengths so little of each is padding; `report`
        hears after each batch how many texts are done."""
        device = next(self.encoder_.parameters()).device
        limit = min(self.config.max_length, self.tokenizer_.model_max_length)
        ids = self.tokenizer_(list(texts), truncation=True, max_length=limit)["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        vectors = np.zeros((len(ids), self.encoder_.config.hidden_size), dtype=np.float32)
        for start in range(0, len(ids), self.config.batch_size):
            rows = order[start : start + self.config.batch_size]
            batch = self.tokenizer_.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt").to(device)
            hidden = self.encoder_(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            vectors[rows] = mean_pool(hidden.float(), batch["attention_mask"]).cpu().numpy()
            if report is not None:
                report(start + len(rows), len(ids))
        return vectors

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self._head_proba(self.embed(texts))

    def _head_proba(self, features: np.ndarray) -> np.ndarray:
        # The head was fit on class indices (or label columns), so its columns are in `classes_` order. Float32
        # features give float32 probabilities; renormalizing in float64 makes each row sum to 1 exactly, where they
        # are one distribution over the classes rather than each label's own.
        proba = self.head_.predict_proba(features).astype(np.float64)
        return proba if self.multilabel_ else proba / proba.sum(axis=1, keepdims=True)

    def export_onnx(self, directory: Path) -> dict[str, Any]:
        limit = min(self.config.max_length, self.tokenizer_.model_max_length)
        batch = self.tokenizer_.pad(self.tokenizer_(["an example", "a longer example text"]), return_tensors="pt")
        device = next(self.encoder_.parameters()).device
        scores = Probabilities(EmbeddingHead(self.encoder_, *self._linear_scores(), self.multilabel_), self.multilabel_)
        export_module(scores, batch["input_ids"].to(device), batch["attention_mask"].bool().to(device),
                      directory / ONNX_FILE)
        export_hf_tokenizer(self.tokenizer_.backend_tokenizer, limit, directory)
        return {"input": "tokens", "pad_id": self.tokenizer_.pad_token_id or 0, "empty_id": None}

    def _linear_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """The weights and biases that turn a text's vector into the scores `predict_proba` is made from."""
        return linear_scores(self.head_)

    def _save_weights(self, directory: Path) -> None:
        skops_files.dump(self.head_, directory / HEAD_FILE)
        save_model(self.encoder_, self.tokenizer_, directory / HF_FOLDER)

    def _load_weights(self, directory: Path) -> None:
        # skops refuses any type outside scikit-learn's own, so a crafted file cannot run code.
        self.head_ = skops_files.load(directory / HEAD_FILE, trusted=CONSTANT_TYPES)
        self.tokenizer_ = load_saved_tokenizer(directory / HF_FOLDER)
        self.encoder_ = load_saved_encoder(directory / HF_FOLDER).eval()


class SentenceEmbeddingsClassifier(EmbeddingModel, OneShotClassifier):
    config_cls = SentenceEmbeddingsConfig
    arch_name = "sentence_embeddings"
    fit_task = "Turning the training texts into vectors"

    def _fit_once(self, texts: Sequence[str], targets: np.ndarray, report: Report) -> np.ndarray:
        self.tokenizer_ = load_tokenizer(self.config.model)
        self.encoder_ = load_encoder(self.config.model).to(pick_device(self.config.device)).eval()
        features = self.embed(texts, report)
        self._fit_head(features, targets)
        return self._head_proba(features)


ARCHITECTURE = Architecture(
    name="sentence_embeddings",
    title="Sentence embeddings + logistic regression",
    # Figures: benchmarks/RESULTS.md, accuracy of every architecture (Balanced preset).
    description="A pretrained language model, left as it is, turns each text into a vector of its meaning; a linear "
                "model learns your labels from those vectors. Under a minute on a CPU for a few thousand texts. On "
                "our English samples it was as accurate as TF-IDF, within a point; on Chinese news titles, which "
                "the default English model does not know, 26 points below it.",
    model_cls=SentenceEmbeddingsClassifier,
    summary="A pretrained model's text vectors, then a linear model.",
)
