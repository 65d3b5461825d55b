"""The one training loop for every torch model, and the callback hooks every model reports through.

The loop knows nothing about the model: it takes batches of (inputs, targets), calls the module, and
tells callbacks what happened. Callbacks stop training by setting `state.should_stop`.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from core.errors import OutOfMemory
from core.training.checkpoints import Checkpoints, restore

if TYPE_CHECKING:
    from core.training.distributed import Sharding

log = logging.getLogger(__name__)

SCHEDULES = ("linear", "cosine", "constant")


@dataclass
class TrainState:
    """Where training stands; callbacks read it and may set `should_stop`."""
    epochs: int = 1
    steps_per_epoch: int = 0
    epoch: int = 0  # epochs finished
    step: int = 0  # optimizer steps taken
    loss: float = float("nan")  # last training-batch loss
    val_metrics: dict[str, float] = field(default_factory=dict)
    start_time: float = field(default_factory=time.time)
    should_stop: bool = False
    stop_reason: str | None = None
    best_epoch: int | None = None  # the epoch whose weights the model ends with, when early stopping kept them
    accumulation: int = 1  # passes each batch is split into; doubled when the GPU runs out of memory
    resumed_from: int | None = None  # the step a checkpoint put training back at
    # Long work outside the steps (embedding every training text, scoring the test texts), counted in texts, so
    # progress moves within it: what it is, how far it got, and when it began.
    task: str | None = None
    task_done: int = 0
    task_total: int = 0
    task_started: float = 0.0

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def fractional_epoch(self) -> float:
        return self.step / self.steps_per_epoch if self.steps_per_epoch else float(self.epoch)

    @property
    def elapsed(self) -> float:
        return time.time() - self.start_time

    @property
    def eta(self) -> float | None:
        if self.step == 0 or not self.total_steps:
            return None
        return self.elapsed / self.step * max(self.total_steps - self.step, 0)

    def stop(self, reason: str) -> None:
        self.should_stop = True
        self.stop_reason = reason

    def start_task(self, what: str | None, total: int = 0) -> None:
        """Begin (or, with None, end) a piece of long work of `total` texts."""
        self.task, self.task_done, self.task_total, self.task_started = what, 0, total, time.time()


class Callback:
    """No-op hooks; override the ones you need."""

    def on_train_begin(self, state: TrainState) -> None: ...

    def on_step_end(self, state: TrainState) -> None: ...

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None: ...

    def on_epoch_end(self, state: TrainState) -> None: ...

    def on_train_end(self, state: TrainState) -> None: ...

    def on_progress(self, state: TrainState) -> None:
        """`state.task_done` moved on within long work (see `TrainState.task`)."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint must keep of this callback for a resumed run to behave as an unbroken one."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class CallbackList(Callback):
    def __init__(self, callbacks: Sequence[Callback] = ()):
        self.callbacks = list(callbacks)

    def on_train_begin(self, state: TrainState) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(state)

    def on_step_end(self, state: TrainState) -> None:
        for cb in self.callbacks:
            cb.on_step_end(state)

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None:
        for cb in self.callbacks:
            cb.on_evaluate(state, metrics)

    def on_epoch_end(self, state: TrainState) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(state)

    def on_train_end(self, state: TrainState) -> None:
        for cb in self.callbacks:
            cb.on_train_end(state)

    def on_progress(self, state: TrainState) -> None:
        for cb in self.callbacks:
            cb.on_progress(state)


Report = Callable[[int, int], None]


def reporter(state: TrainState, callback: Callback, what: str) -> Report:
    """A function that long work calls with (texts done, texts in all): it keeps `state`'s task up to date and tells
    `callback`."""
    state.start_task(what)

    def report(done: int, total: int) -> None:
        state.task_done, state.task_total = done, total
        callback.on_progress(state)

    return report


Batch = tuple[dict[str, torch.Tensor], torch.Tensor]


def to_device(batch: Batch, device: torch.device) -> Batch:
    inputs, targets = batch
    return {k: v.to(device, non_blocking=True) for k, v in inputs.items()}, targets.to(device, non_blocking=True)


