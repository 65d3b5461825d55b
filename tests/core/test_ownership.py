"""With sign-in on, datasets, runs and imported models belong to who made them: others see them once shared, and
only the owner (or an administrator) changes them."""
from __future__ import annotations

import json
import sqlite3

import pytest

from core.access.ownership import Viewer
from core.data.splitting import split
from core.models.imported import ImportedModel, delete_imported, imported_models, models_dir
from core.runs import jobs
from core.store.datasets import delete_dataset, save_dataset
from core.store.store import Store
from core.store.uploads import keep_upload, may_open

ADA, BOB, ADMIN = Viewer("ada@example.com"), Viewer("bob@example.com"), Viewer("root@example.com", admin=True)


@pytest.fixture
def ada_data(workspace, tiny_df):
    ada = workspace.as_viewer(ADA)
    dataset = save_dataset(ada, split(tiny_df, seed=0), "ada's topics")
    return ada, dataset, ada.create_run(dataset.id, "tfidf", {})


def test_others_see_nothing_until_it_is_shared(workspace, ada_data):
    ada, dataset, run = ada_data
    bob = workspace.as_viewer(BOB)
    assert ada.get_dataset(dataset.id).owner == ADA.id and ada.get_run(run).owner == ADA.id
    assert bob.list_datasets() == [] and bob.list_runs() == [] and bob.runs_with_model() == []
    with pytest.raises(KeyError):
        bob.get_dataset(dataset.id)
    with pytest.raises(KeyError):  # as for a run that does not exist: its existence is not given away
        bob.get_run(run)
    ada.share_dataset(dataset.id, True)
    assert [d.id for d in bob.list_datasets()] == [dataset.id] and bob.list_runs() == []
    ada.share_run(run, True)
    assert [r.id for r in bob.list_runs()] == [run]
    assert {d.id for d in workspace.as_viewer(ADMIN).list_datasets()} == {d.id for d in workspace.list_datasets()}


def test_only_the_owner_or_an_administrator_changes_it(workspace, ada_data):
    ada, dataset, run = ada_data
    ada.share_dataset(dataset.id, True)
    ada.share_run(run, True)
    bob = workspace.as_viewer(BOB)
    for action in (lambda: bob.rename_dataset(dataset.id, "mine now"), lambda: bob.share_dataset(dataset.id, False),
                   lambda: bob.share_run(run, False), lambda: jobs.cancel(bob, run),
                   lambda: delete_dataset(bob, dataset.id)):
        with pytest.raises(PermissionError, match="belongs to ada@example.com; only they"):
            action()
    assert workspace.get_run(run).status == "queued" and not workspace.get_run(run).cancel_requested
    assert workspace.as_viewer(ADMIN).rename_dataset(dataset.id, "renamed").name == "renamed"
    assert jobs.cancel(ada, run).status == "cancelled"


def test_what_was_made_before_sign_in_is_seen_by_all_and_changed_by_administrators(workspace, tiny_df):
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "from before")
    bob = workspace.as_viewer(BOB)
    assert [d.id for d in bob.list_datasets()] == [dataset.id]
    with pytest.raises(PermissionError, match="before sign-in was turned on, so only an administrator"):
        bob.rename_dataset(dataset.id, "x")
    delete_dataset(workspace.as_viewer(ADMIN), dataset.id)
    assert workspace.list_datasets() == []


def test_the_same_table_saved_by_two_people_is_one_dataset_each(workspace, tiny_df):
    table = split(tiny_df, seed=0)
    mine = save_dataset(workspace.as_viewer(ADA), table, "topics")
    theirs = save_dataset(workspace.as_viewer(BOB), table, "topics")
    assert mine.id != theirs.id and (mine.owner, theirs.owner) == (ADA.id, BOB.id)
    assert save_dataset(workspace.as_viewer(ADA), table, "again").id == mine.id


def test_deleting_a_shared_dataset_takes_the_runs_others_trained_on_it(workspace, ada_data):
    ada, dataset, run = ada_data
    ada.share_dataset(dataset.id, True)
    jobs.cancel(ada, run)
    bobs = workspace.as_viewer(BOB).create_run(dataset.id, "tfidf", {})
    workspace.transition(bobs, "cancelled")
    assert sorted(delete_dataset(ada, dataset.id)) == [run, bobs]
    assert workspace.list_runs() == []


def test_a_workspace_from_before_ownership_gains_the_columns(tmp_path, tiny_df):
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "studio.sqlite3") as conn:
        conn.executescript("CREATE TABLE datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL, "
                           "n_rows INTEGER NOT NULL, classes TEXT NOT NULL, created_at REAL NOT NULL);"
                           "INSERT INTO datasets VALUES ('abc', 'old one', '/x.parquet', 3, '[\"a\"]', 0);")
    store = Store(old)
    [dataset] = store.list_datasets()
    assert (dataset.name, dataset.owner, dataset.shared) == ("old one", None, False)
    assert [d.id for d in store.as_viewer(BOB).list_datasets()] == ["abc"]


def test_imported_models_are_their_importers(workspace):
    for number, owner in ((1, ADA.id), (2, None)):
        folder = models_dir(workspace.root) / str(number)
        folder.mkdir()
        info = ImportedModel(number, f"model {number}", "tfidf", "bundle", ["a", "b"], 0.0, owner)
        (folder / "imported.json").write_text(json.dumps(info.__dict__))
    assert [m.id for m in imported_models(workspace.root, BOB)] == [2]
    assert [m.id for m in imported_models(workspace.root, ADA)] == [2, 1]
    adas = imported_models(workspace.root, ADA)[1]
    with pytest.raises(PermissionError):
        delete_imported(adas, workspace.root, BOB)
    delete_imported(adas, workspace.root, ADA)
    assert [m.id for m in imported_models(workspace.root)] == [2]


def test_an_upload_reopens_for_who_uploaded_it(workspace):
    sha = keep_upload(b"text,label\nx,a\n", "ada.csv", workspace.root, owner=ADA.id)
    assert may_open(sha, ADA, workspace.root) and may_open(sha, ADMIN, workspace.root) and may_open(sha, None, workspace.root)
    assert not may_open(sha, BOB, workspace.root)
    keep_upload(b"text,label\nx,a\n", "same bytes.csv", workspace.root, owner=BOB.id)  # Bob uploads them too
    assert may_open(sha, BOB, workspace.root)
    before = keep_upload(b"text,label\ny,b\n", "from before sign-in.csv", workspace.root)
    assert may_open(before, BOB, workspace.root)
