"""Models imported into the workspace from a downloaded ZIP, for the Predict page: each checked and unpacked once
into `models/<id>/`, with `imported.json` saying what it is."""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from core.access.ownership import Viewer, can_see, require_change
from core.architectures import TextClassifier
from core.formats.description import EXTRAS
from core.formats.onnx_runtime import ONNX_FILES, OnnxClassifier
from core.models.loading import extract, load_folder
from core.workspace import workspace_dir, write_json

MODELS_DIR = "models"
INFO_FILE = "imported.json"
FILES_DIR = "files"


@dataclass(frozen=True)
class ImportedModel:
    id: int
    name: str  # the uploaded file's name, shown to people, never used as a path
    arch: str
    kind: str  # "bundle" or "onnx"
    classes: list[str]
    imported_at: float
    owner: str | None = None  # who imported it, when sign-in is on: only they (and administrators) see it
    shared: bool = False
    sha256: str | None = None  # of the uploaded file, so the same file imported again is kept once


def models_dir(root: Path | None = None) -> Path:
    path = (root or workspace_dir()) / MODELS_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_model(data: bytes, name: str, root: Path | None = None, owner: str | None = None) -> ImportedModel:
    """Check, unpack and load the ZIP `data`; keep the model's own files, as `owner`'s, when it loads. The same file
    imported again by `owner` gives the model kept the first time. Raises BundleError saying what is wrong."""
    parent = models_dir(root)
    digest = hashlib.sha256(data).hexdigest()
    for known in imported_models(root):
        if known.sha256 == digest and known.owner == owner:
            return known
    with tempfile.TemporaryDirectory(dir=parent, prefix=".incoming-") as scratch:
        upload = Path(scratch) / "upload.zip"
        upload.write_bytes(data)
        source = extract(upload, Path(scratch) / "unpacked")
        model = load_folder(source)
        upload.unlink()
        folder = Path(scratch) / FILES_DIR
        keep_model_files(model, source, folder)
        # Ids from the clock, never reused: a tab still showing a removed model cannot end up on another one, and
        # two tabs importing at the same moment each get their own.
        model_id = time.time_ns() // 1_000_000
        while True:
            target = parent / str(model_id)
            try:
                target.mkdir()
                break
            except FileExistsError:
                model_id += 1
        shutil.move(str(folder), target / FILES_DIR)
    info = ImportedModel(model_id, name, model.arch_name, "onnx" if isinstance(model, OnnxClassifier) else "bundle",
                         [str(c) for c in model.classes_], time.time(), owner, sha256=digest)
    # Written last: a folder without it is an import that did not finish, and is not listed.
    (target / INFO_FILE).write_text(json.dumps(asdict(info), ensure_ascii=False), encoding="utf-8")
    return info


def keep_model_files(model: TextClassifier | OnnxClassifier, source: Path, folder: Path) -> None:
    """Write into `folder` only what `model`, loaded from `source`, is made of, and the card and scores a download
    has beside it (the Predict page reads its scores) while they are no larger than the model itself: nothing else
    the ZIP held (padding, stray files) is kept."""
    if isinstance(model, OnnxClassifier):
        folder.mkdir()
        for name in ONNX_FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, folder / name)
    else:
        model.save(folder)
    need = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    for name in EXTRAS:
        if (source / name).is_file() and (source / name).stat().st_size <= max(need, 2**20):
            shutil.copyfile(source / name, folder / name)


def imported_models(root: Path | None = None, viewer: Viewer | None = None) -> list[ImportedModel]:
    """The imported models `viewer` may see (None: all), newest first."""
    found = []
    for path in models_dir(root).glob(f"*/{INFO_FILE}"):
        model = ImportedModel(**json.loads(path.read_text(encoding="utf-8")))
        if can_see(viewer, model):
            found.append(model)
    return sorted(found, key=lambda m: m.id, reverse=True)


def imported_folder(model_id: int, root: Path | None = None) -> Path:
    """The unpacked model of import `model_id`, checked when it was imported, for `core.models.loading.load_folder`."""
    return models_dir(root) / str(int(model_id)) / FILES_DIR


def share_imported(model: ImportedModel, shared: bool, root: Path | None = None,
                   viewer: Viewer | None = None) -> ImportedModel:
    require_change(viewer, model, f"The imported model {model.name}", "share")
    changed = replace(model, shared=shared)
    write_json(models_dir(root) / str(int(model.id)) / INFO_FILE, asdict(changed))
    return changed


def delete_imported(model: ImportedModel, root: Path | None = None, viewer: Viewer | None = None) -> None:
    require_change(viewer, model, f"The imported model {model.name}", "remove")
    shutil.rmtree(models_dir(root) / str(int(model.id)), ignore_errors=True)
