"""Predict page: typed text gets a label, how far its confidence holds, probabilities and a word highlight; the
random example comes from the test split; a second model with the same classes side by side; a file predicted whole,
every row kept, and downloaded."""
from __future__ import annotations

import io
import json
import zipfile
from html.parser import HTMLParser

import pandas as pd

from core.evaluation.trust import run_scores, trust
from core.inference.prediction import load_run_model, predict_table
from core.models.bundle import METRICS_FILE, run_zip
from core.runs.worker import execute_run
from core.store.datasets import load_dataset
from core.store.shared_storage import run_files
from core.store.store import Run
from dashboard.components import escape_md
from dashboard.explanations import GRADIENTS, GREEN, OCCLUSION
from tests.app.conftest import open_tab, train_inline as train_on


def test_no_finished_run_shows_info(open_page, store, dataset):
    at = open_page("predict")
    assert not at.exception
    assert at.info, "with no finished model the page should say so"
    assert not at.text_area


TYPED = "goal match team coach league score"


def test_typed_text_gets_a_label_and_probabilities(open_page, store, dataset, trained_run):
    at = open_page("predict")
    assert not at.exception
    assert not at.metric, "no prediction before any text is entered"
    at.text_area(key="predict.text").input(TYPED)
    at.run()
    assert not at.exception
    predicted = next(m for m in at.metric if m.label == "Predicted label")
    assert predicted.value in dataset.classes
    assert predicted.value == "sport"  # the tiny data is separable; TF-IDF gets this right
    assert "probabilities" in [c.key for c in at.get("plotly_chart")]
    # How far to trust the confidence, checked against the test texts, and never "100.0%".
    confidence = predict_table(load_run_model(store, trained_run.id), [TYPED]).iloc[0]["confidence"]
    verdict = trust(confidence, run_scores(run_files(store, trained_run.id)))
    assert escape_md(verdict.sentence) in [m.value for m in (at.warning if verdict.warn else at.caption)]
    assert "100.0%" not in json.dumps([json.loads(c.proto.spec) for c in at.get("plotly_chart")])


def test_random_test_example_fills_the_text_area(open_page, store, dataset, trained_run):
    test_texts = set(load_dataset(store, dataset.id).query("split == 'test'")["text"])
    at = open_page("predict")
    next(b for b in at.button if b.label == "Random test example").click()
    at.run()
    assert not at.exception
    text = at.text_area(key="predict.text").value
    assert text in test_texts
    assert next(m for m in at.metric if m.label == "Predicted label").value in dataset.classes
    assert "probabilities" in [c.key for c in at.get("plotly_chart")]


