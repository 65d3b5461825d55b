"""A ZIP of folders, one folder per class and one text file per example: the layout of IMDB (aclImdb/train/pos/
0_9.txt), 20 Newsgroups (20news-bydate-train/sci.space/60804) and BBC News (bbc/sport/001.txt).

A file's class is its first folder below the folders all files in folders share (zipping a folder puts everything in
one); folders below the class are its own, and a file beside the class folders (a README) is in no class. When every
such first folder holding class folders names a part of a split (train, test, 20news-bydate-test), they become the
`split` column and the class is the folder below. An entry whose name leaves the archive ('../x.txt', '/etc/x') is
left out and named, so one stray entry cannot move where the classes are read. All files are read in one encoding,
detected over a sample of them or chosen by the user, so a short file cannot be guessed into a code page of its own.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import PurePosixPath

import pandas as pd

from core.data.reading.encoding import BOMS, MARK, damage_notes, decode, detect, mended
from core.data.reading.result import SHOWN_LOCATIONS, ReadResult, Skipped
from core.data.splitting import SPLIT_NAMES
from core.errors import DataError
from core.wording import listing

MAX_UNPACKED = 2 << 30  # bytes; guards against a small ZIP that unpacks to fill the disk or memory
SYSTEM = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")
TEXT_SUFFIXES = (".txt", "")  # 20 Newsgroups' files have no extension
SAMPLE_FILES, SAMPLE_BYTES = 200, 4096  # what the encoding is detected on
UTF8_NAMES = 0x800  # the ZIP flag saying file names are UTF-8; without it zipfile decodes them as cp437


def read_folders(raw: bytes, encoding: str | None = None) -> ReadResult:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise DataError("This is not a readable ZIP archive. Zip the class folders again and upload the .zip.") from exc
    members = [m for m in archive.infolist() if not m.is_dir() and not _system(m.filename)]
    if sum(m.file_size for m in members) > MAX_UNPACKED:
        raise DataError(f"The ZIP unpacks to more than {MAX_UNPACKED >> 30} GB; upload a smaller one.")
    names = _names(members)
    outside = [_outside(name) for name in names]
    root = _class_root([PurePosixPath(name).parts[:-1] for name, out in zip(names, outside) if not out])
    texts = [m for m, name in zip(members, names) if PurePosixPath(name).suffix.lower() in TEXT_SUFFIXES]
    encoding = encoding or _detect(archive, texts)
    rows, skipped, damaged = [], [], []
    folders = [() if out else PurePosixPath(name).parts[root:-1] for name, out in zip(names, outside)]
    # A top folder is a part of a split only when every top folder holding class folders names one (train/test),
    # so classes called 'valid' or 'test' stay classes.
    tops = {f[0] for f in folders if len(f) >= 2}
    by_split = bool(tops) and all(_split_name(top) for top in tops)
    places = [(_split_name(f[0]), f[1]) if by_split and len(f) >= 2 else (None, None if by_split or not f else f[0])
              for f in folders]
    for member, name, out, (split, label) in zip(members, names, outside, places):
        if out:
            skipped.append(Skipped("outside the archive's folders (its name climbs out with '..' or starts at the "
                                   "top of the disk), so it was left out.", "", place=name))
        elif label is None:
            skipped.append(Skipped("not inside a class folder: put each example in the folder named after its class.",
                                   "", place=name))
        elif PurePosixPath(name).suffix.lower() not in TEXT_SUFFIXES:
            skipped.append(Skipped("not a .txt file.", "", place=name))
        elif not (text := _text(archive, member, encoding)).strip():
            skipped.append(Skipped("an empty file.", "", place=name))
        else:
            damaged += [name] if MARK in text else []
            rows.append((mended(text).strip(), label, split, name))
    df = pd.DataFrame(rows, columns=["text", "label", "split", "file"], dtype="str")
    if df["split"].nunique() < 2:  # one part only (or none) says nothing about how to split
        df = df.drop(columns="split")
    return ReadResult(df, "ZIP of class folders", encoding=encoding, skipped=skipped,
                      notes=damage_notes(encoding, listing(damaged, SHOWN_LOCATIONS) if damaged else None))


def _split_name(folder: str) -> str | None:
    """The part of a split a folder names: 'train', 'test', '20news-bydate-test'; None for any other folder."""
    return SPLIT_NAMES.get(re.split(r"[-_ .]", folder.lower())[-1])


def _names(members: list[zipfile.ZipInfo]) -> list[str]:
    """File names as the zipping computer wrote them. Without the UTF-8 flag they are in its local code page, which
    zipfile reads as cp437: right for Western Windows (Café), wrong for UTF-8 written without the flag or for GBK."""
    local = [m.filename.encode("cp437") for m in members if not m.flag_bits & UTF8_NAMES and not m.filename.isascii()]
    encoding = _names_encoding(b"/".join(local)) if local else "cp437"
    return [m.filename if m.flag_bits & UTF8_NAMES or m.filename.isascii()
            else m.filename.encode("cp437").decode(encoding, errors="replace") for m in members]


def _names_encoding(raw: bytes) -> str:
    """Names are too short for a detector alone. UTF-8 if they decode as it; cp437 (Western Windows) if its
    letters beyond ASCII are Latin ones standing alone (Café); else an East Asian code page whose text is of one
    script (Hangul for cp949, kana for cp932, CJK for GBK or Big5); else the detector (Cyrillic, Greek)."""
    for encoding, fits in (("utf-8", lambda text: True), ("cp437", _latin), ("cp949", _hangul), ("cp932", _kana),
                           ("gb18030", _cjk), ("big5hkscs", _cjk)):
        try:
            if fits(raw.decode(encoding)):
                return encoding
        except UnicodeDecodeError:
            continue
    try:
        return detect(raw)
    except DataError:
        return "cp437"


def _scripts(text: str) -> list[str]:
    return [unicodedata.name(c, "") for c in text if not c.isascii()]


def _latin(text: str) -> bool:
    return re.search(r"[^\x00-\x7f]{2,}", text) is None and all("LATIN" in name for name in _scripts(text))


def _hangul(text: str) -> bool:
    return all("HANGUL" in name for name in _scripts(text))


def _kana(text: str) -> bool:
    names = _scripts(text)
    return any(("HIRAGANA" in n or "KATAKANA" in n) and "HALFWIDTH" not in n for n in names) and all(
        "HALFWIDTH" not in n and ("CJK" in n or "HIRAGANA" in n or "KATAKANA" in n or "FULLWIDTH" in n) for n in names)


def _cjk(text: str) -> bool:
    return all("CJK" in name or "FULLWIDTH" in name for name in _scripts(text))


def _detect(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> str:
    step = max(1, len(members) // SAMPLE_FILES)
    sample = b"\n".join(_head(archive, m) for m in members[::step])
    return detect(sample) if sample else "utf-8"


def _head(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    with _open(archive, member) as file:
        head = file.read(SAMPLE_BYTES)
    # A file with a byte-order mark says its own encoding; leave it out of the guess for the others.
    return b"" if any(head.startswith(bom) for bom, _ in BOMS) else head


def _text(archive: zipfile.ZipFile, member: zipfile.ZipInfo, encoding: str) -> str:
    with _open(archive, member) as file:
        content = file.read()
    own = next((name for bom, name in BOMS if content.startswith(bom)), encoding)
    return decode(content, own).removeprefix("\ufeff")


def _open(archive: zipfile.ZipFile, member: zipfile.ZipInfo):
    try:
        return archive.open(member)
    except RuntimeError as exc:  # zipfile's way of saying the member is encrypted
        raise DataError("The ZIP is password-protected; zip the folders again without a password.") from exc


def _outside(name: str) -> bool:
    """Whether an entry's name leaves the archive: a '..' step, or a path from the top of a disk."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or re.match(r"[A-Za-z]:[\\/]", name) is not None


def _class_root(folders: list[tuple[str, ...]]) -> int:
    """How many folders above the classes all files share: the folders every file in a folder sits in (zipping a
    folder gives one), but never all of a file's folders, so that a ZIP of one folder still reads it as a class."""
    placed = [f for f in folders if f]
    if not placed:
        return 0
    shared = 0
    while all(len(f) > shared and f[shared] == placed[0][shared] for f in placed):
        shared += 1
    return min(shared, max(len(f) for f in placed) - 1)


def _system(name: str) -> bool:
    path = PurePosixPath(name)
    return any(part in SYSTEM or part.startswith("._") for part in path.parts)
