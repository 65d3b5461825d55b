"""Home page: renders on an empty workspace and lists the recent runs of a used one."""
from __future__ import annotations


def test_home_renders_on_empty_workspace(open_page):
    at = open_page("home")
    assert not at.exception
    assert at.title[0].value == "Classifier Studio"
    assert len(at.get("page_link")) >= 4  # one link per step
    assert not [s for s in at.subheader if s.value == "Recent runs"]


def test_home_lists_recent_runs(open_page, store, trained_run, running_run):
    failed = store.create_run(trained_run.dataset_id, "tfidf", {})
    store.transition(failed, "failed", error="boom")
    at = open_page("home")
    assert not at.exception
    assert [s for s in at.subheader if s.value == "Recent runs"]
    lines = [t.value for t in at.text]
    for run_id, status in ((trained_run.id, "succeeded"), (running_run.id, "running"), (failed, "failed")):
        assert any(line.startswith(f"#{run_id} ") and status in line for line in lines), lines
    assert any("accuracy" in line for line in lines if line.startswith(f"#{trained_run.id} "))
    assert any("1 run(s)" in i.value for i in at.info)
