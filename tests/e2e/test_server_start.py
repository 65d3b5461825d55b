"""The real server, started as the README says and never visited: its supervisor notices a worker that dies."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from core.data.splitting import split
from core.runs.backends.local import GONE
from core.store.datasets import save_dataset
from core.store.store import Store
from tests.conftest import make_texts

pytestmark = pytest.mark.e2e


def test_a_worker_that_dies_while_no_page_was_ever_opened_is_noticed(server):
    store = Store(server.workspace)
    dataset = save_dataset(store, split(make_texts(), seed=0), "tiny")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run_id = store.create_run(dataset.id, "tfidf", {})
    assert store.transition(run_id, "running", pid=gone.pid)  # after the server's start: only its supervisor looks
    deadline = time.monotonic() + 60  # a generous limit; the supervisor looks every few seconds
    while store.get_run(run_id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    run = store.get_run(run_id)
    assert run.status == "interrupted" and run.error == GONE, server.log.read_text(errors="replace")[-4000:]
