"""Zero-shot: each text takes the class whose name (and one-line description) its sentence embedding is closest to.
Nothing is learnt from the training texts but the names of their classes, so it is a baseline that needs no labels."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from core.architectures.base import Architecture, option
from core.architectures.pretrained import (MINILM, load_encoder, load_saved_encoder, load_saved_tokenizer,
                                           load_tokenizer, save_model)
from core.architectures.sentence_embeddings import EncoderConfig, HF_FOLDER, SentenceEmbeddingsClassifier
from core.data.text_set import TextSet
from core.training.callbacks import Report
from core.training.device import pick_device

# Cosine similarities of all-MiniLM-L6-v2 between a text and the class names differ by a few hundredths to a few
# tenths, so softmax needs them scaled up. On 300 questions of the TREC-6 sample, with the classes described, it
# was right 42% of the time; at a temperature of 0.05 its mean confidence was 52% (log loss 1.55), at 0.1 35% (1.52),
# at 0.02 77% (2.41). 0.07, between the two best, puts its mean confidence between theirs, near its accuracy.
TEMPERATURE = 0.07
VECTORS_FILE, VECTORS = "class_vectors.safetensors", "class_vectors"


def parse_descriptions(text: str) -> dict[str, str]:
    """`label: description` per line (blank lines skipped) as {label: description}."""
    described: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, colon, description = line.partition(":")
        if not colon or not label.strip() or not description.strip():
            raise ValueError(f"Line {number} of the class descriptions, '{line.strip()}', is not 'label: description'. "
                             "Write one line per class: its label, a colon, then a few words on what it means.")
        described[label.strip()] = description.strip()
    return described


def class_texts(classes: Sequence[str], descriptions: Mapping[str, str] | None = None) -> list[str]:
    """What each class's vector is made from: its description where it has one (which says what its name means,
    and the name is often a code), else its name."""
    return [(descriptions or {}).get(str(c)) or str(c) for c in classes]


def similarity_scores(similarities: np.ndarray) -> np.ndarray:
    """Probabilities from cosine similarities (texts x classes): their softmax at `TEMPERATURE`."""
    scores = similarities / TEMPERATURE
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


@dataclass
class ZeroShotConfig(EncoderConfig):
    descriptions: str = option("", "Optional: one line per class, 'label: a few words on what it means' (for example "
                               "'HUM: a question about a person'). A described class is compared by this line in "
                               "place of its name: describe classes whose names are codes or abbreviations. Lines "
                               "naming a label the data does not have are left unused.", label="Class descriptions",
                               multiline=True)


class ZeroShotClassifier(SentenceEmbeddingsClassifier):
    config_cls = ZeroShotConfig
    arch_name = "zero_shot"
    fit_task = "Comparing the training texts with the class names"

    def _encode_targets(self, train: TextSet) -> np.ndarray:
        if train.multilabel:
            raise ValueError("Zero-shot gives each text one class, the one its meaning is closest to: it cannot tell "
                             "how many of several labels a text has. Choose Few-shot or another model for texts "
                             "with several labels.")
        return super()._encode_targets(train)

    def _fit_once(self, texts: Sequence[str], targets: np.ndarray, report: Report) -> np.ndarray:
        self.start()
        # The training texts are only scored, for the loss the Train page shows: nothing is learnt from them.
        return self._head_proba(self.embed(texts, report))

    def start(self) -> "ZeroShotClassifier":
        """Load the pretrained model and embed the names of `classes_`, which is all this model learns."""
        self.tokenizer_ = load_tokenizer(self.config.model)
        self.encoder_ = load_encoder(self.config.model).to(pick_device(self.config.device)).eval()
        self._embed_classes()
        return self

    def _embed_classes(self) -> None:
        self.class_vectors_ = self.embed(class_texts(self.classes_, parse_descriptions(self.config.descriptions)))

    def _head_proba(self, features: np.ndarray) -> np.ndarray:
        return similarity_scores(features.astype(np.float64) @ self.class_vectors_.T.astype(np.float64))

    def _linear_scores(self) -> tuple[np.ndarray, np.ndarray]:
        return self.class_vectors_ / TEMPERATURE, np.zeros(len(self.class_vectors_))

    def _save_weights(self, directory: Path) -> None:
        save_model(self.encoder_, self.tokenizer_, directory / HF_FOLDER)
        # Kept rather than computed again on loading, so a bundle.json that names other classes is caught.
        save_file({VECTORS: torch.from_numpy(np.ascontiguousarray(self.class_vectors_))}, directory / VECTORS_FILE)

    def _load_weights(self, directory: Path) -> None:
        self.tokenizer_ = load_saved_tokenizer(directory / HF_FOLDER)
        self.encoder_ = load_saved_encoder(directory / HF_FOLDER).eval()
        self.class_vectors_ = load_file(directory / VECTORS_FILE)[VECTORS].numpy()


def zero_shot_model(classes: Sequence[str], descriptions: Mapping[str, str] | None = None,
                    model: str = MINILM) -> ZeroShotClassifier:
    """A zero-shot model ready to score texts against `classes` (its `classes_`, in the order given), by their names
    or the descriptions `descriptions` gives; no labelled text needed."""
    if len(set(classes)) < 2 or len(set(classes)) < len(classes):
        raise ValueError("Name at least two classes, all different, to choose between.")
    lines = "\n".join(f"{c}: {d}" for c, d in (descriptions or {}).items() if d and d.strip())
    classifier = ZeroShotClassifier(ZeroShotConfig(model=model, descriptions=lines))
    classifier.classes_ = np.array(list(classes), dtype=object)
    return classifier.start()


def zero_shot_proba(texts: Sequence[str], classes: Sequence[str], descriptions: Mapping[str, str] | None = None,
                    model: str = MINILM) -> np.ndarray:
    """Each text's probability of each of `classes` (columns in the order given), as `zero_shot_model` scores it."""
    classifier = zero_shot_model(classes, descriptions, model)
    return classifier.predict_proba(list(texts)) if len(texts) else np.zeros((0, len(classifier.classes_)))


ARCHITECTURE = Architecture(
    name="zero_shot",
    title="Zero-shot (class names)",
    description="Needs no labelled texts: a pretrained language model turns each text and each class's name (and "
                "the description you may give it) into vectors of their meaning, and each text takes the class "
                "closest to it. It learns nothing from your labels, so it is a baseline to beat, and a way to make "
                "first guesses before labelling. Class names that are words (not codes) work best.",
    model_cls=ZeroShotClassifier,
    summary="No training: each text takes the class whose name it is closest to.",
)
