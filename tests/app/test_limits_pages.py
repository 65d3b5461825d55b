"""The server's limits as people meet them: a file too big, a table too long, epochs capped in the form, a run that
waits for its owner's earlier runs, and a malformed setting that keeps the page shut."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.access.ownership import Viewer
from core.runs.backends.processes import process_started
from core.wording import literal_markdown as escape_md
from tests.app.conftest import ENTRYPOINT, TIMEOUT
from tests.conftest import make_texts


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(open_page, store, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_UPLOAD_MB", "1")
    at = open_page("data")
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 1  # the browser refuses bigger files itself
    at.file_uploader(key="upload").upload("big.csv", b"text,label\n" + b"x" * (1024 * 1024 + 1) + b",a\n", "text/csv")
    at.run()
    assert not at.exception
    assert escape_md("big.csv was not kept. The file is 1.0 MB; this server takes files of up to 1 MB") in at.error[0].value
    assert not (store.root / "uploads").exists() or not any((store.root / "uploads").iterdir())
    assert "Pick a sample or upload a file to continue." in [i.value for i in at.info]


def test_a_table_over_the_row_limit_cannot_be_saved(open_page, store, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_ROWS", "50")
    at = open_page("data")
    at.file_uploader(key="upload").upload("topics.csv", make_texts(n_per_class=20).to_csv(index=False).encode(),
                                          "text/csv")
    at.run()
    assert not at.exception
    assert escape_md("This table has 60 rows; this server keeps at most 50 per dataset") in at.error[0].value
    assert not [b for b in at.button if b.label == "Use this dataset"] and store.list_datasets() == []


def test_the_epochs_setting_stops_at_the_limit(open_page, dataset, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_EPOCHS", "4")
    at = open_page("train")
    next(r for r in at.radio if r.label == "Model").set_value("textcnn")
    at.run()
    [epochs] = [n for n in at.number_input if n.label == "Epochs"]
    assert epochs.max == 4 and epochs.value <= 4


def test_a_run_waiting_for_its_owners_other_run_says_why(open_page, store, dataset, stand_in_worker, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "2")
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_RUNS_PER_USER", "1")
    ada = store.as_viewer(Viewer("ada@example.com"))  # the limit is per signed-in person
    training = ada.create_run(dataset.id, "tfidf", {"C": 2.0})
    worker = stand_in_worker()
    store.transition(training, "running", pid=worker.pid, process_started=process_started(worker.pid))
    waiting = ada.create_run(dataset.id, "tfidf", {"C": 3.0})
    at = open_page("train")
    at.query_params["run"] = str(waiting)
    at.switch_page("../pages/train.py").run()
    assert not at.exception and store.get_run(waiting).pid is None  # a slot is free, but not for this person
    assert any("1st in line. It waits until one of its owner's 1 runs in training ends: this server trains at most 1 "
               "at once for one person." in i.value for i in at.info), [i.value for i in at.info]


def test_a_malformed_limit_keeps_every_page_shut(store, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_MAX_EPOCHS", "lots")
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert escape_md("CLASSIFIER_STUDIO_MAX_EPOCHS must be a whole number") in at.error[0].value
    assert "administrator" in at.error[0].value and not at.markdown


@pytest.mark.parametrize("variable", ["CLASSIFIER_STUDIO_PROCESSES_PER_RUN", "CLASSIFIER_STUDIO_RAY_GPUS_PER_RUN"])
def test_a_malformed_scaling_setting_keeps_every_page_shut(variable, store, monkeypatch):
    monkeypatch.setenv(variable, "two")
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert escape_md(f"{variable} is 'two'") in at.error[0].value and not at.markdown
