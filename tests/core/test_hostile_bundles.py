"""Model files a person hands in, crafted or edited, for every architecture of the registry: refused with a clear
message before anything of the size they describe is built, and never loaded with answers under the wrong names."""
from __future__ import annotations

import json
import resource
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from core.architectures import REGISTRY, get_architecture
from core.architectures.base import BUNDLE_FILE
from core.errors import BundleError
from core.formats.onnx_export import export
from core.formats.onnx_runtime import MANIFEST_FILE
from core.models.imported import FILES_DIR, import_model, imported_folder, imported_models
from core.models.loading import RATIO_FLOOR_MB, load_model
from tests.conftest import make_texts
from tests.core.test_architectures import small_config, splits
from tests.core.test_loading import model_files, zip_of

ARCHS = list(REGISTRY)
TEXTS = ["goal match team", "pasta cheese dinner", "code chip computer"]
# Far below what any crafted setting would build (fastText's largest table alone is 8 GB), far above the noise of
# loading a tiny model.
MEMORY_SLACK_MB = 1024


@pytest.fixture(scope="module")
def saved(tmp_path_factory, tiny_bert) -> Callable[..., Path]:
    """`saved(name, seed)`: the folder of architecture `name` fit on the tiny data with `seed`, fit once per module."""
    root, cache = tmp_path_factory.mktemp("bundles"), {}

    def get(name: str, seed: int = 42) -> Path:
        if (name, seed) not in cache:
            arch = get_architecture(name)
            config = small_config(arch)
            if hasattr(config, "model"):
                config.model = str(tiny_bert)
            config.seed = seed
            train, val, _ = splits(make_texts())
            cache[name, seed] = root / f"{name}-{seed}"
            arch.model_cls(config).fit(train, val).save(cache[name, seed])
        return cache[name, seed]

    return get


def edited(folder: Path, change: Callable[[dict], None], checksums: bool = False) -> dict[str, bytes]:
    """The model's files with `change` made to its bundle.json, with or without the checksums written at saving."""
    files = model_files(folder, checksums)
    bundle = json.loads(files[BUNDLE_FILE])
    change(bundle)
    files[BUNDLE_FILE] = json.dumps(bundle).encode()
    return files


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def largest_settings(bundle: dict) -> None:
    """Every setting with an upper limit set to that limit: each allowed, together the largest model they describe."""
    config_cls = get_architecture(bundle["arch"]).config_cls
    for spec in fields(config_cls):
        if "max" in spec.metadata and spec.name in bundle["config"]:
            bundle["config"][spec.name] = spec.metadata["max"]


@pytest.mark.parametrize("name", ARCHS)
def test_settings_describing_a_larger_model_are_refused_before_it_is_built(name, saved, tmp_path):
    """A 69 KB fastText bundle claiming 2,000,000 n-gram slots of 1,024 numbers built an 8 GB model before its
    weights were read. Settings that shape the weights are now checked against the weights file first; the others
    load the same model."""
    folder = saved(name)
    original = load_model(folder).predict_proba(TEXTS)
    before = peak_mb()
    try:
        loaded = load_model(zip_of(tmp_path / "m.zip", edited(folder, largest_settings)))
    except BundleError as exc:
        assert "settings" in str(exc) or "config.json" in str(exc)
    else:
        np.testing.assert_allclose(loaded.predict_proba(TEXTS), original, atol=1e-6)
    assert peak_mb() - before < MEMORY_SLACK_MB


def reversed_classes(bundle: dict) -> None:
    bundle["classes"].reverse()


CLASS_EDITS = {
    "reversed": reversed_classes,
    "one left out": lambda b: b["classes"].pop(),
    "one added": lambda b: b["classes"].append("zzz"),
    "named twice": lambda b: b["classes"].__setitem__(1, b["classes"][0]),
    "numbers": lambda b: b.__setitem__("classes", list(range(len(b["classes"])))),
    "not a list": lambda b: b.__setitem__("classes", "sport"),
    "missing": lambda b: b.pop("classes"),
}


# Each family counts its outputs its own way; the other edits are refused before any family's code runs.
OUTPUT_EDITS = ("reversed", "one left out", "one added")


