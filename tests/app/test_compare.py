"""Compare page: a plain verdict on which model to take (its statistics one click below), a leaderboard with a
trophy only for a lead beyond chance, overlaid curves and two runs judged in plain words."""
from __future__ import annotations

import json

import pandas as pd

from core.evaluation.comparison import candidates, compare_runs, leaderboard, weigh
from core.evaluation.recommendation import judge_pair
from core.runs.worker import execute_run
from core.wording import literal_markdown as escape_md
from core.workspace import PREDICTIONS_FILE, run_dir
from tests.app.conftest import train_inline
from tests.conftest import make_texts


def test_nothing_finished_says_so(open_page, store, dataset):
    at = open_page("compare")
    assert not at.exception
    assert at.info and not at.dataframe


def test_one_run_shows_its_row_without_a_trophy_and_asks_for_another(open_page, store, trained_run):
    at = open_page("compare")
    assert not at.exception
    board = at.dataframe[0].value
    assert board["Model"].tolist() == [f"#{trained_run.id} TF-IDF + linear model"]
    assert board["Standing"].tolist() == [""]
    assert any("Train another" in i.value for i in at.info) and not at.success


def test_two_runs_get_a_verdict_first_a_leaderboard_curves_and_a_pair_verdict(open_page, store, noisy_run):
    other = execute_run(store, store.create_run(noisy_run.dataset_id, "tfidf", {"classifier": "naive_bayes"}))
    assert other.status == "succeeded", other.error
    expected = leaderboard(store, noisy_run.dataset_id)
    recommendation = weigh(store, expected)
    at = open_page("compare")
    assert not at.exception
    assert at.success[0].value.startswith(f"**{escape_md(recommendation.headline())}**")
    assert escape_md(recommendation.reason()) in at.success[0].value
    assert at.expander[0].label == "The statistics behind this verdict"
    statistics = at.dataframe[0].value
    assert statistics["Model"].tolist() == [c.name for c in (*recommendation.tied, *recommendation.beaten)]
    first = recommendation.versus_best[int(expected["run"][1])]
    assert statistics["McNemar p"].iloc[0] == f"{first.mcnemar_p:.3g} ({first.only_a_right} vs {first.only_b_right})"

    board = at.dataframe[1].value
    assert board["Model"].tolist() == [f"#{r} TF-IDF + linear model" for r in expected["run"]]
    assert board["Standing"].tolist() == [{"best": "🏆 best", "tied": "tied for best", "": ""}[
        recommendation.standing(int(r))] for r in expected["run"]]
    assert board["Macro-F1"].str.match(r"^\d\.\d{3} \(\d\.\d{2}–\d\.\d{2}\)$").all()
    assert board["Per text"].str.endswith(" ms").all() and board["Size"].str.match(r"^\d+(\.\d)? (kB|MB)$").all()
    keys = {c.key for c in at.get("plotly_chart")}
    assert {"compare_f1", "compare_loss", "compare_per_class"} <= keys
    bars = json.loads(next(c for c in at.get("plotly_chart") if c.key == "compare_per_class").proto.spec)["data"]
    assert len(bars) == 2 and sorted(bars[0]["y"]) == ["food", "sport", "tech"]

    a, b = (int(r) for r in expected["run"][:2])
    result, _ = compare_runs(store, a, b)
    by_run = {c.run: c for c in candidates(expected)}
    assert escape_md(judge_pair(result, by_run[a], by_run[b]).reason()) in at.success[1].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Macro-F1, A minus B"] == f"{result.macro_f1_difference:+.3f}"
    assert metrics["McNemar p"] == f"{result.mcnemar_p:.3g}"

    at.selectbox(key=f"compare.b.{noisy_run.dataset_id}").select(a).run()
    assert any("Pick two different runs" in i.value for i in at.info)


def test_the_trophy_goes_only_to_a_lead_beyond_chance(open_page, store):
    first = train_inline(store, make_texts(n_per_class=40, seed=3), "twins")
    execute_run(store, store.create_run(first.dataset_id, "tfidf", {}))
    at = open_page("compare")
    assert at.dataframe[1].value["Standing"].tolist() == ["tied for best", "tied for best"]
    assert "🏆" not in at.success[0].value

    # A run whose saved answers are all one class: the other run on its dataset beats it beyond chance.
    good = train_inline(store, make_texts(n_per_class=40, seed=4), "one wrong")
    wrong = execute_run(store, store.create_run(good.dataset_id, "tfidf", {}))
    path = run_dir(wrong.id, store.root) / PREDICTIONS_FILE
    predictions = pd.read_parquet(path)
    predictions["predicted"] = "tech"
    predictions.to_parquet(path)
    at = open_page("compare")
    at.selectbox(key="compare.dataset").select(good.dataset_id).run()
    assert not at.exception
    assert at.dataframe[1].value["Standing"].tolist() == ["🏆 best", ""]
    assert "ahead of every other model by more than chance" in at.success[0].value


def test_a_run_without_its_predictions_says_so_instead_of_comparing(open_page, store, trained_run):
    other = execute_run(store, store.create_run(trained_run.dataset_id, "tfidf", {"C": 0.5}))
    (run_dir(other.id, store.root) / PREDICTIONS_FILE).unlink()
    at = open_page("compare")
    assert not at.exception
    message = escape_md(f"Run {other.id} has no saved test predictions; train it again to compare it.")
    assert at.error[0].value == message
    assert at.warning[0].value == message and "could not be compared" in at.success[0].value
    assert at.dataframe[0].value["Standing"].tolist() == ["", ""]
