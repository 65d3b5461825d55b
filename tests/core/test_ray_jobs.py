"""The Ray Jobs backend against a real, throwaway Ray head on loopback: one CPU, no GPU, started once for the module."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import ClusterUnreachable
from core.runs.backends import ray_api
from core.runs.backends.ray_api import RayCluster, new_job_id
from tests.ray_head import ray_head

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SLEEP = [sys.executable, "-c", "import time; time.sleep(600)"]
FINISHED = ("SUCCEEDED", "FAILED", "STOPPED")


@pytest.fixture(scope="module")
def head() -> str:
    with ray_head() as address:
        yield address


@pytest.fixture
def cluster(head) -> RayCluster:
    return RayCluster(head)


def wait_for(cluster: RayCluster, job_id: str, wanted: tuple[str, ...], seconds: float = 60.0) -> str | None:
    deadline = time.monotonic() + seconds
    while (state := cluster.state(job_id)) not in wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return state


def test_importing_the_module_leaves_ray_unloaded():
    code = ("import sys, core.runs.backends.ray_api\n"
            "assert 'ray' not in sys.modules, sorted(m for m in sys.modules if 'ray' in m)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_the_address_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("CLASSIFIER_STUDIO_RAY_ADDRESS", raising=False)
    assert ray_api.ray_address() is None
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", "  ")
    assert ray_api.ray_address() is None
    monkeypatch.setenv("CLASSIFIER_STUDIO_RAY_ADDRESS", " http://10.0.0.5:8265 ")
    assert ray_api.ray_address() == "http://10.0.0.5:8265"
    assert ray_api.cluster("http://10.0.0.5:8265") is ray_api.cluster("http://10.0.0.5:8265")


def test_a_job_runs_in_its_folder_with_the_given_environment(cluster, tmp_path):
    folder = tmp_path / "run folder"  # the space checks the quoting of the entrypoint
    folder.mkdir()
    command = [sys.executable, "-c", "import os; print('hello', os.environ['STUDIO_X']); print('in', os.getcwd())"]
    job = cluster.submit(command, cwd=str(folder), env={"STUDIO_X": "42"}, num_gpus=0, job_id=new_job_id("hello run/1"))
    assert job.startswith("hello-run-1-")
    assert wait_for(cluster, job, FINISHED) == "SUCCEEDED", cluster.logs(job)
    logs = cluster.logs(job)
    assert "hello 42" in logs
    assert f"in {folder}" in logs
    assert cluster.states()[job] == "SUCCEEDED"
    cluster.stop(job)  # finished already: nothing to do, and no error


def test_status_describes_the_cluster_and_counts_a_running_job(cluster, tmp_path):
    job = cluster.submit(SLEEP, cwd=str(tmp_path), env={}, num_gpus=0, job_id=new_job_id("sleeper"))
    try:
        assert wait_for(cluster, job, ("RUNNING", *FINISHED)) == "RUNNING", cluster.logs(job)
        status = cluster.status()
        assert (status.address, status.nodes, status.cpus, status.gpus, status.gpus_used) == (
            cluster.address, 1, 1.0, 0.0, 0.0)
        assert status.running == 1
    finally:
        cluster.stop(job)
    assert wait_for(cluster, job, FINISHED) == "STOPPED"


def test_stop_ends_a_running_job(cluster, tmp_path):
    job = cluster.submit(SLEEP, cwd=str(tmp_path), env={}, num_gpus=0, job_id=new_job_id("to-stop"))
    assert wait_for(cluster, job, ("RUNNING", *FINISHED)) == "RUNNING", cluster.logs(job)
    started = time.monotonic()
    cluster.stop(job)
    assert wait_for(cluster, job, FINISHED, seconds=30) == "STOPPED"
    assert time.monotonic() - started < 30
    assert cluster.states()[job] == "STOPPED"
    cluster.stop(job)


def test_a_job_asking_for_a_gpu_waits_on_a_cluster_without_one(cluster, tmp_path):
    job = cluster.submit([sys.executable, "-c", "print('ran')"], cwd=str(tmp_path), env={}, num_gpus=1,
                         job_id=new_job_id("gpu"))
    try:
        # Ray never fails such a job at once: it waits for a GPU node to join, until its start timeout.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert cluster.state(job) == "PENDING"
            time.sleep(0.3)
        status = cluster.status()
        assert status.pending >= 1
        assert status.running == 0
        assert status.gpus_used == 0.0
    finally:
        cluster.stop(job)
    assert "ran" not in cluster.logs(job)


def test_a_job_the_cluster_does_not_know(cluster):
    assert cluster.state("no-such-job") is None
    assert cluster.logs("no-such-job") == ""
    cluster.stop("no-such-job")
    assert "no-such-job" not in cluster.states()


@pytest.mark.parametrize("address", ["http://127.0.0.1:1", "127.0.0.1:1"])
def test_an_unreachable_cluster_says_where_it_looked(address):
    cluster = RayCluster(address)
    for call in (cluster.states, cluster.status, lambda: cluster.state("x"),
                 lambda: cluster.submit(["true"], cwd="/", env={}, num_gpus=0, job_id=new_job_id("x"))):
        with pytest.raises(ClusterUnreachable, match="http://127.0.0.1:1") as raised:
            call()
        assert "ray start --head --dashboard-host=" in str(raised.value)


def test_ray_address_in_the_environment_redirects_nothing(head, monkeypatch):
    # Ray sets $RAY_ADDRESS inside every job, and its client would send requests there instead of where asked.
    monkeypatch.setenv("RAY_ADDRESS", "http://127.0.0.1:1")
    monkeypatch.setenv("RAY_API_SERVER_ADDRESS", "http://127.0.0.1:1")
    assert isinstance(RayCluster(head).states(), dict)
    monkeypatch.setenv("RAY_ADDRESS", head)
    monkeypatch.setenv("RAY_API_SERVER_ADDRESS", head)
    with pytest.raises(ClusterUnreachable):
        RayCluster("http://127.0.0.1:1").states()


def test_a_head_that_never_answers_times_out(monkeypatch):
    monkeypatch.setattr(ray_api, "TIMEOUT", (1.0, 1.0))
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        cluster = RayCluster(f"http://127.0.0.1:{silent.getsockname()[1]}")
        for call in (cluster.states, cluster.status):
            started = time.monotonic()
            with pytest.raises(ClusterUnreachable, match="127.0.0.1"):
                call()
            assert time.monotonic() - started < 10
