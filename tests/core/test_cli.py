"""`python -m core ...` as a user runs it: real subprocesses against the test's workspace."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from core.architectures import REGISTRY, get_architecture
from core.cli.main import main
from core.data.samples import SAMPLES


def test_train_then_predict(cli, tiny_csv, workspace):
    out = cli("train", "--data", tiny_csv.name, "--arch", "tfidf", "--set", "C=5", "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["status"] == "succeeded" and summary["error"] is None
    assert summary["arch"] == "tfidf" and summary["dataset"] == "tiny.csv"
    assert summary["test_accuracy"] >= 0.9 and summary["test_macro_f1"] >= 0.9
    assert "val accuracy" in out.stderr  # progress goes to stderr, so stdout stays parseable
    # Long work outside the steps says how far it got: the fit in one go and the test pass, each to its end.
    assert re.search(r"Learning from the training texts: ([\d,]+) of \1\n", out.stderr), out.stderr
    run = workspace.get_run(summary["run_id"])
    n_test = run.result["n_test"]
    assert f"Scoring the test texts: {n_test:,} of {n_test:,}" in out.stderr
    assert run.status == "succeeded"
    # The stored settings are the checked, complete ones, as for a run started from the dashboard.
    assert run.config == get_architecture("tfidf").config_cls(C=5.0, cv_folds=5).to_dict()  # few texts: 5 folds

    out = cli("predict", "--run", str(run.id), "--json", "goal match team league", "pasta cheese bread")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["text"] for r in rows] == ["goal match team league", "pasta cheese bread"]
    assert [r["label"] for r in rows] == ["sport", "food"]
    for r in rows:
        assert list(r["probabilities"]) == ["food", "sport", "tech"]
        assert sum(r["probabilities"].values()) == pytest.approx(1.0)
        assert max(r["probabilities"], key=r["probabilities"].get) == r["label"]


def test_bad_setting_exits_2_with_a_clear_message(cli, tiny_csv, workspace):
    out = cli("train", "--data", tiny_csv.name, "--arch", "tfidf", "--set", "bogus=1", "--json")
    assert out.returncode == 2
    assert "error: Unknown setting(s) bogus" in out.stderr and "max_iter" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert workspace.list_runs() == []


# The same entry point in-process: listings and error paths, without paying for a Python start each.

def test_samples(capsys):
    assert main(["samples"]) == 0
    out = capsys.readouterr().out
    for sample in SAMPLES.values():
        assert sample.name in out and sample.title in out


def test_architectures(capsys):
    assert main(["architectures"]) == 0
    out = capsys.readouterr().out
    for arch in REGISTRY.values():
        assert arch.title in out
        for key, value in arch.config_cls().to_dict().items():
            assert f"{key}={value}" in out


def test_setting_without_equals(workspace, tiny_csv, capsys):
    assert main(["train", "--data", str(tiny_csv), "--set", "C"]) == 2
    assert "--set takes key=value; got 'C'" in capsys.readouterr().err


def test_out_of_range_setting(workspace, tiny_csv, capsys):
    assert main(["train", "--data", str(tiny_csv), "--arch", "textcnn", "--set", "epochs=0"]) == 2
    assert "epochs must be between 1 and 200; got 0" in capsys.readouterr().err
    assert workspace.list_runs() == []


def test_missing_column(workspace, tiny_csv, capsys):
    assert main(["train", "--data", str(tiny_csv), "--label-col", "topic"]) == 2
    assert "No column 'topic' in tiny.csv. Columns: text, label." in capsys.readouterr().err


def test_data_error_is_reported(workspace, tmp_path, capsys):
    one_class = tmp_path / "one.csv"
    pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "x", "x"]}).to_csv(one_class, index=False)
    assert main(["train", "--data", str(one_class)]) == 2
    assert "error: Only one class ('x')" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "missing.csv")]) == 2
    assert main(["train", "--data", str(one_class.with_suffix(".docx"))]) == 2


def test_predict_needs_a_finished_run(workspace, capsys):
    assert main(["predict", "--run", "7", "hello"]) == 2
    assert "No run with id 7" in capsys.readouterr().err
    dataset = workspace.add_dataset("d", "d", "/x.parquet", 3, ["a", "b"])
    run_id = workspace.create_run(dataset.id, "tfidf", {})
    assert main(["predict", "--run", str(run_id), "hello"]) == 2
    assert f"Run {run_id} is queued" in capsys.readouterr().err


def test_report_and_compare_print_what_the_pages_show(workspace, tiny_df, capsys):
    from core.data.preparation import prepare
    from core.data.splitting import split
    from core.evaluation.comparison import candidates, compare_runs, leaderboard
    from core.evaluation.recommendation import judge_pair
    from core.evaluation.report import load_report
    from core.runs.worker import execute_run
    from core.store.datasets import save_dataset
    from core.workspace import run_dir

    dataset = save_dataset(workspace, split(prepare(tiny_df, "text", "label"), 0.1, 0.3, 42), "tiny")
    a, b = (execute_run(workspace, workspace.create_run(dataset.id, "tfidf", config)).id
            for config in ({}, {"classifier": "naive_bayes"}))
    assert main(["report", str(a), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == load_report(run_dir(a, workspace.root)).to_dict()
    assert main(["report", str(a)]) == 0
    report = load_report(run_dir(a, workspace.root))
    low, high = report.intervals.accuracy
    printed = capsys.readouterr().out
    assert f"95% interval {low:.4f}-{high:.4f}" in printed
    trivial = report.baseline
    assert (f"always answering '{trivial.class_name}', the most common class: accuracy {trivial.accuracy:.4f}"
            in printed)

    assert main(["compare", str(a), str(b), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    expected, _ = compare_runs(workspace, a, b)
    by_run = {c.run: c for c in candidates(leaderboard(workspace, dataset.id))}
    judged = judge_pair(expected, by_run[a], by_run[b])
    assert shown["mcnemar_p"] == expected.mcnemar_p and shown["significant"] == expected.significant
    assert sorted(row["class"] for row in shown["per_class_f1"]) == ["food", "sport", "tech"]
    assert shown["verdict"] == judged.text() and shown["pick"] == judged.pick.run
    assert [run["run"] for run in shown["runs"]] == [a, b] and shown["runs"][0]["latency_ms"] > 0
    assert main(["compare", str(a), str(b)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == judged.text() and printed[0].startswith("Of the two, take #")
    assert printed[-1].startswith(f"McNemar's test: only run {a} is right on {expected.only_a_right:,} texts")

    other = save_dataset(workspace, split(prepare(tiny_df.head(45), "text", "label"), 0.1, 0.3, 42), "other")
    c = execute_run(workspace, workspace.create_run(other.id, "tfidf", {})).id
    assert main(["compare", str(a), str(c)]) == 2
    assert "different datasets" in capsys.readouterr().err
    assert main(["report", "999"]) == 2


def test_train_says_which_lines_it_left_out_and_can_ignore_capitals(capsys, tiny_df, tmp_path, workspace):
    table = tiny_df.assign(label=[label.upper() if i % 2 else label for i, label in enumerate(tiny_df["label"])])
    text = table.to_csv(index=False) + "a line, with, too many, fields\n"
    (tmp_path / "caps.csv").write_text(text, encoding="utf-8")
    assert main(["train", "--data", str(tmp_path / "caps.csv"), "--arch", "tfidf", "--casefold", "--json"]) == 0
    err = capsys.readouterr().err
    assert f"note: Left out line {len(table) + 2}: more values than the header's 2 columns" in err, err
    (dataset,) = workspace.list_datasets()
    assert dataset.classes == ["food", "sport", "tech"]
