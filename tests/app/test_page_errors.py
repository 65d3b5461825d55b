"""A page that fails shows a plain message with what to do and never a traceback; the details go to the server's
log. Streamlit's own st.stop(), st.rerun() and switch_page pass through untouched."""
from __future__ import annotations

import errno
import logging
import tomllib

import streamlit as st
from streamlit import config

from core.store.store import Store
from dashboard import navigation
from dashboard.components import escape_md
from tests.app.conftest import ROOT
from tests.app.hostile_sweep import page_strings

SECRET = "/srv/studio/private/path.py"


def fail(*args, **kwargs):
    raise RuntimeError(f"the disk at {SECRET} is on fire")


def test_a_page_that_fails_says_what_to_do_and_logs_the_traceback(open_page, trained_run, monkeypatch, caplog):
    monkeypatch.setattr(Store, "runs_with_model", fail)
    with caplog.at_level(logging.ERROR, logger="classifier_studio.pages"):
        at = open_page("results")
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Something went wrong on this page, so it stopped. Reload the page to try again.")
    shown = " ".join(page_strings(at))
    assert "Traceback" not in shown and SECRET not in shown and "RuntimeError" not in shown
    [record] = [r for r in caplog.records if r.name == "classifier_studio.pages"]
    reference = record.getMessage().split("reference ")[1].rstrip(").")
    assert f"**{reference}**" in error.value  # the message quotes what to look for in the log
    assert "Results" in record.getMessage()
    logged = caplog.text
    assert "Traceback" in logged and "is on fire" in logged and "runs_with_model" in logged


def test_stop_and_switch_page_are_not_taken_for_failures(open_page, store, dataset, monkeypatch, caplog):
    at = open_page("results")  # no model yet: the page says so and calls st.stop()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == ["No model has finished training yet."]
    monkeypatch.setattr(Store, "runs_with_model", lambda self: st.switch_page(navigation.HOME))
    at.switch_page("../pages/results.py").run()
    assert not at.exception and not at.error
    assert any("Pick a sample dataset" in m.value for m in at.markdown)  # on Home, as the page asked
    assert not [r for r in caplog.records if r.name == "classifier_studio.pages"]


def test_uncaught_errors_show_no_details_in_the_browser():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    shown = settings["client"]["showErrorDetails"]
    assert shown == config.ShowErrorDetailsConfigOptions.NONE  # neither the error's message nor its traceback


def test_a_full_disk_is_said_plainly_on_any_page(open_page, trained_run, store, monkeypatch, caplog):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Store, "runs_with_model", full)
    at = open_page("results")
    assert not at.exception
    [error] = at.error
    assert error.value.startswith(escape_md(f"The disk holding {store.root} is full ("))
    assert "Free at least 200 MB there" in error.value and "Errno" not in error.value
