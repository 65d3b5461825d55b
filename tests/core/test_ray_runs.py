"""Runs handed to a real Ray cluster: a throwaway head on loopback, started once for the module, trains a run from
`jobs.start` to its saved model with curves in the store as it goes, and stops one on Stop."""
from __future__ import annotations

import sys
import time

import pytest

from core.errors import ClusterUnreachable
from core.inference.prediction import load_run_model
from core.runs import jobs, run_log, run_queue, system
from core.runs.backends import ray_cluster, ray_env
from core.runs.backends.base import ROOT
from core.runs.backends.choice import backend_for
from core.runs.backends.local import WORKER_LOG
from core.runs.backends.ray_api import ClusterStatus, cluster
from core.runs.worker import execute_run
from core.store.store import Store
from core.workspace import run_dir
from tests.core.test_jobs import LONG, one_thread_workers, tiny_dataset, wait_finished, wait_until  # noqa: F401
from tests.ray_head import ray_head


def test_a_job_the_run_was_taken_from_does_not_train_it(workspace: Store, tiny_dataset, monkeypatch):
    """Stopped while its job waited in the cluster's queue, then resumed as another job: the first job, started
    at last, leaves the run to the second."""
    run_id = workspace.create_run(tiny_dataset.id, "tfidf", {})
    workspace.reserve_launch(run_id)
    workspace.set_job(run_id, "classifier-studio-run-1-new")
    monkeypatch.setenv(ray_env.JOB_ENV, "classifier-studio-run-1-old")
    assert execute_run(workspace, run_id).status == "queued"
    monkeypatch.setenv(ray_env.JOB_ENV, "classifier-studio-run-1-new")
    assert execute_run(workspace, run_id).status == "succeeded"


