"""The workspace store, on SQLite and on PostgreSQL: status transitions, claims, metrics cursors, datasets, cancel
flags."""
from __future__ import annotations

import os
import sqlite3
import threading
import time

import pandas as pd
import pytest
from sqlalchemy import update

from core.data.splitting import split
from core.data.text_set import subset
from core.store.datasets import content_id, load_dataset, save_dataset
from core.store.records import Progress
from core.store.schema import runs
from core.store.store import Store
from tests.postgres_server import PostgresServer


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(request, tmp_path, monkeypatch) -> Store:
    """The test's workspace, its store in a SQLite file, or in a new database on a PostgreSQL server."""
    monkeypatch.setenv("CLASSIFIER_STUDIO_WORKSPACE", str(tmp_path / "workspace"))
    if request.param == "postgresql":
        monkeypatch.setenv("CLASSIFIER_STUDIO_DATABASE_URL", request.getfixturevalue("postgres").new_database())
    return Store(tmp_path / "workspace")


@pytest.fixture
def dataset_id(workspace: Store) -> str:
    return workspace.add_dataset("d1", "tiny", "/nowhere.parquet", 60, ["a", "b"]).id


def test_new_run_is_queued(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {"C": 1.0})
    run = workspace.get_run(run_id)
    assert (run.status, run.active, run.pid, run.started_at, run.finished_at) == ("queued", True, None, None, None)
    assert run.config == {"C": 1.0} and run.progress == Progress() and run.result == {}
    assert run.cancel_requested is False
    assert run.created_at <= time.time()


