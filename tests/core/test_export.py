"""Every registered architecture leaves the dashboard intact: as a model bundle (ZIP) and as an ONNX export that
ONNX Runtime runs to the same probabilities."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.formats.onnx_export import PARITY_TOLERANCE, export
from core.formats.onnx_runtime import MANIFEST_FILE, OnnxClassifier
from core.models.bundle import write_zip
from core.models.loading import load_model
from tests.core.test_architectures import _fits, fitted, small_pretrained_model  # noqa: F401 (fixtures)

# Texts a model meets in use besides test texts: empty, unseen words, a different script, one long text.
ODD = ["", "zzz qqq", "goal", "足球 football café", " ".join(["laptop"] * 300)]


def test_bundle_zip_round_trips_with_identical_predictions(fitted, tmp_path):
    fitted.model.save(tmp_path / "model")
    write_zip(tmp_path / "model", {"README.md": "card"}, tmp_path / "model.zip")
    loaded = load_model(tmp_path / "model.zip")
    texts = fitted.test.texts + ODD
    assert type(loaded) is type(fitted.model)
    assert loaded.classes_.tolist() == fitted.model.classes_.tolist()
    np.testing.assert_allclose(loaded.predict_proba(texts), fitted.model.predict_proba(texts), rtol=0, atol=1e-12)
    with zipfile.ZipFile(tmp_path / "model.zip") as archive:
        names = archive.namelist()
    assert "bundle.json" in names and "README.md" in names
    assert not [n for n in names if n.endswith((".pkl", ".bin", ".pt", ".pickle"))]


@pytest.fixture(scope="module")
def _exports() -> dict[str, tuple[Path, dict]]:
    return {}


@pytest.fixture
def exported(fitted, _exports, tmp_path_factory) -> tuple[Path, dict]:
    """Each architecture's ONNX export (folder, manifest), checked on its test and odd texts, made once per module."""
    name = fitted.arch.name
    if name not in _exports:
        folder = tmp_path_factory.mktemp(f"onnx-{name}") / "onnx"
        _exports[name] = folder, export(fitted.model, folder, fitted.test.texts + ODD)
    return _exports[name]


def test_onnx_export_gives_the_same_probabilities(fitted, exported, tmp_path):
    texts = fitted.test.texts + ODD
    folder, manifest = exported
    assert manifest["parity"]["texts"] == len(texts)
    assert manifest["parity"]["max_difference"] <= PARITY_TOLERANCE
    assert json.loads((folder / MANIFEST_FILE).read_text())["parity"] == manifest["parity"]
    onnx = load_model(folder)
    assert isinstance(onnx, OnnxClassifier) and onnx.classes_.tolist() == fitted.model.classes_.tolist()
    expected = fitted.model.predict_proba(texts)
    got = onnx.predict_proba(texts)
    assert np.abs(got - expected).max() <= PARITY_TOLERANCE
    assert onnx.predict(texts).tolist() == fitted.model.predict(texts).tolist()
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # Batches of one and of many give the same rows: padding never reaches a text's probabilities.
    np.testing.assert_allclose(onnx.predict_proba(texts[:1]), got[:1], rtol=0, atol=1e-6)
    # The export folder zipped, as the Results page hands it out, loads the same way.
    write_zip(folder, {}, tmp_path / "onnx.zip")
    np.testing.assert_allclose(load_model(tmp_path / "onnx.zip").predict_proba(texts), got, rtol=0, atol=1e-9)


def test_export_that_disagrees_with_the_model_is_refused_and_leaves_nothing(fitted, tmp_path, monkeypatch):
    if fitted.arch.name != "tfidf":
        pytest.skip("one architecture is enough for the refusal")
    original = OnnxClassifier.predict_proba
    monkeypatch.setattr(OnnxClassifier, "predict_proba", lambda self, texts: original(self, texts)[:, ::-1])
    with pytest.raises(ValueError, match="does not give the same probabilities"):
        export(fitted.model, tmp_path / "onnx", fitted.test.texts)
    assert not (tmp_path / "onnx").exists()


def test_onnx_runtime_needs_no_torch(fitted, exported):
    """An export of a neural model runs where PyTorch is not installed."""
    if fitted.arch.name != "textcnn":
        pytest.skip("one architecture is enough")
    folder, _ = exported
    # A finder that says torch is not installed, as on a machine without it.
    script = ("import sys\n"
              "class NoTorch:\n"
              "    def find_spec(self, name, path=None, target=None):\n"
              "        if name.split('.')[0] == 'torch': raise ModuleNotFoundError(name)\n"
              "sys.meta_path.insert(0, NoTorch())\n"
              "from pathlib import Path; from core.formats.onnx_runtime import OnnxClassifier\n"
              f"print(OnnxClassifier.load(Path({str(folder)!r})).predict(['goal match']).tolist())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(fitted.model.predict(["goal match"]).tolist())
