"""Plain-English counts and lists for the messages users read."""
from __future__ import annotations

import re
from typing import Any, Sequence

# Every ASCII punctuation mark Markdown, Streamlit's extensions (:emoji:, :red[..], $math$) or an HTML entity (&amp;)
# could read; CommonMark shows each one backslash-escaped as itself.
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=])")
# GitHub's bare links (an address, www.…, http://…) are found in the text after escapes are read, so no escape stops
# them; an invisible word joiner inside what starts one does.
BARE_LINK = re.compile(r"(@|www(?=\.)|https?:(?=//))", re.IGNORECASE)
WORD_JOINER = "\u2060"


def literal_markdown(text: Any) -> str:
    """A user's value (a label, a file or column name, a message quoting one) as Markdown that shows it as written.
    Runs of white space become one space: a line break could start a heading, a list or a code block."""
    unlinked = BARE_LINK.sub(rf"\1{WORD_JOINER}", " ".join(str(text).split()))
    return MARKDOWN_SPECIALS.sub(r"\\\1", unlinked)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '2,500 rows', '3 classes' (pass the plural when adding an s is wrong)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def percent(p: float) -> str:
    """A probability as a person reads it, never "100%" or "0%", which no model can promise: "87%", "over 99%",
    "under 1%"."""
    if p > 0.99:
        return "over 99%"
    if p < 0.01:
        return "under 1%"
    return f"{p:.0%}"


def listing(items: Sequence[str], shown: int) -> str:
    """'a, b, c' or, past `shown` items, 'a, b, c and 4 more'."""
    head = ", ".join(items[:shown])
    return f"{head} and {len(items) - shown:,} more" if len(items) > shown else head


def first_line(exc: BaseException) -> str:
    """An error's first line without its closing full stop, to quote inside a sentence of our own."""
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def duration(seconds: float | None) -> str:
    """'42 s', '3 min 05 s', '2 h 10 min'; '—' when unknown."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
