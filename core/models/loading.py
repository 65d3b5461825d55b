"""Load a model from a folder or a ZIP file, checking a ZIP from anyone before anything in it is read.

A model folder holds bundle.json (the model bundle, loaded by its architecture) or onnx.json (an ONNX export, run
with ONNX Runtime). Opening either runs no code from it: only data formats are let in, and each is parsed by a
reader that never executes anything (safetensors, skops with scikit-learn's own types, JSON, ONNX, tokenizers).
"""
from __future__ import annotations

import json
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Iterator

from core.architectures import TextClassifier, get_architecture
from core.architectures.base import BUNDLE_FILE
from core.disk_space import is_disk_full
from core.errors import BundleError, UnsafeFile
from core.formats.description import checked_classes, disagreement, write_description
from core.formats.onnx_runtime import MANIFEST_FILE, OnnxClassifier
from core.formats.thresholds import LabelThresholds, description_entries, read_description
from core.settings import env_name, settings
from core.wording import first_line
from core.workspace import EXPORT_DIR, MODEL_DIR

# Data formats only. Pickle (.pkl, .bin, .pt, .ckpt) and code (.py) run when loaded, so they are refused by name
# whatever their contents.
# A tokenizer may save its chat template as .jinja text; nothing here ever renders it.
ALLOWED_SUFFIXES = {".json", ".safetensors", ".skops", ".onnx", ".txt", ".md", ".model", ".jinja"}
MAX_FILES = 200
# Weights hardly compress (a model's ZIP is 0.9 of its size unpacked), so a file that unpacks to many times its size
# holds padding, not a model: a 4.4 MB ZIP once unpacked to 1.5 GB. Small files (tokenizers, vocabularies, the card)
# compress well and stay under the floor.
MAX_RATIO = 20
RATIO_FLOOR_MB = 64


def max_bundle_bytes() -> int:
    return int(settings().max_bundle_mb * 1024 * 1024)


def load_model(path: str | Path) -> TextClassifier | OnnxClassifier:
    """The model in `path`: a model folder, or a ZIP of one (a download from the Results page)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"There is no file or folder '{path}'.")
    if path.is_dir():
        folder = model_folder(path)
        check_folder(folder)
        check_checksums(folder)
        return load_folder(folder)
    with tempfile.TemporaryDirectory() as scratch:
        # Every reader holds what it needs in memory once loaded, so the unpacked files can go.
        return load_folder(extract(path, Path(scratch)))


def load_folder(folder: Path) -> TextClassifier | OnnxClassifier:
    """The model in a folder whose files have passed the checks of `extract` or `check_folder`."""
    try:
        if (folder / MANIFEST_FILE).exists():
            return OnnxClassifier.load(folder)
        arch = json.loads((folder / BUNDLE_FILE).read_text(encoding="utf-8"))["arch"]
        return get_architecture(arch).model_cls.load(folder)
    except UnsafeFile as exc:
        raise BundleError(f"The model was not loaded: a scikit-learn file in it holds types that are not plain model "
                          f"data and could run code ({exc}).") from exc
    except Exception as exc:  # noqa: BLE001 - whatever a damaged or incomplete file raises, say which and stop there
        missing = f" The file '{exc.filename}' is missing." if isinstance(exc, FileNotFoundError) and exc.filename else ""
        raise BundleError(f"The model could not be loaded: {first_line(exc)}.{missing} Its files may be incomplete "
                          "or damaged; if it was downloaded, download it again.") from exc


def _refuse_path(name: str) -> None:
    if PurePosixPath(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise BundleError(f"The file holds '{name}', which is not one of the data formats a model is made of "
                          f"({', '.join(sorted(ALLOWED_SUFFIXES))}). Files such as .pkl, .bin or .py can run code "
                          "when opened, so the model was not loaded.")


def _check_archive(archive: zipfile.ZipFile, what: str,
                   advice: str = "Choose a ZIP downloaded from Classifier Studio.") -> list[zipfile.ZipInfo]:
    """The archive's files, once its count, unpacked size and compression are checked. bzip2 and LZMA entries are
    refused: Python inflates them whole before it compares them with their declared size."""
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_FILES:
        raise BundleError(f"{what} holds {len(infos):,} files; a model has far fewer (at most {MAX_FILES}). {advice}")
    total = sum(i.file_size for i in infos)
    if total > max_bundle_bytes():
        raise BundleError(f"Unpacked, {what.lower()} would take {total / 2**20:,.0f} MB, more than the limit of "
                          f"{max_bundle_bytes() / 2**20:,.0f} MB. An administrator can raise it with "
                          f"{env_name('max_bundle_mb')}.")
    packed = sum(i.compress_size for i in infos)
    if total > RATIO_FLOOR_MB * 2**20 and total > MAX_RATIO * packed:
        raise BundleError(f"{what} would unpack to {total / 2**20:,.0f} MB from {packed / 2**20:,.1f} MB, more than "
                          f"{MAX_RATIO} times its size: a model's weights hardly compress, so it holds something else. "
                          f"{advice}")
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise BundleError(f"{what} holds '{info.filename}', compressed in a way (encrypted, bzip2 or LZMA) that "
                              "Classifier Studio never writes. Choose a ZIP downloaded from Classifier Studio.")
    return infos


def _members(archive: zipfile.ZipFile) -> Iterator[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Each file of the archive with its checked relative path; raises BundleError on anything unsafe."""
    seen: set[str] = set()
    for info in _check_archive(archive, "The file"):
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in info.filename:
            raise BundleError(f"The file holds '{info.filename}', a path outside the model's folder. It was refused; "
                              "a model downloaded from Classifier Studio never has one.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise BundleError(f"The file holds a link, '{info.filename}'. Links are refused; choose a ZIP "
                              "downloaded from Classifier Studio.")
        _refuse_path(info.filename)
        # Two entries of one name (or names differing in capitals only) would leave it to chance which one is read.
        if path.as_posix().lower() in seen:
            raise BundleError(f"The file holds '{info.filename}' twice. Choose a ZIP downloaded from Classifier "
                              "Studio.")
        seen.add(path.as_posix().lower())
        yield info, path


