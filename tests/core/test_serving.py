"""The prediction service, served for real on loopback and called over HTTP."""
from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient

from core.architectures import get_architecture
from core.data.splitting import split
from core.data.text_set import subset
from core.inference.serving import create_app
from core.models.loading import load_model
from tests.conftest import make_texts
from tests.keyword_model import KeywordModel

MAX_TEXTS = 5
MAX_BODY_MB, MAX_CHARS = 0.01, 2_000  # small, for requests over them to stay small


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A TF-IDF model fit on the tiny dataset, saved and loaded back as the service would load it."""
    arch = get_architecture("tfidf")
    parts = split(make_texts(), seed=0)
    fitted = arch.model_cls(arch.config_cls.from_dict({"min_df": 1}))
    fitted.fit(subset(parts, "train"), subset(parts, "val"))
    folder = tmp_path_factory.mktemp("serving") / "model"
    fitted.save(folder)
    return load_model(folder)


@pytest.fixture(scope="module")
def url(model):
    """The base URL of a real uvicorn server running the app in a background thread."""
    app = create_app(model, "model", max_texts=MAX_TEXTS, max_body_mb=MAX_BODY_MB, max_chars=MAX_CHARS)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]  # port 0: the system chose a free one
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    assert not thread.is_alive(), "the server did not stop"


def call(url: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url + path, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def post(url: str, payload) -> tuple[int, dict]:
    return call(url, "/predict", json.dumps(payload).encode())


def test_health_names_the_model_and_its_classes(url, model):
    assert call(url, "/health") == (200, {"status": "ok", "model": "model", "classes": model.classes_.tolist()})


def test_batch_matches_the_model_in_input_order(url, model):
    texts = ["goal match team", "pasta recipe cheese", "laptop software chip", "", "zzzz unseen words"]
    status, body = post(url, {"texts": texts})
    assert status == 200
    predictions = body["predictions"]
    assert len(predictions) == len(texts)
    expected = model.predict_proba(texts)
    classes = model.classes_.tolist()
    served = np.array([[p["probabilities"][c] for c in classes] for p in predictions])
    assert all(list(p["probabilities"]) == classes for p in predictions)
    assert np.allclose(served, expected, atol=1e-9, rtol=0)
    assert np.allclose(served.sum(axis=1), 1.0)
    assert [p["label"] for p in predictions] == [classes[i] for i in expected.argmax(axis=1)]
    assert [p["label"] for p in predictions[:3]] == ["sport", "food", "tech"]
    assert [p["confidence"] for p in predictions] == pytest.approx(expected.max(axis=1), abs=1e-9)


def test_single_text_gives_one_prediction(url, model):
    status, body = post(url, {"text": "robot network server"})
    assert status == 200
    [prediction] = body["predictions"]
    assert prediction["label"] == "tech"
    assert prediction["probabilities"] == pytest.approx(
        dict(zip(model.classes_.tolist(), model.predict_proba(["robot network server"])[0])), abs=1e-9)


@pytest.mark.parametrize(("payload", "message"), [
    ({"texts": []}, '"texts" is empty; send at least one text'),
    ({"texts": ["goal"] * (MAX_TEXTS + 1)}, f"Send at most {MAX_TEXTS} texts per request (got {MAX_TEXTS + 1}); "
                                            "split the list into batches."),
    ({"texts": ["goal", 3, "bread"]}, 'Item 1 of "texts" is not a string'),
    ({"texts": [1, "goal", None]}, 'Items 0, 2 of "texts" are not strings'),
    ({"texts": list(range(12))}, 'Items 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... of "texts" are not strings'),
    ({"texts": "goal match"}, '"texts" must be a list of strings'),
    ({"text": ["goal"]}, '"text" must be a string'),
    ({"text": 7}, '"text" must be a string'),
    ({}, 'The body has neither "texts" nor "text"'),
    ({"txt": "goal"}, 'The body has neither "texts" nor "text"'),
    ({"texts": ["goal"], "text": "goal"}, 'Send either "texts" (a list of strings) or "text" (one string), not both.'),
    (["goal", "match"], "Send a JSON object with a list of texts"),
])
def test_bad_requests_get_422_and_a_plain_message(url, payload, message):
    status, body = post(url, payload)
    assert status == 422
    assert message in body["detail"]


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"texts": ["goal"', "The request body is not valid JSON; send a JSON object such as"),
    (b"texts=goal", "The request body is not valid JSON; send a JSON object such as"),
    (b"", "Send a JSON object with a list of texts"),
])
def test_invalid_json_gets_422_and_a_plain_message(url, raw, message):
    status, body = call(url, "/predict", raw)
    assert status == 422
    assert message in body["detail"]


def test_openapi_documents_predict(url):
    status, schema = call(url, "/openapi.json")
    assert status == 200
    assert {"/predict", "/health"} <= set(schema["paths"])
    assert {"texts", "text"} <= set(schema["components"]["schemas"]["PredictRequest"]["properties"])
    assert "predictions" in schema["components"]["schemas"]["PredictResponse"]["properties"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(url):
    limit = int(MAX_BODY_MB * 1024 * 1024)
    status, body = post(url, {"texts": ["x" * (limit // 2)] * 3})
    assert status == 413
    assert body["detail"].startswith("The body has ") and f"send at most {limit:,} per request" in body["detail"]


def test_a_body_without_its_length_is_refused():
    app = create_app(FakeModel(), "fake")
    request = {"type": "http", "method": "POST", "path": "/predict", "headers": [(b"transfer-encoding", b"chunked")]}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b'{"text": "a"}', "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(request, receive, send))
    assert sent[0]["status"] == 411 and b"Content-Length" in sent[1]["body"]


def test_texts_over_the_character_limit_in_all_are_refused(url):
    status, body = post(url, {"texts": ["y" * (MAX_CHARS // 2 + 1)] * 2})
    assert status == 422
    assert f"characters in all; send at most {MAX_CHARS:,} per request" in body["detail"]


def test_half_a_character_is_a_plain_400(url):
    status, body = call(url, "/predict", b'{"texts": ["fine", "\\ud800 x"]}')
    assert status == 400
    assert body["detail"].startswith("Text 1 is not valid Unicode: it holds half of a character")


class FakeModel:
    """A model whose every call takes `seconds` per text, recording when each call began and ended."""
    classes_ = np.array(["a", "b"])

    def __init__(self, seconds: float = 0.0):
        self.seconds, self.calls = seconds, []

    def predict_proba(self, texts):
        started = time.monotonic()
        time.sleep(self.seconds * len(texts))
        self.calls.append((len(texts), started, time.monotonic()))
        return np.tile([0.25, 0.75], (len(texts), 1))


def test_a_short_request_waits_for_one_chunk_of_a_long_one_not_all_of_it():
    model = FakeModel(seconds=0.005)
    client = TestClient(create_app(model, "fake", max_texts=2000))
    answers = {}
    long = threading.Thread(target=lambda: answers.update(long=client.post("/predict", json={"texts": ["t"] * 640})))
    long.start()
    while not model.calls:  # the long request has had its first turn
        time.sleep(0.005)
    short = client.post("/predict", json={"text": "t"})
    long.join()
    assert short.status_code == 200 and answers["long"].status_code == 200
    assert len(answers["long"].json()["predictions"]) == 640
    # The short call ran between the long one's chunks, not after all 20 of them.
    order = [n for n, _, _ in sorted(model.calls, key=lambda call: call[1])]
    assert 1 in order and order.index(1) < len(order) - 1, order


def test_a_multilabel_model_answers_with_a_list_of_labels_and_each_labels_probability_and_threshold():
    model = KeywordModel()
    client = TestClient(create_app(model, "labels"))
    answer = client.post("/predict", json={"texts": ["goal pasta", "goal match pasta bread", "hello"]})
    assert answer.status_code == 200
    predictions = answer.json()["predictions"]
    assert [p["labels"] for p in predictions] == [["sport"], ["food", "sport"], []]
    assert predictions[0] == {"labels": ["sport"], "probabilities": pytest.approx({"food": 0.5, "sport": 0.5,
                                                                                    "tech": 0.05}),
                              "thresholds": {"food": 0.6, "sport": 0.4, "tech": 0.7}}
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["LabelsPrediction"]["properties"]) == {"labels", "probabilities", "thresholds"}
    assert "PredictResponse" not in schemas, "the documentation shows the answer this model gives"
    assert client.get("/health").json() == {"status": "ok", "model": "labels", "classes": ["food", "sport", "tech"]}


def test_a_single_label_model_answers_as_before(url):
    status, body = post(url, {"text": "goal match"})
    assert status == 200 and set(body["predictions"][0]) == {"label", "confidence", "probabilities"}
