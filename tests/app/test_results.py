"""Results page: metrics, confusion matrix (counts and shares), per-class table; nothing finished yet."""
from __future__ import annotations

import base64
import json

import numpy as np

from core.evaluation import load_report
from core.workspace import run_dir
from dashboard.state import RUN


def heatmap_z(at) -> np.ndarray:
    """The confusion-matrix heatmap's z values, as the browser receives them."""
    chart = next(c for c in at.get("plotly_chart") if c.key == "confusion")
    z = json.loads(chart.proto.spec)["data"][0]["z"]
    if isinstance(z, dict):  # Plotly 6 sends numpy arrays as base64 typed arrays
        shape = [int(n) for n in str(z.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"])).reshape(shape).astype(float)
    return np.asarray(z, dtype=float)


def test_no_finished_run_shows_info(open_page, store, dataset):
    at = open_page("results")
    assert not at.exception
    assert at.info, "with no finished run the page should say so"
    assert not at.metric
    assert not at.get("plotly_chart")


def test_succeeded_run_shows_metrics_confusion_matrix_and_table(open_page, store, trained_run):
    report = load_report(run_dir(trained_run.id, store.root))
    classes = report["classes"]
    at = open_page("results")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert {"Accuracy", "Macro-F1", "Test texts"} <= set(metrics), metrics
    assert metrics["Test texts"] == f"{report['n_test']:,}"
    assert metrics["Accuracy"] == f"{report['accuracy']:.1%}"

    counts = heatmap_z(at)
    assert counts.shape == (len(classes), len(classes))
    assert counts.sum() == report["n_test"]

    table = at.dataframe[0].value
    assert {"Class", "Precision", "Recall", "F1", "Test texts"} <= set(table.columns), list(table.columns)
    assert sorted(table["Class"].astype(str)) == sorted(classes)

    at.segmented_control(key="cm_view").set_value("Share of each true class")
    at.run()
    assert not at.exception
    shares = heatmap_z(at)
    assert shares.shape == counts.shape
    rows = counts.sum(axis=1) > 0
    np.testing.assert_allclose(shares[rows].sum(axis=1), 1.0)
    assert at.session_state[RUN] == trained_run.id


def test_run_in_the_url_is_preselected_and_the_choice_goes_back_into_the_url(store, dataset, trained_run):
    from streamlit.testing.v1 import AppTest

    from core.worker import execute_run
    from tests.app.conftest import ENTRYPOINT, PAGES, TIMEOUT

    newer = execute_run(store, store.create_run(dataset.id, "tfidf", {"C": 0.01}))
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=TIMEOUT)
    at.query_params["run"] = str(trained_run.id)
    at.switch_page(PAGES["results"])
    at.run()
    assert not at.exception
    assert at.selectbox(key="results.run").value == trained_run.id  # not the newest run
    at.selectbox(key="results.run").select(newer.id).run()
    assert at.query_params["run"] == str(newer.id)
