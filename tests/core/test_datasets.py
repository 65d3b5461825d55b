"""Saved datasets: source file recorded, renamed, deleted with their runs' files, kept across a restart; and the
`datasets` command line."""
from __future__ import annotations

import argparse
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from core.cli.datasets import register
from core.data.labels import LabelOptions
from core.data.preparation import prepare
from core.data.splitting import split
from core.errors import DataError
from core.store.datasets import create_dataset, delete_dataset, load_dataset, save_dataset
from core.store.store import Store
from core.store.uploads import keep_upload, open_upload, source_hash
from core.workspace import datasets_dir, run_dir, write_json


@pytest.fixture
def saved(workspace, tiny_df):
    return save_dataset(workspace, split(tiny_df, seed=0), "tiny.csv", source_hash=source_hash(b"raw file"))


def test_source_hash_is_sha256_of_the_bytes():
    assert source_hash(b"raw file") == hashlib.sha256(b"raw file").hexdigest()
    assert len(source_hash(b"")) == 64 and source_hash(b"a") != source_hash(b"b")


def test_save_records_its_source(workspace, tiny_df, saved):
    assert saved.source_hash == source_hash(b"raw file")
    other_split = save_dataset(workspace, split(tiny_df, seed=1), "tiny.csv", source_hash=saved.source_hash)
    sample = save_dataset(workspace, split(tiny_df, seed=2), "sample")
    assert sample.source_hash is None
    assert {d.id for d in workspace.datasets_from_source(saved.source_hash)} == {saved.id, other_split.id}
    assert workspace.datasets_from_source(source_hash(b"another file")) == []


def test_create_prepares_splits_and_saves_a_table_saying_what_it_left_out(workspace, tiny_df):
    table = pd.concat([tiny_df.rename(columns={"text": "msg", "label": "y"}),
                       pd.DataFrame({"msg": ["", tiny_df["text"][0]], "y": ["sport", tiny_df["label"][0].upper()]})])
    dataset, parts, left_out = create_dataset(workspace, table, "tiny", "msg", "y", LabelOptions(casefold=True),
                                              val_share=0.1, test_share=0.3, seed=7, source_hash="ab" * 32)
    expected = split(prepare(table, "msg", "y", LabelOptions(casefold=True)), 0.1, 0.3, 7)
    pd.testing.assert_frame_equal(load_dataset(workspace, dataset.id), expected[["text", "label", "split"]])
    pd.testing.assert_frame_equal(parts, expected)
    assert (left_out.unusable, left_out.repeats, left_out.relabelled) == (1, 1, 0)
    assert (dataset.name, dataset.n_rows, dataset.source_hash) == ("tiny", len(tiny_df), "ab" * 32)


def test_create_splits_as_the_tables_own_column_says(workspace, tiny_df):
    table = tiny_df.assign(part=["test" if i % 4 == 0 else "train" for i in range(len(tiny_df))])
    _, parts, _ = create_dataset(workspace, table, "marked", "text", "label", split_col="part")
    assert (parts["split"] == "test").sum() == (table["part"] == "test").sum()
    assert (parts["split"] == "val").any()  # taken from the training rows, as the column marks none
    with pytest.raises(DataError, match="leave rows for training"):
        create_dataset(workspace, tiny_df, "no training rows", "text", "label", val_share=0.5, test_share=0.5)
    assert [d.name for d in workspace.list_datasets()] == ["marked"]


def test_dataset_survives_a_restart(workspace, saved):
    workspace.rename_dataset(saved.id, "news")
    again = Store(workspace.root)
    assert [(d.id, d.name, d.source_hash) for d in again.list_datasets()] == [(saved.id, "news", saved.source_hash)]
    assert len(load_dataset(again, saved.id)) == 60


def _finished_run(store: Store, dataset_id: str) -> int:
    run_id = store.create_run(dataset_id, "tfidf", {})
    store.transition(run_id, "running", pid=1)
    store.log_metrics(run_id, 1, 1.0, "val", {"accuracy": 0.9})
    (run_dir(run_id, store.root) / "model").mkdir()
    (run_dir(run_id, store.root) / "model" / "weights.bin").write_bytes(b"w")
    store.transition(run_id, "succeeded")
    return run_id


def test_delete_removes_rows_and_files(workspace, tiny_df, saved):
    kept = save_dataset(workspace, split(tiny_df, seed=1), "other")
    kept_run = _finished_run(workspace, kept.id)
    runs = [_finished_run(workspace, saved.id) for _ in range(2)]
    active = workspace.create_run(saved.id, "tfidf", {})
    with pytest.raises(ValueError, match="1 run queued or training"):
        delete_dataset(workspace, saved.id)
    assert len(load_dataset(workspace, saved.id)) == 60 and run_dir(runs[0], workspace.root).joinpath("model").is_dir()

    workspace.transition(active, "cancelled")
    assert delete_dataset(workspace, saved.id) == [*runs, active]
    assert [d.id for d in workspace.list_datasets()] == [kept.id]
    assert [f.name for f in (workspace.root / "datasets").iterdir()] == [f"{kept.id}.parquet"]
    assert sorted(p.name for p in (workspace.root / "runs").iterdir()) == [str(kept_run)]
    assert [r.id for r in workspace.list_runs()] == [kept_run]
    assert all(workspace.metrics_since(r) == [] for r in runs) and workspace.metrics_since(kept_run)
    # The same content saved again is a new dataset with its file back.
    again = save_dataset(workspace, split(tiny_df, seed=0), "tiny again")
    assert again.id == saved.id and len(load_dataset(workspace, again.id)) == 60


