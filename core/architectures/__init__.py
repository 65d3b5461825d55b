"""The registry of architectures. Adding one: write its file, then add its ARCHITECTURE to the tuple below.

Beside one file per architecture: `base` (what every architecture provides), `neural` (the half every torch
architecture shares), `scratch` and `tokenization` (networks trained from nothing, and their subword tokenizer),
`pretrained` (finding and loading Hugging Face models), `advice` (which architecture to train on a dataset) and
`preview` (what a model will make of one).
"""
from __future__ import annotations

from core.architectures import (bilstm, fasttext, few_shot, finetune, sentence_embeddings, textcnn, tfidf, transformer,
                                zero_shot)
from core.architectures.base import ArchConfig, Architecture, TextClassifier

REGISTRY: dict[str, Architecture] = {a.name: a for a in (
    tfidf.ARCHITECTURE,
    textcnn.ARCHITECTURE,
    bilstm.ARCHITECTURE,
    fasttext.ARCHITECTURE,
    transformer.ARCHITECTURE,
    sentence_embeddings.ARCHITECTURE,
    finetune.ARCHITECTURE,
    few_shot.ARCHITECTURE,
    zero_shot.ARCHITECTURE,
)}


def get_architecture(name: str) -> Architecture:
    if name not in REGISTRY:
        raise ValueError(f"There is no architecture called '{name}'. Architectures: {', '.join(REGISTRY)}.")
    return REGISTRY[name]


__all__ = ["REGISTRY", "Architecture", "ArchConfig", "TextClassifier", "get_architecture"]
