"""Test accuracy and macro-F1 of every architecture on every sample, default settings, through the command line.

    python -m benchmarks.accuracy_by_sample [--arch NAME ...] [--sample NAME ...]

Each run goes through `python -m core train --json` in a temporary workspace, exactly as a user would run it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from core.architectures import REGISTRY
from core.samples import SAMPLES
from core.workspace import WORKSPACE_ENV


def train(sample: str, arch: str, workspace: str) -> dict:
    env = {**os.environ, WORKSPACE_ENV: workspace}
    done = subprocess.run([sys.executable, "-m", "core", "train", "--sample", sample, "--arch", arch, "--json"],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"status": "failed", "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=list(REGISTRY))
    parser.add_argument("--sample", action="append", choices=list(SAMPLES))
    args = parser.parse_args()
    print(f"| sample | architecture | test accuracy | test macro-F1 | train seconds |")
    print(f"|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as workspace:
        for sample in args.sample or list(SAMPLES):
            for arch in args.arch or list(REGISTRY):
                r = train(sample, arch, workspace)
                if r["status"] != "succeeded":
                    print(f"| {sample} | {arch} | failed: {r.get('error')} | | |", flush=True)
                    continue
                print(f"| {sample} | {arch} | {r['test_accuracy']:.3f} | {r['test_macro_f1']:.3f} | "
                      f"{r['train_seconds']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
