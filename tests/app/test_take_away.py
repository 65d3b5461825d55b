"""The model leaves and comes back through the pages: Results prepares both downloads, Predict imports them (and
refuses a hostile file with a message), and an imported model predicts as the run's own model does."""
from __future__ import annotations

import io
import pickle
import zipfile

from core.inference.prediction import load_run_model
from core.models.bundle import run_zip
from core.models.imported import imported_models
from dashboard.components import escape_md
from tests.app.conftest import open_tab

PREDICTED = "Predicted label"


def tab_buttons(at, label_start: str):
    return [b for b in at.button if b.label.startswith(label_start)]


def downloads(at) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


def test_results_prepares_the_bundle_and_the_onnx_file(open_page, store, trained_run):
    at = open_tab(open_page("results"), "Download")
    assert not [d for d in downloads(at) if d.endswith(".zip")], "nothing is made before it is asked for"
    tab_buttons(at, "Prepare the model bundle")[0].click()
    at.run()
    assert not at.exception
    assert f"Download run-{trained_run.id}-tfidf.zip" in downloads(at)
    tab_buttons(at, "Prepare the ONNX")[0].click()
    at.run()
    assert not at.exception
    assert f"Download run-{trained_run.id}-tfidf-onnx.zip" in downloads(at)
    assert not tab_buttons(at, "Prepare"), "both files are ready"
    assert any(f"run-{trained_run.id}-tfidf.zip" in c.value for c in at.code), "how to use the file is shown"


def import_file(at, name: str, content: bytes):
    at.radio(key="predict.origin").set_value("Imported from a file")
    at.run()
    at.file_uploader(key="predict.import").upload(name, content, "application/zip")
    at.run()
    return at


def test_an_imported_model_predicts_as_the_run_does(open_page, store, trained_run):
    for kind in ("bundle", "onnx"):
        path = run_zip(store, trained_run.id, kind)
        at = import_file(open_page("predict"), path.name, path.read_bytes())
        assert not at.exception
        assert not at.error
        assert at.toast and escape_md(path.name) in at.toast[0].proto.body
        chosen = at.selectbox(key="predict.imported")
        assert chosen.value == imported_models(store.root)[0].id and path.name in chosen.format_func(chosen.value)
        at.text_area(key="predict.text").input("goal match team coach league score")
        at.run()
        assert not at.exception
        expected = load_run_model(store, trained_run.id).predict(["goal match team coach league score"])[0]
        assert next(m for m in at.metric if m.label == PREDICTED).value == expected == "sport"
        random_example = next(b for b in at.button if b.label == "Random test example")
        assert random_example.disabled, "an imported model has no test texts to draw from"
    assert [m.kind for m in imported_models(store.root)] == ["onnx", "bundle"]


def test_a_hostile_file_is_refused_with_a_message(open_page, store, trained_run):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("bundle.json", "{}")
        archive.writestr("model.pkl", pickle.dumps({"x": 1}))
    at = import_file(open_page("predict"), "<b>evil</b>.zip", data.getvalue())
    assert not at.exception
    shown = at.error[0].value
    assert "was not imported" in shown and escape_md("'model.pkl'") in shown and "can run code" in shown
    assert shown.startswith(escape_md("<b>evil</b>.zip")), "the file's name is shown as text, not markup"
    assert imported_models(store.root) == []
    assert at.info, "with nothing imported the page says how to get a model"


def test_an_imported_model_can_be_removed(open_page, store, trained_run):
    path = run_zip(store, trained_run.id, "bundle")
    at = import_file(open_page("predict"), path.name, path.read_bytes())
    assert len(imported_models(store.root)) == 1
    next(b for b in at.button if b.label == "Yes, remove it").click()
    at.run()
    assert not at.exception
    assert imported_models(store.root) == []


def test_a_refresh_reopens_the_imported_model(open_page, store, trained_run):
    path = run_zip(store, trained_run.id, "onnx")
    at = import_file(open_page("predict"), path.name, path.read_bytes())
    chosen = at.selectbox(key="predict.imported").value
    assert at.query_params["imported"] == str(chosen)
    again = open_page("home")
    again.query_params["imported"] = str(chosen)
    again.switch_page("../pages/predict.py").run()
    assert not again.exception
    assert again.radio(key="predict.origin").value == "Imported from a file"
    assert again.selectbox(key="predict.imported").value == chosen
