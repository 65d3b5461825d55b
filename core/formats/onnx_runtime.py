"""Run an ONNX export with ONNX Runtime: no PyTorch needed, only `onnxruntime`, `tokenizers` and, for TF-IDF,
scikit-learn's vectorizer loaded through skops."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from core.formats import skops_files
from core.formats.description import checked_classes
from core.formats.thresholds import predictions, read_description

MANIFEST_FILE = "onnx.json"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
VECTORIZER_FILE = "vectorizer.skops"
# Every file an export can be made of; the vectorizer's vocabulary is written beside it (core.formats.skops_files).
ONNX_FILES = (MANIFEST_FILE, ONNX_FILE, TOKENIZER_FILE, VECTORIZER_FILE,
              skops_files.vocabulary_path(Path(VECTORIZER_FILE)).name)
# Texts per call to ONNX Runtime: bounds memory on long lists, and TF-IDF's dense features most of all.
BATCH = 64


def session(path: Path) -> ort.InferenceSession:
    """A session on the CPU, where the export's parity was checked: ONNX Runtime's CUDA provider computes in
    TF32 by default, which may move probabilities past the tolerance the check holds it to."""
    options = ort.SessionOptions()
    options.log_severity_level = 3  # unused-initializer notes are for the exporter's authors
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxClassifier:
    """An exported model with the predicting half of TextClassifier: `classes_`, `predict_proba`, `predict`, and
    for a multi-label model `multilabel_` and `label_thresholds_`."""

    def __init__(self, manifest: dict[str, Any], session: ort.InferenceSession, reader: Any):
        self.manifest = manifest
        self.arch_name = manifest["arch"]
        self.classes_ = np.array(checked_classes(manifest.get("classes"), MANIFEST_FILE), dtype=object)
        self.label_thresholds_ = read_description(manifest, self.classes_, MANIFEST_FILE)
        self.multilabel_ = self.label_thresholds_ is not None
        self.session_ = session
        self.reader_ = reader
        self.inputs_ = {i.name for i in session.get_inputs()}

    @classmethod
    def load(cls, directory: Path) -> "OnnxClassifier":
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        if manifest.get("input") == "tfidf":
            reader = skops_files.load_with_vocabulary(directory / VECTORIZER_FILE)
        elif manifest.get("input") == "tokens":
            reader = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        else:
            raise ValueError(f"{MANIFEST_FILE} names an input this version cannot read: {manifest.get('input')!r}.")
        model = cls(manifest, session(directory / ONNX_FILE), reader)
        outputs = model.session_.run(["probabilities"], model._feed(["a"])[0][1])[0].shape[1]
        if outputs != len(model.classes_):
            raise ValueError(f"{MANIFEST_FILE} names {len(model.classes_)} classes but the model has {outputs} outputs")
        return model

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        proba = np.zeros((len(texts), len(self.classes_)))
        for rows, feed in self._feed(texts):
            proba[rows] = self.session_.run(["probabilities"], feed)[0]
        # Float32 probabilities, renormalized in float64 so each row sums to 1 exactly, as the models' own do; a
        # multi-label model's scores each label on its own.
        return proba / proba.sum(axis=1, keepdims=True) if len(texts) and not self.multilabel_ else proba

    def _feed(self, texts: list[str]) -> list[tuple[list[int], dict[str, np.ndarray]]]:
        """The texts in batches, each with the rows it holds and the inputs ONNX Runtime takes for them."""
        if self.manifest["input"] == "tfidf":
            batches = [(rows, {"features": self.reader_.transform([texts[i] for i in rows]).toarray()
                               .astype(np.float32)}) for rows in _chunks(range(len(texts)))]
        else:
            batches = self._token_batches(texts)
        return [(rows, {k: v for k, v in feed.items() if k in self.inputs_}) for rows, feed in batches]

    def predict(self, texts: Sequence[str]) -> np.ndarray | list[tuple[str, ...]]:
        """Each text's class; for a multi-label model, each text's labels (a tuple, possibly empty)."""
        chooses = self.label_thresholds_ if self.multilabel_ else None
        return predictions(self.predict_proba(texts), self.classes_, chooses)

    def token_gradients(self, text: str, target: int) -> None:
        """An exported graph computes probabilities only, so words are weighed by leaving them out instead."""
        return None

    def _token_batches(self, texts: list[str]) -> list[tuple[list[int], dict[str, np.ndarray]]]:
        empty = self.manifest.get("empty_id")
        ids = [enc.ids or ([empty] if empty is not None else []) for enc in self.reader_.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths together: less padding
        batches = []
        for rows in _chunks(order):
            longest = max(len(ids[i]) for i in rows)
            tokens = np.full((len(rows), longest), self.manifest["pad_id"], dtype=np.int64)
            mask = np.zeros((len(rows), longest), dtype=bool)
            for r, i in enumerate(rows):
                tokens[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = True
            batches.append((rows, {"tokens": tokens, "mask": mask}))
        return batches


def _chunks(items: Sequence[int]) -> list[list[int]]:
    items = list(items)
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
