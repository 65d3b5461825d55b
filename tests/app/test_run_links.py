"""Links that name a run (`?run=N`): a run that is not here is said to be missing, never replaced by another under the
same link, and whatever the address holds, no page fails on it."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.models.bundle import run_zip
from core.models.imported import import_model
from dashboard.url_ids import parse_id
from tests.app.conftest import ENTRYPOINT, PAGES, TIMEOUT


def linked(page: str, run: str) -> AppTest:
    """A new session opened on a link to `page` with `?run=` set to `run`."""
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=TIMEOUT)
    at.query_params["run"] = run
    at.switch_page(PAGES[page])
    return at.run()


@pytest.mark.parametrize("value, number", [("12", 12), (" 7 ", 7), ("007", 7), ("999999999999999999", 10**18 - 1)])
def test_an_id_in_the_address_is_read_as_its_number(value, number):
    assert parse_id(value) == number


@pytest.mark.parametrize("value", ["", "abc", "²", "١٢", "-1", "1.0", "1e3", "9" * 19, "9" * 5000])
def test_anything_else_in_the_address_is_no_id(value):
    assert parse_id(value) is None


@pytest.mark.parametrize("page, key", [("results", "results.run"), ("predict", "predict.run")])
def test_a_link_to_a_run_that_is_not_here_says_so_and_shows_no_other_run(page, key, store, trained_run):
    at = linked(page, "999")
    assert not at.exception
    assert [w.value for w in at.warning] == ["There is no run #999 here: it was deleted, or it is not shared with you. "
                                             "Pick one from the list below."]
    picker = at.selectbox(key=key)
    assert picker.value is None and [o.split(" ·")[0] for o in picker.options] == [f"#{trained_run.id}"]
    assert not at.metric and not at.get("plotly_chart") and not at.text_area  # nothing of another run
    assert at.query_params["run"] == "999"  # the link is left as it was
    picker.select(trained_run.id).run()
    assert not at.exception and not at.warning
    assert at.query_params["run"] == str(trained_run.id)


def test_on_the_train_page_too(store, trained_run):
    at = linked("train", "999")
    assert not at.exception
    assert at.warning[-1].value.startswith("There is no run #999 here")
    assert at.selectbox(key="train.run").value is None
    assert not [b for b in at.button if b.key and b.key.startswith("stop.")]


def test_a_link_to_a_run_still_training_says_it_has_no_model_yet(store, trained_run, running_run):
    at = linked("results", str(running_run.id))
    assert not at.exception
    assert [w.value for w in at.warning] == [f"Run #{running_run.id} is still training, so it has no model yet: watch "
                                             "it on the Train page. Pick one from the list below."]
    assert at.selectbox(key="results.run").value is None


def test_with_no_model_yet_the_page_says_both(store, dataset):
    at = linked("results", "999")
    assert not at.exception
    assert [w.value for w in at.warning] == ["There is no run #999 here: it was deleted, or it is not shared with you."]
    assert [i.value for i in at.info] == ["No model has finished training yet."]


@pytest.mark.parametrize("page", ["train", "results", "compare", "predict"])
@pytest.mark.parametrize("value", ["²", "9" * 5000, "abc"])
def test_an_address_that_holds_no_run_number_fails_no_page(page, value, store, trained_run):
    at = linked(page, value)
    assert not at.exception
    assert "which is not a run number" in at.warning[-1].value
    assert len(at.warning[-1].value) < 300  # a pasted page of digits is not repeated in full


def test_compare_says_a_linked_run_is_not_here_then_opens_a_dataset(store, trained_run):
    at = linked("compare", "999")
    assert not at.exception
    assert [w.value for w in at.warning] == ["There is no run #999 here: it was deleted, or it is not shared with you. "
                                             "Below: the models of one of your datasets; choose another in the "
                                             "Dataset list."]
    assert at.selectbox(key="compare.dataset").value == trained_run.dataset_id
    assert "run" not in at.query_params  # said once, not again on every click
    at.run()
    assert not at.exception and not at.warning


@pytest.mark.parametrize("value", ["999", "²", "9" * 5000])
def test_a_link_to_an_imported_model_that_is_not_here_says_so_and_picks_none(value, store, trained_run):
    model = import_model(run_zip(store, trained_run.id, "bundle").read_bytes(), "mine.zip", store.root)
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=TIMEOUT)
    at.query_params["imported"] = value
    at.switch_page(PAGES["predict"])
    at.run()
    assert not at.exception
    assert at.warning[-1].value.startswith("This link asks for imported model '")
    assert at.warning[-1].value.endswith("which is not here: it was removed, or it is not shared with you. Pick one "
                                         "from the list below.")
    assert len(at.warning[-1].value) < 300
    picker = at.selectbox(key="predict.imported")
    assert picker.value is None and not at.text_area  # nothing of another model under the link's name
    picker.select(model.id).run()
    assert not at.exception and not at.warning
    assert at.query_params["imported"] == str(model.id)
