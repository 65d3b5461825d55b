"""A ZIP of folders, one folder per class and one .txt file per example (the layout of IMDB and 20 Newsgroups)."""
from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import pandas as pd

from core.errors import DataError
from core.reading.encoding import detect
from core.reading.result import Note, ReadResult, Skipped

MAX_UNPACKED = 2 << 30  # bytes; guards against a small ZIP that unpacks to fill the disk or memory
SYSTEM = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")


def read_folders(raw: bytes) -> ReadResult:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise DataError("This is not a readable ZIP archive. Zip the class folders again and upload the .zip.") from exc
    members = [m for m in archive.infolist() if not m.is_dir() and not _system(m.filename)]
    if sum(m.file_size for m in members) > MAX_UNPACKED:
        raise DataError(f"The ZIP unpacks to more than {MAX_UNPACKED >> 30} GB; upload a smaller one.")
    paths = [PurePosixPath(m.filename) for m in members]
    root = _shared_root(paths)
    rows, skipped, encodings = [], [], set()
    for member, path in zip(members, paths):
        parts = path.parts[root:]
        if len(parts) < 2:
            skipped.append(Skipped("not inside a class folder: put each example in the folder named after its class.",
                                   "", file=member.filename))
        elif path.suffix.lower() != ".txt":
            skipped.append(Skipped("not a .txt file.", "", file=member.filename))
        else:
            row = _example(archive, member, parts[0], encodings)
            if isinstance(row, Skipped):
                skipped.append(row)
            else:
                rows.append(row)
    df = pd.DataFrame(rows, columns=["text", "label", "file"], dtype="str")
    notes = [Note(f"The text files use several encodings: {', '.join(sorted(encodings))}.")] if len(encodings) > 1 else []
    return ReadResult(df, "ZIP of class folders", encoding=", ".join(sorted(encodings)) or None,
                      skipped=skipped, notes=notes)


def _example(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str, encodings: set[str]):
    try:
        content = archive.read(member)
    except RuntimeError as exc:  # zipfile's way of saying the member is encrypted
        raise DataError("The ZIP is password-protected; zip the folders again without a password.") from exc
    try:
        encoding = detect(content) if content else "utf-8"
    except DataError:
        return Skipped("not text: its encoding could not be told.", "", file=member.filename)
    text = content.decode(encoding, errors="replace").strip()
    if not text:
        return Skipped("an empty file.", "", file=member.filename)
    encodings.add(encoding)
    return text, label, member.filename


def _system(name: str) -> bool:
    path = PurePosixPath(name)
    return any(part in SYSTEM or part.startswith("._") for part in path.parts)


def _shared_root(paths: list[PurePosixPath]) -> int:
    """1 when every file sits in one top folder holding the class folders (zipping a folder does that), else 0."""
    tops = {p.parts[0] if len(p.parts) > 1 else None for p in paths}
    return int(len(tops) == 1 and None not in tops and any(len(p.parts) >= 3 for p in paths))
