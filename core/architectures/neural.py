"""The shared half of every torch architecture: batch, run the training loop with its options, predict.

A family supplies a tokenizer (`_fit_tokenizer`, `_encode`), a module (`_build_module`) and how to save them;
`scratch.py` does that for networks trained from nothing, `finetune.py` for pretrained Transformers.
"""
from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from core.architectures.base import ArchConfig, TextClassifier, option
from core.data.text_set import TextSet
from core.formats.onnx_export import Probabilities, export_module
from core.formats.onnx_runtime import ONNX_FILE
from core.training.callbacks import Callback
from core.training.checkpoints import Checkpoints
from core.training.device import DEVICE_CHOICES, pick_device
from core.training.distributed import Sharding, World, active
from core.training.early_stopping import EarlyStopping
from core.training.loop import SCHEDULES, TrainOptions, make_scheduler, train_loop
from core.training.losses import loss_for
from core.training.state import Batch

log = logging.getLogger(__name__)

# How many optimizer steps each preset aims for, and the fewest and most epochs it may take to get there:
# small datasets need many passes, large ones few. Early stopping ends a run sooner once it stops improving.
PRESET_STEPS = {"quick": (300, 2, 5, 1), "balanced": (1500, 5, 30, 3), "best": (4000, 10, 60, 5)}


def bf16_supported() -> bool:
    """Whether this machine has a GPU that trains in bfloat16, the only case mixed precision changes anything."""
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


