"""Plain-English counts and lists for the messages users read."""
from __future__ import annotations

from typing import Sequence


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '2,500 rows', '3 classes' (pass the plural when adding an s is wrong)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def listing(items: Sequence[str], shown: int) -> str:
    """'a, b, c' or, past `shown` items, 'a, b, c and 4 more'."""
    head = ", ".join(items[:shown])
    return f"{head} and {len(items) - shown:,} more" if len(items) > shown else head
