"""Keys by which texts are compared: the text as written (stripped) and normalised, each hashed to 64 bits.

Normalised means Unicode NFKC, lower case, no punctuation and single spaces, so "Free entry!!" and "free  entry"
share a key. A million texts are keyed a chunk at a time, so no second copy of the text column ever exists.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data.labels import STRING

CHUNK = 5_000  # texts keyed at a time
# Whitespace that NFKC leaves as it is (it turns no-break and other wide spaces into a plain space).
_ODD_SPACE = r"\t\n\x0b\f\r\x{85}\x{1680}\x{2028}\x{2029}"


def keys(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: empty, length, and a 64-bit hash of the text as written (stripped) and as normalised, which serve as
    codes (equal texts, equal codes; a collision among a million texts has odds of about 1 in 30 million). Filled a
    chunk at a time into arrays made once, so neither a second copy of the texts nor a big temporary ever exists."""
    n = len(column)
    empty, lengths = np.empty(n, dtype=bool), np.empty(n, dtype=np.int32)
    exact, near = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
    for start in range(0, n, CHUNK):
        part = slice(start, min(start + CHUNK, n))
        text = column.iloc[part].astype(STRING).str.strip().fillna("").reset_index(drop=True)
        empty[part] = (text == "").to_numpy(dtype=bool)
        lengths[part] = text.str.len().to_numpy(dtype=np.int32)
        exact[part] = pd.util.hash_array(text.to_numpy(dtype=object))
        near[part] = pd.util.hash_array(normalize(text).to_numpy(dtype=object))
    # Arrow's pool keeps the chunks' freed memory for reuse; nothing here needs it again.
    pa.default_memory_pool().release_unused()
    return empty, lengths, exact, near


def normalize(text: pd.Series) -> pd.Series:
    """One key for texts that differ only in Unicode form, case, punctuation or spacing. Symbols and emoji stay:
    'I love it 😀' and 'I love it 😢' are different texts."""
    plain = pc.string_is_ascii(pa.array(text)).to_numpy(zero_copy_only=False)
    if not plain.all():
        # Python's NFKC runs row by row, yet beats Arrow's NFKD since it skips text already normal (nearly all).
        text = text.mask(~plain, text[~plain].str.normalize("NFKC"))
    # Arrow's lower() rather than pandas' row-by-row casefold(); they differ on rare letters such as "ß" ("ss").
    bare = pc.replace_substring_regex(pa.array(text.str.lower()), r"\p{P}+", "")
    # Only runs and odd spaces are replaced: rewriting every single space would take ten times longer.
    squeezed = pc.utf8_trim_whitespace(pc.replace_substring_regex(bare, rf"[ {_ODD_SPACE}]{{2,}}|[{_ODD_SPACE}]", " "))
    key = pd.Series(squeezed, dtype=STRING)
    # A text of punctuation only ("!!!", "?") would otherwise share the key "" with every other such text.
    return key.where(key != "", text)
