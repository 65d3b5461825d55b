"""Plain text, one example per line: `label<TAB>text`, fastText's `__label__x text`, or texts alone."""
from __future__ import annotations

import re

import pandas as pd

from core.data.reading.result import ReadResult, Skipped, physical_lines
from core.errors import DataError

FASTTEXT = re.compile(r"((?:__label__\S+\s+)+)(.*)", re.DOTALL)
SAMPLE_LINES = 50


def read_lines(text: str, encoding: str) -> ReadResult:
    lines = [(number, line) for number, line in enumerate(physical_lines(text), 1) if line.strip()]
    if not lines:
        raise DataError("The file holds no text, only blank lines.")
    sample = [line for _, line in lines[:SAMPLE_LINES]]
    if sum(line.startswith("__label__") for line in sample) * 2 > len(sample):
        result = _fasttext(lines)
    elif sum("\t" in line for line in sample) * 2 > len(sample):  # a stray line without a tab is reported
        result = _tabbed(lines)
    else:
        result = ReadResult(pd.DataFrame({"text": [line for _, line in lines]}, dtype="str"), "text, one per line")
    result.encoding = encoding
    return result


def _fasttext(lines: list[tuple[int, str]]) -> ReadResult:
    rows, skipped = [], []
    for number, line in lines:
        match = FASTTEXT.fullmatch(line)
        if match is None:
            reason = "a label but no text after it." if line.startswith("__label__") else "no __label__ at the start."
            skipped.append(Skipped(reason, line, line=number))
            continue
        # Several labels on one line make a multi-label example; "|" joins them the way a table column would.
        labels = "|".join(label.removeprefix("__label__") for label in match[1].split())
        rows.append((match[2].strip(), labels))
    return ReadResult(pd.DataFrame(rows, columns=["text", "label"], dtype="str"), "fastText lines (__label__x text)",
                      skipped=skipped)


def _tabbed(lines: list[tuple[int, str]]) -> ReadResult:
    rows, skipped = [], []
    for number, line in lines:
        first, tab, rest = line.partition("\t")
        if not tab:
            skipped.append(Skipped("no tab between the label and the text.", line, line=number))
            continue
        rows.append((first, rest))
    df = pd.DataFrame(rows, columns=["label", "text"], dtype="str")
    # `text<TAB>label` is as common as the other order: the label side is the one with fewer, shorter values.
    if len(df) and df["label"].str.len().mean() > df["text"].str.len().mean() and \
            df["label"].nunique() > df["text"].nunique():
        df.columns = ["text", "label"]
    return ReadResult(df[["text", "label"]], "label<TAB>text lines", skipped=skipped)