def test_each_run_asks_the_cluster_for_the_gpus_it_trains_on(workspace: Store, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", "http://127.0.0.1:1")
    monkeypatch.setattr(ray_cluster, "gpus_per_run", lambda: 2)
    asked: dict[str, tuple[list[str], int]] = {}

    def submit(run, command, cwd, env, gpus):
        asked[run.arch] = command, gpus
        return f"job-{run.id}"

    monkeypatch.setattr(ray_cluster, "submit", submit)
    for arch in ("textcnn", "tfidf"):
        jobs.start(workspace, tiny_dataset.id, arch, {})
    command, gpus = asked["textcnn"]
    assert gpus == 2 and "--nproc-per-node=2" in command  # across both, with DDP
    command, gpus = asked["tfidf"]
    assert gpus == 1 and "torch.distributed.run" not in command  # fit in one process: one GPU is all it uses


def test_the_system_panel_counts_only_the_apps_runs_waiting_in_the_cluster(workspace: Store, tiny_dataset, monkeypatch):
    runs = [workspace.create_run(tiny_dataset.id, "tfidf", {"C": c}) for c in (1, 2, 3)]
    for run_id, job in zip(runs, ("waits", "trains")):
        workspace.reserve_launch(run_id)
        workspace.set_job(run_id, job)
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", "http://127.0.0.1:1")
    # Two jobs wait in the cluster: one of a queued run, and one that is none of this app's.
    monkeypatch.setattr(ray_cluster, "job_states", lambda: {"waits": "PENDING", "trains": "RUNNING", "other": "PENDING"})
    monkeypatch.setattr(ray_cluster, "status", lambda: (ClusterStatus("http://127.0.0.1:1", 1, 2, 0, 0, 2, 1), None))
    status = system.system_status(workspace)
    assert status.queued == 3 and status.queued_in_cluster == 1
    assert system.describe(status).endswith("· 2 jobs waiting for room")


def test_a_run_whose_job_the_cluster_forgot_is_handed_over_again(workspace: Store, tiny_dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", "http://127.0.0.1:1")
    monkeypatch.setattr(ray_cluster, "gpus_per_run", lambda: 0)
    submitted: list[str] = []
    monkeypatch.setattr(ray_cluster, "submit", lambda run, command, cwd, env, gpus:
                        submitted.append(f"job-{len(submitted) + 1}") or submitted[-1])
    run_id, _ = jobs.start(workspace, tiny_dataset.id, "tfidf", {})
    assert workspace.get_run(run_id).job == "job-1"
    monkeypatch.setattr(ray_cluster, "job_state", lambda job: "GONE")  # the head restarted, and forgot its jobs
    jobs.reconcile(workspace)
    run = workspace.get_run(run_id)
    assert run.status == "queued" and run.job == "job-2", run
    assert "no longer known to the cluster; it is queued again" in run_log.read(run_dir(run_id, workspace.root))


def test_the_clusters_status_is_read_once_in_a_while_for_every_page(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", "http://127.0.0.1:2")
    answers = [ClusterUnreachable("down"), ClusterStatus("http://127.0.0.1:2", 1, 2, 0, 0, 0, 0)]

    def read():
        answer = answers[min(len(asked), 1)]
        asked.append(answer)
        if isinstance(answer, Exception):
            raise answer
        return answer

    asked: list = []
    monkeypatch.setattr(cluster("http://127.0.0.1:2"), "status", read)
    assert ray_cluster.status() == ray_cluster.status() == (None, "down") and len(asked) == 1
    monkeypatch.setattr(ray_cluster, "UNREACHABLE_SECONDS", 0.0)  # a cluster out of reach is asked again, later
    assert ray_cluster.status() == (answers[1], None) and len(asked) == 2
    assert ray_cluster.status() == (answers[1], None) and len(asked) == 2
    assert ray_cluster.gpus_per_run() == 0 and len(asked) == 2


SMALL = {"epochs": 4, "batch_size": 4, "vocab_size": 500, "embedding_dim": 16, "num_filters": 8, "max_length": 16,
         "device": "cpu", "early_stopping_patience": 0}


@pytest.fixture(scope="module")
def head() -> str:
    with ray_head() as address:
        yield address


@pytest.fixture
def on_cluster(head, monkeypatch, workspace: Store) -> Store:
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", head)
    # A setting of the dashboard's that only the run's worker reads: it must reach the node, `$` and all.
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_HOURS_PER_RUN", "5")
    monkeypatch.setenv("CLASSIFIER_STUDIO_UNUSED", "pa$word")
    yield workspace
    for run in workspace.list_runs(status=("queued", "running")):
        if run.job:
            cluster(head).stop(run.job)


@pytest.mark.e2e
def test_a_run_trains_as_a_ray_job_with_live_curves(on_cluster: Store, tiny_dataset, head):
    run_id, _ = jobs.start(on_cluster, tiny_dataset.id, "textcnn", SMALL)
    run = on_cluster.get_run(run_id)
    assert run.job is not None and run.pid is None  # handed to the cluster, not to a process here
    assert ray_cluster.job_alive(run.job) and run_queue.place_in_queue(on_cluster, run_id) is None

    # The worker on the cluster writes its curves as it trains: seen while the run is still running.
    seen_running = wait_until(on_cluster, run_id, lambda r: r.status != "queued" and
                              bool(on_cluster.metrics_since(run_id)) or r.status in ("succeeded", "failed"),
                              timeout=120, what="its first metrics")
    run = wait_finished(on_cluster, run_id, timeout=120)
    assert run.status == "succeeded", jobs.worker_log(on_cluster, run_id)
    assert seen_running.status in ("running", "succeeded")
    assert {(m["split"], m["name"]) for m in on_cluster.metrics_since(run_id)} >= {("train", "loss"), ("val", "loss")}
    assert load_run_model(on_cluster, run_id).predict(["goal match team league"]).shape == (1,)

    log = jobs.worker_log(on_cluster, run_id)  # read from the cluster, not from a file here
    assert f"core worker {run_id}" in log
    assert not (on_cluster.root / "runs" / str(run_id) / WORKER_LOG).exists()
    assert wait_until(on_cluster, run_id, lambda r: ray_cluster.job_states().get(r.job) == "SUCCEEDED",
                      timeout=30, what="the job to end")


@pytest.mark.e2e
def test_settings_reach_the_worker_unchanged(on_cluster: Store, tiny_dataset, head):
    run = on_cluster.get_run(on_cluster.create_run(tiny_dataset.id, "tfidf", {}))
    show = ("from core.runs.backends.ray_env import unpack_env; import os; unpack_env(); "
            "print(os.environ['CLASSIFIER_STUDIO_UNUSED'])")
    job = ray_cluster.submit(run, [sys.executable, "-c", show], str(ROOT), {}, 0)
    deadline = time.monotonic() + 60
    while cluster(head).state(job) not in ("SUCCEEDED", "FAILED") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "pa$word" in cluster(head).logs(job)


@pytest.mark.e2e
def test_stop_ends_a_run_on_the_cluster_and_the_system_panel_shows_the_cluster(on_cluster: Store, tiny_dataset):
    run_id, _ = jobs.start(on_cluster, tiny_dataset.id, "textcnn", LONG)
    wait_until(on_cluster, run_id, lambda r: r.progress.epoch >= 1, timeout=120, what="an epoch")
    status = system.system_status(on_cluster)
    assert status.cluster is not None and status.cluster.nodes == 1 and status.cluster.running == 1
    assert system.describe(status).startswith(f"Ray cluster at {status.cluster.address} · 1 node · 0 of 0 GPUs")
    jobs.cancel(on_cluster, run_id)
    run = wait_finished(on_cluster, run_id, timeout=60)
    assert run.status == "cancelled" and run.has_model, run.error
    assert wait_until(on_cluster, run_id, lambda r: ray_cluster.job_states().get(r.job) == "SUCCEEDED",
                      timeout=30, what="the job to end")


@pytest.mark.e2e
def test_a_job_that_ends_without_a_word_leaves_the_run_interrupted(on_cluster: Store, tiny_dataset, head):
    run_id, _ = jobs.start(on_cluster, tiny_dataset.id, "textcnn", LONG)
    run = wait_until(on_cluster, run_id, lambda r: r.status == "running", timeout=120, what="it to start")
    cluster(head).stop(run.job)  # as an administrator would in Ray's own dashboard
    wait_until(on_cluster, run_id, lambda r: not backend_for(r).alive(r, on_cluster.root), timeout=60,
               what="the job to end")
    jobs.reconcile(on_cluster)
    run = on_cluster.get_run(run_id)
    # Ray ends a job with SIGTERM: the worker records that it was interrupted, and Resume carries on.
    assert run.status == "interrupted" and "stopped from outside" in run.error, run
