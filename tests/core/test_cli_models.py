"""A trained run's model away from the dashboard, as a user runs it: export, predict from a file, serve, Python."""
from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import numpy as np
import pandas as pd
import pytest

from core import load_model
from core.cli import main
from core.bundle import run_zip
from core.prediction import load_run_model


@pytest.fixture
def trained(tiny_csv, workspace, capsys, monkeypatch) -> int:
    """A TextCNN run trained through the command line's entry point, in this process: a Python start with torch
    costs seconds here, so only the commands a test is about run as subprocesses."""
    monkeypatch.chdir(tiny_csv.parent)
    settings = ["device=cpu", "epochs=8", "batch_size=8", "learning_rate=0.01", "embedding_dim=16", "num_filters=8",
                "vocab_size=500", "early_stopping_patience=0"]
    assert main(["train", "--data", tiny_csv.name, "--arch", "textcnn", *[a for s in settings for a in ("--set", s)],
                 "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"]


def test_export_both_formats_then_predict_a_file_from_each(cli, trained, workspace, tmp_path, capsys):
    texts = pd.DataFrame({"id": range(4), "message": ["goal match team", "pasta cheese bread", "laptop chip code", ""]})
    texts.to_csv(tmp_path / "texts.csv", index=False)
    expected = load_run_model(workspace, trained).predict_proba(texts["message"].fillna("").tolist())
    for kind in ("bundle", "onnx"):
        assert main(["export", "--run", str(trained), "--format", kind]) == 0
        name = f"run-{trained}-textcnn{'-onnx' if kind == 'onnx' else ''}.zip"
        assert f"Wrote {name}" in capsys.readouterr().out and (tmp_path / name).exists()
        with zipfile.ZipFile(tmp_path / name) as archive:
            card = archive.read("README.md").decode()
            metrics = json.loads(archive.read("metrics.json"))
            names = archive.namelist()
        assert ("onnx.json" in names) == (kind == "onnx") and ("bundle.json" in names) == (kind == "bundle")
        assert metrics["classes"] == ["food", "sport", "tech"] and 0 <= metrics["accuracy"] <= 1
        assert f"accuracy {metrics['accuracy']:.3f} (95% interval" in card and "## Limitations" in card
        assert f"load_model(\"{name}\")" in card and "python -m core serve" in card

        # The ONNX export as a user runs it; the bundle through the same entry point in this process.
        if kind == "onnx":
            out = cli("predict", "--model", name, "--input", "texts.csv", "--text-col", "message")
            assert out.returncode == 0, out.stderr
            printed = out.stdout
        else:
            assert main(["predict", "--model", name, "--input", "texts.csv", "--text-col", "message"]) == 0
            printed = capsys.readouterr().out
        table = pd.read_csv(io.StringIO(printed), keep_default_na=False)
        assert list(table.columns[:2]) == ["id", "message"] and table["id"].tolist() == [0, 1, 2, 3]
        assert table["predicted"].tolist()[:3] == ["sport", "food", "tech"]
        got = table[["P(food)", "P(sport)", "P(tech)"]].to_numpy()
        assert np.abs(got - expected).max() < 1e-4


def test_predict_names_the_columns_when_the_text_column_is_wrong(trained, workspace, tmp_path, capsys):
    pd.DataFrame({"body": ["goal"]}).to_csv(tmp_path / "texts.csv", index=False)
    path = run_zip(workspace, trained, "bundle")
    assert main(["predict", "--model", str(path), "--input", str(tmp_path / "texts.csv"), "--text-col", "message"]) == 2
    assert "has no column 'message'. Its columns: body" in capsys.readouterr().err


def test_export_refuses_a_run_without_a_model(trained, workspace, capsys):
    queued = workspace.create_run(workspace.get_run(trained).dataset_id, "tfidf", {})
    assert main(["export", "--run", str(queued)]) == 2
    assert f"Run {queued} is queued and has no model to download" in capsys.readouterr().err


def test_the_python_api_is_two_lines(trained, workspace):
    path = run_zip(workspace, trained, "bundle")
    model = load_model(path)
    assert model.predict(["goal match team"]).tolist() == ["sport"]
    # Made once, then handed out again as it is.
    assert run_zip(workspace, trained, "bundle").stat().st_mtime_ns == path.stat().st_mtime_ns


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_loopback(trained, workspace, tmp_path):
    path = run_zip(workspace, trained, "onnx")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "core", "serve", "--model", str(path), "--port", str(port)],
                              env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    health = json.load(response)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.3)
        assert health == {"status": "ok", "model": path.name, "classes": ["food", "sport", "tech"]}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", method="POST",
                                         data=json.dumps({"texts": ["pasta cheese", "goal match"]}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            predictions = json.load(response)["predictions"]
        assert [p["label"] for p in predictions] == ["food", "sport"]
        expected = load_model(path).predict_proba(["pasta cheese", "goal match"])
        assert np.allclose([list(p["probabilities"].values()) for p in predictions], expected, atol=1e-9)
    finally:
        server.terminate()
        server.wait(timeout=20)
