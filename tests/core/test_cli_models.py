"""A trained run's model away from the dashboard: export, predict from a file, Python. The commands run through the
command line's entry point in this process; the browser test runs them (and `serve`) as a user does, in processes
of their own, on a model trained and downloaded in the browser."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from core import load_model
from core.cli.main import main
from core.cli.models import file_size
from core.inference.prediction import load_run_model
from core.models.bundle import run_zip
from tests.keyword_model import KeywordModel


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


def test_export_both_formats_then_predict_a_file_from_each(trained, workspace, tmp_path, capsys):
    texts = pd.DataFrame({"id": range(4), "message": ["goal match team", "pasta cheese bread", "laptop chip code", ""]})
    texts.to_csv(tmp_path / "texts.csv", index=False)
    expected = load_run_model(workspace, trained).predict_proba(texts["message"].fillna("").tolist()[:3])
    for kind in ("bundle", "onnx"):
        assert main(["export", "--run", str(trained), "--format", kind]) == 0
        name = f"run-{trained}-textcnn{'-onnx' if kind == 'onnx' else ''}.zip"
        assert f"Wrote {name} ({file_size((tmp_path / name).stat().st_size)})." in capsys.readouterr().out
        with zipfile.ZipFile(tmp_path / name) as archive:
            card = archive.read("README.md").decode()
            metrics = json.loads(archive.read("metrics.json"))
            names = archive.namelist()
        assert ("onnx.json" in names) == (kind == "onnx") and ("bundle.json" in names) == (kind == "bundle")
        assert metrics["classes"] == ["food", "sport", "tech"] and 0 <= metrics["accuracy"] <= 1
        # What the Predict page of another server needs to say how far to trust the model's confidence.
        assert metrics["calibration"]["count"] and metrics["baseline"]["class"] in metrics["classes"]
        assert f"accuracy {metrics['accuracy']:.3f} (95% interval" in card and "## Limitations" in card
        assert f"load_model(\"{name}\")" in card and "python -m core serve" in card

        assert main(["predict", "--model", name, "--input", "texts.csv", "--text-col", "message"]) == 0
        printed = capsys.readouterr()
        table = pd.read_csv(io.StringIO(printed.out), keep_default_na=False)
        # Every row keeps its place and its own columns, as on the Predict page; the one without text gets no
        # prediction and says why.
        assert list(table.columns[:2]) == ["id", "message"] and table["id"].tolist() == [0, 1, 2, 3]
        assert "1 row without text: no prediction, 'no text' in the note column" in printed.err
        assert table["predicted"].tolist() == ["sport", "food", "tech", ""]
        assert table["note"].tolist() == ["", "", "", "no text"]
        probabilities = table[["P(food)", "P(sport)", "P(tech)"]]
        assert (probabilities.iloc[3] == "").all()
        assert np.abs(probabilities.iloc[:3].astype(float).to_numpy() - expected).max() < 1e-4


def test_a_file_column_named_like_a_prediction_column_is_kept_apart(trained, workspace, tmp_path, capsys):
    pd.DataFrame({"message": ["goal match team"], "predicted": ["food"]}).to_csv(tmp_path / "t.csv", index=False)
    path = run_zip(workspace, trained, "bundle")
    assert main(["predict", "--model", str(path), "--input", str(tmp_path / "t.csv"), "--output",
                 str(tmp_path / "out.csv")]) == 0
    out = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")
    assert list(out.columns[:4]) == ["message", "predicted (in the file)", "predicted", "confidence"]
    assert out.loc[0, "predicted (in the file)"] == "food" and out.loc[0, "predicted"] == "sport"
    assert "Texts from the column 'message'" in capsys.readouterr().err


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


def test_file_sizes_are_shown_in_a_unit_that_suits_them():
    assert [file_size(n) for n in (1, 512, 45_300, 999_949, 999_950, 3_200_000, 1_400_000_000)] == [
        "1 byte", "512 bytes", "45.3 kB", "999.9 kB", "1.0 MB", "3.2 MB", "1.4 GB"]


@pytest.fixture
def labels_model(monkeypatch) -> KeywordModel:
    """`--model` loads the multi-label stand-in, whatever the path: a saved multi-label model needs the models'
    side of several labels per text."""
    model = KeywordModel()
    monkeypatch.setattr("core.cli.models.load_model", lambda path: model)
    return model


def test_predict_json_gives_a_multilabel_models_list_of_labels_per_text(labels_model, capsys):
    assert main(["predict", "--model", "m.zip", "--json", "goal match pasta bread", "hello"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [(p["text"], p["labels"]) for p in printed] == [("goal match pasta bread", ["food", "sport"]),
                                                          ("hello", [])]
    assert printed[0]["thresholds"] == {"food": 0.6, "sport": 0.4, "tech": 0.7}
    assert printed[0]["probabilities"] == pytest.approx({"food": 0.95, "sport": 0.95, "tech": 0.05})


def test_predict_prints_a_multilabel_models_labels_per_line(labels_model, capsys):
    assert main(["predict", "--model", "m.zip", "goal pasta bread", "hello"]) == 0
    assert capsys.readouterr().out.splitlines() == ["food|sport\tgoal pasta bread", "(no label)\thello"]


def test_predict_a_file_with_a_multilabel_model_adds_the_labels_column(labels_model, tmp_path, capsys):
    pd.DataFrame({"id": [1, 2, 3], "message": ["goal pasta", "", "laptop code"]}).to_csv(tmp_path / "t.csv",
                                                                                          index=False)
    assert main(["predict", "--model", "m.zip", "--input", str(tmp_path / "t.csv"), "--text-col", "message"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert table.columns.tolist() == ["id", "message", "labels", "note", "P(food)", "P(sport)", "P(tech)"]
    assert table["labels"].tolist() == ["sport", "", "tech"]
    assert table["note"].tolist() == ["", "no text", ""]