def check_folder(folder: Path) -> None:
    """The checks `extract` makes of a ZIP, made of an unpacked folder: data formats only, no links."""
    for path in folder.rglob("*"):
        if path.is_symlink():
            raise BundleError(f"The folder holds a link, '{path.relative_to(folder)}'. Links are refused.")
        if path.is_file():
            _refuse_path(path.relative_to(folder).as_posix())
            _check_inner(path)


def _check_inner(path: Path) -> None:
    """A skops file is a ZIP of its own, read whole by skops: it gets the same limits as the outer file."""
    if path.suffix.lower() == ".skops":
        try:
            with zipfile.ZipFile(path) as inner:
                # Before its vocabulary moved to a JSON file beside it, a TF-IDF model kept each term as a file here.
                _check_archive(inner, f"'{path.name}'", "A TF-IDF model downloaded from an older version of "
                               "Classifier Studio can look like this: download it again from its Results page.")
        except zipfile.BadZipFile:
            raise BundleError(f"'{path.name}' is damaged. Download the model again.") from None


def extract(source: Path, destination: Path) -> Path:
    """Check and unpack the ZIP at `source` into `destination`; return the folder holding the model.

    The model may sit at the top of the ZIP or in one folder inside it (a re-zipped download).
    """
    if source.stat().st_size > max_bundle_bytes():
        raise BundleError(f"The file is {source.stat().st_size / 2**20:,.0f} MB, more than the limit of "
                          f"{max_bundle_bytes() / 2**20:,.0f} MB. An administrator can raise it with "
                          f"{env_name('max_bundle_mb')}.")
    if not zipfile.is_zipfile(source):
        raise BundleError("This is not a ZIP file. Choose the .zip that Classifier Studio's Download model button "
                          "gave you.")
    try:
        with zipfile.ZipFile(source) as archive:
            for info, path in list(_members(archive)):
                target = destination.joinpath(*path.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as data, open(target, "wb") as out:
                    shutil.copyfileobj(data, out)
                _check_inner(target)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        if is_disk_full(exc):
            raise
        # Damaged data, or names no folder can hold (a file and a folder of one name, a name too long).
        raise BundleError(f"The ZIP file is damaged or malformed ({first_line(exc)}). Download the model "
                          "again.") from None
    folder = model_folder(destination)
    check_checksums(folder)
    return folder


def check_checksums(folder: Path) -> None:
    """Refuse a model whose description (bundle.json or onnx.json) and files disagree with the checksums written
    when it was saved."""
    name = MANIFEST_FILE if (folder / MANIFEST_FILE).exists() else BUNDLE_FILE
    try:
        problem = disagreement(folder, name)
    except (ValueError, OSError) as exc:
        raise BundleError(f"The model's {name} cannot be read ({first_line(exc)}). Download the model again.") from None
    if problem:
        raise BundleError(f"The model was not loaded: {name} and its files disagree ({problem}). Download it again "
                          "from its Results page.")


def model_folder(root: Path) -> Path:
    """The folder under `root` (itself, or one folder down) that holds a model."""
    for folder in (root, *(p for p in root.iterdir() if p.is_dir())):
        if (folder / BUNDLE_FILE).exists() or (folder / MANIFEST_FILE).exists():
            return folder
    raise BundleError(f"No model in this file: it has neither {BUNDLE_FILE} (a model bundle) nor {MANIFEST_FILE} (an "
                      "ONNX export). Choose a ZIP downloaded from Classifier Studio's Results page.")


def save_label_thresholds(model_dir: Path, thresholds: LabelThresholds) -> None:
    """Keep `thresholds` in the multi-label model saved in `model_dir` (a model bundle or an ONNX export), its
    checksums written anew so it still loads. A run's downloads made with the earlier thresholds are removed, so the
    next one (model bundle or ONNX) carries these. Raises ValueError for a single-label model, or thresholds naming
    labels it does not have."""
    name = MANIFEST_FILE if (model_dir / MANIFEST_FILE).exists() else BUNDLE_FILE
    check_checksums(model_dir)
    description = json.loads((model_dir / name).read_text(encoding="utf-8"))
    classes = checked_classes(description.get("classes"), name)
    if read_description(description, classes, name) is None:
        raise ValueError("This model gives each text one label, its most likely one; only a model that gives each "
                         "text several labels has thresholds to keep.")
    description.update(description_entries(thresholds.checked(classes)))
    write_description(model_dir, name, description)
    if model_dir.name == MODEL_DIR:
        shutil.rmtree(model_dir.parent / EXPORT_DIR, ignore_errors=True)
