"""Print a benchmark's table and keep it, between markers of its own, in benchmarks/RESULTS.md."""
from __future__ import annotations

import platform
import re
import time
from pathlib import Path
from typing import Sequence

import torch

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by the benchmark named in it; the rest of the file is kept.\n"


def machine() -> str:
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
    return f"{platform.machine()} {device}, torch {torch.__version__}"


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(name: str, title: str, body: str) -> None:
    """Print `body` and put it in RESULTS.md in place of the section `name` wrote last time."""
    print(body, flush=True)
    section = (f"<!-- {name} -->\n## {title}\n\n`python -m benchmarks.{name}` · {time.strftime('%Y-%m-%d')} · "
               f"{machine()}\n\n{body}\n<!-- /{name} -->")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
