"""The server's limits: read from the environment, enforced where a dataset is saved, a run starts, waits and trains."""
from __future__ import annotations

import os

import pytest

from core.access.limits import Limits
from core.access.ownership import Viewer
from core.data.splitting import split
from core.runs import jobs, run_queue
from core.runs.backends.local import WORKERS
from core.runs.worker import execute_run
from core.store.datasets import save_dataset

ADA, BOB = Viewer("ada@example.com"), Viewer("bob@example.com")


def test_defaults_and_values_from_the_environment():
    assert Limits.from_env({}) == Limits()
    limits = Limits.from_env({"CLASSIFIER_STUDIO_MAX_ROWS": "1000", "CLASSIFIER_STUDIO_MAX_HOURS_PER_RUN": "0.5",
                              "CLASSIFIER_STUDIO_MAX_RUNS_PER_USER": " 2 "})
    assert (limits.rows_per_dataset, limits.hours_per_run, limits.runs_per_user) == (1000, 0.5, 2)
    assert limits.seconds_per_run == 1800
    assert Limits.from_env({"CLASSIFIER_STUDIO_MAX_HOURS_PER_RUN": "0"}).seconds_per_run is None


@pytest.mark.parametrize("raw", ["many", "-1", "1.5"])
def test_a_malformed_limit_names_its_variable(raw):
    with pytest.raises(ValueError, match=f"CLASSIFIER_STUDIO_MAX_EPOCHS must be a whole number.*'{raw}'"):
        Limits.from_env({"CLASSIFIER_STUDIO_MAX_EPOCHS": raw})


@pytest.mark.parametrize("raw", ["nan", "inf", "-0.5"])
def test_hours_that_are_no_number_of_hours_are_refused(raw):
    with pytest.raises(ValueError, match="MAX_HOURS_PER_RUN must be a number of hours"):
        Limits.from_env({"CLASSIFIER_STUDIO_MAX_HOURS_PER_RUN": raw})


def test_rows_uploads_and_epochs_over_the_limit_are_refused_with_what_to_do():
    limits = Limits(rows_per_dataset=100, upload_mb=1, epochs=5)
    limits.check_rows(100)
    with pytest.raises(ValueError, match="101 rows; this server keeps at most 100 per dataset.*MAX_ROWS"):
        limits.check_rows(101)
    limits.check_upload(1024 * 1024, 1)
    with pytest.raises(ValueError, match="2.0 MB; this server takes files of up to 1 MB.*command line"):
        limits.check_upload(2 * 1024 * 1024, 1)
    limits.check_epochs({"epochs": 5})
    limits.check_epochs({"C": 1.0})  # a model without epochs
    with pytest.raises(ValueError, match="asks for 6 epochs; this server allows at most 5"):
        limits.check_epochs({"epochs": 6})
    Limits(rows_per_dataset=0).check_rows(10**9)  # 0: no limit


def test_start_refuses_a_run_with_more_epochs_than_allowed(workspace, tiny_df, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_EPOCHS", "3")
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    with pytest.raises(ValueError, match="at most 3"):
        jobs.start(workspace, dataset.id, "textcnn", {"epochs": 4})
    assert workspace.list_runs() == []


def test_a_run_stops_at_the_time_limit_and_keeps_its_model(workspace, tiny_df, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_HOURS_PER_RUN", "0.000001")  # under 4 ms: the first step ends it
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    config = {"epochs": 50, "batch_size": 4, "embedding_dim": 8, "num_filters": 4, "device": "cpu",
              "early_stopping_patience": 0}
    run = execute_run(workspace, workspace.create_run(dataset.id, "textcnn", config))
    assert run.status == "succeeded" and run.has_model
    assert run.result["stop_reason"] == "it reached this server's limit of 0 s of training per run"
    assert run.progress.step < run.progress.total_steps


def test_each_person_trains_at_most_their_share_and_the_queue_moves_past_them(workspace, tiny_df, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "3")
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_RUNS_PER_USER", "1")
    monkeypatch.setattr(WORKERS, "launch", lambda store, run, gpu, on_exit: store.set_pid(run.id, os.getpid(), gpu))
    ada, bob = workspace.as_viewer(ADA), workspace.as_viewer(BOB)
    dataset = save_dataset(ada, split(tiny_df, seed=0), "tiny")
    ada.share_dataset(dataset.id, True)
    first, second = (ada.create_run(dataset.id, "tfidf", {}) for _ in range(2))
    bobs = bob.create_run(dataset.id, "tfidf", {})
    assert jobs.dispatch(workspace) == [first, bobs]  # a slot stays free rather than go to Ada's second run
    held = workspace.get_run(second)
    assert "at most 1 at once for one person" in run_queue.held_back(ada, held)
    assert run_queue.place_in_queue(bob, second) == 1  # others' runs count in the queue, whoever looks
    assert run_queue.held_back(ada, workspace.get_run(bobs)) is None


def test_runs_made_without_sign_in_are_not_held_back(workspace, tiny_df, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "2")
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_RUNS_PER_USER", "1")
    monkeypatch.setattr(WORKERS, "launch", lambda store, run, gpu, on_exit: store.set_pid(run.id, os.getpid(), gpu))
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    runs = [workspace.create_run(dataset.id, "tfidf", {}) for _ in range(2)]
    assert jobs.dispatch(workspace) == runs


def test_resume_checks_the_epochs_against_the_limit_in_force(workspace, tiny_df, monkeypatch):
    dataset = save_dataset(workspace, split(tiny_df, seed=0), "tiny")
    run = workspace.create_run(dataset.id, "textcnn", {"epochs": 5})
    jobs.cancel(workspace, run)
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_EPOCHS", "3")
    with pytest.raises(ValueError, match="at most 3"):
        jobs.resume(workspace, run)
    assert workspace.get_run(run).status == "cancelled"