def train_loop(
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Callable[[int], Iterable[Batch]],
    steps_per_epoch: int,
    epochs: int,
    evaluate: Callable[[], dict[str, float]],
    callbacks: Sequence[Callback] = (),
    device: torch.device = torch.device("cpu"),
    scheduler: Any = None,
    grad_clip: float | None = 1.0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = nn.functional.cross_entropy,
    amp_dtype: torch.dtype | None = None,
    checkpoints: Checkpoints | None = None,
    sharding: Sharding | None = None,
) -> TrainState:
    """Train `module` for `epochs`, evaluating after each; `batches(epoch)` yields that epoch's batches, the same
    ones whenever it is called for that epoch.

    With `amp_dtype` the forward pass runs under autocast in that dtype (bf16 needs no loss scaling). With
    `checkpoints`, training starts from the checkpoint found there, and writes one after every epoch, every
    few minutes between, and when stopped. With `sharding`, this is one of several processes training together
    (see core/training/distributed.py): each steps on its slice of every batch, and only the first writes checkpoints.
    """
    state = TrainState(epochs=epochs, steps_per_epoch=steps_per_epoch)
    module.to(device)
    saved = checkpoints.load() if checkpoints is not None else None
    if saved is not None:
        restore(saved, state, module, optimizer, scheduler, callbacks)

    last_saved = (state.epoch, state.step) if saved is not None else None
    model = module
    if sharding is not None:
        model = sharding.wrap(module, device)
        # Every process must take as many backward passes per step as the others, and a slice of a batch needs
        # no more than one (a checkpoint of a run on one GPU may have kept more, after running out of memory).
        state.accumulation = 1

    def save() -> None:
        nonlocal last_saved
        if checkpoints is not None and (sharding is None or sharding.main) and last_saved != (state.epoch, state.step):
            checkpoints.save(state, module, optimizer, scheduler, callbacks)
            last_saved = (state.epoch, state.step)

    def agree() -> None:
        if sharding is not None:
            sharding.agree(state)

    hooks = CallbackList(callbacks)
    hooks.on_train_begin(state)
    agree()
    while state.epoch < epochs and not state.should_stop:
        module.train()
        done_this_epoch = state.step - state.epoch * steps_per_epoch
        for batch in itertools.islice(batches(state.epoch), done_this_epoch, None):
            if sharding is not None:
                batch, weight = sharding.split(batch)
                loss = optimizer_step(model, optimizer, batch, state, device, grad_clip, loss_fn, amp_dtype, weight)
                state.loss = sharding.mean_loss(loss, weight)
            else:
                state.loss = optimizer_step(model, optimizer, batch, state, device, grad_clip, loss_fn, amp_dtype)
            if scheduler is not None:
                scheduler.step()
            state.step += 1
            hooks.on_step_end(state)
            agree()
            if state.should_stop:
                break
            if checkpoints is not None and checkpoints.due():
                save()
        if state.should_stop and state.step % steps_per_epoch:
            break  # a stop mid-epoch ends training without a partial-epoch evaluation
        state.epoch += 1
        module.eval()
        with torch.no_grad():
            state.val_metrics = evaluate()
        hooks.on_evaluate(state, state.val_metrics)
        hooks.on_epoch_end(state)
        agree()
        save()
    if state.should_stop:
        save()  # before early stopping puts the best weights back: a resumed run continues from the last ones
    hooks.on_train_end(state)
    return state


def optimizer_step(module: nn.Module, optimizer: torch.optim.Optimizer, batch: Batch, state: TrainState,
                   device: torch.device, grad_clip: float | None,
                   loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                   amp_dtype: torch.dtype | None, weight: float | None = None) -> float:
    """One optimizer step on `batch`, split into `state.accumulation` passes whose gradients add up; returns
    the batch's loss. When the device runs out of memory the step starts over with twice the passes, so each
    step still learns from the whole batch. `weight` (one process's slice of a batch trained across several)
    scales the gradients, and an out-of-memory error ends training: the other processes are mid-step."""
    inputs, targets = batch
    while True:
        optimizer.zero_grad(set_to_none=True)
        try:
            loss = accumulate_gradients(module, inputs, targets, state.accumulation, device, loss_fn, amp_dtype,
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
    if grad_clip:
        clip_gradients(module, grad_clip)
    optimizer.step()
    return loss


def accumulate_gradients(module: nn.Module, inputs: dict[str, torch.Tensor], targets: torch.Tensor, passes: int,
                         device: torch.device, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                         amp_dtype: torch.dtype | None, weight: float = 1.0) -> float:
    """Backpropagate the batch's mean loss, times `weight`, in `passes` slices. Each slice's loss is weighed by
    its share of the batch, so the gradients add up to those of one pass: exactly, for a loss that is a mean
    over rows."""
    n = len(targets)
    rows = -(-n // passes)
    total = 0.0
    for start in range(0, n, rows):
        part_inputs, part_targets = to_device(({k: v[start : start + rows] for k, v in inputs.items()},
                                               targets[start : start + rows]), device)
        with autocast(device, amp_dtype):
            loss = loss_fn(module(**part_inputs).float(), part_targets)
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
