"""Reading and checking a big upload: a generated CSV of a million rows (about 150 MB) read the way the Data page
reads it, against plain `pandas.read_csv(engine="pyarrow")`. Each step runs in a fresh process, so its peak memory
is its own; the target is a peak under 3 times the file size, counted from the moment the file's bytes are held.

    python -m benchmarks.ingest_scale [--rows 1000000]
"""
from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results import publish, table

STEPS = {
    "pandas": "pandas.read_csv(engine='pyarrow')",
    "read": "read_file: the file read, every line accounted for",
    "check": "read_file + guess_columns + validate (the Data page's report)",
}
LABELS = ["sport", "business", "politics", "technology", "film", "music", "science", "travel"]


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Rows of about 150 bytes: an id, a text of 20 to 25 words, a label; one text in fifty repeats an earlier one
    with other capitalisation, so the duplicate checks have work to do."""
    rng = random.Random(seed)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(20_000)]
    texts: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,text,label\n")
        for i in range(rows):
            if texts and rng.random() < 0.02:
                text = rng.choice(texts).upper()
            else:
                text = " ".join(rng.choices(words, k=rng.randint(20, 25)))
                if len(texts) < 10_000:
                    texts.append(text)
            out.write(f'{i},"{text}",{rng.choice(LABELS)}\n')


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def run_step(step: str, path: Path) -> dict:
    """Runs in its own process: import and warm up everything first (a server has read files before), then hold the
    bytes and do the step."""
    import pandas as pd

    from core.data.preparation import guess_columns, validate
    from core.data.reading import read_file

    tiny = b"id,text,label\n1,a first text,x\n2,a second text,y\n3,a third text,x\n"
    pd.read_csv(io.BytesIO(tiny), engine="pyarrow")
    warm = read_file(tiny, "tiny.csv").table
    validate(warm, *guess_columns(warm))
    before = _rss()
    started = time.perf_counter()
    raw = path.read_bytes()
    if step == "pandas":
        rows = len(pd.read_csv(io.BytesIO(raw), engine="pyarrow"))
    else:
        result = read_file(raw, path.name)
        rows = result.rows
        if step == "check":
            text_col, label_col = guess_columns(result.table)
            validate(result.table, text_col, label_col)
    seconds = time.perf_counter() - started
    # ru_maxrss is in kB on Linux; the baseline is the process with everything imported and nothing read.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return {"rows": rows, "seconds": seconds, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.file)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_csv(path, args.rows)
        size = path.stat().st_size
        measured = {}
        for step in STEPS:
            out = subprocess.run([sys.executable, "-m", "benchmarks.ingest_scale", "--step", step, "--file", str(path)],
                                 check=True, capture_output=True, text=True).stdout
            measured[step] = json.loads(out.strip().splitlines()[-1])
    reference = measured["pandas"]["seconds"]
    rows = [[STEPS[step], f"{m['rows']:,}", f"{m['seconds']:.2f}", f"{m['seconds'] / reference:.1f}",
             f"{m['peak'] / 1e6:.0f}", f"{m['peak'] / size:.2f}"] for step, m in measured.items()]
    publish("ingest_scale", f"Reading a {size / 1e6:.0f} MB CSV of {args.rows:,} rows",
            table(["step", "rows", "seconds", "× pandas", "peak memory (MB)", "peak / file size (target < 3)"], rows))


if __name__ == "__main__":
    main()