class Markup(HTMLParser):
    """The tags and the text of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags, self.text = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def train_inline(store, dataset, arch: str, config: dict) -> Run:
    run = execute_run(store, store.create_run(dataset.id, arch, config))
    assert run.status == "succeeded", run.error
    return run


def predict_text(at, text: str):
    at.text_area(key="predict.text").input(text)
    return at.run()


def test_highlight_colours_the_words_and_escapes_the_text(open_page, store, dataset, trained_run):
    text = "goal <img src=x onerror=alert(1)> stadium"
    at = predict_text(open_page("predict"), text)
    assert not at.exception
    highlight = next(h.value for h in at.html if "<span" in h.value)
    # The words inside the tag are words too, so they get spans of their own; the tag's brackets stay escaped.
    assert "&lt;<span" in highlight and "<img" not in highlight
    parsed = Markup()
    parsed.feed(highlight)
    assert parsed.tags <= {"div", "span"}
    assert "".join(parsed.text) == text
    assert f'rgba({GREEN}, ' in highlight  # the sport words push towards the predicted class, sport
    assert any("Green words pushed the model towards" in c.value for c in at.caption)
    assert "predict.top_words" in [c.key for c in at.get("plotly_chart")]
    # TF-IDF has no token vectors, so only word removal is offered.
    assert at.segmented_control(key="predict.method").options == [OCCLUSION]


def test_gradients_are_offered_for_a_neural_model(open_page, store, dataset):
    train_inline(store, dataset, "textcnn", {"epochs": 8, "batch_size": 8, "learning_rate": 0.01, "max_length": 32,
                                             "vocab_size": 500, "embedding_dim": 16, "num_filters": 8,
                                             "device": "cpu"})
    at = predict_text(open_page("predict"), "the goal at the stadium")
    method = at.segmented_control(key="predict.method")
    assert method.options == [OCCLUSION, GRADIENTS]
    assert method.value == OCCLUSION
    method.set_value(GRADIENTS)
    at.run()
    assert not at.exception
    assert any("<span" in h.value for h in at.html)
    assert "predict.top_words" in [c.key for c in at.get("plotly_chart")]


def test_compare_with_shows_both_predictions(open_page, store, dataset, trained_run):
    other = train_inline(store, dataset, "tfidf", {"classifier": "naive_bayes"})
    at = open_page("predict")
    at.selectbox(key="predict.run").set_value(trained_run.id)
    at.run()
    at.selectbox(key="predict.compare").set_value(other.id)
    predict_text(at, "pasta cheese sauce dinner")
    assert not at.exception
    labels = [m.value for m in at.metric if m.label == "Predicted label"]
    assert labels == ["food", "food"]
    assert {"probabilities", "predict.compare.chart"} <= {c.key for c in at.get("plotly_chart")}


def upload(at, filename: str, content: bytes):
    open_tab(at, "A file of texts")  # only the open tab is drawn
    at.file_uploader(key="predict.upload").upload(filename, content, "application/octet-stream")
    return at.run()


def test_batch_prediction_of_a_file(open_page, store, dataset, trained_run):
    table = pd.DataFrame({"id": [1, 2, 3, 4], "message": ["goal match team", "pasta cheese bread", "", "laptop chip"]})
    at = upload(open_page("predict"), "new.csv", table.to_csv(index=False).encode("utf-8"))
    assert not at.exception
    assert at.selectbox(key="predict.text_col.new.csv").value == "message"
    assert any("1 row of the 4 has no text" in c.value for c in at.caption)
    assert not at.dataframe, "nothing is predicted before the button is pressed"
    at.button(key="predict.all").click()
    at.run()
    assert not at.exception
    results = at.dataframe[0].value
    # Every row of the file, in its order: the one without text gets no prediction, and says why.
    assert results["message"].fillna("").tolist() == ["goal match team", "pasta cheese bread", "", "laptop chip"]
    assert results["id"].tolist() == ["1", "2", "3", "4"], "the file's other columns stay beside the predictions"
    assert results["predicted"].tolist() == ["sport", "food", "", "tech"]
    assert results["note"].tolist() == ["", "", "no text", ""]
    assert {"confidence", "P(sport)", "P(food)", "P(tech)"} <= set(results.columns)
    assert results.loc[2, ["confidence", "P(sport)"]].isna().all()
    assert at.download_button(key="predict.download").proto.label == "Download the predictions (CSV)"
    # The results stay through later reruns (a download, another widget), and go with another text column.
    at.run()
    assert at.dataframe
    at.selectbox(key="predict.text_col.new.csv").set_value("id")
    at.run()
    assert not at.dataframe


def test_unreadable_file_shows_an_error(open_page, store, dataset, trained_run):
    at = upload(open_page("predict"), "broken.xlsx", b"this is not a spreadsheet")
    assert not at.exception
    assert at.error and "broken" in at.error[0].value  # the message names the file
    assert "predict.all" not in [b.key for b in at.button]


def test_compare_with_lists_only_models_with_the_same_classes(open_page, store, dataset, trained_run, tiny_df):
    same = train_inline(store, dataset, "tfidf", {"classifier": "naive_bayes"})
    train_on(store, tiny_df[tiny_df["label"] != "tech"], "sport or food")
    at = open_page("predict")
    at.selectbox(key="predict.run").set_value(trained_run.id)
    at.run()
    compare = at.selectbox(key="predict.compare")
    assert compare.options == ["No other model", compare.format_func(same.id)]
    assert "1 model trained on other classes is not listed" in compare.help


def import_zip(at, name: str, content: bytes):
    at.radio(key="predict.origin").set_value("Imported from a file")
    at.run()
    at.file_uploader(key="predict.import").upload(name, content, "application/zip")
    at.run()
    return predict_text(at, TYPED)


def test_an_imported_model_says_how_far_its_confidence_holds_or_that_it_is_unknown(open_page, store, trained_run):
    path = run_zip(store, trained_run.id, "bundle")
    confidence = predict_table(load_run_model(store, trained_run.id), [TYPED]).iloc[0]["confidence"]
    at = import_zip(open_page("predict"), path.name, path.read_bytes())
    assert not at.exception
    # Its metrics.json holds the test accuracy and reliability: the same answer as for the run itself.
    measured = trust(confidence, run_scores(run_files(store, trained_run.id)))
    assert escape_md(measured.sentence) in [m.value for m in (at.warning if measured.warn else at.caption)]

    bare = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bare, "w") as target:
        for name in source.namelist():
            if name != METRICS_FILE:
                target.writestr(name, source.read(name))
    at = import_zip(at, "no-metrics.zip", bare.getvalue())
    assert not at.exception
    assert [m.value for m in at.warning] == [escape_md(trust(confidence, None).sentence)]
