"""Opening a model file from anyone: hostile and broken ZIPs are refused with a clear message, and nothing in them
runs or lands outside the folder they are unpacked into."""
from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
import torch
from safetensors.torch import load_file
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from core.architectures import get_architecture
from core.architectures.base import BUNDLE_FILE
from core.data.text_set import TextSet
from core.errors import BundleError
from core.formats.description import KEY
from core.formats.onnx_runtime import MANIFEST_FILE
from core.models.bundle import write_zip
from core.models.loading import MAX_FILES, load_folder, load_model
from tests.conftest import make_texts
from tests.core.test_architectures import small_config, splits


class Payload:
    """Unpickling this creates the file named by `sentinel`: proof that code ran."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f"touch {self.sentinel}",)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> Path:
    train, val, _ = splits(make_texts())
    arch = get_architecture("textcnn")
    folder = tmp_path_factory.mktemp("model") / "model"
    arch.model_cls(small_config(arch)).fit(train, val).save(folder)
    return folder


def zip_of(path: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def model_files(folder: Path, checksums: bool = True) -> dict[str, bytes]:
    """The files of a saved model; without their checksums, as from an older version or from someone who removed
    them, to reach the checks behind them."""
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    if not checksums:
        for name in (BUNDLE_FILE, MANIFEST_FILE):
            if name in files:
                description = json.loads(files[name])
                del description[KEY]
                files[name] = json.dumps(description).encode()
    return files


def test_a_good_bundle_loads(model_folder, tmp_path):
    model = load_model(zip_of(tmp_path / "m.zip", model_files(model_folder)))
    assert model.predict(["goal match team"]).tolist() == ["sport"]


def test_a_bundle_zipped_inside_a_folder_loads(model_folder, tmp_path):
    files = {f"my model/{name}": data for name, data in model_files(model_folder).items()}
    assert load_model(zip_of(tmp_path / "m.zip", files)).predict(["pasta cheese"]).tolist() == ["food"]


def test_a_pickle_file_is_refused_unread(model_folder, tmp_path):
    sentinel = tmp_path / "ran"
    files = {**model_files(model_folder), "model.pkl": pickle.dumps(Payload(sentinel))}
    with pytest.raises(BundleError, match=r"model\.pkl.*can run code"):
        load_model(zip_of(tmp_path / "m.zip", files))
    assert not sentinel.exists()


def test_a_pickle_named_as_safetensors_is_refused_without_running(model_folder, tmp_path):
    sentinel = tmp_path / "ran"
    files = {**model_files(model_folder, checksums=False), "model.safetensors": pickle.dumps(Payload(sentinel))}
    with pytest.raises(BundleError, match="could not be loaded.*download it again"):
        load_model(zip_of(tmp_path / "m.zip", files))
    assert not sentinel.exists()


def test_a_skops_file_with_code_in_it_is_refused(tmp_path):
    train, val, _ = splits(make_texts())
    arch = get_architecture("tfidf")
    model = arch.model_cls(small_config(arch)).fit(train, val)
    model.save(tmp_path / "model")
    sentinel = tmp_path / "ran"
    # A pipeline whose step calls os.system: skops records the function by name, and must refuse to load it.
    sio.dump(Pipeline([("run", FunctionTransformer(os.system, kw_args={}))]), tmp_path / "model" / "pipeline.skops")
    with pytest.raises(BundleError, match="could run code"):
        load_model(zip_of(tmp_path / "m.zip", model_files(tmp_path / "model", checksums=False)))
    assert not sentinel.exists()


@pytest.mark.parametrize("name", ["../escaped.json", "/tmp/escaped.json", "model/../../escaped.json",
                                  "..\\escaped.json", "C:/escaped.json"])
def test_paths_outside_the_folder_are_refused(model_folder, tmp_path, name):
    files = {**model_files(model_folder), name: b"{}"}
    with pytest.raises(BundleError, match="outside the model's folder"):
        load_model(zip_of(tmp_path / "m.zip", files))
    assert not (tmp_path / "escaped.json").exists()


def test_links_are_refused(model_folder, tmp_path):
    with pytest.raises(BundleError, match="link"):
        load_model(zip_of(tmp_path / "m.zip", model_files(model_folder), links={"tokenizer2.json": "/etc/passwd"}))


def test_an_oversized_bundle_is_refused_before_unpacking(model_folder, tmp_path, monkeypatch):
    path = zip_of(tmp_path / "m.zip", model_files(model_folder))
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_BUNDLE_MB", "0.01")
    with pytest.raises(BundleError, match="more than the limit.*CLASSIFIER_STUDIO_MAX_BUNDLE_MB"):
        load_model(path)


def test_a_zip_bomb_is_refused_by_its_unpacked_size(model_folder, tmp_path, monkeypatch):
    zeros = io.BytesIO()
    with zipfile.ZipFile(zeros, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", b"\0" * 50_000_000)
    (tmp_path / "bomb.zip").write_bytes(zeros.getvalue())
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_BUNDLE_MB", "10")
    assert (tmp_path / "bomb.zip").stat().st_size < 1_000_000
    with pytest.raises(BundleError, match="Unpacked, the file would take 48 MB"):
        load_model(tmp_path / "bomb.zip")


def test_too_many_files_are_refused(tmp_path):
    with pytest.raises(BundleError, match="far fewer"):
        load_model(zip_of(tmp_path / "m.zip", {f"{i}.json": b"{}" for i in range(MAX_FILES + 1)}))


@pytest.mark.parametrize("checksums", [True, False])
def test_missing_weights_are_named(model_folder, tmp_path, checksums):
    files = {k: v for k, v in model_files(model_folder, checksums).items() if k != "model.safetensors"}
    with pytest.raises(BundleError, match="not loaded.*model.safetensors' is missing|could not be loaded.*model.safetensors"):
        load_model(zip_of(tmp_path / "m.zip", files))


def test_a_zip_without_a_model_says_what_it_lacks(tmp_path):
    with pytest.raises(BundleError, match="neither bundle.json .* nor onnx.json"):
        load_model(zip_of(tmp_path / "m.zip", {"notes.txt": b"hello"}))


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    (tmp_path / "m.zip").write_bytes(b"not a zip at all")
    with pytest.raises(BundleError, match="not a ZIP file"):
        load_model(tmp_path / "m.zip")


def test_a_truncated_zip_is_called_damaged(model_folder, tmp_path):
    write_zip(model_folder, {}, tmp_path / "whole.zip")
    data = (tmp_path / "whole.zip").read_bytes()
    # Cut in the middle of the file data but keep the directory at the end, so it still opens as a ZIP.
    damaged = bytearray(data)
    damaged[200:4000] = bytes(3800)
    (tmp_path / "m.zip").write_bytes(bytes(damaged))
    with pytest.raises(BundleError, match="damaged|could not be loaded"):
        load_model(tmp_path / "m.zip")


def test_an_unknown_architecture_is_named(model_folder, tmp_path):
    files = {**model_files(model_folder), "bundle.json": b'{"arch": "mystery", "config": {}, "classes": ["a"]}'}
    with pytest.raises(BundleError, match="no architecture called 'mystery'"):
        load_model(zip_of(tmp_path / "m.zip", files))


def test_missing_paths_are_a_plain_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file or folder"):
        load_model(tmp_path / "nothing.zip")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compressions_that_inflate_whole_are_refused(model_folder, tmp_path, method):
    with zipfile.ZipFile(tmp_path / "m.zip", "w", method) as archive:
        for name, data in model_files(model_folder).items():
            archive.writestr(name, data)
    with pytest.raises(BundleError, match="bzip2 or LZMA"):
        load_model(tmp_path / "m.zip")


def test_a_name_twice_is_refused(model_folder, tmp_path):
    path = zip_of(tmp_path / "m.zip", model_files(model_folder))
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("BUNDLE.json", b"{}")
        archive.writestr("bundle.json", b"{}")
    with pytest.raises(BundleError, match="twice"):
        load_model(path)


def test_a_file_and_a_folder_of_one_name_are_a_message_not_a_crash(model_folder, tmp_path):
    files = {**model_files(model_folder), "notes.json": b"{}", "notes.json/inner.json": b"{}"}
    with pytest.raises(BundleError, match="damaged or malformed"):
        load_model(zip_of(tmp_path / "m.zip", files))


def test_a_skops_file_that_unpacks_past_the_limit_is_refused(tmp_path, monkeypatch):
    train, val, _ = splits(make_texts())
    arch = get_architecture("tfidf")
    arch.model_cls(small_config(arch)).fit(train, val).save(tmp_path / "model")
    with zipfile.ZipFile(tmp_path / "model" / "pipeline.skops", "a", zipfile.ZIP_DEFLATED) as inner:
        inner.writestr("padding.bin", b"\0" * 20_000_000)
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_BUNDLE_MB", "10")
    with pytest.raises(BundleError, match="'pipeline.skops' would take 19 MB"):
        load_model(zip_of(tmp_path / "m.zip", model_files(tmp_path / "model")))


def test_a_pretrained_model_never_loads_a_pickled_checkpoint(tiny_bert, tmp_path):
    """transformers reads .bin checkpoints with torch.load; a bundle's hf/ folder is read from safetensors only, even
    when an index file (a .json, so let in) points at a pickle under an innocent name that holds good weights."""
    train, val, _ = splits(make_texts())
    arch = get_architecture("finetune")
    config = small_config(arch)
    config.model, config.epochs = str(tiny_bert), 1
    arch.model_cls(config).fit(train, val).save(tmp_path / "model")
    hf = tmp_path / "model" / "hf"
    weights = load_file(str(hf / "model.safetensors"))
    (hf / "model.safetensors").unlink()
    torch.save(weights, hf / "shard.txt")
    (hf / "pytorch_model.bin.index.json").write_text(
        '{"metadata": {}, "weight_map": {' + ", ".join(f'"{k}": "shard.txt"' for k in weights) + "}}")
    with pytest.raises(BundleError, match="could not be loaded"):
        load_model(zip_of(tmp_path / "m.zip", model_files(tmp_path / "model", checksums=False)))


def test_an_unpacked_folder_gets_the_same_checks(model_folder, tmp_path):
    folder = tmp_path / "unpacked"
    shutil.copytree(model_folder, folder)
    assert load_model(folder).predict(["goal match"]).tolist() == ["sport"]
    (folder / "model.pkl").write_bytes(b"x")
    with pytest.raises(BundleError, match="model.pkl"):
        load_model(folder)
    (folder / "model.pkl").unlink()
    (folder / "link.json").symlink_to("/etc/passwd")
    with pytest.raises(BundleError, match="link"):
        load_model(folder)


@pytest.mark.parametrize("arch_name", ["finetune", "sentence_embeddings"])
def test_a_config_that_describes_far_more_weights_than_the_files_hold_is_refused(arch_name, tiny_bert, tmp_path):
    """transformers would allocate the weights a config describes and its files lack: a crafted vocabulary size
    could take the server's memory, so such a model is refused before anything is allocated."""
    train, val, _ = splits(make_texts())
    arch = get_architecture(arch_name)
    config = small_config(arch)
    config.model = str(tiny_bert)
    arch.model_cls(config).fit(train, val).save(tmp_path / "model")
    settings = tmp_path / "model" / "hf" / "config.json"
    crafted = json.loads(settings.read_text())
    crafted["vocab_size"] = 2_000_000_000
    settings.write_text(json.dumps(crafted))
    # Refused from the shapes alone: loading would allocate some 250 GB.
    with pytest.raises(BundleError, match=r"config.json describes [\d,]+ weights but its files hold [\d,]+"):
        load_model(zip_of(tmp_path / "m.zip", model_files(tmp_path / "model", checksums=False)))


