"""The label-error finder on tiny separable data with labels flipped on purpose, the review of its rows (decisions,
undo, a new version of the dataset) and `python -m core label-errors`."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.architectures.tfidf import TfidfClassifier, TfidfConfig
from core.cli.main import main
from core.data.text_set import TextSet
from core.evaluation.cross_validation import cross_validate, save_out_of_fold
from core.evaluation.label_errors import label_errors_of_dataset, label_errors_of_run
from core.store import label_review
from core.store.datasets import load_dataset, save_dataset

WORDS = {"sport": ["goal", "match", "team", "ball", "coach", "league", "score", "player"],
         "money": ["bank", "stock", "price", "market", "loan", "bond", "fund", "trade"],
         "food": ["bread", "soup", "cheese", "apple", "rice", "salad", "sauce", "cake"]}
FLIPPED = {3: "money", 40: "food", 77: "sport"}  # rows whose label is made wrong
TEST_FLIPPED = 5  # a test row with a wrong label: never flagged


def separable() -> pd.DataFrame:
    """90 texts, 30 a class, each made of its class's words; three training labels and one test label flipped."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(90):
        label = list(WORDS)[i % 3]
        rows.append({"text": " ".join(rng.choice(WORDS[label], size=6)), "label": label,
                     "split": "test" if i % 10 == TEST_FLIPPED else ("val" if i % 10 == 9 else "train")})
    df = pd.DataFrame(rows)
    for row, wrong in FLIPPED.items():
        df.loc[row, "label"] = wrong
    df.loc[TEST_FLIPPED, "label"] = "money" if df.loc[TEST_FLIPPED, "label"] != "money" else "food"
    return df


def test_flipped_labels_are_found_first_and_test_rows_never():
    df = separable()
    calls = []
    found = label_errors_of_dataset(df, multilabel=False, folds=3, on_fold=lambda k, n: calls.append((k, n)))
    assert calls == [(0, 3), (1, 3), (2, 3)]
    assert set(found["row"].head(3)) == set(FLIPPED)
    assert (found["split"] != "test").all() and TEST_FLIPPED not in set(found["row"])
    first = found.set_index("row").loc[3]
    assert first["label"] == "money" and first["suggested"] == "sport" and 0.5 < first["sure"] <= 1
    assert list(found.columns) == ["row", "text", "label", "suggested", "sure", "split"]


def test_a_runs_out_of_fold_file_gives_the_same_rows(tmp_path):
    df = separable()
    rows = df[df["split"] != "test"]
    cv = cross_validate(lambda: TfidfClassifier(TfidfConfig()), TextSet(rows["text"].tolist(),
                                                                        rows["label"].tolist()), 3)
    assert label_errors_of_run(tmp_path) is None
    save_out_of_fold(cv, rows, tmp_path)
    assert set(label_errors_of_run(tmp_path)["row"].head(3)) == set(FLIPPED)


def test_several_labels_per_text_are_checked_too():
    df = separable()
    df["label"] = df["label"].where(df.index % 4 != 0, df["label"] + "|sport").map(
        lambda joined: "|".join(sorted(set(joined.split("|")))))
    df.loc[10, "label"] = "food"  # a sport text said to be about food only
    found = label_errors_of_dataset(df, multilabel=True, folds=3)
    assert 10 in set(found["row"].head(5))
    assert (found["suggested"] != found["label"]).all() and (found["split"] != "test").all()


def test_too_few_texts_say_so():
    with pytest.raises(ValueError, match="at least 10 training and validation texts"):
        label_errors_of_dataset(separable().head(6), multilabel=False)


def test_decisions_are_kept_undone_and_saved_as_a_new_version(workspace):
    df = separable()
    dataset = save_dataset(workspace, df, "news")
    label_review.decide(workspace, dataset.id, 3, "relabel", "sport")
    label_review.decide(workspace, dataset.id, 40, "drop")
    label_review.decide(workspace, dataset.id, 77, "keep")
    label_review.decide(workspace, dataset.id, 12, "drop")
    with pytest.raises(ValueError, match="not a class of this dataset"):
        label_review.decide(workspace, dataset.id, 3, "relabel", "weather")
    with pytest.raises(ValueError, match="there is no row 90"):
        label_review.decide(workspace, dataset.id, 90, "drop")
    assert label_review.undo(workspace, dataset.id).row == 12  # the last
    assert label_review.undo(workspace, dataset.id, row=77).action == "keep"  # one by its row
    assert [(d.row, d.action, d.label) for d in label_review.decisions(workspace, dataset.id)] == \
        [(3, "relabel", "sport"), (40, "drop", None)]
    label_review.decide(workspace, dataset.id, 3, "relabel", "food")  # a second thought replaces the first
    assert [d.label for d in label_review.decisions(workspace, dataset.id)] == [None, "food"]

    record = label_review.save_reviewed(workspace, dataset.id)
    assert record.name == "news (reviewed 1)" and record.n_rows == len(df) - 1
    saved = load_dataset(workspace, record.id)
    assert saved.loc[3, "label"] == "food" and df.loc[41, "text"] == saved.loc[40, "text"]
    assert load_dataset(workspace, dataset.id).equals(df[["text", "label", "split"]])  # the original is untouched
    applied = json.loads((label_review.review_dir(workspace, record.id) / label_review.APPLIED_FILE).read_text())
    assert applied["from"] == dataset.id and len(applied["decisions"]) == 2
    label_review.decide(workspace, dataset.id, 3, "relabel", "money")
    assert label_review.save_reviewed(workspace, dataset.id).name == "news (reviewed 2)"


def test_only_kept_rows_are_nothing_to_save(workspace):
    dataset = save_dataset(workspace, separable(), "news")
    label_review.decide(workspace, dataset.id, 77, "keep")
    with pytest.raises(ValueError, match="Nothing to save yet"):
        label_review.save_reviewed(workspace, dataset.id)
    assert label_review.undo(workspace, dataset.id) is not None and label_review.undo(workspace, dataset.id) is None


def test_command_line_prints_the_rows_and_keeps_them_for_the_data_page(workspace, capsys):
    dataset = save_dataset(workspace, separable(), "news")
    assert main(["label-errors", "--dataset", dataset.id[:6], "--folds", "3", "--top", "3"]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0] == "row,text,label,suggested,sure,split" and len(lines) == 4
    assert {int(line.split(",")[0]) for line in lines[1:]} == set(FLIPPED)
    assert "never flagged" in err
    assert len(label_review.load_found(workspace, dataset.id)) >= 3
    assert main(["label-errors", "--dataset", dataset.id, "--folds", "3", "--format", "json", "--top", "1"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["row"] in FLIPPED
    assert main(["label-errors", "--dataset", "zzz"]) == 2
    assert "No dataset with an id starting 'zzz'" in capsys.readouterr().err


def test_command_line_refuses_a_run_without_cross_validation(workspace, capsys):
    dataset = save_dataset(workspace, separable(), "news")
    run_id = workspace.create_run(dataset.id, "tfidf", {})
    assert main(["label-errors", "--run", str(run_id)]) == 2
    assert "trained without cross-validation" in capsys.readouterr().err
