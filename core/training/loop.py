"""The one training loop for every torch model.

The loop knows nothing about the model: it takes batches of (inputs, targets), calls the module, and
tells callbacks what happened (core/training/callbacks.py). Callbacks stop training by calling `state.stop`.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from core.errors import OutOfMemory
from core.training.callbacks import Callback, CallbackList
from core.training.checkpoints import Checkpoints, restore
from core.training.distributed import Sharding
from core.training.state import Batch, TrainState

log = logging.getLogger(__name__)

SCHEDULES = ("linear", "cosine", "constant")

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def option(help: str, **default: Any) -> Any:
    return field(metadata={"help": help}, **default)


@dataclass(frozen=True)
class TrainOptions:
    """How the loop trains, whatever the model."""
    epochs: int = option("Passes over the training batches; each ends with an evaluation.")
    steps_per_epoch: int = option("Batches in one epoch, one optimizer step each.")
    device: torch.device = option("Where the module trains; each batch is moved there.", default=torch.device("cpu"))
    grad_clip: float | None = option("Largest norm of the gradients, which are scaled down to it when larger; None: "
                                     "never clipped.", default=1.0)
    loss_fn: LossFn = option("The loss of (logits, targets) the module learns from.",
                             default=nn.functional.cross_entropy)
    amp_dtype: torch.dtype | None = option("The dtype the forward pass is autocast to (bf16 needs no loss scaling); "
                                           "None: no autocast.", default=None)


def to_device(batch: Batch, device: torch.device) -> Batch:
    inputs, targets = batch
    return {k: v.to(device, non_blocking=True) for k, v in inputs.items()}, targets.to(device, non_blocking=True)


def train_loop(module: nn.Module, optimizer: torch.optim.Optimizer, batches: Callable[[int], Iterable[Batch]],
               evaluate: Callable[[], dict[str, float]], options: TrainOptions, *, callbacks: Sequence[Callback] = (),
               scheduler: Any = None, checkpoints: Checkpoints | None = None,
               sharding: Sharding | None = None) -> TrainState:
    """Train `module` for `options.epochs`, evaluating after each; `batches(epoch)` yields that epoch's batches, the
    same ones whenever it is called for that epoch.

    With `checkpoints`, training starts from the checkpoint found there, and writes one after every epoch, every
    few minutes between, and when stopped. With `sharding`, this is one of several processes training together
    (see core/training/distributed.py): each steps on its slice of every batch, and only the first writes checkpoints.
    """
    state = TrainState(epochs=options.epochs, steps_per_epoch=options.steps_per_epoch)
    hooks = CallbackList(callbacks)
    module.to(options.device)
    saved = checkpoints.load() if checkpoints is not None else None
    if saved is not None:
        restore(saved, state, module, optimizer, scheduler, hooks)

    last_saved = (state.epoch, state.step) if saved is not None else None
    model = module
    if sharding is not None:
        model = sharding.wrap(module, options.device)
        # Every process must take as many backward passes per step as the others, and a slice of a batch needs
        # no more than one (a checkpoint of a run on one GPU may have kept more, after running out of memory).
        state.accumulation = 1

    def save() -> None:
        nonlocal last_saved
        if checkpoints is not None and (sharding is None or sharding.main) and last_saved != (state.epoch, state.step):
            checkpoints.save(state, module, optimizer, scheduler, hooks)
            last_saved = (state.epoch, state.step)

    def agree() -> None:
        if sharding is not None:
            sharding.agree(state)

    hooks.fire("on_train_begin", state)
    agree()
    while state.epoch < options.epochs and not state.should_stop:
        module.train()
        done_this_epoch = state.step - state.epoch * options.steps_per_epoch
        for batch in itertools.islice(batches(state.epoch), done_this_epoch, None):
            if sharding is not None:
                batch, weight = sharding.split(batch)
                loss = optimizer_step(model, optimizer, batch, state, options, weight)
                state.loss = sharding.mean_loss(loss, weight)
            else:
                state.loss = optimizer_step(model, optimizer, batch, state, options)
            if scheduler is not None:
                scheduler.step()
            state.step += 1
            hooks.fire("on_step_end", state)
            agree()
            if state.should_stop:
                break
            if checkpoints is not None and checkpoints.due():
                save()
        if state.should_stop and state.step % options.steps_per_epoch:
            break  # a stop mid-epoch ends training without a partial-epoch evaluation
        state.epoch += 1
        module.eval()
        with torch.no_grad():
            state.val_metrics = evaluate()
        hooks.fire("on_evaluate", state, state.val_metrics)
        hooks.fire("on_epoch_end", state)
        agree()
        save()
    if state.should_stop:
        save()  # before early stopping puts the best weights back: a resumed run continues from the last ones
    hooks.fire("on_train_end", state)
    return state


def optimizer_step(module: nn.Module, optimizer: torch.optim.Optimizer, batch: Batch, state: TrainState,
                   options: TrainOptions, weight: float | None = None) -> float:
    """One optimizer step on `batch`, split into `state.accumulation` passes whose gradients add up; returns
    the batch's loss. When the device runs out of memory the step starts over with twice the passes, so each
    step still learns from the whole batch. `weight` (one process's slice of a batch trained across several)
    scales the gradients, and an out-of-memory error ends training: the other processes are mid-step."""
    inputs, targets = batch
    device = options.device
    while True:
        optimizer.zero_grad(set_to_none=True)
        try:
            loss = accumulate_gradients(module, inputs, targets, state.accumulation, options,
                                        1.0 if weight is None else weight)
            break
        except torch.OutOfMemoryError:
            if weight is not None:
                raise OutOfMemory("A GPU ran out of memory while training across several GPUs. Lower the batch "
                                  "size or the maximum length, or train one run per GPU, where the step is "
                                  "retried in smaller passes.") from None
        # Outside the except block: until it ends, the traceback keeps the failed pass's tensors alive.
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.empty_cache()
        rows = -(-len(targets) // state.accumulation)
        if rows == 1:
            raise OutOfMemory(f"The {'CPU' if device.type == 'cpu' else 'GPU'} ran out of memory even with one "
                              "text per pass. Lower the maximum length, or choose a smaller model.")
        state.accumulation *= 2
        log.warning("Out of memory at step %d with %d texts at a time; each step now takes %d smaller passes of up "
                    "to %d texts and still learns from all %d, only a little slower.", state.step + 1, rows,
                    state.accumulation, -(-len(targets) // state.accumulation), len(targets))
    if options.grad_clip:
        clip_gradients(module, options.grad_clip)
    optimizer.step()
    return loss


def accumulate_gradients(module: nn.Module, inputs: dict[str, torch.Tensor], targets: torch.Tensor, passes: int,
                         options: TrainOptions, weight: float = 1.0) -> float:
    """Backpropagate the batch's mean loss, times `weight`, in `passes` slices. Each slice's loss is weighed by
    its share of the batch, so the gradients add up to those of one pass: exactly, for a loss that is a mean
    over rows."""
    n = len(targets)
    rows = -(-n // passes)
    total = 0.0
    for start in range(0, n, rows):
        part_inputs, part_targets = to_device(({k: v[start : start + rows] for k, v in inputs.items()},
                                               targets[start : start + rows]), options.device)
        with autocast(options.device, options.amp_dtype):
            loss = options.loss_fn(module(**part_inputs).float(), part_targets)
        share = len(part_targets) / n
        (loss * (share * weight) if passes > 1 or weight != 1.0 else loss).backward()
        total += loss.item() * share
    return total


def clip_gradients(module: nn.Module, max_norm: float) -> None:
    """Scale the gradients down to `max_norm` when their norm is larger.

    Unlike `clip_grad_norm_`, gradients already within the limit are left alone rather than multiplied by 1: for
    a small model that second pass over a large embedding's gradient costs a tenth of the step. The comparison
    waits for the GPU, but the loop already does that each step to read the loss. Sparse gradients (fastText's
    n-gram table) touch a few rows per step and are left out of the norm.
    """
    params = [p for p in module.parameters() if p.grad is not None and not p.grad.is_sparse]
    total = nn.utils.get_total_norm([p.grad for p in params])
    if total > max_norm:
        nn.utils.clip_grads_with_norm_(params, max_norm, total)


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


def make_scheduler(optimizer: torch.optim.Optimizer, kind: str, total_steps: int, warmup_steps: int) -> LambdaLR:
    """Linear warmup from zero to the set learning rate, then linear or cosine decay to zero (or constant)."""
    if kind not in SCHEDULES:
        raise ValueError(f"Unknown schedule '{kind}'. Schedules: {', '.join(SCHEDULES)}.")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        if kind == "constant":
            return 1.0
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return 1.0 - progress if kind == "linear" else 0.5 * (1.0 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, factor)
