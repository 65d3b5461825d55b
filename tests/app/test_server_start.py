"""The server's start (dashboard/app.py): the supervisor runs from it, before anyone opens a page, and once for all
the sessions that follow."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from streamlit.web.server.app_discovery import discover_asgi_app

from core.runs import jobs
from core.runs.backends.local import GONE
from core.store.store import Store
from dashboard import state

ROOT = Path(__file__).resolve().parents[2]


def dead_run(store: Store, dataset_id: str) -> int:
    """A run left 'running' by a worker that has died."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run_id = store.create_run(dataset_id, "tfidf", {})
    assert store.transition(run_id, "running", pid=gone.pid)
    return run_id


def test_the_readme_command_serves_an_app_with_a_start_of_its_own():
    # `python -m streamlit run dashboard/app.py` runs an st.App found in the file, with its lifespan; a plain script
    # would run only for a page view.
    found = discover_asgi_app(ROOT / "dashboard" / "app.py")
    assert found.is_asgi_app and found.app_name == "app"


def test_the_supervisor_runs_from_the_servers_start_before_any_page_view(store, dataset, open_page, monkeypatch):
    supervisors = []

    class Counted(jobs.Supervisor):
        def __init__(self, *args, **kwargs):
            supervisors.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(jobs, "Supervisor", Counted)
    died_before_start = dead_run(store, dataset.id)

    async def serve_without_visitors() -> int:
        async with state.serving(None):
            died_since = dead_run(store, dataset.id)  # only a supervisor at work can notice this one
            deadline = time.monotonic() + 60  # a generous limit; it looks every few seconds
            while store.get_run(died_since).status == "running" and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        return died_since

    died_since = asyncio.run(serve_without_visitors())
    assert store.get_run(died_before_start).status == "interrupted"
    assert store.get_run(died_since).status == "interrupted" and store.get_run(died_since).error == GONE
    open_page("home")
    open_page("train")
    assert len(supervisors) == 1  # the sessions use the server's own
