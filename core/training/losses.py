"""What a torch model learns to lower: cross-entropy over its classes, or for several labels per text binary
cross-entropy of each label on its own; with class weights, the rare classes (or each label's positives) weigh more."""
from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from core.training.loop import LossFn


def weighted_loss(logits: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Class-weighted cross-entropy averaged over rows, not over weights as torch's is: slices of a batch then add
    up exactly when a step is split in passes. Balanced weights average 1 over the training set, so the scale
    is that of torch's weighted mean."""
    return nn.functional.cross_entropy(logits, targets, weight=weight, reduction="none").mean()


def weighted_multilabel_loss(logits: torch.Tensor, targets: torch.Tensor, pos_weight: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of each label, its positives weighed by `pos_weight`, averaged over rows (each row the
    mean of its labels) as `weighted_loss` is, so split batches add up."""
    return nn.functional.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight,
                                                          reduction="none").mean()


def label_pos_weight(targets: np.ndarray) -> np.ndarray:
    """Each label's negatives per positive in the 0/1 `targets`, counting at least one of each: a rare label's few
    texts then weigh as much as the many without it, and a label every text has still learns."""
    positives = targets.sum(axis=0)
    return np.maximum(len(targets) - positives, 1) / np.maximum(positives, 1)


def loss_for(targets: np.ndarray, n_classes: int, class_weights: bool, device: torch.device) -> LossFn:
    """The loss of a model learning `targets` of `n_classes`: class indices, or a 0/1 matrix with a column per
    label for several labels per text."""
    if targets.ndim == 2:
        if not class_weights:
            return nn.functional.binary_cross_entropy_with_logits
        pos_weight = torch.tensor(label_pos_weight(targets), dtype=torch.float32, device=device)
        return functools.partial(weighted_multilabel_loss, pos_weight=pos_weight)
    if not class_weights:
        return nn.functional.cross_entropy
    balanced = compute_class_weight("balanced", classes=np.arange(n_classes), y=targets)
    return functools.partial(weighted_loss, weight=torch.tensor(balanced, dtype=torch.float32, device=device))
