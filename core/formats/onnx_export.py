"""Export a trained model to ONNX, and check that ONNX Runtime gives the same probabilities before handing it out.

An export folder holds `model.onnx`, what turns texts into its input (a `tokenizers` file, or for TF-IDF the
vectorizer in skops), and `onnx.json` naming the classes and that input. `core.formats.onnx_runtime` runs it.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
import warnings
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from core.formats.description import write_description
from core.formats.onnx_runtime import MANIFEST_FILE, TOKENIZER_FILE, OnnxClassifier
from core.formats.thresholds import LabelThresholds, description_entries
from core.wording import first_line

log = logging.getLogger(__name__)
# The bar for "the same model": no probability of any test text may differ by more than this.
PARITY_TOLERANCE = 1e-4
# Texts the parity check reads when a run has no test split to offer.
PARITY_SAMPLE = ["", "a", "An example sentence to check the exported model with.", "12345 ?!"]


class Exportable(Protocol):
    """What `export` needs of a trained model; every architecture's model (core.architectures.base) has it."""
    arch_name: str
    classes_: Sequence[Any]
    multilabel_: bool
    label_thresholds_: LabelThresholds | None

    def export_onnx(self, directory: Path) -> dict[str, Any]: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...


class Probabilities(nn.Module):
    """A classifier's module with softmax on top (each label's own sigmoid for a `multilabel` one), in float32: what
    the exported graph returns."""

    def __init__(self, module: nn.Module, multilabel: bool = False):
        super().__init__()
        self.module = module
        self.multilabel = multilabel

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        logits = self.module(tokens=tokens, mask=mask).float()
        return torch.sigmoid(logits) if self.multilabel else torch.softmax(logits, dim=-1)


def export_module(module: nn.Module, tokens: torch.Tensor, mask: torch.Tensor, path: Path) -> None:
    """Write `module(tokens, mask)` to `path` with the batch and the text length left free.

    torch.export is PyTorch's supported exporter. It cannot trace the packed sequences of the recurrent models, so
    those fall back to the TorchScript exporter, which turns them into ONNX's LSTM and GRU with sequence lengths;
    the parity check holds either way.
    """
    module = module.eval()
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    try:
        with _quiet():
            program = torch.onnx.export(module, (), kwargs={"tokens": tokens, "mask": mask}, dynamo=True,
                                        dynamic_shapes={"tokens": {0: batch, 1: length}, "mask": {0: batch, 1: length}},
                                        input_names=["tokens", "mask"], output_names=["probabilities"],
                                        external_data=False, verbose=False)
        program.save(str(path), external_data=False)
        return
    except Exception as exc:  # noqa: BLE001 - any tracing failure means: try the other exporter
        log.info("torch.export could not trace %s (%s); using the TorchScript exporter.", type(module).__name__,
                 first_line(exc)[:200])
    axes = {0: "batch", 1: "length"}
    with _quiet():
        torch.onnx.export(module, (tokens, mask), str(path), dynamo=False, input_names=["tokens", "mask"],
                          output_names=["probabilities"], dynamic_axes={"tokens": axes, "mask": axes})


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporters print progress and deprecation notes meant for PyTorch developers, not for our users."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            logger.setLevel(level)


def export_hf_tokenizer(backend: Tokenizer, max_tokens: int, directory: Path) -> None:
    """A Hugging Face tokenizer's `tokenizers` half, cutting at `max_tokens` as training did and never padding
    (the runtime pads each batch to its longest text)."""
    tokenizer = Tokenizer.from_str(backend.to_str())
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens)
    tokenizer.save(str(directory / TOKENIZER_FILE))


def export(model: Exportable, directory: Path, check_texts: Sequence[str] = ()) -> dict[str, Any]:
    """Export `model` into `directory` (made anew) and return its manifest, which records the parity check.

    Raises ValueError, leaving nothing behind, when ONNX Runtime's probabilities on `check_texts` differ from the
    model's by more than PARITY_TOLERANCE.
    """
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    try:
        manifest = {"format": "classifier-studio-onnx", "version": 1, "arch": model.arch_name,
                    "classes": [str(c) for c in model.classes_], **model.export_onnx(directory),
                    **description_entries(model.label_thresholds_ if model.multilabel_ else None)}
        (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        texts = list(check_texts) or PARITY_SAMPLE
        difference = float(np.abs(OnnxClassifier.load(directory).predict_proba(texts)
                                  - model.predict_proba(texts)).max())
        if not difference <= PARITY_TOLERANCE:
            raise ValueError(f"The ONNX export does not give the same probabilities as the model: they differ by "
                             f"up to {difference:.2g} on {len(texts):,} texts (the limit is {PARITY_TOLERANCE:g}). "
                             "Download the model bundle instead, which holds the model exactly.")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    manifest["parity"] = {"texts": len(texts), "max_difference": difference, "tolerance": PARITY_TOLERANCE}
    write_description(directory, MANIFEST_FILE, manifest)
    return manifest
