"""The session-state keys that pages share, and the process-wide singletons."""
from __future__ import annotations

import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import pandas as pd
import streamlit as st

from core.evaluation.report import load_predictions
from core.runs import jobs
from core.store.store import Store

DATASET = "dataset_id"  # the dataset chosen on the Data page, preselected on Train
RUN = "run_id"  # the run last started or picked; preselected on Train, Results and Predict
DRAFT = "draft"  # the sample or kept upload open on the Data page: see dashboard/drafts.py
FIXES = "draft_fixes"  # its table after the fixes applied: {"for", "table", "done", "applied", "checked"}, drafts.fixed
BATCH = "batch_predictions"  # ((run id, file id, text column), table) of the Predict page's last file
# Who is signed in (a core.access.ownership.Viewer), or None with sign-in off; set by access.gate.
VIEWER = "access.viewer"
METRICS_CACHE = "metrics_cache"  # run id -> (last metric row id, rows) for incremental live charts


@st.cache_resource(show_spinner=False)  # no spinner: the server's start calls it with no page to show one on
def server_store() -> Store:
    """One store per server process, seeing everyone's datasets and runs. At start (the server's: see `serving`)
    it reconciles runs whose workers died while it was down, then keeps doing so every few seconds, so a killed
    worker is marked within seconds even with no page open."""
    store = Store()
    jobs.reconcile(store)
    supervisor(str(store.root))
    return store


@asynccontextmanager
async def serving(app: st.App) -> AsyncIterator[None]:
    """The server's lifespan (dashboard/app.py): the store, and so the supervisor, from the moment the server starts,
    once for all sessions; a worker that dies before anyone opens a page is noticed too."""
    try:
        server_store()
    except Exception as exc:  # noqa: BLE001 - the store out of reach: the first page says why, and tries again
        print(f"Runs could not be checked at start: {exc}. The first page opened tries again.", file=sys.stderr)
    yield


def get_store() -> Store:
    """The store as this session's signed-in person sees it (see dashboard/access.py and core/access/ownership.py)."""
    return server_store().as_viewer(st.session_state.get(VIEWER))


@st.cache_resource(on_release=lambda running: running.stop(), show_spinner=False)
def supervisor(root: str) -> jobs.Supervisor:
    return jobs.Supervisor(Store(root))


@st.cache_resource(max_entries=4, show_spinner=False)
def test_predictions(folder: str, finished_at: float | None) -> pd.DataFrame:
    """A finished run's test predictions, read once for every session (the views only read them); a run resumed and
    finished again has a new `finished_at`, and so a new entry."""
    return load_predictions(Path(folder))


def current(key: str, default=None):
    return st.session_state.get(key, default)


def remember(key: str, value) -> None:
    st.session_state[key] = value
