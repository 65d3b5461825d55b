"""Fixtures for the AppTest page tests: a fresh app per test over its own workspace, plus ready-made store rows.

Every fixture works on the temporary workspace from tests/conftest.py. Streamlit's caches are process-wide
(`get_store` is an `st.cache_resource`, the pages cache uploads and models), so they are cleared around each
test; otherwise a test would see the previous test's store, or a model cached under the same run id.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.data.preparation import prepare
from core.data.splitting import split
from core.runs.backends.processes import process_started
from core.runs.worker import execute_run
from core.store.datasets import save_dataset
from core.store.records import Progress
from core.store.store import DatasetRecord, Run, Store
from tests.conftest import make_texts

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "dashboard" / "main.py"  # the script of every page view; app.py is the server around it
# Pages by the path AppTest.switch_page expects: relative to the entrypoint's folder.
PAGES = {name: f"../pages/{name}.py" for name in ("home", "data", "label", "train", "results", "compare", "predict")}
TIMEOUT = 60


def _clear_caches() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def store(workspace: Store) -> Store:
    """The test's workspace store; the app's `get_store()` opens the same folder (through the environment)."""
    _clear_caches()
    yield workspace
    _clear_caches()


@pytest.fixture
def open_page(store: Store) -> Callable[[str], AppTest]:
    """`open_page("data")`: a new session of the app, run once on the entrypoint, then switched to the page."""

    def _open(page: str) -> AppTest:
        at = AppTest.from_file(str(ENTRYPOINT), default_timeout=TIMEOUT)
        at.run()
        assert not at.exception, at.exception
        if page != "home":
            at.switch_page(PAGES[page])
            at.run()
        return at

    return _open


@pytest.fixture
def dataset(store: Store, tiny_df: pd.DataFrame) -> DatasetRecord:
    """The tiny three-class dataset, split and saved as the Data page would."""
    return save_dataset(store, split(prepare(tiny_df, "text", "label"), 0.1, 0.2, 42), "tiny topics")


@pytest.fixture
def trained_run(store: Store, dataset: DatasetRecord) -> Run:
    """A succeeded TF-IDF run on the tiny dataset, trained inline (no worker process)."""
    run_id = store.create_run(dataset.id, "tfidf", {})
    run = execute_run(store, run_id)
    assert run.status == "succeeded", run.error
    return run


def train_inline(store: Store, df: pd.DataFrame, name: str, arch: str = "tfidf", config: dict | None = None) -> Run:
    dataset = save_dataset(store, split(prepare(df, "text", "label"), 0.1, 0.3, 42), name)
    run = execute_run(store, store.create_run(dataset.id, arch, config or {}))
    assert run.status == "succeeded", run.error
    return run


@pytest.fixture
def noisy_run(store: Store) -> Run:
    """A TF-IDF run on three classes with a quarter of the labels shuffled, so it makes mistakes to browse."""
    df = make_texts(n_per_class=40, seed=1)
    flip = df.sample(frac=0.25, random_state=0).index
    df.loc[flip, "label"] = df.loc[flip, "label"].sample(frac=1.0, random_state=1).to_numpy()
    return train_inline(store, df, "noisy topics")


@pytest.fixture
def binary_run(store: Store) -> Run:
    """A TF-IDF run on two classes (sport or food), a few labels swapped."""
    df = make_texts(n_per_class=40, seed=2)
    df = df[df["label"] != "tech"].reset_index(drop=True)
    df.loc[df.index[:8], "label"] = df.loc[df.index[:8], "label"].map({"sport": "food", "food": "sport"})
    return train_inline(store, df, "sport or food")


@pytest.fixture
def stopped_run(store: Store, dataset: DatasetRecord) -> Run:
    """A TF-IDF run asked to stop while it fit: it stops with its model complete, measured and kept."""
    run_id = store.create_run(dataset.id, "tfidf", {})
    store.request_cancel(run_id)
    run = execute_run(store, run_id)
    assert run.status == "cancelled" and run.has_model, run.error
    return run


@pytest.fixture
def stand_in_worker() -> Callable[[], subprocess.Popen]:
    """`stand_in_worker()`: a live process to record as a run's worker, so reconcile keeps the run; all are
    killed at the end of the test (a forced Stop may signal one, never the test process itself)."""
    started: list[subprocess.Popen] = []

    def _start() -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]))
        return started[-1]

    yield _start
    for proc in started:
        proc.kill()
        proc.wait()


@pytest.fixture
def running_run(store: Store, dataset: DatasetRecord, stand_in_worker) -> Run:
    """A 'running' run whose worker is a stand-in process, moved to cancelled afterwards."""
    run_id = store.create_run(dataset.id, "tfidf", {})
    worker = stand_in_worker()
    assert store.transition(run_id, "running", pid=worker.pid, process_started=process_started(worker.pid))
    store.set_progress(run_id, Progress(epoch=1, epochs=4, step=10, total_steps=40, elapsed=12.0, eta=36.0,
                                        phase="training"))
    yield store.get_run(run_id)
    store.transition(run_id, "cancelled")


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open the tab `label` of a page whose tabs draw only the open one (bound to the address bar as `tab`)."""
    at.session_state["tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at
