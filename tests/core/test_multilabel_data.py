"""Tables with several labels per text: their shapes recognised, prepared, checked, split and saved as a multi-label
dataset, from the library and from the command line."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from core.cli.main import build_parser, main
from core.cli.train import prepare_run
from core.data.labels import LabelOptions
from core.data.multilabel import split_labels
from core.data.multilabel_quality import DROP_RARE, apply_fix
from core.data.multilabel_shapes import (COLUMNS, LISTS, SEPARATED, SINGLE, LabelShape, describe, detect_shape,
                                         indicator_columns, row_labels)
from core.data.preparation import prepare_counted, validate
from core.data.splitting import split
from core.errors import DataError
from core.store.datasets import content_id, create_dataset, load_dataset

TOPICS = ["sport", "money", "tech", "food"]


def tagged(n: int = 60, joiner: str = "|") -> pd.DataFrame:
    """Texts each with one or two topics, every pair of topics and every topic alone present."""
    rows = []
    for i in range(n):
        first, second = TOPICS[i % 4], TOPICS[(i // 4) % 4]
        labels = sorted({first, second})
        rows.append((f"text number {i} about {' and '.join(labels)}", joiner.join(labels)))
    return pd.DataFrame(rows, columns=["text", "tags"])


@pytest.mark.parametrize("joiner", ["|", ";"])
def test_pipes_and_semicolons_are_recognised_by_themselves(joiner):
    assert detect_shape(tagged(joiner=joiner)["tags"]) == LabelShape(SEPARATED, joiner)


def test_commas_are_found_but_wait_for_the_person_to_confirm():
    shape = detect_shape(tagged(joiner=",")["tags"])
    assert shape == LabelShape(SEPARATED, ",") and shape.confirm and shape.multilabel


def test_prose_with_commas_and_plain_labels_are_one_label_per_text():
    prose = pd.Series([f"Fine, I guess, number {i}" for i in range(40)] + ["good"] * 10)
    assert detect_shape(prose) == SINGLE and not SINGLE.multilabel
    assert detect_shape(pd.Series(["spam", "ham"] * 20)) == SINGLE


def test_json_lists_are_recognised_as_text_or_as_python_lists():
    as_text = pd.Series(['["sport", "money"]', '["tech"]', "[]", None])
    assert detect_shape(as_text) == LabelShape(LISTS)
    assert row_labels(pd.DataFrame({"l": as_text}), "l", LabelShape(LISTS)).tolist() == [
        "money|sport", "tech", "", pd.NA]
    as_lists = pd.Series([["sport", "money"], ["tech"], np.array(["food"])])
    assert detect_shape(as_lists) == LabelShape(LISTS)
    assert row_labels(pd.DataFrame({"l": as_lists}), "l", LabelShape(LISTS)).tolist() == ["money|sport", "tech",
                                                                                         "food"]


def test_yes_no_columns_are_guessed_and_read():
    df = pd.DataFrame({"text": ["a", "b", "c", "d"], "id": [1, 2, 3, 4], "sport": [1, 0, 1, 0],
                       "money": ["yes", "no", "", "Yes"], "tech": ["x", None, None, "x"], "flag": ["true"] * 4})
    assert indicator_columns(df, exclude=("text",)) == ["sport", "money", "tech", "flag"]
    shape = LabelShape(COLUMNS, label_columns=("sport", "money", "tech"))
    assert row_labels(df, None, shape).tolist() == ["money|sport|tech", "", "sport", "money|tech"]
    assert describe(shape, row_labels(df, None, shape)) == ("Several labels per text, one 0/1 column per label "
                                                           "('sport', 'money', 'tech'): 4 texts, 3 labels, 1.5 "
                                                           "labels per text on average.")
    with pytest.raises(DataError, match="Column 'id' should say yes or no"):
        row_labels(df, None, LabelShape(COLUMNS, label_columns=("sport", "id")))


def test_labels_are_cleaned_one_by_one_and_a_joiner_in_a_name_is_refused():
    df = pd.DataFrame({"tags": [" Sport ; MONEY", "sport;;", "  ", "a|b;c"]})
    shape = LabelShape(SEPARATED, ";")
    assert row_labels(df.head(3), "tags", shape, LabelOptions(casefold=True)).tolist() == [
        "money|sport", "sport", pd.NA]
    with pytest.raises(DataError, match=r"hold '\|'.*'a\|b'"):
        row_labels(df, "tags", shape)


def test_prepare_joins_the_labels_of_a_repeated_text_and_leaves_out_empty_cells():
    df = pd.DataFrame({"text": ["one", "two", "one", "three", "two"], "tags": ["sport", "tech|food", "money", "",
                                                                                 "food|tech"]})
    rows, left_out = prepare_counted(df, "text", "tags", shape=LabelShape(SEPARATED, "|"))
    assert rows.to_dict("list") == {"text": ["one", "two"], "label": ["money|sport", "food|tech"]}
    assert (left_out.unusable, left_out.repeats, left_out.joined) == (1, 1, 1)
    assert left_out.sentence() == ("Left out 1 row without text or label, 1 row that repeats the text and label of an "
                                   "earlier row and 1 row whose text an earlier row has with other labels (their "
                                   "labels are joined to that row's).")


def test_an_empty_cell_means_none_of_the_labels_when_the_person_says_so(workspace, tmp_path, capsys):
    df = pd.DataFrame({"text": ["one", "two", "three"], "tags": ["sport|money", "", None]})
    rows, left_out = prepare_counted(df, "text", "tags", shape=LabelShape(SEPARATED, "|", empty_is_none=True))
    assert rows["label"].tolist() == ["money|sport", "", ""] and left_out.unusable == 0
    assert LabelShape.from_dict(LabelShape(SEPARATED, "|", empty_is_none=True).to_dict()).empty_is_none
    path = tmp_path / "tags.csv"
    tagged().assign(tags=lambda d: d["tags"].mask(d.index % 10 == 0, "")).to_csv(path, index=False)
    for flags, texts in (((), 54), (("--empty-means-none",), 60)):
        dataset, _ = prepare_run(run_args("--data", str(path), "--label-col", "tags", *flags), workspace, False)
        assert dataset.multilabel and dataset.n_rows == texts


def test_a_text_with_no_label_stays_in_a_table_of_yes_no_columns():
    df = pd.DataFrame({"text": ["a", "b", "c"], "x": [1, 0, 0], "y": [0, 0, 1]})
    rows, _ = prepare_counted(df, "text", None, shape=LabelShape(COLUMNS, label_columns=("x", "y")))
    assert rows["label"].tolist() == ["x", "", "y"]


def test_the_iterative_split_keeps_each_labels_share_in_every_part():
    rng = np.random.RandomState(0)
    labels = ["|".join(sorted(set(rng.choice(TOPICS, rng.randint(1, 3), p=[.5, .3, .15, .05])))) for _ in range(600)]
    parts = split(pd.DataFrame({"text": [f"t{i}" for i in range(600)], "label": labels}), 0.1, 0.2, 3,
                  multilabel=True)
    for topic in TOPICS:
        has = parts["label"].map(lambda joined: topic in split_labels(joined))
        shares = parts.loc[has, "split"].value_counts(normalize=True)
        assert abs(shares["test"] - 0.2) < 0.03 and abs(shares["val"] - 0.1) < 0.03 and shares["train"] > 0.6


def test_a_label_of_few_texts_is_still_learned():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(30)], "label": ["a|rare"] + ["a", "b"] * 14 + ["b|rare"]})
    parts = split(df, 0.1, 0.2, 0, multilabel=True)
    assert parts.loc[parts["label"].str.contains("rare"), "split"].eq("train").any()
    assert set(parts["split"]) == {"train", "val", "test"}


def test_the_quality_report_tells_about_the_labels():
    df = tagged()
    df.loc[len(df)] = ["the only text about cheese", "cheese|sport"]
    df["extra"] = df["tags"] + df["tags"].str.contains("food").map({True: "|cooking", False: ""})
    found = {f.kind: f for f in validate(df, "text", "extra", shape=LabelShape(SEPARATED, "|"))}
    assert all(f.level != "error" for f in found.values())
    assert found["labels_per_text"].message.startswith("Labels per text: 2.")
    assert "'cooking' and 'food'" in found["together"].message
    assert "'cheese' (1)" in found["rare_labels"].message and found["rare_labels"].fix == DROP_RARE
    fixed, message = apply_fix(df, "text", "extra", DROP_RARE, None, LabelOptions(), LabelShape(SEPARATED, "|"))
    assert fixed["extra"].iloc[-1] == "sport" and message.startswith("Dropped 1 label given to fewer than 3 texts")


def test_one_label_is_an_error_and_yes_no_texts_without_labels_are_counted():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(6)], "x": [1, 0, 1, 0, 1, 0], "y": [0] * 6})
    found = {f.kind: f for f in validate(df, "text", None, shape=LabelShape(COLUMNS, label_columns=("x", "y")))}
    assert found["few_labels"].level == "error"
    assert found["no_label"].message.startswith("Texts with none of the labels: 3.")


def test_a_multilabel_dataset_is_recorded_as_one(workspace):
    df = tagged()
    record, parts, _ = create_dataset(workspace, df, "topics", "text", "tags", shape=LabelShape(SEPARATED, "|"))
    assert record.multilabel and record.classes == sorted(TOPICS)
    assert workspace.get_dataset(record.id).multilabel
    assert load_dataset(workspace, record.id)["label"].tolist() == parts["label"].tolist()
    single, _, _ = create_dataset(workspace, df, "as one label", "text", "tags")
    assert not single.multilabel and "money|sport" in single.classes
    assert content_id(parts) != content_id(parts, multilabel=True)


def run_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["submit", *argv])


def test_the_command_line_reads_each_shape(workspace, tmp_path, capsys):
    path = tmp_path / "tags.csv"
    tagged().to_csv(path, index=False)
    dataset, _ = prepare_run(run_args("--data", str(path), "--label-col", "tags"), workspace, False)
    assert dataset.multilabel and dataset.classes == sorted(TOPICS)
    assert "Several labels per text, separated by '|': 60 texts, 4 labels" in capsys.readouterr().err

    commas = tmp_path / "commas.csv"
    tagged(joiner=",").to_csv(commas, index=False)
    dataset, _ = prepare_run(run_args("--data", str(commas), "--label-col", "tags"), workspace, False)
    assert not dataset.multilabel and "add --label-sep ','" in capsys.readouterr().err
    dataset, _ = prepare_run(run_args("--data", str(commas), "--label-col", "tags", "--label-sep", ","), workspace,
                             False)
    assert dataset.multilabel and dataset.classes == sorted(TOPICS)

    columns = tmp_path / "columns.csv"
    df = tagged()
    for topic in TOPICS:
        df[topic] = df["tags"].str.contains(topic).astype(int)
    df.drop(columns="tags").to_csv(columns, index=False)
    dataset, _ = prepare_run(run_args("--data", str(columns), "--label-columns", ",".join(TOPICS)), workspace, False)
    assert dataset.multilabel and dataset.classes == sorted(TOPICS)

    lists = tmp_path / "lists.jsonl"
    lists.write_text("\n".join(json.dumps({"text": t, "labels": tags.split("|")})
                               for t, tags in zip(df["text"], df["tags"])))
    dataset, _ = prepare_run(run_args("--data", str(lists)), workspace, False)
    assert dataset.multilabel and dataset.classes == sorted(TOPICS)


def test_the_datasets_list_says_which_have_several_labels_per_text(workspace, capsys):
    create_dataset(workspace, tagged(), "topics", "text", "tags", shape=LabelShape(SEPARATED, "|"))
    create_dataset(workspace, tagged(), "combined", "text", "tags")
    assert main(["datasets"]) == 0
    lines = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["topics"].endswith("0  (several labels per text)") and lines["combined"].endswith(" 0")
