"""Training throughput of our loop against a minimal hand-written PyTorch loop: same model, data and batches.

    python -m benchmarks.loop_throughput [--sample trec6] [--arch textcnn] [--repeats 3]

All loops get the same length-bucketed, dynamically padded batches, so the ratio measures only what the loop
itself adds per step: the learning-rate schedule, gradient clipping, the loss read back for the curves, early
stopping's bookkeeping and the store logger that feeds the live page. A third loop, minimal plus the same
gradient clipping, separates the cost of that one feature from the cost of the rest.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from benchmarks.results import publish, table
from core.architectures import get_architecture
from core.architectures.neural import collate, length_bucketed
from core.data.preparation import prepare
from core.data.samples import get_sample
from core.data.splitting import split
from core.data.text_set import subset
from core.runs.worker_callbacks import StopWatch, StoreLogger
from core.store.store import Store
from core.training.early_stopping import EarlyStopping
from core.training.loop import TrainOptions, make_scheduler, train_loop


def prepared(sample: str, arch: str):
    """The model, its fresh module factory and one epoch of ready batches, as `fit` would build them."""
    df = split(prepare(get_sample(sample).load(), "text", "label"), seed=42)
    train = subset(df, "train")
    architecture = get_architecture(arch)
    model = architecture.model_cls(architecture.config_cls.preset("balanced", len(train.texts)))
    targets = model._encode_labels(train.labels)
    model._fit_tokenizer(train.texts)
    ids = model._encode(train.texts)
    order = length_bucketed([len(x) for x in ids], model.config.batch_size, torch.Generator().manual_seed(0))
    batches = [collate([ids[i] for i in chunk], targets[chunk]) for chunk in order]
    return model, batches


def fresh(model):
    torch.manual_seed(0)
    module = model._build_module(len(model.classes_))
    optimizer = torch.optim.AdamW(module.parameters(), lr=model.config.learning_rate,
                                  weight_decay=model.config.weight_decay, fused=True)
    return module, optimizer


def minimal_loop(model, batches, epochs: int, clip: float | None = None) -> float:
    """The loop a tutorial writes; with `clip`, plus the gradient clipping our loop does by default."""
    module, optimizer = fresh(model)
    module.train()
    started = time.perf_counter()
    for _ in range(epochs):
        for inputs, targets in batches:
            loss = nn.functional.cross_entropy(module(**inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(module.parameters(), clip)
            optimizer.step()
    return time.perf_counter() - started


def our_loop(model, batches, epochs: int, store: Store, run_id: int) -> float:
    module, optimizer = fresh(model)
    total = epochs * len(batches)
    scheduler = make_scheduler(optimizer, model.config.schedule, total, int(model.config.warmup_ratio * total))
    callbacks = [EarlyStopping(module, "macro_f1", 0), StoreLogger(store, run_id, StopWatch(store, run_id))]
    started = time.perf_counter()
    options = TrainOptions(epochs=epochs, steps_per_epoch=len(batches), grad_clip=model.config.grad_clip)
    train_loop(module, optimizer, lambda epoch: batches, dict, options, callbacks=callbacks, scheduler=scheduler)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", default="trec6")
    parser.add_argument("--arch", default="textcnn")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model, batches = prepared(args.sample, args.arch)
    texts = sum(len(targets) for _, targets in batches) * args.epochs
    with tempfile.TemporaryDirectory() as workspace:
        store = Store(Path(workspace))
        store.add_dataset("bench", "bench", "-", 0, [])
        run_id = store.create_run("bench", args.arch, {}, reserved=True)
        minimal_loop(model, batches[:5], 1)  # warm-up: first calls allocate and pick kernels
        times: dict[str, list[float]] = {"minimal": [], "clipped": [], "ours": []}
        for _ in range(args.repeats):  # alternated, so a slow spell of the machine hits all three
            times["minimal"].append(minimal_loop(model, batches, args.epochs))
            times["clipped"].append(minimal_loop(model, batches, args.epochs, model.config.grad_clip))
            times["ours"].append(our_loop(model, batches, args.epochs, store, run_id))
    rate = {name: texts / statistics.median(seconds) for name, seconds in times.items()}
    rows = [[args.arch, args.sample, model.config.batch_size, len(batches) * args.epochs, f"{rate['minimal']:,.0f}",
             f"{rate['clipped']:,.0f}", f"{rate['ours']:,.0f}", f"{rate['ours'] / rate['minimal']:.3f}",
             f"{rate['ours'] / rate['clipped']:.3f}"]]
    columns = ["model", "sample", "batch", "steps", "minimal loop texts/s", "minimal + clipping texts/s",
               "our loop texts/s", "ours / minimal (target ≥ 0.95)", "ours / minimal + clipping"]
    publish("loop_throughput", "Training loop throughput against a minimal PyTorch loop", table(columns, rows))


if __name__ == "__main__":
    main()
