"""Test accuracy and macro-F1 of every architecture on every sample (Balanced preset), beside the TF-IDF baseline.

    python -m benchmarks.accuracy_by_sample [--arch NAME ...] [--sample NAME ...] [--preset balanced]

Each run goes through `python -m core train --json` in a temporary workspace, exactly as a user would run it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from benchmarks.results import publish, table
from core.architectures import REGISTRY
from core.architectures.base import PRESETS
from core.data.samples import SAMPLES
from core.settings import env_name

BASELINE = "tfidf"
# Accuracy says little of several labels per text: benchmarks/multilabel.py measures those samples.
SINGLE_LABEL = [name for name, sample in SAMPLES.items() if not sample.multilabel]


def train(sample: str, arch: str, preset: str, workspace: str) -> dict:
    env = {**os.environ, env_name("workspace"): workspace}
    done = subprocess.run([sys.executable, "-m", "core", "train", "--sample", sample, "--arch", arch,
                           "--preset", preset, "--json"], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 and not done.stdout.strip():
        return {"status": "failed", "error": " ".join(done.stderr.strip().splitlines()[-1:])}
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(sample: str, arch: str, r: dict, baseline: dict | None) -> list[object]:
    if r["status"] != "succeeded":
        return [sample, arch, f"failed: {r.get('error')}", "", "", "", ""]
    versus = (f"{r['test_accuracy'] - baseline['test_accuracy']:+.3f}"
              if baseline and baseline.get("status") == "succeeded" else "")
    return [sample, REGISTRY[arch].title, f"{r['test_accuracy']:.3f}", versus, f"{r['test_macro_f1']:.3f}",
            f"{r['train_seconds']:.0f}", f"{r['model_bytes'] / 1e6:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=list(REGISTRY))
    parser.add_argument("--sample", action="append", choices=SINGLE_LABEL)
    parser.add_argument("--preset", default="balanced", choices=list(PRESETS))
    args = parser.parse_args()
    archs = args.arch or list(REGISTRY)
    rows = []
    with tempfile.TemporaryDirectory() as workspace:
        for sample in args.sample or SINGLE_LABEL:
            baseline = train(sample, BASELINE, args.preset, workspace) if BASELINE in archs else None
            for arch in archs:
                r = baseline if arch == BASELINE else train(sample, arch, args.preset, workspace)
                rows.append(row(sample, arch, r, baseline))
                print(" | ".join(map(str, rows[-1])), file=sys.stderr, flush=True)
    columns = ["sample", "architecture", "test accuracy", "vs TF-IDF", "test macro-F1", "train s", "model MB"]
    publish("accuracy_by_sample", f"Accuracy of every architecture ({args.preset.capitalize()} preset)",
            table(columns, rows))


if __name__ == "__main__":
    main()
