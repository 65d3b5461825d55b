"""Shared storage by fsspec URL: a `file://` URL stands in for an object store, and wiping the workspace folder
stands in for another machine, which has only what it fetches."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.data.splitting import split
from core.errors import StorageError
from core.inference.prediction import load_run_model
from core.runs import run_log, worker
from core.runs.worker import execute_run
from core.store.datasets import delete_dataset, load_dataset, save_dataset
from core.store.shared_storage import FETCHED, fetch, push, run_files
from core.store.store import Store
from core.training.callbacks import Callback
from core.training.state import TrainState
from core.workspace import CHECKPOINT_FILE, MODEL_DIR, PREDICTIONS_FILE, run_dir

SMALL = {"epochs": 3, "batch_size": 4, "vocab_size": 500, "embedding_dim": 16, "num_filters": 8, "max_length": 16,
         "device": "cpu", "early_stopping_patience": 0}


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "bucket"
    monkeypatch.setenv("CLASSIFIER_STUDIO_STORAGE_URL", f"file://{folder}/studio/")
    return folder / "studio"


def elsewhere(store: Store, *paths: Path) -> None:
    """Remove local copies, as on a machine that never had them."""
    for path in paths:
        shutil.rmtree(path) if path.is_dir() else path.unlink()


class StopAfterFirstEpoch(Callback):
    def __init__(self, store: Store, run_id: int):
        self.store, self.run_id = store, run_id

    def on_epoch_end(self, state: TrainState) -> None:
        self.store.request_cancel(self.run_id)


def test_files_go_to_storage_and_come_back_whole(workspace, bucket):
    folder = run_dir(7, workspace.root)
    (folder / "model").mkdir()
    (folder / "model" / "weights.bin").write_bytes(b"\0" * 1000)
    (folder / "run.log").write_text("hello", encoding="utf-8")
    push(folder, workspace.root)
    assert (bucket / "runs" / "7" / "model" / "weights.bin").stat().st_size == 1000

    elsewhere(workspace, folder)
    assert fetch(folder, workspace.root, leave_out=("run.log",))
    assert (folder / "model" / "weights.bin").read_bytes() == b"\0" * 1000 and not (folder / "run.log").exists()
    assert not list(folder.rglob("*.partial"))
    assert not fetch(run_dir(8, workspace.root), workspace.root)  # nothing stored for it


def test_a_run_trained_on_one_machine_is_seen_whole_on_another(workspace, tiny_df, bucket):
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    assert (bucket / Path(dataset.path).relative_to(workspace.root)).exists()
    elsewhere(workspace, Path(dataset.path))  # the worker's machine has only the store and the storage
    assert len(load_dataset(workspace, dataset.id)) == len(tiny_df)

    run = execute_run(workspace, workspace.create_run(dataset.id, "textcnn", SMALL))
    assert run.status == "succeeded", run.error
    folder = run_dir(run.id, workspace.root)
    expected = load_run_model(workspace, run.id).predict_proba(["goal match team league"])

    elsewhere(workspace, folder)  # the dashboard's machine
    folder = run_files(workspace, run.id)
    assert (folder / MODEL_DIR).is_dir() and (folder / PREDICTIONS_FILE).exists()
    assert "Finished in" in run_log.read(folder)  # the log's last line was stored before the run was marked done
    assert (load_run_model(workspace, run.id).predict_proba(["goal match team league"]) == expected).all()

    delete_dataset(workspace, dataset.id)
    assert not (bucket / "runs" / str(run.id)).exists()
    assert not (bucket / Path(dataset.path).relative_to(workspace.root)).exists()


def test_a_run_stopped_on_one_machine_resumes_on_another_from_its_checkpoint(workspace, tiny_df, bucket):
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    run_id = workspace.create_run(dataset.id, "textcnn", SMALL)
    stopped = execute_run(workspace, run_id, [StopAfterFirstEpoch(workspace, run_id)])
    assert stopped.status == "cancelled" and stopped.has_model
    assert (bucket / "runs" / str(run_id) / CHECKPOINT_FILE).exists()
    elsewhere(workspace, run_dir(run_id, workspace.root))
    folder = run_files(workspace, run_id)  # the dashboard's machine: the stopped run's model, not its checkpoint
    assert (folder / MODEL_DIR).is_dir() and not (folder / CHECKPOINT_FILE).exists()

    elsewhere(workspace, run_dir(run_id, workspace.root))  # the next worker's machine
    assert workspace.requeue(run_id)
    run = execute_run(workspace, run_id)
    assert run.status == "succeeded", run.error
    assert "Resumed from the checkpoint at step" in run_log.read(run_dir(run_id, workspace.root))
    assert not (bucket / "runs" / str(run_id) / CHECKPOINT_FILE).exists()  # a finished run is never resumed

    # A folder fetched after the first finish is fetched again for the second, without the checkpoint.
    (run_dir(run_id, workspace.root) / FETCHED).write_text(str(stopped.finished_at), encoding="utf-8")
    elsewhere(workspace, run_dir(run_id, workspace.root) / MODEL_DIR)
    folder = run_files(workspace, run_id)
    assert (folder / MODEL_DIR).is_dir() and not (folder / CHECKPOINT_FILE).exists()


def test_a_run_from_before_storage_was_set_keeps_its_files(workspace, tiny_df, monkeypatch, bucket):
    monkeypatch.delenv("CLASSIFIER_STUDIO_STORAGE_URL")
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    run = execute_run(workspace, workspace.create_run(dataset.id, "tfidf", {}))
    monkeypatch.setenv("CLASSIFIER_STUDIO_STORAGE_URL", f"file://{bucket}")
    folder = run_files(workspace, run.id)  # storage has nothing of it: nothing here is replaced
    assert (folder / MODEL_DIR).is_dir() and load_run_model(workspace, run.id).predict(["goal"]).shape == (1,)

    # Nor is it marked fetched: once its files reach storage (as a worker's late push would), they are fetched.
    push(folder / "run.log", workspace.root)
    (folder / "run.log").write_text("stale", encoding="utf-8")
    assert "stale" not in run_log.read(run_files(workspace, run.id))


def test_a_dataset_saved_again_reaches_storage_that_was_out_of_reach(workspace, tiny_df, monkeypatch, bucket):
    monkeypatch.setenv("CLASSIFIER_STUDIO_STORAGE_URL", "nosuchprotocol://bucket/studio")
    with pytest.raises(StorageError, match="could not be put in nosuchprotocol://"):
        save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    monkeypatch.setenv("CLASSIFIER_STUDIO_STORAGE_URL", f"file://{bucket}")
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    assert (bucket / Path(dataset.path).relative_to(workspace.root)).exists()


def test_storage_out_of_reach_is_said_and_changes_nothing(workspace, tiny_df, monkeypatch, bucket):
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    run = execute_run(workspace, workspace.create_run(dataset.id, "tfidf", {}))
    monkeypatch.setenv("CLASSIFIER_STUDIO_STORAGE_URL", "nosuchprotocol://bucket/studio")
    with pytest.raises(StorageError, match=f"run {run.id} could not be fetched from nosuchprotocol://"):
        run_files(workspace, run.id)
    assert (run_dir(run.id, workspace.root) / MODEL_DIR).is_dir()


def test_a_finished_run_waits_for_storage_out_of_reach_for_a_moment(workspace, tiny_df, monkeypatch, bucket):
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    tries = []

    def flaky(path: Path, root: Path) -> None:
        tries.append(path)
        if len(tries) == 1:
            raise StorageError("storage out of reach")
        push(path, root)

    monkeypatch.setattr(worker, "push", flaky)
    monkeypatch.setattr(worker, "PUSH_WAITS", (0.0, 0.0, 0.0))
    run = execute_run(workspace, workspace.create_run(dataset.id, "tfidf", {}))
    assert run.status == "succeeded" and len(tries) == 2
    assert (bucket / "runs" / str(run.id) / MODEL_DIR).is_dir()
