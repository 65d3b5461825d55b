"""Compare page: a leaderboard of one dataset's runs, overlaid curves and two runs judged against chance."""
from __future__ import annotations

import json

from core.comparison import compare_runs, leaderboard
from core.worker import execute_run
from core.wording import literal_markdown as escape_md
from core.workspace import PREDICTIONS_FILE, run_dir


def test_nothing_finished_says_so(open_page, store, dataset):
    at = open_page("compare")
    assert not at.exception
    assert at.info and not at.dataframe


def test_one_run_shows_its_row_and_asks_for_another(open_page, store, trained_run):
    at = open_page("compare")
    assert not at.exception
    board = at.dataframe[0].value
    assert board["Run"].tolist() == [f"#{trained_run.id}"] and board.iloc[0][""] == "🏆 best"
    assert any("Train another" in i.value for i in at.info)


def test_two_runs_get_a_leaderboard_curves_and_a_verdict(open_page, store, noisy_run):
    other = execute_run(store, store.create_run(noisy_run.dataset_id, "tfidf", {"classifier": "naive_bayes"}))
    assert other.status == "succeeded", other.error
    expected = leaderboard(store, noisy_run.dataset_id)
    at = open_page("compare")
    assert not at.exception
    board = at.dataframe[0].value
    assert board["Run"].tolist() == [f"#{r}" for r in expected["run"]]
    assert board["Macro-F1"].is_monotonic_decreasing
    assert board["Macro-F1 95% interval"].str.match(r"^\d\.\d{3} – \d\.\d{3}$").all()
    assert board["Time per text (ms)"].notna().all() and board["Model size (MB)"].gt(0).all()
    keys = {c.key for c in at.get("plotly_chart")}
    assert {"compare_f1", "compare_loss", "compare_per_class"} <= keys
    bars = json.loads(next(c for c in at.get("plotly_chart") if c.key == "compare_per_class").proto.spec)["data"]
    assert len(bars) == 2 and sorted(bars[0]["y"]) == ["food", "sport", "tech"]

    a, b = (int(r) for r in expected["run"][:2])
    result, _ = compare_runs(store, a, b)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Macro-F1, A minus B"] == f"{result.macro_f1_difference:+.3f}"
    assert metrics["Chance of a gap this large"] == f"{result.mcnemar_p:.3g}"
    verdict = (at.success or at.info)[0].value
    assert f"#{a}" in verdict and f"#{b}" in verdict

    at.selectbox(key=f"compare.b.{noisy_run.dataset_id}").select(a).run()
    assert any("Pick two different runs" in i.value for i in at.info)


def test_a_run_without_its_predictions_says_so_instead_of_comparing(open_page, store, trained_run):
    other = execute_run(store, store.create_run(trained_run.dataset_id, "tfidf", {"C": 0.5}))
    (run_dir(other.id, store.root) / PREDICTIONS_FILE).unlink()
    at = open_page("compare")
    assert not at.exception
    assert at.error[0].value == escape_md(f"Run {other.id} has no saved test predictions; train it again to compare it.")
