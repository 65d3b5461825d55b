"""Raw uploads kept in the workspace, so a refreshed tab or a restarted server can reopen them: the page puts the
returned hash in the URL and opens the upload from it again. An upload is forgotten when the last dataset made from
it is deleted.

Each upload lives at `<workspace>/uploads/<sha256>/<file name>`; the name is kept because reading a table goes by
its extension.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from core.access.ownership import Viewer
from core.workspace import workspace_dir, write_json, written_aside

_SHA256 = re.compile(r"[0-9a-f]{64}")
CHOICES = ".choices.json"  # beside the kept file; a leading dot, which no kept file name has (see safe_file_name)
OWNERS = ".owners.json"  # who uploaded the file, when sign-in is on: only they (and administrators) reopen it
_MAX_NAME = 100  # characters; at up to 4 bytes each, within the 255-byte file name limit of common file systems


def source_hash(raw: bytes) -> str:
    """The fingerprint of an uploaded file's bytes, by which the same file uploaded again is recognised."""
    return hashlib.sha256(raw).hexdigest()


def _folder(sha: str, root: Path | None) -> Path | None:
    """The upload's folder, or None for anything but a sha256 hex digest: the hash comes from a URL."""
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        return None
    return (root or workspace_dir()) / "uploads" / sha


def safe_file_name(filename: str) -> str:
    """The browser's file name reduced to a plain name in the upload's folder: no folders, no leading dots (which
    also mark unfinished writes), no control characters, not too long."""
    name = "".join(c for c in re.split(r"[\\/]", filename)[-1] if c.isprintable()).strip().lstrip(".")
    if len(name) > _MAX_NAME:
        ext = Path(name).suffix[:10]
        name = name[: _MAX_NAME - len(ext)] + ext
    return name or "upload"


def keep_upload(raw: bytes, filename: str, root: Path | None = None, owner: str | None = None) -> str:
    """Keep an uploaded file, uploaded by `owner` (None: sign-in is off); returns its sha256. The same bytes kept
    again keep the name they were first kept under, so two sessions uploading one file at once cannot remove each
    other's copy; each person who uploads them may reopen them."""
    sha = source_hash(raw)
    folder = _folder(sha, root)
    folder.mkdir(parents=True, exist_ok=True)
    if _kept(folder) is None:
        with written_aside(folder / safe_file_name(filename)) as partial:
            partial.write_bytes(raw)
    if owner is not None:
        owners = _owners(folder)
        if owner not in owners:
            write_json(folder / OWNERS, sorted({*owners, owner}))
    return sha


def may_open(sha: str, viewer: Viewer | None, root: Path | None = None) -> bool:
    """Whether `viewer` may reopen the upload (from a link, say): with sign-in off, for an upload from before
    sign-in, for an administrator and for whoever uploaded it."""
    folder = _folder(sha, root)
    if viewer is None or viewer.admin or folder is None or not (folder / OWNERS).exists():
        return True
    return viewer.id in _owners(folder)


def _owners(folder: Path) -> list[str]:
    try:
        owners = json.loads((folder / OWNERS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [o for o in owners if isinstance(o, str)] if isinstance(owners, list) else []


def open_upload(sha: str, root: Path | None = None) -> tuple[bytes, str] | None:
    """The kept file's bytes and name, or None when nothing is kept under `sha` (or it is no sha256)."""
    folder = _folder(sha, root)
    try:
        path = _kept(folder) if folder is not None else None
        return (path.read_bytes(), path.name) if path is not None else None
    except FileNotFoundError:  # never kept, or forgotten meanwhile
        return None


def kept_name(sha: str, root: Path | None = None) -> str | None:
    """The file name an upload was kept under, without reading it; None when nothing is kept under `sha`."""
    folder = _folder(sha, root)
    try:
        path = _kept(folder) if folder is not None else None
    except FileNotFoundError:
        return None
    return path.name if path is not None else None


def keep_choices(sha: str, choices: dict, root: Path | None = None) -> None:
    """Keep what the user chose for an upload (reading settings, columns, label options, fixes), as JSON beside it."""
    folder = _folder(sha, root)
    if folder is None or not folder.is_dir():
        return
    write_json(folder / CHOICES, choices)


def kept_choices(sha: str, root: Path | None = None) -> dict:
    """The choices kept for an upload, or {} when there are none (or they cannot be read: they only save clicks)."""
    folder = _folder(sha, root)
    try:
        choices = json.loads((folder / CHOICES).read_text(encoding="utf-8")) if folder is not None else {}
    except (OSError, ValueError):
        return {}
    return choices if _well_formed(choices) else {}


def _well_formed(choices: object) -> bool:
    """The shape keep_choices writes; anything else (an older app's file, a hand edit) is ignored."""
    return (isinstance(choices, dict) and all(isinstance(choices.get(k, {}), dict) for k in ("options", "columns", "labels"))
            and isinstance(choices.get("fixes", []), list) and all(isinstance(f, dict) for f in choices.get("fixes", [])))


def forget_upload(sha: str, root: Path | None = None) -> None:
    folder = _folder(sha, root)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _kept(folder: Path) -> Path | None:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return files[0] if files else None
