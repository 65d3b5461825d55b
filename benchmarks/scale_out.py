"""The same run sent three ways, and the store on two databases.

    python -m benchmarks.scale_out [--sample trec6] [--epochs 2]

Runs: one TextCNN run on a sample (no early stopping, so each trains the same steps), started with `jobs.start`
as the Train page starts it: in one worker here, across two DDP processes (gloo, on this machine's CPUs), and as a
Ray job on a throwaway one-node head on loopback (started first, not timed). For each: seconds from Start until
the first curve point is in the store (what someone watching waits for), seconds until the run is done, its
optimizer steps per second, and its test accuracy.

Store: median milliseconds of the calls a worker makes while training (`log_metrics`, `set_progress`) and the live
chart makes each second (`metrics_since`), on SQLite in the workspace and on a PostgreSQL server on loopback,
started as the tests start it (with fsync off, so its figures are those of a server with a fast disk).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Callable

from benchmarks.results import publish, table
from core.data.preparation import prepare
from core.data.samples import get_sample
from core.data.splitting import split
from core.runs import jobs
from core.settings import env_name
from core.store.datasets import save_dataset
from core.store.records import Progress
from core.store.store import Store
from tests.postgres_server import PostgresServer
from tests.ray_head import ray_head

WAYS = {"one worker here": {}, "two DDP processes (gloo)": {env_name("processes_per_run"): "2"}, "Ray job": {}}


def timed_run(store: Store, dataset_id: str, config: dict) -> tuple[float, float, float, float]:
    """(seconds to the first curve point, seconds to the end, steps per second, test accuracy)."""
    started = time.monotonic()
    run_id, _ = jobs.start(store, dataset_id, "textcnn", config)
    first = None
    while (run := store.get_run(run_id)).active:
        if first is None and store.metrics_since(run_id):
            first = time.monotonic() - started
        if time.monotonic() - started > 1800:
            jobs.cancel(store, run_id)
            raise SystemExit(f"run {run_id} did not finish in 30 minutes")
        time.sleep(0.05)
    if run.status != "succeeded":
        raise SystemExit(f"run {run_id} {run.status}: {run.error}\n{jobs.worker_log(store, run_id)[-2000:]}")
    total = time.monotonic() - started
    return first or total, total, run.progress.total_steps / run.result["train_seconds"], run.result["accuracy"]


def median_ms(call: Callable[[], object], repeats: int = 300) -> float:
    timings = []
    for _ in range(repeats):
        begun = time.perf_counter()
        call()
        timings.append((time.perf_counter() - begun) * 1000)
    return statistics.median(timings)


def store_calls(store: Store, dataset_id: str) -> list[float]:
    run_id = store.create_run(dataset_id, "textcnn", {})
    step = iter(range(10**9))
    for _ in range(200):  # a chart reads a run with some history
        store.log_metrics(run_id, next(step), 0.0, "train", {"loss": 0.5})
    return [median_ms(lambda: store.log_metrics(run_id, next(step), 0.0, "train", {"loss": 0.5})),
            median_ms(lambda: store.set_progress(run_id, Progress(step=1, phase="training"))),
            median_ms(lambda: store.metrics_since(run_id, 10**9))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", default="trec6")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    config = {"epochs": args.epochs, "early_stopping_patience": 0, "device": "cpu"}
    sample = get_sample(args.sample)
    parts = split(prepare(sample.load(), "text", "label"), seed=0)

    run_rows, store_rows = [], []
    with ray_head() as address:
        for way, env in WAYS.items():
            os.environ.update({env_name("workspace"): tempfile.mkdtemp(prefix="scale-out-"), **env})
            if way == "Ray job":
                os.environ[env_name("ray_address")] = address
            store = Store()
            dataset = save_dataset(store, parts, sample.title)
            first, total, rate, accuracy = timed_run(store, dataset.id, config)
            run_rows.append([way, f"{first:.1f}", f"{total:.1f}", f"{rate:.1f}", f"{accuracy:.3f}"])
            for name in (*env, env_name("ray_address")):
                os.environ.pop(name, None)

    server = PostgresServer()
    server.start()
    try:
        for name, url in (("SQLite", None), ("PostgreSQL", server.new_database())):
            if url:
                os.environ[env_name("database_url")] = url
            store = Store(tempfile.mkdtemp(prefix="scale-out-"))
            dataset = save_dataset(store, parts.head(50), "store")
            store_rows.append([name, *(f"{ms:.2f}" for ms in store_calls(store, dataset.id))])
    finally:
        os.environ.pop(env_name("database_url"), None)
        server.stop()

    runs = table(["sent as", "s to the first curve point", "s to done", "steps/s", "test accuracy"], run_rows)
    calls = table(["store", "log_metrics ms", "set_progress ms", "metrics_since ms"], store_rows)
    publish("scale_out", "One run sent three ways; the store on two databases",
            f"TextCNN on {sample.title}, {args.epochs} epochs, CPU.\n\n{runs}\n\n{calls}")


if __name__ == "__main__":
    main()