def test_the_upload_goes_with_the_last_dataset_made_from_it(workspace, tiny_df):
    sha = keep_upload(b"raw file", "tiny.csv")
    first = save_dataset(workspace, split(tiny_df, seed=0), "first", source_hash=sha)
    second = save_dataset(workspace, split(tiny_df, seed=1), "second", source_hash=sha)
    delete_dataset(workspace, first.id)
    assert open_upload(sha) == (b"raw file", "tiny.csv")
    delete_dataset(workspace, second.id)
    assert open_upload(sha) is None


# python -m core datasets ...

@pytest.fixture
def cli(workspace, capsys):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> tuple[int, str, str]:
        args = parser.parse_args(argv)
        code = args.func(args)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_lists_datasets(cli, workspace, tiny_df, saved):
    assert cli("datasets")[0] == 0
    other = save_dataset(workspace, split(tiny_df, seed=1), "a much longer dataset name")
    _finished_run(workspace, saved.id)
    _finished_run(workspace, saved.id)
    code, out, _ = cli("datasets")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["id", "name", "rows", "classes", "created", "runs"]
    by_id = {row.split()[0]: row for row in rows}
    assert set(by_id) == {saved.id, other.id}
    assert by_id[saved.id].split()[1:3] == ["tiny.csv", "60"] and by_id[saved.id].split()[-1] == "2"
    assert by_id[other.id].split()[-1] == "0" and " 3 " in by_id[other.id]


def test_cli_list_when_empty(cli):
    code, out, err = cli("datasets")
    assert (code, out) == (0, "") and "No datasets" in err


def test_cli_rename_by_prefix(cli, workspace, saved):
    code, out, _ = cli("datasets", "rename", saved.id[:6], "news 2024")
    assert code == 0 and "news 2024" in out
    assert workspace.get_dataset(saved.id).name == "news 2024"
    code, _, err = cli("datasets", "rename", saved.id, "  ")
    assert code == 2 and "needs a name" in err
    code, _, err = cli("datasets", "rename", "zzz", "x")
    assert code == 2 and "No dataset with an id starting 'zzz'" in err


def test_cli_ambiguous_prefix(cli, workspace):
    workspace.add_dataset("ab12", "one", "/1.parquet", 1, ["a"])
    workspace.add_dataset("ab34", "two", "/2.parquet", 1, ["a"])
    code, _, err = cli("datasets", "delete", "ab", "--yes")
    assert code == 2 and "2 datasets" in err
    assert len(workspace.list_datasets()) == 2


def test_cli_delete_asks_first(cli, workspace, saved):
    run_id = _finished_run(workspace, saved.id)
    active = workspace.create_run(saved.id, "tfidf", {})
    code, out, _ = cli("datasets", "delete", saved.id[:8])
    assert code == 1 and "would delete" in out and "2 runs" in out and "1 of them still queued" in out
    assert "--yes" in out and workspace.get_dataset(saved.id)
    code, _, err = cli("datasets", "delete", saved.id[:8], "--yes")
    assert code == 1 and "still has 1 run queued" in err
    assert workspace.get_dataset(saved.id)
    workspace.transition(active, "cancelled")
    code, out, _ = cli("datasets", "delete", saved.id[:8], "--yes")
    assert code == 0 and "deleted" in out and "2 runs" in out
    assert workspace.list_datasets() == [] and workspace.list_runs() == []
    assert not run_dir(run_id, workspace.root).joinpath("model").exists()
    code, _, err = cli("datasets", "delete", saved.id, "--yes")
    assert code == 2 and "No dataset" in err


def test_the_same_dataset_saved_from_many_places_at_once_is_saved_once(workspace, tiny_df):
    df = split(tiny_df, seed=0)
    with ThreadPoolExecutor(max_workers=16) as pool:
        saved = list(pool.map(lambda _: save_dataset(workspace, df, "tiny"), range(48)))
    assert {d.id for d in saved} == {saved[0].id} and len(workspace.list_datasets()) == 1
    assert [p.name for p in datasets_dir(workspace.root).iterdir()] == [f"{saved[0].id}.parquet"]


def test_a_write_that_fails_leaves_the_old_file_and_nothing_beside_it(tmp_path):
    path = tmp_path / "state.json"
    write_json(path, {"epoch": 1})
    with pytest.raises(TypeError):
        write_json(path, {"epoch": object()})  # fails halfway, as a full disk would
    assert json.loads(path.read_text()) == {"epoch": 1} and [p.name for p in tmp_path.iterdir()] == ["state.json"]
