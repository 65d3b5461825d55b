"""`python -m core train | submit` decide and say what the Data and Train pages do: the user's split column, the
worker's threads, the same warnings."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import torch

from core.cli.main import main
from core.data.preparation import prepare
from core.data.splitting import split
from core.runs import jobs, run_log
from core.runs.backends import base
from core.runs.worker import training_threads, use_training_threads
from core.store.datasets import load_dataset
from core.workspace import run_dir
from tests.conftest import make_texts

SMALL_TEXTCNN = ["--arch", "textcnn", "--set", "device=cpu", "--set", "epochs=1", "--set", "embedding_dim=16",
                 "--set", "num_filters=8", "--set", "vocab_size=500"]


def marked(tmp_path: Path, **columns: list[str]) -> tuple[Path, pd.DataFrame]:
    """A CSV of the tiny texts with a column per keyword, each marking the rows with its values in turn."""
    df = make_texts().drop_duplicates("text").reset_index(drop=True)
    for name, values in columns.items():
        df[name] = [values[i % len(values)] for i in range(len(df))]
    path = tmp_path / "marked.csv"
    df.to_csv(path, index=False)
    return path, df


def saved(workspace) -> pd.DataFrame:
    (dataset,) = workspace.list_datasets()
    return load_dataset(workspace, dataset.id)


def texts(df: pd.DataFrame, column: str, *parts: str) -> set[str]:
    return set(df.loc[df[column].isin(parts), "text"])


def test_train_honours_the_split_column_the_data_page_would_choose(workspace, tmp_path, capsys):
    path, df = marked(tmp_path, part=["train", "train", "train", "test"])
    assert main(["train", "--data", str(path), "--arch", "tfidf"]) == 0
    rows = saved(workspace)
    assert texts(rows, "split", "test") == texts(df, "part", "test")
    assert texts(rows, "split", "train", "val") == texts(df, "part", "train")
    n = rows["split"].value_counts()
    assert n["val"] > 0  # the column marks none, so some of its training rows steer training
    err = capsys.readouterr().err
    assert (f"Rows split as column 'part' says (--split-col none splits at random instead): {n['train']} training, "
            f"{n['val']} validation and {n['test']} test texts.") in err
    assert f"Column 'part' marks no validation rows, so {n['val']} of its training rows are held out" in err


def test_a_named_split_column_is_used_with_its_validation_rows(workspace, tmp_path, capsys):
    path, df = marked(tmp_path, part=["train", "test"], fold=["train", "train", "validation", "test"])
    assert main(["train", "--data", str(path), "--arch", "tfidf", "--split-column", "fold"]) == 0
    rows = saved(workspace)
    for ours, theirs in (("train", "train"), ("val", "validation"), ("test", "test")):
        assert texts(rows, "split", ours) == texts(df, "fold", theirs)
    err = capsys.readouterr().err
    assert "as column 'fold' says" in err and "marks no validation rows" not in err


def test_split_col_none_holds_rows_out_at_random(workspace, tmp_path, capsys):
    path, df = marked(tmp_path, part=["train", "train", "train", "test"])
    assert main(["train", "--data", str(path), "--arch", "tfidf", "--split-col", "none", "--seed", "7"]) == 0
    rows = saved(workspace)
    at_random = split(prepare(df, "text", "label"), seed=7)
    assert dict(zip(rows["text"], rows["split"])) == dict(zip(at_random["text"], at_random["split"]))
    assert texts(rows, "split", "test") != texts(df, "part", "test")
    assert "Validation and test texts held out at random (seed 7)" in capsys.readouterr().err


def test_an_unknown_split_column_is_an_error_that_lists_the_columns(workspace, tmp_path, capsys):
    path, _ = marked(tmp_path, part=["train", "test"])
    assert main(["train", "--data", str(path), "--split-col", "fold"]) == 2
    assert ("error: No column 'fold' in marked.csv. Columns: text, label, part. Or split at random with --split-col "
            "none.") in capsys.readouterr().err
    assert workspace.list_datasets() == [] and workspace.list_runs() == []


def test_no_label_column_found_says_how_to_name_one(workspace, tmp_path, capsys):
    path = tmp_path / "notes.csv"
    pd.DataFrame({"text": [f"text {i}" for i in range(10)], "note": [f"note {i}" for i in range(10)]}).to_csv(path)
    assert main(["train", "--data", str(path)]) == 2
    assert "No column of notes.csv looks like labels; name it with --label-col." in capsys.readouterr().err


def test_inspect_takes_the_same_split_choice(workspace, tmp_path, capsys):
    path, _ = marked(tmp_path, part=["train", "test"])
    for args, chosen in (([], "part"), (["--split-col", "none"], None), (["--split-column", "part"], "part")):
        assert main(["inspect", str(path), "--json", *args]) == 0
        assert json.loads(capsys.readouterr().out)["split_column"] == chosen


@pytest.fixture
def torch_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def nine_cores_two_slots(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 9)
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "2")
    monkeypatch.setattr(base, "gpu_count", lambda: 0)


def test_training_threads_are_a_share_of_the_cores_with_one_left_over(nine_cores_two_slots, torch_threads,
                                                                      monkeypatch):
    use_training_threads(world_size=2)
    assert torch.get_num_threads() == training_threads(9, 4) == 2
    use_training_threads()
    assert torch.get_num_threads() == training_threads(9, 2) == 4
    monkeypatch.setattr(base, "gpu_count", lambda: 1)
    torch.set_num_threads(3)
    use_training_threads()
    assert torch.get_num_threads() == 3  # on a GPU the CPU threads are left as torch chose them


def test_train_takes_the_workers_threads_and_logs_them(workspace, tiny_csv, nine_cores_two_slots, torch_threads,
                                                       capsys):
    assert main(["train", "--data", str(tiny_csv), *SMALL_TEXTCNN, "--json"]) == 0
    out = capsys.readouterr()
    run_id = json.loads(out.out.strip().splitlines()[-1])["run_id"]
    assert "Device: CPU (4 threads)" in run_log.read(run_dir(run_id, workspace.root))
    assert f"run {run_id}: training textcnn on tiny.csv (60 rows), CPU (4 threads)" in out.err


@pytest.mark.parametrize("command", ["train", "submit"])
def test_the_train_pages_warnings_are_said_once_each(command, workspace, tmp_path, tiny_bert, capsys, monkeypatch):
    monkeypatch.setattr(jobs, "dispatch", lambda store: [])  # `submit` only queues: no worker trains the run here
    df = make_texts()
    # Twelve words the model never saw: each text longer than the 8 tokens it will read.
    df["text"] = [" ".join(word[::-1] for word in text.split() * 2) for text in df["text"]]
    df.to_csv(tmp_path / "backwards.csv", index=False)
    settings = [f"model={tiny_bert}", "max_length=8", "epochs=1", "batch_size=8", "device=cpu"]
    assert main([command, "--data", str(tmp_path / "backwards.csv"), "--arch", "finetune",
                 *[arg for setting in settings for arg in ("--set", setting)]]) == 0
    err = capsys.readouterr().err
    assert err.count(f"of the tokens of these texts are unknown to {tiny_bert}'s vocabulary") == 1
    cut = [line for line in err.splitlines() if "longer than the maximum length of 8 tokens" in line]
    assert len(cut) == 1 and cut[0].startswith("warning: 100% of the training texts")
    assert "Raise it with --set max_length=N" in cut[0]
