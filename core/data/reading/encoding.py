"""Which text encoding a file is in: UTF-8 and its BOM forms first, then charset-normalizer's guess."""
from __future__ import annotations

import codecs
import io
import re
import unicodedata
from typing import TextIO

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding

from core.data.reading.result import Note
from core.errors import DataError

# The encodings a user can pick when the guess is wrong: codec name -> what people call it.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "gb18030": "Chinese, simplified (GBK / GB18030)",
    "big5hkscs": "Chinese, traditional (Big5)",
    "cp932": "Japanese (Shift-JIS)",
    "cp949": "Korean (EUC-KR)",
    "cp1252": "Western European (Windows-1252)",
    "cp1251": "Cyrillic (Windows-1251)",
    "iso8859-1": "Latin-1 (ISO-8859-1)",
}
# Detectors name the base standard; reading with its superset decodes the extra characters Windows adds.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "shift_jis": "cp932", "euc_kr": "cp949"}
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
CHUNK = 1 << 20
SAMPLE = 1 << 16
# While a file is decoded, each byte sequence the encoding cannot read becomes MARK, a lone surrogate: no text decoded
# without error holds one, so a '\ufffd' the file itself spells in valid bytes is never taken for damage. The
# readers note where MARK was and then write '\ufffd' in its place (`mended`).
MARK = "\udcff"
_MARKING = "classifier-studio-mark"
codecs.register_error(_MARKING, lambda error: (MARK, error.end))


def codec_name(encoding: str) -> str:
    """The canonical codec name ('UTF8' -> 'utf-8', 'gbk' -> 'gb18030'), or a DataError for an unknown name."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise DataError(f"'{encoding}' is not a text encoding this app knows. Pick one of: "
                        f"{', '.join(ENCODINGS)}.") from exc
    return SUPERSETS.get(name, name)


def describe(encoding: str) -> str:
    return ENCODINGS.get(encoding, encoding)


def detect(raw: bytes) -> str:
    """The encoding to read `raw` with."""
    for bom, name in BOMS:
        if raw.startswith(bom):
            return name
    # UTF-16 without a BOM is valid UTF-8 full of NUL bytes; let the detector look at it.
    if raw[:SAMPLE].count(0) * 10 <= len(raw[:SAMPLE]):
        bad, good = _utf8_counts(raw)
        # A UTF-8 file with a few damaged bytes stays UTF-8: its damage is reported line by line instead.
        if bad == 0 or good >= bad:
            return "utf-8"
    return _guess(raw)


def _utf8_counts(raw: bytes) -> tuple[int, int]:
    """(undecodable byte sequences, well-formed non-ASCII characters), in chunks so a big file is never one string."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors=_MARKING)
    bad = good = 0
    for start in range(0, len(raw), CHUNK):
        text = decoder.decode(raw[start:start + CHUNK], final=start + CHUNK >= len(raw))
        marked = text.count(MARK)
        bad += marked
        good += len(text) - len(text.encode("ascii", "ignore")) - marked
    return bad, good


def _guess(raw: bytes) -> str:
    best = from_bytes(raw).best()
    if best is None:
        if _decodes(raw, "cp1252"):
            return "cp1252"
        raise DataError("Could not tell the text encoding of the file: it looks like binary data, not text. "
                        "Save it as UTF-8 (in Excel: Save As → CSV UTF-8) and upload it again, or pick the "
                        "encoding by hand.")
    name = codec_name(best.encoding)
    # On Western text with a few accents the detector's favourite is a near coin toss between code pages (crème
    # becomes crčme, or Urdu, or UTF-16); Excel on Western Windows saves Windows-1252, so it wins when the letters
    # beyond ASCII are Latin, or are few (Cyrillic, Greek or CJK text is mostly bytes beyond ASCII).
    head = raw[:SAMPLE]
    # Accented letters stand alone among ASCII ones; Cyrillic, Greek or CJK words are runs of bytes beyond ASCII.
    few = (0 not in head and len(head.translate(None, bytes(range(128)))) * 10 < len(head)
           and re.search(rb"[\x80-\xff]{3,}", head) is None)
    plausible = few or not is_multi_byte_encoding(best.encoding) and _latin_script(str(best)[:SAMPLE])
    if name != "cp1252" and plausible and _decodes(raw, "cp1252"):
        return "cp1252"
    return name


def _latin_script(text: str) -> bool:
    letters = {c for c in text if not c.isascii() and c.isalpha()}
    return bool(letters) and sum("LATIN" in unicodedata.name(c, "") for c in letters) * 2 >= len(letters)


def _decodes(raw: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(raw), CHUNK):
            decoder.decode(raw[start:start + CHUNK], final=start + CHUNK >= len(raw))
    except UnicodeDecodeError:
        return False
    return True


def open_text(raw: bytes, encoding: str) -> TextIO:
    """A text stream over `raw` that decodes as it goes; undecodable bytes become MARK for the reader to report."""
    return io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, errors=_MARKING, newline="")


def decode(raw: bytes, encoding: str) -> str:
    """`raw` as text, undecodable bytes as MARK for the reader to report."""
    return raw.decode(encoding, errors=_MARKING)


def mended(text: str) -> str:
    """`text` with each MARK written as '\ufffd', the character that stands for what could not be read."""
    return text.replace(MARK, "\ufffd")


def damage_notes(encoding: str, where: str | None) -> list[Note]:
    """The note saying where (lines, files) undecodable bytes were replaced, or nothing when `where` is None."""
    if where is None:
        return []
    return [Note(f"Bytes that are not valid {describe(encoding)} were replaced by '\ufffd' on {where}. If many texts "
                 "show '\ufffd', pick the file's encoding by hand.")]
