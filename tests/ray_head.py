"""A throwaway Ray head on loopback for tests: one CPU, no GPU, its dashboard on a free port.

`ray stop --force` at the end stops every Ray process on the machine, which is what a test machine wants. The
temporary folder lives under /tmp with a short name because Ray's unix socket paths must stay under ~107
characters, which pytest's tmp_path easily exceeds. `ray start` runs from an empty folder so that a stray module
in the caller's folder (a `click.py` once) cannot shadow one of Ray's imports.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

READY_SECONDS = 60.0
# A job that cannot start (one asking for a GPU here) would otherwise stay PENDING for 15 minutes, counted in every
# later status; Stop does not end a PENDING job.
JOB_START_TIMEOUT_SECONDS = "60"


def _ray_executable() -> Path:
    return Path(sys.executable).parent / "ray"


def _free_ports(count: int) -> list[int]:
    # Keep every socket open until all are chosen, so the ports differ.
    with ExitStack() as stack:
        sockets = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(env: dict[str, str], cwd: str) -> None:
    try:
        subprocess.run([str(_ray_executable()), "stop", "--force"], env=env, cwd=cwd, capture_output=True,
                       timeout=60)
    except subprocess.TimeoutExpired:
        pass


@contextmanager
def ray_head() -> Iterator[str]:
    """Start a Ray head and yield its dashboard address (`http://127.0.0.1:PORT`); stop it on leaving. Its
    temporary folder is a new one under /tmp: Ray wants a short path."""
    tmp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    cwd = tempfile.mkdtemp(prefix="raycwd", dir="/tmp")
    gcs, dashboard, client, agent = _free_ports(4)
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "RAY_JOB_START_TIMEOUT_SECONDS": JOB_START_TIMEOUT_SECONDS}
    env.pop("RAY_ADDRESS", None)
    command = [str(_ray_executable()), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={gcs}",
               "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}", f"--ray-client-server-port={client}",
               f"--dashboard-agent-listen-port={agent}", "--num-cpus=1", "--num-gpus=0", "--include-dashboard=true",
               "--disable-usage-stats", "--object-store-memory=100000000", f"--temp-dir={tmp}"]
    address = f"http://127.0.0.1:{dashboard}"
    try:
        try:
            started = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                                     timeout=READY_SECONDS)
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(f"`ray start` did not return within {READY_SECONDS:.0f} s:\n{e.stdout}\n{e.stderr}")
        output = f"{started.stdout}\n{started.stderr}"
        if started.returncode:
            raise RuntimeError(f"`ray start` failed ({started.returncode}):\n{output}")
        # The job API comes up a little after `ray start` returns.
        deadline = time.monotonic() + READY_SECONDS
        while not _answers(f"{address}/api/jobs/"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ray's dashboard at {address} did not answer within {READY_SECONDS:.0f} s. "
                                   f"`ray start` said:\n{output}")
            time.sleep(0.25)
        yield address
    finally:
        _stop(env, cwd)
        shutil.rmtree(cwd, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