def test_status_moves_forward(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    assert workspace.transition(run_id, "running", pid=1234)
    running = workspace.get_run(run_id)
    assert running.status == "running" and running.pid == 1234 and running.started_at is not None
    assert workspace.transition(run_id, "succeeded", result={"accuracy": 0.9})
    done = workspace.get_run(run_id)
    assert done.status == "succeeded" and done.result == {"accuracy": 0.9} and not done.active
    assert done.finished_at >= done.started_at
    for status in ("running", "failed", "cancelled", "interrupted", "succeeded"):
        assert not workspace.transition(run_id, status), f"succeeded -> {status} must be refused"
    assert workspace.get_run(run_id) == done


def test_refused_transitions(workspace, dataset_id):
    queued = workspace.create_run(dataset_id, "tfidf", {})
    assert not workspace.transition(queued, "succeeded")  # never trained
    assert not workspace.transition(queued, "interrupted")  # no worker was running
    assert workspace.get_run(queued).status == "queued"
    assert workspace.transition(queued, "cancelled")
    assert not workspace.transition(queued, "running")  # a cancelled run is never claimed
    failed = workspace.create_run(dataset_id, "tfidf", {})
    assert workspace.transition(failed, "failed", error="ValueError: bad", traceback="Traceback ...")
    run = workspace.get_run(failed)
    assert (run.status, run.error, run.traceback) == ("failed", "ValueError: bad", "Traceback ...")


def test_interrupted_only_from_running(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "textcnn", {})
    workspace.transition(run_id, "running", pid=1)
    assert workspace.transition(run_id, "interrupted", error="gone")
    assert not workspace.transition(run_id, "running")


def test_only_one_of_two_claims_wins(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    assert workspace.transition(run_id, "running", pid=1)
    assert not Store(workspace.root).transition(run_id, "running", pid=2)  # a second process's view
    assert workspace.get_run(run_id).pid == 1


def test_concurrent_claims_have_one_winner(workspace, dataset_id):
    run_ids = [workspace.create_run(dataset_id, "tfidf", {}) for _ in range(5)]
    contenders = 8
    barrier = threading.Barrier(contenders)
    wins: dict[int, list[int]] = {run_id: [] for run_id in run_ids}

    def claim(worker: int) -> None:
        store = Store(workspace.root)
        barrier.wait()
        for run_id in run_ids:
            if store.transition(run_id, "running", pid=1000 + worker):
                wins[run_id].append(worker)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(len(winners) == 1 for winners in wins.values()), wins
    for run_id, (winner,) in wins.items():
        assert workspace.get_run(run_id).pid == 1000 + winner


def test_reserve_launch_once(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    assert workspace.reserve_launch(run_id)
    assert not workspace.reserve_launch(run_id)
    assert (workspace.get_run(run_id).pid, workspace.get_run(run_id).launcher) == (None, os.getpid())
    workspace.set_pid(run_id, 4321)
    assert workspace.get_run(run_id).pid == 4321
    workspace.transition(run_id, "cancelled")
    workspace.set_pid(run_id, 999)  # a finished run keeps its pid
    assert workspace.get_run(run_id).pid == 4321


def test_a_launch_stored_by_an_earlier_version_still_reads_as_launching(workspace, dataset_id):
    """The pid column holds a launching process's pid negated, as every version has written it."""
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    with workspace.engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(pid=-4321))
    run = workspace.get_run(run_id)
    assert (run.pid, run.launcher, run.launched) == (None, 4321, True)
    assert not workspace.release_launch(run_id)  # this process is not the one launching it
    assert workspace.release_launch(run_id, 4321)
    run = workspace.get_run(run_id)
    assert (run.pid, run.launcher, run.launched) == (None, None, False)


def test_list_runs_filters(workspace, dataset_id):
    other = workspace.add_dataset("d2", "other", "/x.parquet", 10, ["a", "b"]).id
    a = workspace.create_run(dataset_id, "tfidf", {})
    b = workspace.create_run(dataset_id, "textcnn", {})
    c = workspace.create_run(other, "tfidf", {})
    workspace.transition(b, "running", pid=1)
    assert [r.id for r in workspace.list_runs()] == [c, b, a]
    assert [r.id for r in workspace.list_runs(status=("queued",))] == [c, a]
    assert [r.id for r in workspace.list_runs(status=("queued", "running"), dataset_id=dataset_id)] == [b, a]
    with pytest.raises(KeyError, match="No run with id 99"):
        workspace.get_run(99)


def test_progress(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "textcnn", {})
    workspace.set_progress(run_id, Progress(epoch=1, epochs=5, eta=None))
    assert workspace.get_run(run_id).progress == Progress(epoch=1, epochs=5, eta=None)


def test_metrics_since_is_an_incremental_cursor(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "textcnn", {})
    other = workspace.create_run(dataset_id, "textcnn", {})
    workspace.log_metrics(run_id, 1, 0.5, "train", {"loss": 1.0})
    workspace.log_metrics(other, 1, 0.5, "train", {"loss": 9.0})
    workspace.log_metrics(run_id, 2, 1.0, "val", {"loss": 0.8, "accuracy": 0.5})
    first = workspace.metrics_since(run_id)
    assert [(m["step"], m["epoch"], m["split"], m["name"], m["value"]) for m in first] == [
        (1, 0.5, "train", "loss", 1.0), (2, 1.0, "val", "loss", 0.8), (2, 1.0, "val", "accuracy", 0.5)]
    assert [m["id"] for m in first] == sorted(m["id"] for m in first)
    cursor = first[-1]["id"]
    assert workspace.metrics_since(run_id, cursor) == []
    workspace.log_metrics(run_id, 3, 1.5, "train", {"loss": 0.4})
    newer = workspace.metrics_since(run_id, cursor)
    assert [(m["step"], m["name"], m["value"]) for m in newer] == [(3, "loss", 0.4)]
    assert newer[0]["id"] > cursor and newer[0]["time"] >= first[0]["time"]
    assert [m["value"] for m in workspace.metrics_since(other)] == [9.0]


def test_cancel_flag(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "textcnn", {})
    other = workspace.create_run(dataset_id, "textcnn", {})
    assert not workspace.cancel_requested(run_id)
    workspace.request_cancel(run_id)
    assert workspace.cancel_requested(run_id) and workspace.get_run(run_id).cancel_requested
    assert not workspace.cancel_requested(other)
    assert not workspace.cancel_requested(12345)  # no such run


def test_store_survives_reopening(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {"C": 2.0})
    again = Store(workspace.root)
    assert again.get_run(run_id).config == {"C": 2.0}
    assert (workspace.root / "studio.sqlite3").exists() == workspace.url.startswith("sqlite")  # else on the server


def test_default_root_from_environment(workspace):
    assert Store().root == workspace.root


# datasets

def test_datasets_dedupe_by_content(workspace, tiny_df):
    df = split(tiny_df, seed=0)
    first = save_dataset(workspace, df, "tiny.csv")
    second = save_dataset(workspace, df.copy(), "renamed.csv")
    assert second.id == first.id == content_id(df)
    assert second.name == "tiny.csv"  # the first record is kept
    assert len(workspace.list_datasets()) == 1
    assert (first.n_rows, first.classes) == (60, ["food", "sport", "tech"])
    files = list((workspace.root / "datasets").iterdir())
    assert [f.name for f in files] == [f"{first.id}.parquet"]
    loaded = load_dataset(workspace, first.id)
    pd.testing.assert_frame_equal(loaded, df[["text", "label", "split"]].reset_index(drop=True), check_dtype=False)
    assert subset(loaded, "test").texts == df.loc[df["split"] == "test", "text"].tolist()


def test_different_content_is_another_dataset(workspace, tiny_df):
    a = save_dataset(workspace, split(tiny_df, seed=0), "a")
    b = save_dataset(workspace, split(tiny_df, seed=1), "a")  # same rows, another split
    assert a.id != b.id
    assert {d.id for d in workspace.list_datasets()} == {a.id, b.id}
    with pytest.raises(KeyError):
        workspace.get_dataset("nope")


def test_old_workspace_gains_source_hash(tmp_path):
    """A workspace made before datasets had a source column opens, and its datasets read as having none."""
    conn = sqlite3.connect(tmp_path / "studio.sqlite3")
    conn.execute("CREATE TABLE datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL, "
                 "n_rows INTEGER NOT NULL, classes TEXT NOT NULL, created_at REAL NOT NULL)")
    conn.execute("INSERT INTO datasets VALUES ('old', 'old.csv', '/old.parquet', 5, '[\"a\", \"b\"]', 1.0)")
    conn.commit()
    conn.close()
    store = Store(tmp_path)
    conn = sqlite3.connect(tmp_path / "studio.sqlite3")
    assert "source_hash" in [r[1] for r in conn.execute("PRAGMA table_info(datasets)")]
    conn.close()
    old = store.get_dataset("old")
    assert (old.name, old.n_rows, old.classes, old.source_hash) == ("old.csv", 5, ["a", "b"], None)
    Store(tmp_path)  # opening a migrated workspace again adds nothing
    store.add_dataset("new", "new.csv", "/new.parquet", 3, ["a"], source_hash="f" * 64)
    assert [d.id for d in store.datasets_from_source("f" * 64)] == ["new"]


def test_same_content_learns_its_source(workspace):
    workspace.add_dataset("d", "from the command line", "/d.parquet", 3, ["a"])
    again = workspace.add_dataset("d", "upload.csv", "/d.parquet", 3, ["a"], source_hash="a" * 64)
    assert (again.name, again.source_hash) == ("from the command line", "a" * 64)
    kept = workspace.add_dataset("d", "other.csv", "/d.parquet", 3, ["a"], source_hash="b" * 64)
    assert kept.source_hash == "a" * 64  # the first source it was saved from


def test_rename_dataset(workspace, dataset_id):
    assert workspace.rename_dataset(dataset_id, "  reviews 2024  ").name == "reviews 2024"
    assert Store(workspace.root).get_dataset(dataset_id).name == "reviews 2024"
    with pytest.raises(ValueError, match="needs a name"):
        workspace.rename_dataset(dataset_id, "   ")
    assert workspace.get_dataset(dataset_id).name == "reviews 2024"
    with pytest.raises(KeyError, match="No dataset with id nope"):
        workspace.rename_dataset("nope", "x")


def test_delete_dataset_refused_while_runs_are_active(workspace, dataset_id):
    other = workspace.add_dataset("d2", "other", "/x.parquet", 10, ["a", "b"]).id
    queued = workspace.create_run(dataset_id, "tfidf", {})
    running = workspace.create_run(dataset_id, "tfidf", {})
    done = workspace.create_run(dataset_id, "tfidf", {})
    kept = workspace.create_run(other, "tfidf", {})
    workspace.transition(running, "running", pid=1)
    workspace.transition(done, "running", pid=1)
    workspace.transition(done, "succeeded")
    for run_id in (running, done, kept):
        workspace.log_metrics(run_id, 1, 1.0, "val", {"loss": 0.5})
    with pytest.raises(ValueError, match="still has 2 runs queued or training"):
        workspace.delete_dataset(dataset_id)
    assert len(workspace.list_runs(dataset_id=dataset_id)) == 3 and workspace.metrics_since(done)
    workspace.transition(queued, "cancelled")
    with pytest.raises(ValueError, match="still has 1 run queued"):
        workspace.delete_dataset(dataset_id)
    workspace.transition(running, "failed", error="x")
    assert workspace.delete_dataset(dataset_id) == [queued, running, done]
    with pytest.raises(KeyError):
        workspace.get_dataset(dataset_id)
    assert workspace.list_runs(dataset_id=dataset_id) == []
    assert workspace.metrics_since(running) == [] and workspace.metrics_since(done) == []
    assert [r.id for r in workspace.list_runs()] == [kept] and len(workspace.metrics_since(kept)) == 1
    with pytest.raises(KeyError):
        workspace.delete_dataset(dataset_id)
    assert workspace.create_run(other, "tfidf", {}) > done  # a deleted run's id, and so its folder, is never reused


def test_old_workspace_runs_gain_the_job_columns(tmp_path):
    """Runs stored before Stop had a time and workers a start time open, and read as having neither."""
    conn = sqlite3.connect(tmp_path / "studio.sqlite3")
    conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, dataset_id TEXT NOT NULL, arch TEXT NOT NULL, "
                 "config TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'queued', pid INTEGER, gpu INTEGER, "
                 "created_at REAL NOT NULL, started_at REAL, finished_at REAL, cancel_requested INTEGER NOT NULL "
                 "DEFAULT 0, progress TEXT NOT NULL DEFAULT '{}', result TEXT NOT NULL DEFAULT '{}', error TEXT, "
                 "traceback TEXT)")
    conn.execute("INSERT INTO runs (dataset_id, arch, config, status, created_at) VALUES ('d', 'tfidf', '{}', "
                 "'succeeded', 1.0)")
    conn.commit()
    conn.close()
    run = Store(tmp_path).get_run(1)
    assert (run.status, run.cancel_at, run.process_started) == ("succeeded", None, None)


def test_a_run_created_twice_within_the_window_is_one_run(workspace, dataset_id):
    first, new = workspace.create_run_once(dataset_id, "tfidf", {"C": 1.0}, within=60)
    again, new_again = workspace.create_run_once(dataset_id, "tfidf", {"C": 1.0}, within=60)
    other, new_other = workspace.create_run_once(dataset_id, "tfidf", {"C": 2.0}, within=60)
    assert (new, new_again, new_other) == (True, False, True) and again == first != other
    workspace.transition(first, "cancelled")  # the same settings again after the first has ended: a new run
    assert workspace.create_run_once(dataset_id, "tfidf", {"C": 1.0}, within=60)[1]
    assert workspace.create_run_once(dataset_id, "tfidf", {"C": 2.0}, within=0)[1]  # past the window


def test_requeue_only_a_stopped_run_and_start_it_afresh(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    assert not workspace.requeue(run_id)  # queued already
    workspace.transition(run_id, "running", pid=123, process_started=5.0)
    workspace.request_cancel(run_id)
    workspace.set_progress(run_id, Progress(step=7, phase="stopping"))
    workspace.transition(run_id, "cancelled", result={"accuracy": 0.5})
    assert workspace.get_run(run_id).has_model
    assert workspace.requeue(run_id)
    run = workspace.get_run(run_id)
    assert (run.status, run.pid, run.process_started, run.cancel_requested, run.cancel_at, run.result,
            run.finished_at) == ("queued", None, None, False, None, {}, None)
    assert run.progress == Progress(step=7, phase="preparing")  # where it stood, no longer stopping
    workspace.transition(run_id, "running", pid=124)
    workspace.transition(run_id, "succeeded", result={"accuracy": 0.9})
    assert not workspace.requeue(run_id)


def test_cancel_keeps_the_first_request_time(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    workspace.request_cancel(run_id)
    first = workspace.get_run(run_id).cancel_at
    workspace.request_cancel(run_id)
    assert workspace.get_run(run_id).cancel_at == first and workspace.get_run(run_id).cancel_requested


def test_metrics_after_a_step_are_dropped_for_a_resumed_run(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    for step in (1, 2, 3):
        workspace.log_metrics(run_id, step, step / 3, "train", {"loss": 1.0 / step})
    workspace.drop_metrics_after(run_id, 2)
    assert [m["step"] for m in workspace.metrics_since(run_id)] == [1, 2]


def test_runs_with_model(workspace, dataset_id):
    done, stopped_with, stopped_without, failed = (workspace.create_run(dataset_id, "tfidf", {"C": c}) for c in range(4))
    for run_id in (done, stopped_with, stopped_without, failed):
        workspace.transition(run_id, "running", pid=1)
    workspace.transition(done, "succeeded", result={"accuracy": 1.0})
    workspace.transition(stopped_with, "cancelled", result={"accuracy": 0.8})
    workspace.transition(stopped_without, "cancelled")
    workspace.transition(failed, "failed", error="x")
    assert [r.id for r in workspace.runs_with_model()] == [stopped_with, done]


def test_only_the_reserving_process_records_the_launch_and_a_claimed_run_keeps_its_worker(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    workspace.set_pid(run_id, 4321)  # not reserved by this process: ignored
    assert workspace.get_run(run_id).pid is None
    workspace.reserve_launch(run_id)
    workspace.set_pid(run_id, 4321, None, 7.0)
    assert (workspace.get_run(run_id).pid, workspace.get_run(run_id).process_started) == (4321, 7.0)
    assert not workspace.release_worker(run_id, 999)  # another launch than the one recorded
    workspace.transition(run_id, "running", pid=4321)
    workspace.set_pid(run_id, 555)
    assert not workspace.release_worker(run_id, 4321)  # claimed meanwhile: the worker stays recorded
    assert workspace.get_run(run_id).pid == 4321


def test_mark_stopping_acknowledges_stop_in_the_progress(workspace, dataset_id):
    run_id = workspace.create_run(dataset_id, "tfidf", {})
    workspace.transition(run_id, "running", pid=1)
    workspace.set_progress(run_id, Progress(step=3, phase="training"))
    workspace.mark_stopping(run_id)
    assert workspace.get_run(run_id).progress == Progress(step=3, phase="stopping")
