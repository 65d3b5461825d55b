"""One run trained by several processes at once: PyTorch DistributedDataParallel, launched by torchrun.

Every process builds the same model from the same seed, and each optimizer step's batch is cut into one slice
per process. DDP averages the slices' gradients, weighed here so that the step learns exactly what one process
would from the whole batch. All processes evaluate the same weights on the same validation texts, so they agree
on every metric; only the first (rank 0) writes metrics, checkpoints and the model.

The same code runs with NCCL across GPUs and with gloo across CPU processes, which is how the tests exercise it.
"""
from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from core.settings import env_name, settings
from core.training.state import Batch, TrainState


@dataclass(frozen=True)
class World:
    """This process's place among a run's processes, as torchrun describes it in the environment."""
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> "World":
        # Only torchrun's own: a RANK left in the server's environment by another launcher is not this run's.
        if "TORCHELASTIC_RUN_ID" not in os.environ:
            return cls()
        return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                   int(os.environ.get("LOCAL_RANK", 0)))

    @property
    def main(self) -> bool:
        return self.rank == 0


def processes_per_run(gpus: int) -> int:
    """How many processes train one run: `$CLASSIFIER_STUDIO_PROCESSES_PER_RUN` is 1 (one run per GPU, the
    default), `all` (one run across all the GPUs) or a number (on a machine without GPUs, CPU processes)."""
    value = settings().processes_per_run
    if value == "all":
        return max(1, gpus)
    if gpus and value > gpus:
        raise ValueError(f"{env_name('processes_per_run')} is {value}, but this server has {gpus} GPU(s): each "
                         "process needs one.")
    return value


def join(world: World, device_type: str) -> None:
    """Join the run's other processes: NCCL between GPUs (one each, by local rank), gloo between CPU processes."""
    if device_type == "cuda":
        torch.cuda.set_device(world.local_rank)
    # NCCL carries the gradients between GPUs; gloo the few numbers on the CPU that agree on loss and stopping.
    dist.init_process_group("cpu:gloo,cuda:nccl" if device_type == "cuda" else "gloo")


def leave() -> None:
    if dist.is_initialized():
        # A DistributedDataParallel wrapper lingers in a reference cycle after training, holding the group; freed
        # only as the interpreter exits, it takes gloo's threads down too late and the process aborts
        # ("terminate called without an active exception"), which makes torchrun stop the other processes.
        gc.collect()
        dist.destroy_process_group()


def active() -> bool:
    return dist.is_initialized() and dist.get_world_size() > 1


class Sharding:
    """What the training loop needs to train across processes: the wrapped module, each process's slice of a
    batch, and agreement on the loss and on stopping."""

    def __init__(self, world: World):
        self.world = world

    @property
    def main(self) -> bool:
        return self.world.main

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        # Every parameter of a distributable model takes part in each step's loss (a test trains each such model
        # this way), so DDP is spared the search for unused ones it would otherwise make after every backward pass.
        ids = [device.index if device.index is not None else torch.cuda.current_device()] \
            if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def split(self, batch: Batch) -> tuple[Batch, float]:
        """This process's rows of `batch`, and the weight of their mean loss: DDP averages gradients over the
        processes, so a slice of n of the batch's N rows is weighed n * processes / N. A batch with fewer rows
        than processes gives the processes left over a copy of a row, weighed 0, since all must step together."""
        inputs, targets = batch
        n, size, rank = len(targets), self.world.size, self.world.rank
        rows = list(range(rank, n, size)) or [rank % n]
        weight = len(range(rank, n, size)) * size / n
        index = torch.tensor(rows)
        return ({k: v[index] for k, v in inputs.items()}, targets[index]), weight

    def mean_loss(self, loss: float, weight: float) -> float:
        """The whole batch's loss from each process's (weighted as in `split`)."""
        total = torch.tensor([loss * weight / self.world.size], dtype=torch.float64)
        dist.all_reduce(total)
        return float(total)

    def agree(self, state: TrainState) -> None:
        """Stop every process when any one wants to (the user's Stop reaches rank 0 only, a time limit may run
        out on one first): a process that stopped alone would leave the others waiting for it for ever."""
        stop = torch.tensor([int(state.should_stop)])
        dist.all_reduce(stop, op=dist.ReduceOp.MAX)
        if not stop.item():
            return
        reasons: list[str | None] = [None] * self.world.size
        dist.all_gather_object(reasons, state.stop_reason if state.should_stop else None)
        state.should_stop = True
        state.stop_reason = next((r for r in reasons if r), None)  # the same reason everywhere: the first rank's
