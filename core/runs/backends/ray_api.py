"""Hand training runs to a Ray cluster as Ray Jobs, for the job runner to use instead of local worker processes.

Everything goes through the head's dashboard HTTP address (`$CLASSIFIER_STUDIO_RAY_ADDRESS`, such as
`http://10.0.0.5:8265`), never `ray.init`: the dashboard process must not join the cluster as a driver, and Ray
is imported only when a cluster is first used, since importing it takes most of a second and the app must start
without it. Every failure to reach the head becomes `ClusterUnreachable`, whose message says what to check.
"""
from __future__ import annotations

import functools
import re
import shlex
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator
from uuid import uuid4

from core.errors import ClusterUnreachable
from core.settings import settings

# Ray's client sends its requests with no timeout at all, so a head that accepts connections but never answers
# would hang the caller for good. Connecting fails fast; a busy dashboard gets longer to answer.
TIMEOUT = (5.0, 20.0)
# Kept in each job's metadata: the job list does not say what a job asked for, and an autoscaler v2 cluster does
# not publish its resource usage to the dashboard.
GPUS_KEY = "studio_num_gpus"


def ray_address() -> str | None:
    """The Ray dashboard address runs are sent to, or None to train on this machine."""
    return settings().ray_address


def new_job_id(name: str) -> str:
    """A fresh submission id starting with `name`. It names log files and actors on the cluster, so it keeps to
    safe characters."""
    return f"{re.sub(r'[^A-Za-z0-9_-]', '-', name)}-{uuid4().hex[:8]}"


@dataclass(frozen=True)
class ClusterStatus:
    address: str
    nodes: int
    cpus: float
    gpus: float
    gpus_used: float
    pending: int
    running: int