def vocabulary_texts(n_terms: int) -> list[str]:
    """Texts with well over MAX_FILES distinct words, each seen twice (TF-IDF keeps words seen at least twice)."""
    return [f"word{i} word{i + 1} common" for i in range(n_terms)] * 2


def test_a_tfidf_model_with_a_real_vocabulary_loads_from_a_zip(tmp_path):
    """A vocabulary of thousands of terms is one JSON list beside the skops file, which keeps a handful of files."""
    arch = get_architecture("tfidf")
    texts = vocabulary_texts(3 * MAX_FILES)
    model = arch.model_cls(small_config(arch)).fit(TextSet(texts, ["a", "b"] * (len(texts) // 2)))
    model.save(tmp_path / "model")
    with zipfile.ZipFile(tmp_path / "model" / "pipeline.skops") as inner:
        assert len(inner.infolist()) < 20
    assert len(json.loads((tmp_path / "model" / "pipeline.vocabulary.json").read_text())) > 3 * MAX_FILES
    loaded = load_model(zip_of(tmp_path / "m.zip", model_files(tmp_path / "model")))
    assert np.allclose(loaded.predict_proba(texts[:50]), model.predict_proba(texts[:50]))


def test_a_tfidf_model_saved_with_its_vocabulary_inside_loads_here_and_is_saved_anew_for_others(tmp_path):
    """Models saved before the vocabulary moved out kept each term as a file in pipeline.skops. The app's own folders
    still load; a ZIP of one from anyone is refused with what to do; saved again, it loads from a ZIP."""
    arch = get_architecture("tfidf")
    texts = vocabulary_texts(3 * MAX_FILES)
    model = arch.model_cls(small_config(arch)).fit(TextSet(texts, ["a", "b"] * (len(texts) // 2)))
    model.save(tmp_path / "old")
    (tmp_path / "old" / "pipeline.vocabulary.json").unlink()
    sio.dump(model.pipeline_, tmp_path / "old" / "pipeline.skops")
    assert np.allclose(load_folder(tmp_path / "old").predict_proba(texts[:20]), model.predict_proba(texts[:20]))
    with pytest.raises(BundleError, match=r"'pipeline.skops' holds [\d,]+ files.*older version.*download it again"):
        load_model(zip_of(tmp_path / "old.zip", model_files(tmp_path / "old", checksums=False)))
    load_folder(tmp_path / "old").save(tmp_path / "new")
    loaded = load_model(zip_of(tmp_path / "new.zip", model_files(tmp_path / "new")))
    assert np.allclose(loaded.predict_proba(texts[:20]), model.predict_proba(texts[:20]))


def test_a_vocabulary_that_does_not_fit_the_model_is_refused(tmp_path):
    arch = get_architecture("tfidf")
    train, val, _ = splits(make_texts())
    arch.model_cls(small_config(arch)).fit(train, val).save(tmp_path / "model")
    vocabulary = tmp_path / "model" / "pipeline.vocabulary.json"
    terms = json.loads(vocabulary.read_text())
    for wrong in (terms[:-1], [terms[0]] * len(terms), [1] * len(terms), {"a": 0}):
        vocabulary.write_text(json.dumps(wrong))
        with pytest.raises(BundleError, match="is not the vocabulary of this model"):
            load_model(zip_of(tmp_path / "m.zip", model_files(tmp_path / "model", checksums=False)))
    vocabulary.unlink()
    with pytest.raises(BundleError, match="pipeline.vocabulary.json' is missing"):
        load_model(zip_of(tmp_path / "m.zip", model_files(tmp_path / "model", checksums=False)))
