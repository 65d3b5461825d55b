"""The same run, started from the Train page the same way, trains on this machine, across two DDP processes and as a
Ray job, and the page draws its curves while it trains each time."""
from __future__ import annotations

import time

import pytest

from core.runs import jobs
from core.runs.backends import ray_cluster
from core.runs.backends.ray_api import cluster
from tests.app.test_train import start_button, wait_for_finish
from tests.ray_head import ray_head

# Long enough to be watched training: one text per step.
SETTINGS = {"epochs": 6, "batch_size": 1, "max_length": 16}


@pytest.fixture(scope="module")
def head() -> str:
    with ray_head() as address:
        yield address


# Each trains a real run, in worker processes and on a Ray head: slow, so with the end-to-end tests.
pytestmark = pytest.mark.e2e


@pytest.fixture(params=["here", "two DDP processes", "Ray job"])
def where(request, monkeypatch) -> str:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    if request.param == "two DDP processes":
        monkeypatch.setenv("CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "2")
    if request.param == "Ray job":
        monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", request.getfixturevalue("head"))
    return request.param


def test_the_same_run_trains_wherever_it_is_sent_with_live_curves(where, open_page, store, dataset):
    at = open_page("train")
    next(r for r in at.radio if r.label == "Model").set_value("textcnn")
    at.run()
    for name, value in SETTINGS.items():
        next(n for n in at.number_input if n.key.startswith("config.textcnn.") and n.key.endswith(f".{name}")) \
            .set_value(value)
    start_button(at).click()
    at.run()
    assert not at.exception
    [run] = store.list_runs()
    try:
        deadline = time.monotonic() + 120
        while not (store.get_run(run.id).status == "running" and store.metrics_since(run.id)):
            assert time.monotonic() < deadline and store.get_run(run.id).active, jobs.worker_log(store, run.id)
            time.sleep(0.2)
        at.run()  # what the page's live view shows a second later
        charts = [c for c in at.get("plotly_chart") if c.key == f"curves.{run.id}"]
        assert charts and '"y"' in charts[0].proto.spec and store.get_run(run.id).status == "running"
    finally:
        jobs.cancel(store, run.id)
    finished = wait_for_finish(store, run.id)
    assert finished.status == "cancelled" and finished.has_model, jobs.worker_log(store, run.id)
    if where == "Ray job":
        assert finished.job is not None and ray_cluster.job_states().get(finished.job) in ("RUNNING", "SUCCEEDED")
        cluster(ray_cluster.ray_address()).stop(finished.job)
    else:
        assert finished.job is None
    log = (store.root / "runs" / str(run.id) / "run.log").read_text(encoding="utf-8")
    assert ("Training across 2 processes" in log) == (where == "two DDP processes")