class RayCluster:
    def __init__(self, address: str) -> None:
        address = address.strip().rstrip("/")
        self.address = address if "://" in address else f"http://{address}"
        self._jobs: Any = None
        self._lock = threading.Lock()

    def submit(self, command: list[str], *, cwd: str, env: dict[str, str], num_gpus: float, job_id: str) -> str:
        """Start `command` in `cwd` on the cluster as `job_id` (see `new_job_id`) and return that id.

        Ray runs it with the environment `ray start` had plus `env`, not this process's environment, so `env`
        must hold everything the command needs. Ray expands `$NAME` and `${NAME}` in `env`'s values against the
        node's environment, and anyone who can reach the dashboard can read them. `cwd` must exist on whichever
        node runs the command."""
        entrypoint = f"cd {shlex.quote(cwd)} && {shlex.join(command)}"
        resources = {"entrypoint_num_gpus": num_gpus} if num_gpus > 0 else {}
        with self._reaching():
            return self._client().submit_job(entrypoint=entrypoint, submission_id=job_id,
                                             runtime_env={"env_vars": dict(env)}, entrypoint_num_cpus=1,
                                             metadata={GPUS_KEY: str(num_gpus)}, **resources)

    def states(self) -> dict[str, str]:
        """Every submitted job's status ("PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED") by submission id,
        in one request."""
        return {job.submission_id: _status(job) for job in self._list_jobs() if job.submission_id}

    def state(self, job_id: str) -> str | None:
        """The job's status, or None when the cluster does not know it (a restarted head forgets its jobs)."""
        with self._reaching(), _unknown_job():
            return _status(self._client().get_job_info(job_id))
        return None

    def stop(self, job_id: str) -> None:
        """Ask the job to stop; one already finished or forgotten is left alone.

        A job still PENDING for resources stays PENDING, since Ray sends the stop to a supervisor that has not
        started yet, until it starts or Ray fails it after `$RAY_JOB_START_TIMEOUT_SECONDS` (15 minutes unless the
        head was started with another)."""
        with self._reaching(), _unknown_job():
            self._client().stop_job(job_id)

    def logs(self, job_id: str) -> str:
        """Everything the job has printed so far, or "" for a job the cluster does not know."""
        with self._reaching(), _unknown_job():
            return self._client().get_job_logs(job_id)
        return ""

    def status(self) -> ClusterStatus:
        """Live nodes, their CPUs and GPUs, GPUs in use and jobs waiting or running."""
        nodes = [n for n in self._get("/api/v0/nodes?limit=10000")["result"]["result"] if n["state"] == "ALIVE"]
        jobs = self._list_jobs()
        running = [job for job in jobs if _status(job) == "RUNNING"]
        # The autoscaler's report counts every task and actor holding a GPU, but lags a few seconds and is missing
        # on autoscaler v2 clusters; then count what the running jobs asked for.
        report = self._get("/api/cluster_status").get("clusterStatus") or {}
        usage = (report.get("loadMetricsReport") or {}).get("usage") or {}
        if "GPU" in usage:
            gpus_used = float(usage["GPU"][0])
        else:
            gpus_used = sum((float((job.metadata or {}).get(GPUS_KEY, 0)) for job in running), 0.0)
        return ClusterStatus(address=self.address, nodes=len(nodes),
                             cpus=sum((n["resources_total"].get("CPU", 0.0) for n in nodes), 0.0),
                             gpus=sum((n["resources_total"].get("GPU", 0.0) for n in nodes), 0.0),
                             gpus_used=gpus_used, pending=sum(_status(job) == "PENDING" for job in jobs),
                             running=len(running))

    def _list_jobs(self) -> list:
        with self._reaching():
            return self._client().list_jobs()

    def _get(self, route: str) -> dict:
        # Through Ray's client, with its authentication headers, cookies and TLS settings.
        with self._reaching():
            response = self._client()._do_request("GET", route)
            if response.status_code != 200:
                raise RuntimeError(f"{route} answered with status code {response.status_code}")
            return response.json()["data"]

    def _client(self):
        with self._lock:
            if self._jobs is None:
                self._jobs = self._connect()
            return self._jobs

    def _connect(self):
        import ray
        from ray.dashboard.modules.dashboard_sdk import SubmissionClient
        from ray.job_submission import JobSubmissionClient

        class Client(JobSubmissionClient):
            def __init__(self, address: str) -> None:
                # JobSubmissionClient's own __init__ sends everything to $RAY_ADDRESS instead, when set, as it is
                # inside every Ray job (a worker dispatching the next run); the base class keeps the address given.
                SubmissionClient.__init__(self, address=address)
                self._client_ray_version = ray.__version__
                self._check_connection_and_version(min_version="2.0")

            def _do_request(self, method, endpoint, **kwargs):
                kwargs.setdefault("timeout", TIMEOUT)
                return super()._do_request(method, endpoint, **kwargs)

        # Its own: a server that is no Ray dashboard answers 404, which `_unknown_job` around a caller would take
        # for a job the cluster does not know.
        with self._reaching():
            return Client(self.address)  # asks the head for its version, so an unreachable one fails here

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        # requests' errors are OSErrors; a bad address is a ValueError. Ray's client raises a plain
        # RuntimeError for any answer but success (a server that is not a Ray dashboard, a head busy or failing
        # with HTTP 500 or 503), except a job it does not know, which `_unknown_job` takes first.
        try:
            yield
        except ClusterUnreachable:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise ClusterUnreachable(self._unreachable(e)) from e
        except Exception as e:
            from ray.exceptions import RayError  # imported already: only Ray's client raises these

            if not isinstance(e, RayError):  # a token the head refuses, say
                raise
            raise ClusterUnreachable(self._unreachable(e)) from e

    def _unreachable(self, error: BaseException) -> str:
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        return (f"Cannot reach the Ray cluster at {self.address} ({reason}). Check that the Ray head is running "
                "(`ray status` on it), that this is its dashboard address (port 8265 unless the head was started "
                "with --dashboard-port) and the port is open from here, and that the dashboard listens beyond "
                "localhost: start the head with `ray start --head --dashboard-host=0.0.0.0`.")


@contextmanager
def _unknown_job() -> Iterator[None]:
    # Ray answers a job it does not know with HTTP 404, which its client raises as a plain RuntimeError.
    try:
        yield
    except ClusterUnreachable:
        raise
    except RuntimeError as e:
        if "status code 404" not in str(e):
            raise


def _status(job) -> str:
    return getattr(job.status, "value", str(job.status))


@functools.lru_cache(maxsize=None)
def cluster(address: str) -> RayCluster:
    """One client per address, shared by every caller."""
    return RayCluster(address)
