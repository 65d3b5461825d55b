"""The prediction service, served for real on loopback and called over HTTP."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import uvicorn

from core.architectures import get_architecture
from core.datasets import subset
from core.loading import load_model
from core.serving import create_app
from core.splitting import split
from tests.conftest import make_texts

MAX_TEXTS = 5


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
    server = uvicorn.Server(uvicorn.Config(create_app(model, "model", max_texts=MAX_TEXTS), host="127.0.0.1", port=0,
                                           log_level="warning"))
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
