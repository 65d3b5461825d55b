"""Prediction latency of every architecture: its own `predict_proba` against its ONNX export in ONNX Runtime.

p50 and p95 of one call with 1 text and with 64 texts; "eager" is PyTorch eager, or scikit-learn for TF-IDF.

    python -m benchmarks.predict_latency [--archs tfidf,textcnn,...] [--train 600] [--repeats 50] [--batch-repeats 20]

Each model is trained on TREC-6 with its default settings, so it has its real size, but for one epoch only: its
accuracy does not matter here. The timed texts are TREC-6 test questions, different ones call after call. PyTorch
runs on 2 threads, ONNX Runtime on its default number of threads. Each runtime is timed in a block of its own:
taking turns call by call, each ran slower behind the other's still-spinning threads.
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

# The pretrained families then use the MiniLM a pip package carries and never wait on the Hub; transformers reads
# this once, when the architectures import it below.
os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

from benchmarks.results import publish, table  # noqa: E402
from core.architectures import REGISTRY  # noqa: E402
from core.data.preparation import prepare  # noqa: E402
from core.data.samples import get_sample  # noqa: E402
from core.data.splitting import split  # noqa: E402
from core.data.text_set import subset  # noqa: E402
from core.formats.onnx_export import export  # noqa: E402
from core.models.loading import load_model  # noqa: E402

SAMPLE = "trec6"
TORCH_THREADS = 2
WARMUP = 3  # the first calls allocate buffers and pick kernels
BATCHES = (1, 64)
# Short training; every other setting keeps its default, which is what sets the model's size.
SHORT = {"epochs": 1, "device": "cpu"}
VAL_TEXTS = 100
CHECK_TEXTS = 256  # test texts the export's parity check compares the two runtimes on


def data(n_train: int):
    df = split(prepare(get_sample(SAMPLE).load(), "text", "label"), seed=42)
    # A random draw rather than the first rows, so that every class is in it.
    train = subset(df[df["split"] == "train"].sample(n=min(n_train, int((df["split"] == "train").sum())),
                                                     random_state=0), "train")
    val = subset(df[df["split"] == "val"].head(VAL_TEXTS), "val")
    return train, val, subset(df, "test").texts


def timed(predict: Callable[[list[str]], object], calls: list[list[str]]) -> np.ndarray:
    """Milliseconds of each call. The warm-up also outlasts the other runtime's threads, which spin for a while
    after each call and, on a machine this small, would slow the calls that follow them."""
    for texts in calls[:WARMUP]:
        predict(texts)
    seconds = []
    for texts in calls:
        started = time.perf_counter()
        predict(texts)
        seconds.append(time.perf_counter() - started)
    return np.asarray(seconds) * 1000


def measure(arch: str, train, val, test: Sequence[str], repeats: dict[int, int], scratch: Path) -> list[list[object]]:
    architecture = REGISTRY[arch]
    config = architecture.config_cls()
    config = dataclasses.replace(config, **{k: v for k, v in SHORT.items() if hasattr(config, k)})
    model = architecture.model_cls(config)
    started = time.perf_counter()
    model.fit(train, val)
    train_s = time.perf_counter() - started
    folder = scratch / arch
    started = time.perf_counter()
    manifest = export(model, folder, test[:CHECK_TEXTS])
    export_s = time.perf_counter() - started
    onnx = load_model(folder)
    print(f"{arch}: trained in {train_s:.0f} s, exported in {export_s:.1f} s", file=sys.stderr, flush=True)
    rows = []
    for size in BATCHES:
        calls = [[test[(i * size + j) % len(test)] for j in range(size)] for i in range(repeats[size])]
        ms = {"eager": timed(model.predict_proba, calls), "onnx": timed(onnx.predict_proba, calls)}
        p50, p95 = ({name: float(np.percentile(t, q)) for name, t in ms.items()} for q in (50, 95))
        first = size == BATCHES[0]
        rows.append([architecture.title if first else "", size, f"{p50['eager']:.2f}", f"{p95['eager']:.2f}",
                     f"{p50['onnx']:.2f}", f"{p95['onnx']:.2f}", f"{p50['eager'] / p50['onnx']:.2f}×",
                     f"{manifest['parity']['max_difference']:.1e}" if first else "",
                     f"{export_s:.1f}" if first else ""])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default=",".join(REGISTRY), help="comma-separated; default: all")
    parser.add_argument("--train", type=int, default=600, help="training texts")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls with 1 text")
    parser.add_argument("--batch-repeats", type=int, default=20, help="timed calls with 64 texts")
    args = parser.parse_args()
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    unknown = [a for a in archs if a not in REGISTRY]
    if unknown:
        parser.error(f"unknown architecture(s) {', '.join(unknown)}; architectures: {', '.join(REGISTRY)}")
    torch.set_num_threads(TORCH_THREADS)
    train, val, test = data(args.train)
    repeats = {1: args.repeats, 64: args.batch_repeats}
    rows = []
    with tempfile.TemporaryDirectory(prefix="predict_latency-") as scratch:
        for arch in archs:
            try:
                rows += measure(arch, train, val, test, repeats, Path(scratch))
            except Exception as exc:  # noqa: BLE001 - one architecture failing (say, parity) is a result too
                print(f"{arch}: failed: {exc!r}", file=sys.stderr, flush=True)
                rows.append([REGISTRY[arch].title, "", f"failed: {str(exc).splitlines()[0][:200]}",
                             *[""] * 6])
            gc.collect()  # the pretrained models weigh ~90 MB each; free one before training the next
    columns = ["architecture", "batch", "eager p50 ms", "eager p95 ms", "ONNX p50 ms", "ONNX p95 ms",
               "speed-up (p50)", "parity max diff", "export s"]
    setup = (f"{os.cpu_count()} CPUs; torch {torch.__version__} on {torch.get_num_threads()} threads, "
             f"onnxruntime {ort.__version__} on its default threads. "
             f"{len(train.texts)} training texts, 1 epoch; {args.repeats} timed calls with 1 text, "
             f"{args.batch_repeats} with 64; TREC-6 test questions.")
    publish("predict_latency", "Prediction latency: PyTorch eager against ONNX Runtime", f"{setup}\n\n"
            + table(columns, rows))


if __name__ == "__main__":
    main()
