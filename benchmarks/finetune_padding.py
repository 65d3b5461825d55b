"""Fine-tuning throughput with length-bucketed, dynamically padded batches against padding every batch to the
maximum length (what AutoTrain does), as a ratio, with the test accuracy each reaches.

    python -m benchmarks.finetune_padding [--sample trec6] [--epochs 1] [--max-length 128]

Both runs fine-tune the same pretrained model with the same seed, settings and number of steps.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.results import publish, table
from core.architectures import get_architecture
from core.data.preparation import prepare
from core.data.samples import get_sample
from core.data.splitting import split
from core.data.text_set import subset

ARCH = "finetune"


def fine_tune(config, train, test, bucketing: bool) -> tuple[float, float]:
    model = get_architecture(ARCH).model_cls(config)
    model.bucketing = bucketing
    started = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - started
    accuracy = float(np.mean(model.predict(test.texts) == np.asarray(test.labels, dtype=object)))
    return seconds, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", default="trec6")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    df = split(prepare(get_sample(args.sample).load(), "text", "label"), seed=42)
    train, test = subset(df, "train"), subset(df, "test")
    arch = get_architecture(ARCH)
    config = arch.config_cls.from_dict({**arch.config_cls.preset_values("balanced", len(train.texts)),
                                        "epochs": args.epochs, "max_length": args.max_length})
    rows, rates = [], {}
    for name, bucketing in (("padded to max length", False), ("bucketed, dynamic padding", True)):
        seconds, accuracy = fine_tune(config, train, test, bucketing)
        rates[bucketing] = len(train.texts) * args.epochs / seconds
        rows.append([name, f"{seconds:.0f}", f"{rates[bucketing]:.1f}", f"{accuracy:.3f}"])
    rows.append(["ratio (dynamic / padded)", "", f"{rates[True] / rates[False]:.2f}", ""])
    columns = ["batches", "train s", "texts/s", "test accuracy"]
    title = (f"Fine-tuning {config.model} on {args.sample}: {args.epochs} epoch(s), batch {config.batch_size}, "
             f"max length {args.max_length}")
    publish("finetune_padding", "Pretrained fine-tuning: dynamic padding against padding to the maximum length",
            f"{title}\n\n" + table(columns, rows))


if __name__ == "__main__":
    main()
