"""Ids that a link carries in its address (`?run=12`, `?imported=3`), read without trusting them: whatever was typed
or pasted there gives a number or nothing, never an error."""
from __future__ import annotations

import re

import streamlit as st

# No run or model of ours has a longer id; Python's int() refuses thousands of digits, and a database an id
# beyond 64 bits.
MAX_DIGITS = 18
_ID = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")  # ASCII digits only: "²".isdigit() is true, yet int("²") fails


def parse_id(value: str) -> int | None:
    """The id `value` spells ("12" gives 12), or None for anything else ("", "abc", "²", "-1", 5,000 digits)."""
    return int(value) if _ID.fullmatch(value.strip()) else None


def url_id(name: str) -> int | None:
    """The id the address gives for `name` (`?run=12` gives 12 for "run"), or None when it gives none or no id."""
    return parse_id(st.query_params.get(name, ""))
