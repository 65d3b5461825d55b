"""A worker process started before it is needed, so a run starts training the moment it is dispatched.

A cold worker spends 10 to 20 s importing PyTorch, scikit-learn and the architectures before it can claim its run,
while the Train page shows an empty bar. The dashboard keeps one worker that has already imported all that and
waits on its standard input for a run: `take` hands it one (with the GPUs it may see and where its output goes),
and a new one is started in its place. Only the dashboard keeps one, through its `Supervisor`: a process that does
not live long (the command line, a finishing worker) launches cold workers as before. A waiting worker whose
dispatcher goes away reads the end of its input and exits; once it has a run, it is an ordinary worker in a session
of its own, and trains on whatever happens to the dashboard.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from core.runs.backends.base import ROOT
from core.settings import env_name, settings



def enabled() -> bool:
    """Whether the dashboard keeps a worker ready: on unless `CLASSIFIER_STUDIO_WARM_WORKER=0` (an idle one holds
    about 500 MB of memory)."""
    return settings().warm_worker


def warm_up() -> None:
    """Import what training and saving any model needs beyond the worker's own imports (torch, scikit-learn and every
    architecture), without touching a GPU: the GPUs a worker may use are set in its environment when its run
    arrives, and CUDA reads them when first used."""
    import skops.io  # noqa: F401 - a model fit in one go is saved through it
    import torch._dynamo  # noqa: F401 - the first optimizer a process makes imports it: 2 s before the first step
    import transformers  # noqa: F401 - the pretrained families load their models through it


def wait_for_run() -> int | None:
    """Block until a run is handed over; then take its environment and send all output to its log. None when the
    dispatcher went away first."""
    line = sys.stdin.readline()
    if not line:
        return None
    order = json.loads(line)
    os.environ.update(order["env"])
    log = os.open(order["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, sys.stdout.fileno())
    os.dup2(log, sys.stderr.fileno())
    os.close(log)
    return int(order["run"])


class Standby:
    """The dispatching side: at most one waiting worker for the workspace `root`."""

    def __init__(self, root: Path):
        self.root = root
        self._proc: subprocess.Popen | None = None
        self._env: dict[str, str] = {}
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Start a waiting worker unless one is alive."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            self._env = {**os.environ, env_name("workspace"): str(self.root)}
            # Its output before a run arrives (imports only) has no run log to go to.
            self._proc = subprocess.Popen([sys.executable, "-m", "core", "worker", "--standby"], cwd=ROOT,
                                          env=self._env, stdin=subprocess.PIPE,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True)

    def take(self, run_id: int, env: dict[str, str], log: Path) -> subprocess.Popen | None:
        """Hand run `run_id` to the waiting worker, with the environment a cold worker would get (`env`: its GPUs)
        and `log` for its output, and start the next one; None when none was alive, and the run must start cold."""
        with self._lock:
            proc, self._proc, started_with = self._proc, None, self._env
        changed = {key: value for key, value in env.items() if started_with.get(key) != value}
        handed = proc is not None and proc.poll() is None and _send(proc, {"run": run_id, "env": changed,
                                                                             "log": str(log)})
        self.ensure()
        return proc if handed else None

    def close(self) -> None:
        """End the waiting worker: it reads the end of its input and exits."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass


def _send(proc: subprocess.Popen, order: dict) -> bool:
    try:
        proc.stdin.write((json.dumps(order) + "\n").encode())
        proc.stdin.close()
    except OSError:  # it died just now: the run starts cold
        return False
    return True