@dataclass
class TrainingConfig(ArchConfig):
    epochs: int = option(10, "Most passes over the training data; early stopping may end sooner.", label="Epochs",
                         min=1, max=200)
    batch_size: int = option(32, "Texts per training step.", label="Batch size", min=1, max=1024)
    learning_rate: float = option(2e-3, "Peak step size of the AdamW optimizer.", label="Learning rate",
                                  min=1e-6, max=1.0)
    weight_decay: float = option(0.01, "AdamW weight decay (a pull towards small weights).", label="Weight decay",
                                 min=0.0, max=1.0)
    warmup_ratio: float = option(0.06, "Share of the steps over which the learning rate ramps up from zero.",
                                 label="Warm-up share", min=0.0, max=0.5)
    schedule: str = option("linear", "How the learning rate falls after warmup: to zero in a straight line, "
                           "along a cosine, or not at all.", label="Learning-rate schedule", choices=list(SCHEDULES))
    grad_clip: float = option(1.0, "Largest gradient norm per step (0 = no clipping); guards against spikes.",
                              label="Gradient clipping", min=0.0, max=100.0)
    early_stopping_patience: int = option(3, "Stop after this many epochs without a better validation macro-F1 "
                                          "(0 = never stop early); the best epoch's weights are kept either way.",
                                          label="Early stopping patience", min=0, max=50)
    class_weights: bool = option(False, "Weigh each class's errors by how rare the class is; helps a rare class "
                                 "that the model would otherwise ignore.", label="Weigh rare classes up")
    max_length: int = option(128, "Tokens kept per text; longer texts are cut.", label="Max length (tokens)",
                             min=8, max=4096)
    mixed_precision: bool = option(True, "Train in bfloat16 on this GPU: faster, same accuracy.",
                                   label="Mixed precision (bfloat16)", when={"device": ["auto", "cuda"]},
                                   available=bf16_supported)
    device: str = option("auto", "Where to train: 'auto' picks a GPU when the server has one.", label="Device",
                         choices=list(DEVICE_CHOICES))

    @classmethod
    def preset_values(cls, preset: str, n_train: int) -> dict[str, Any]:
        target, fewest, most, patience = PRESET_STEPS[preset]
        batch = cls().batch_size
        epochs = min(most, max(fewest, math.ceil(target * batch / max(n_train, 1))))
        return {**super().preset_values(preset, n_train), "epochs": epochs, "early_stopping_patience": patience}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The shuffling of one epoch, from the seed and the epoch alone, so a resumed run shuffles as an unbroken one."""
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0]))


def collate(ids: Sequence[list[int]], targets: Sequence[int] | np.ndarray | None = None, pad_id: int = 0,
            pad_to: int | None = None) -> Batch:
    """Pad to the longest text in the batch (dynamic padding), or to `pad_to`, with a mask of real tokens. Targets
    are class indices, or rows of 0/1 (one column per label) that become floats for binary cross-entropy."""
    longest = pad_to or max(len(x) for x in ids)
    tokens = torch.full((len(ids), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), longest), dtype=torch.bool)
    for row, seq in enumerate(ids):
        tokens[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = True
    if targets is not None and np.ndim(targets) == 2:
        return {"tokens": tokens, "mask": mask}, torch.as_tensor(np.asarray(targets), dtype=torch.float32)
    target = torch.tensor(list(targets) if targets is not None else [0] * len(ids), dtype=torch.long)
    return {"tokens": tokens, "mask": mask}, target


def length_bucketed(lengths: Sequence[int], batch_size: int, generator: torch.Generator,
                    pool_batches: int = 50) -> list[list[int]]:
    """Shuffled batches of indices whose texts have similar lengths, so little of each batch is padding.

    Texts are shuffled, cut into pools of `pool_batches` batches, sorted by length within each pool and
    batched; the batch order is then shuffled again so lengths do not rise steadily through an epoch.
    """
    order = torch.randperm(len(lengths), generator=generator).tolist()
    pool = batch_size * pool_batches
    batches = []
    for start in range(0, len(order), pool):
        by_length = sorted(order[start : start + pool], key=lengths.__getitem__)
        batches += [by_length[i : i + batch_size] for i in range(0, len(by_length), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def amp_dtype(device: torch.device, enabled: bool) -> torch.dtype | None:
    if enabled and device.type == "cuda" and bf16_supported():
        return torch.bfloat16
    return None


class TorchClassifier(TextClassifier):
    config_cls = TrainingConfig
    distributable = True  # fit inside a torchrun worker trains across its processes (see core/training/distributed.py)
    pad_id_: int = 0
    # Dynamic padding with length-bucketed batches; benchmarks switch it off to measure what it saves.
    bucketing: bool = True

    def _fit_tokenizer(self, texts: Sequence[str]) -> None:
        """Set `tokenizer_` (learning it from `texts` where the family learns one) and `pad_id_`."""
        raise NotImplementedError

    def _encode(self, texts: Sequence[str], truncate: bool = True) -> list[list[int]]:
        raise NotImplementedError

    def _build_module(self, n_classes: int) -> nn.Module:
        """A module called as `module(tokens=..., mask=...)` that returns logits."""
        raise NotImplementedError

    def _embedding_layer(self) -> nn.Module | None:
        """The layer of `module_` that gives one vector per token, for gradient explanations; None for none."""
        return None

    def _encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """`_encode` of one text, with each token's character span in it ((0, 0) for added tokens such as [CLS])."""
        raise NotImplementedError

    def _export_tokenizer(self, directory: Path) -> dict[str, Any]:
        """Save the tokenizer as the ONNX runtime reads it; return manifest entries (`empty_id`: the token given
        to a text that encodes to nothing, or None)."""
        raise NotImplementedError

    def _export_module(self) -> nn.Module:
        """The module written to ONNX: `module_`, or the same computation in operations ONNX runs well."""
        return self.module_

    def export_onnx(self, directory: Path) -> dict[str, Any]:
        inputs, _ = collate(self._encode(["an example", "a longer example text"]), pad_id=self.pad_id_)
        device = next(self.module_.parameters()).device
        export_module(Probabilities(self._export_module(), self.multilabel_), inputs["tokens"].to(device),
                      inputs["mask"].to(device), directory / ONNX_FILE)
        return {"input": "tokens", "pad_id": self.pad_id_, **self._export_tokenizer(directory)}

    def _optimizer(self, device: torch.device) -> torch.optim.Optimizer:
        cfg = self.config
        # The fused AdamW step is several times faster than the default on CPU as well as on CUDA.
        return torch.optim.AdamW(self.module_.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay,
                                 fused=device.type in ("cpu", "cuda") or None)

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        self._fit_tokenizer(texts)
        return [len(ids) for ids in self._encode(texts, truncate=False)]

    def fit(self, train: TextSet, val: TextSet | None = None, callbacks: Sequence[Callback] = (),
            checkpoints: Path | None = None) -> "TorchClassifier":
        cfg = self.config
        seed_everything(cfg.seed)
        device = pick_device(cfg.device)
        targets = self._encode_targets(train)
        self._fit_tokenizer(train.texts)
        self.module_ = self._build_module(len(self.classes_)).to(device)
        train_ids = self._encode(train.texts)
        lengths = [len(ids) for ids in train_ids]
        steps_per_epoch = -(-len(train_ids) // cfg.batch_size)

        def batches(epoch: int) -> Iterator[Batch]:
            generator = epoch_generator(cfg.seed, epoch)
            if self.bucketing:
                chunks = length_bucketed(lengths, cfg.batch_size, generator)
                pad_to = None
            else:
                order = torch.randperm(len(lengths), generator=generator).tolist()
                chunks = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
                pad_to = cfg.max_length
            for chunk in chunks:
                yield collate([train_ids[i] for i in chunk], targets[chunk], self.pad_id_, pad_to)

        def evaluate() -> dict[str, float]:
            if val is None or not val.texts:
                return {}
            return self._metrics(self._truth(val), self.predict_proba(val.texts))

        optimizer = self._optimizer(device)
        total = steps_per_epoch * cfg.epochs
        scheduler = make_scheduler(optimizer, cfg.schedule, total, int(cfg.warmup_ratio * total))
        loss_fn = loss_for(targets, len(self.classes_), cfg.class_weights, device)
        stopper = EarlyStopping(self.module_, "macro_f1", cfg.early_stopping_patience)
        options = TrainOptions(epochs=cfg.epochs, steps_per_epoch=steps_per_epoch, device=device,
                               grad_clip=cfg.grad_clip or None, loss_fn=loss_fn,
                               amp_dtype=amp_dtype(device, cfg.mixed_precision))
        kept = Checkpoints(checkpoints, fingerprint=self._fingerprint(train)) if checkpoints is not None else None
        self.state_ = train_loop(self.module_, optimizer, batches, evaluate, options, callbacks=[stopper, *callbacks],
                                 scheduler=scheduler, checkpoints=kept,
                                 sharding=Sharding(World.from_env()) if active() else None)
        self.module_.eval()
        self._tune_thresholds(val)
        return self

    def _fingerprint(self, train: TextSet) -> dict[str, Any]:
        """What a checkpoint must have been written for: these settings, classes and number of training texts."""
        # Multi-label only where it is, and no cross-validation folds (they do not change how this model trains), so
        # the checkpoints written before either existed keep the fingerprint they had.
        config = {name: value for name, value in self.config.to_dict().items() if name != "cv_folds"}
        return {"arch": self.arch_name, "config": config, "classes": self.classes_.tolist(),
                "n_train": len(train.texts), **({"multilabel": True} if self.multilabel_ else {})}

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        self.module_.eval()
        device = next(self.module_.parameters()).device
        ids = self._encode(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths together: less padding
        proba = np.zeros((len(ids), len(self.classes_)))
        start = 0
        while start < len(ids):
            rows = order[start : start + batch_size]
            inputs, _ = collate([ids[i] for i in rows], pad_id=self.pad_id_)
            try:
                logits = self.module_(**{k: v.to(device) for k, v in inputs.items()})
            except torch.OutOfMemoryError:
                if batch_size == 1:
                    raise
                batch_size //= 2
                log.warning("Out of memory while predicting; now %d texts at a time.", batch_size)
                continue
            proba[rows] = self._probabilities(logits.double()).cpu().numpy()
            start += len(rows)
        return proba

    def _probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """Softmax over the classes; for several labels per text, each label's own sigmoid."""
        return torch.sigmoid(logits) if self.multilabel_ else torch.softmax(logits, dim=-1)

    def _n_outputs(self) -> int:
        # From the module itself: predict_proba makes room for `classes_`, whatever the module returns.
        inputs, _ = collate(self._encode(["a"]), pad_id=self.pad_id_)
        device = next(self.module_.parameters()).device
        with torch.no_grad():
            return self.module_(**{k: v.to(device) for k, v in inputs.items()}).shape[-1]

    def token_gradients(self, text: str, target: int) -> tuple[list[tuple[int, int]], np.ndarray] | None:
        layer = self._embedding_layer()
        if layer is None:
            return None
        ids, spans = self._encode_with_offsets(text)
        self.module_.eval()
        device = next(self.module_.parameters()).device
        inputs, _ = collate([ids], pad_id=self.pad_id_)
        vectors: list[torch.Tensor] = []

        def as_leaf(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
            # The token vectors become a leaf of their own, so autograd computes their gradient and leaves the
            # weights' .grad alone.
            vectors.append(output.detach().requires_grad_())
            return vectors[-1]

        handle = layer.register_forward_hook(as_leaf)
        # cuDNN computes recurrent layers' gradients only in training mode; its plain kernels do so in eval mode,
        # which keeps dropout off.
        try:
            with torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
                logits = self.module_(**{k: v.to(device) for k, v in inputs.items()})
                logits = logits.double()
                log_proba = nn.functional.logsigmoid(logits) if self.multilabel_ else torch.log_softmax(logits, dim=-1)
                score = log_proba[0, target]
                (grad,) = torch.autograd.grad(score, vectors[0])
        finally:
            handle.remove()
        return spans, (grad * vectors[0].detach()).sum(dim=-1)[0, : len(ids)].double().cpu().numpy()