@pytest.mark.parametrize("name, edit", [(name, edit) for name in ARCHS for edit in OUTPUT_EDITS]
                         + [("textcnn", edit) for edit in CLASS_EDITS if edit not in OUTPUT_EDITS])
def test_classes_that_do_not_match_the_outputs_are_refused(name, edit, saved, tmp_path):
    """Reordered names would swap the answers silently; too few failed only at predict, with a numpy message."""
    with pytest.raises(BundleError, match="classes|outputs") as refused:
        load_model(zip_of(tmp_path / "m.zip", edited(saved(name), CLASS_EDITS[edit])))
    assert "Traceback" not in str(refused.value)


def test_checksums_say_when_the_description_and_the_weights_disagree(saved, tmp_path):
    folder = saved("textcnn")
    with pytest.raises(BundleError, match=r"bundle.json and its files disagree \(the settings or classes in bundle.json were changed after"):
        load_model(zip_of(tmp_path / "a.zip", edited(folder, reversed_classes, checksums=True)))
    # Weights of the same shapes from another model: only the checksum can tell.
    swapped = {**model_files(folder), "model.safetensors": (saved("textcnn", seed=7) / "model.safetensors").read_bytes()}
    with pytest.raises(BundleError, match="'model.safetensors' is not the file this model was saved with"):
        load_model(zip_of(tmp_path / "b.zip", swapped))
    with pytest.raises(BundleError, match="files the model was not saved with: extra.json"):
        load_model(zip_of(tmp_path / "c.zip", {**model_files(folder), "extra.json": b"{}"}))


@pytest.fixture(scope="module")
def onnx_folder(saved, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("onnx") / "export"
    export(load_model(saved("textcnn")), folder, TEXTS)
    return folder


@pytest.mark.parametrize("edit", ["reversed", "one left out", "numbers"])
def test_an_onnx_export_with_classes_edited_is_refused(onnx_folder, edit, tmp_path):
    for checksums in (True, False):
        files = model_files(onnx_folder, checksums)
        manifest = json.loads(files[MANIFEST_FILE])
        CLASS_EDITS[edit](manifest)
        files[MANIFEST_FILE] = json.dumps(manifest).encode()
        with pytest.raises(BundleError, match="onnx.json"):
            load_model(zip_of(tmp_path / "m.zip", files))


def test_a_zip_that_unpacks_to_many_times_its_size_is_refused_before_unpacking(saved, tmp_path):
    padding = b"\0" * (RATIO_FLOOR_MB * 2**20 + 1)
    bomb = tmp_path / "m.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**model_files(saved("tfidf")), "notes.txt": padding}.items():
            archive.writestr(name, data)
    with pytest.raises(BundleError, match=r"would unpack to \d+ MB from 0.\d MB, more than 20 times its size"):
        import_model(bomb.read_bytes(), "m.zip", tmp_path / "ws")
    assert not any((tmp_path / "ws" / "models").iterdir())


@pytest.mark.parametrize("kind", ["bundle", "onnx"])
def test_an_import_keeps_only_the_model_and_the_same_file_once(kind, saved, onnx_folder, tmp_path):
    folder = saved("textcnn") if kind == "bundle" else onnx_folder
    extras = {"metrics.json": b"{}", "README.md": b"#" * 64 * 2**20}
    data = zip_of(tmp_path / "m.zip", {**model_files(folder), **extras}).read_bytes()
    first = import_model(data, "m.zip", tmp_path / "ws", owner="ann")
    kept = imported_folder(first.id, tmp_path / "ws")
    # The scores are kept for the Predict page; a card sixty-four megabytes long is not.
    assert sorted(p.name for p in kept.iterdir()) == sorted([*model_files(folder), "metrics.json"])
    assert import_model(data, "again.zip", tmp_path / "ws", owner="ann") == first
    assert [m.id for m in imported_models(tmp_path / "ws")] == [first.id]
    # Someone else's copy of the same file is their own.
    assert import_model(data, "m.zip", tmp_path / "ws", owner="bob").id != first.id
    assert load_model(kept).predict(TEXTS).tolist() == load_model(folder).predict(TEXTS).tolist()
    assert kept.name == FILES_DIR
