"""Results page: metrics, confusion matrix (counts and shares), per-class table; nothing finished yet."""
from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd

from core.evaluation import baseline
from core.evaluation.report import load_report
from core.workspace import PREDICTIONS_FILE, run_dir
from dashboard.components import escape_md
from dashboard.state import RUN
from tests.app.conftest import open_tab


def chart_data(at, key: str) -> list[dict]:
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)["data"]


def heatmap_z(at, key: str = "confusion") -> np.ndarray:
    """A confusion-matrix heatmap's z values, as the browser receives them."""
    z = chart_data(at, key)[0]["z"]
    if isinstance(z, dict):  # Plotly 6 sends numpy arrays as base64 typed arrays
        shape = [int(n) for n in str(z.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"])).reshape(shape).astype(float)
    return np.asarray(z, dtype=float)


# AppTest gives a read-only table no key; each of these is the one table of its tab.
TABLES = {"confusion_examples": "Confusion matrix", "per_class": "Per class", "mistakes_table": "Mistakes"}


def dataframe(at, name: str) -> pd.DataFrame:
    """The table `name`, its tab opened first when another is open (only the open tab is drawn)."""
    if at.session_state["tab"] != TABLES[name]:
        open_tab(at, TABLES[name])
    return at.dataframe[0].value


def test_no_finished_run_shows_info(open_page, store, dataset):
    at = open_page("results")
    assert not at.exception
    assert at.info, "with no finished run the page should say so"
    assert not at.metric
    assert not at.get("plotly_chart")


def test_succeeded_run_shows_metrics_confusion_matrix_and_table(open_page, store, trained_run):
    report = load_report(run_dir(trained_run.id, store.root))
    classes = report.classes
    at = open_page("results")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert {"Accuracy", "Macro-F1", "Test texts"} <= set(metrics), metrics
    # Next to accuracy, always answering the most common class; then whether the model beats it.
    trivial = report.baseline
    assert metrics[f"Always “{trivial.class_name}”"] == f"{trivial.accuracy:.1%}"
    level, sentence = baseline.verdict(report)
    shown = at.success if level == baseline.GOOD else at.warning
    assert [escape_md(sentence)] == [m.value for m in shown], "the verdict, once"
    low, high = report.intervals.accuracy
    assert any(f"95% interval {low:.1%} – {high:.1%}" in c.value for c in at.caption)
    assert metrics["Test texts"] == f"{report.n_test:,}"
    assert metrics["Accuracy"] == f"{report.accuracy:.1%}"

    counts = heatmap_z(at)
    assert counts.shape == (len(classes), len(classes))
    assert counts.sum() == report.n_test

    table = dataframe(at, "per_class")
    assert {"class", "precision", "recall", "f1", "support"} <= set(table.columns), list(table.columns)
    assert sorted(table["class"].astype(str)) == sorted(classes)

    open_tab(at, "Confusion matrix")
    at.segmented_control(key="cm_view").set_value("Share of each true class")
    at.run()
    assert not at.exception
    shares = heatmap_z(at)
    assert shares.shape == counts.shape
    rows = counts.sum(axis=1) > 0
    np.testing.assert_allclose(shares[rows].sum(axis=1), 1.0)
    at.segmented_control(key="cm_view").set_value("Share of each predicted class")
    at.run()
    columns = counts.sum(axis=0) > 0
    np.testing.assert_allclose(heatmap_z(at)[:, columns].sum(axis=0), 1.0)
    assert at.session_state[RUN] == trained_run.id


def test_run_in_the_url_is_preselected_and_the_choice_goes_back_into_the_url(store, dataset, trained_run):
    from streamlit.testing.v1 import AppTest

    from core.runs.worker import execute_run
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


def test_a_cell_lists_its_texts_the_biggest_mix_up_first(open_page, store, noisy_run):
    report = load_report(run_dir(noisy_run.id, store.root))
    predictions = pd.read_parquet(run_dir(noisy_run.id, store.root) / PREDICTIONS_FILE)
    at = open_page("results")
    assert not at.exception
    matrix = np.array(report.confusion_matrix)
    np.fill_diagonal(matrix, -1)
    t, p = np.unravel_index(matrix.argmax(), matrix.shape)
    true, predicted = at.selectbox(key=f"results.true.{noisy_run.id}"), at.selectbox(key=f"results.predicted.{noisy_run.id}")
    assert (true.value, predicted.value) == (report.classes[t], report.classes[p])
    shown = dataframe(at, "confusion_examples")
    assert len(shown) == report.confusion_matrix[t][p] > 0
    assert (shown["label"] == true.value).all() and (shown["predicted"] == predicted.value).all()
    assert shown["confidence"].is_monotonic_decreasing
    # Every cell of the matrix carries its (true, predicted) pair for the click.
    cells = chart_data(at, "confusion")[1]["customdata"]
    assert len(cells) == len(report.classes) ** 2
    assert sorted(tuple(c[:2]) for c in cells) == sorted((a, b) for a in report.classes for b in report.classes)

    at.selectbox(key=f"results.true.{noisy_run.id}").select(report.classes[0])
    at.selectbox(key=f"results.predicted.{noisy_run.id}").select(report.classes[0]).run()
    shown = dataframe(at, "confusion_examples")
    expected = predictions[(predictions["label"] == report.classes[0]) & (predictions["predicted"] == report.classes[0])]
    assert sorted(shown["text"]) == sorted(expected["text"])


def test_weakest_classes_are_marked_and_listed_first(open_page, store, noisy_run):
    report = load_report(run_dir(noisy_run.id, store.root))
    at = open_page("results")
    table = dataframe(at, "per_class")
    weakest = min(report.per_class, key=lambda row: row.f1).class_name
    assert table.iloc[0]["class"] == weakest and table.iloc[0]["flag"] == "⚠ weakest"
    assert table["f1"].is_monotonic_increasing
    assert (table["flag"] == "").sum() == len(table) - 1  # one fifth of three classes, rounded up


def test_only_the_open_tab_is_drawn(open_page, noisy_run):
    at = open_page("results")
    assert {c.key for c in at.get("plotly_chart")} == {"confusion"}
    open_tab(at, "Per class")
    assert not at.get("plotly_chart") and at.dataframe


def test_curves_mistakes_and_lengths_show_for_a_multiclass_run(open_page, store, noisy_run):
    report = load_report(run_dir(noisy_run.id, store.root))
    at = open_page("results")
    assert "Threshold" not in [t.label for t in at.tabs], "the threshold is for two-class models only"
    keys = {c.key for c in open_tab(at, "Curves").get("plotly_chart")}
    assert {"roc", "pr", "reliability"} <= keys, keys
    roc = chart_data(at, "roc")
    assert [t["name"] for t in roc[:-1]] == [f"{c.class_name} (AUC {c.roc_auc:.3f})" for c in report.curves]
    assert any(f"{report.calibration.ece:.3f}" in c.value for c in at.caption)
    assert "length_slices" in {c.key for c in open_tab(at, "By text length").get("plotly_chart")}

    mistakes = dataframe(at, "mistakes_table")
    assert len(mistakes) == round((1 - report.accuracy) * report.n_test) > 0
    assert (mistakes["label"] != mistakes["predicted"]).all() and mistakes["confidence"].is_monotonic_decreasing
    wrong_class = mistakes.iloc[0]["label"]
    at.selectbox(key="results.mistakes.true").select(wrong_class).run()
    assert (dataframe(at, "mistakes_table")["label"] == wrong_class).all()
    word = mistakes.iloc[0]["text"].split()[0]
    at.text_input(key="results.mistakes.query").input(word.upper()).run()
    found = dataframe(at, "mistakes_table")
    assert len(found) and found["text"].str.contains(word).all()
    assert at.get("download_button")


def test_two_class_run_has_a_threshold_slider_that_moves_the_scores(open_page, store, binary_run):
    report = load_report(run_dir(binary_run.id, store.root))
    at = open_tab(open_page("results"), "Threshold")
    slider = at.slider(key=f"results.threshold.{binary_run.id}")
    assert slider.value == 0.5
    before = {m.label: m.value for m in at.metric}
    positive = at.selectbox(key=f"results.positive.{binary_run.id}").value
    assert positive == report.classes[1]
    counts = heatmap_z(at, "threshold_confusion")
    assert counts.sum() == report.n_test
    slider.set_value(0.95).run()
    assert not at.exception
    after = {m.label: m.value for m in at.metric}
    flagged_before, flagged_after = counts[:, 1].sum(), heatmap_z(at, "threshold_confusion")[:, 1].sum()
    assert flagged_after < flagged_before, "a stricter threshold flags fewer texts"
    assert after["Recall"] != before["Recall"]


def test_a_run_stopped_with_a_model_shows_its_results_and_says_it_was_stopped(open_page, store, stopped_run):
    at = open_page("results")
    assert not at.exception
    assert any("This run was stopped before it finished (at step 1)" in i.value for i in at.info)
    assert at.metric and "confusion" in [c.key for c in at.get("plotly_chart")]


def test_shared_storage_out_of_reach_is_said_on_the_page(monkeypatch, open_page, trained_run):
    monkeypatch.setenv("CLASSIFIER_STUDIO_STORAGE_URL", "nosuchprotocol://bucket/studio")
    at = open_page("results")
    assert not at.exception
    shown = at.error[0].value.replace("\\", "")  # as written, before Markdown's escapes
    assert f"The files of run {trained_run.id} could not be fetched from nosuchprotocol://" in shown
    assert "Check that the storage is reachable from this machine" in shown
