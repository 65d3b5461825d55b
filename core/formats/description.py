"""What a saved model's description (bundle.json, or onnx.json for an ONNX export) must hold to be trusted.

Its classes: distinct names in the order the model scores them. Its checksums: one of its settings and classes, one
of each file beside it. Checked when a person hands a model in, they say when the description and the weights no
longer belong together (classes reordered by hand, weights swapped for another model's), which would otherwise load
and give answers under the wrong names."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

KEY = "checksums"
# What a download adds beside the model (core.models.bundle): read by people, never by the loader.
CARD_FILE = "README.md"
METRICS_FILE = "metrics.json"
EXTRAS = frozenset({CARD_FILE, METRICS_FILE})


def _digest(path: Path) -> str:
    with open(path, "rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


def _settings_digest(description: dict[str, Any]) -> str:
    settings = {k: v for k, v in description.items() if k != KEY}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def checked_classes(classes: Any, source: str) -> list[str]:
    """A saved model's class names, each a distinct string in the order the model scores them (sorted, as a model
    orders the labels it learns): any other list would give the model's answers under the wrong names."""
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"the classes in {source} must be a list of names, as text")
    if len(set(classes)) != len(classes):
        raise ValueError(f"the classes in {source} name a class twice")
    if classes != sorted(classes):
        raise ValueError(f"the classes in {source} are not in the order the model scores them (sorted)")
    return classes


def write_description(folder: Path, name: str, description: dict[str, Any]) -> None:
    """Write `description` as `folder/name`, with the checksums of itself and of every other file in `folder`."""
    files = {p.relative_to(folder).as_posix(): _digest(p)
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != name}
    signed = {**description, KEY: {"settings": _settings_digest(description), "files": files}}
    (folder / name).write_text(json.dumps(signed, indent=2, ensure_ascii=False), encoding="utf-8")


def disagreement(folder: Path, name: str) -> str | None:
    """What in `folder` differs from the checksums in `folder/name`, in words; None when all agree or the model was
    saved before models carried checksums."""
    description = json.loads((folder / name).read_text(encoding="utf-8"))
    recorded = description.get(KEY) if isinstance(description, dict) else None
    if recorded is None:
        return None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("files"), dict):
        return f"the checksums in {name} are not in the form Classifier Studio writes"
    if recorded.get("settings") != _settings_digest(description):
        return f"the settings or classes in {name} were changed after the model was saved"
    for relative, digest in recorded["files"].items():
        path = folder / relative
        if not path.is_file():
            return f"'{relative}' is missing"
        if _digest(path) != digest:
            return f"'{relative}' is not the file this model was saved with"
    unknown = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                     if p.is_file() and p.name != name and p.relative_to(folder).as_posix() not in recorded["files"]
                     and p.name not in EXTRAS)
    if unknown:
        return f"it holds files the model was not saved with: {', '.join(unknown[:5])}"
    return None
