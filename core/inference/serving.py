"""Serve a trained model over HTTP: POST /predict for labels and probabilities, GET /health, the API documented at
/docs.

The service depends only on a model's `classes_` and `predict_proba` (and, for a multi-label model, its
`label_thresholds_`), so every format `load_model` reads serves alike. A multi-label model answers each text with the
labels it chose, every label's probability and every label's threshold; any other with one label and its confidence.
"""
from __future__ import annotations

import threading
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import fastapi
import numpy as np
import uvicorn
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictStr, model_validator

from core.inference.prediction import is_multilabel, model_records
from core.models.loading import load_model

# Longer texts are refused rather than held in memory: every model reads at most a few thousand tokens of a text.
MAX_CHARS = 100_000
EXAMPLE = '{"texts": ["first text", "second text"]}'
# Texts predicted in one turn of the model: a long request takes turns with the others, so a short one waits for
# one chunk of it at most, not for all of it.
CHUNK = 32


class Turns:
    """One caller at a time, in the order they asked: a model is not guaranteed safe to call from two threads at
    once (tokenizers, torch modules, ONNX sessions), and a plain lock lets whoever just released it take it back."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._queue: deque[object] = deque()

    @contextmanager
    def turn(self) -> Iterator[None]:
        ticket = object()
        with self._ready:
            self._queue.append(ticket)
            self._ready.wait_for(lambda: self._queue[0] is ticket)
        try:
            yield
        finally:
            with self._ready:
                self._queue.popleft()
                self._ready.notify_all()


class BodyLimit:
    """Refuse a request body over `limit` bytes before it is read: one request must not fill the server's memory."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            declared = dict(scope["headers"]).get(b"content-length")
            if declared is None or not declared.isdigit():
                refusal = JSONResponse(status_code=411, content={
                    "detail": "Send the body's length in a Content-Length header."})
                return await refusal(scope, receive, send)
            if int(declared) > self.limit:
                refusal = JSONResponse(status_code=413, content={
                    "detail": f"The body has {int(declared):,} bytes; send at most {self.limit:,} per request (split "
                              "the texts into batches)."})
                return await refusal(scope, receive, send)
        await self.app(scope, receive, send)


class PredictRequest(BaseModel):
    """Either `texts`, a list of strings, or `text`, one string."""
    # Strict strings: a number or null in the list is a client bug to report, not a text to classify as "1" or "None".
    texts: list[StrictStr] | None = Field(None, description="The texts to classify.", examples=[["first text"]])
    text: StrictStr | None = Field(None, description="One text to classify; the same as a list of one.")

    @model_validator(mode="after")
    def exactly_one(self) -> PredictRequest:
        if self.texts is None and self.text is None:
            raise ValueError(f'The body has neither "texts" nor "text"; send a list of texts, e.g. {EXAMPLE}.')
        if self.texts is not None and self.text is not None:
            raise ValueError('Send either "texts" (a list of strings) or "text" (one string), not both.')
        return self


class Prediction(BaseModel):
    label: str = Field(description="The most probable class.")
    confidence: float = Field(description="The label's probability.")
    probabilities: dict[str, float] = Field(description="Every class's probability; they sum to 1.")


class PredictResponse(BaseModel):
    predictions: list[Prediction] = Field(description="One prediction per text, in the order the texts were sent.")


class LabelsPrediction(BaseModel):
    labels: list[str] = Field(description="The labels whose probability reached their threshold; may be empty.")
    probabilities: dict[str, float] = Field(description="Every label's probability, each judged on its own: they "
                                                        "need not sum to 1.")
    thresholds: dict[str, float] = Field(description="The probability each label needs to be chosen.")


class LabelsResponse(BaseModel):
    predictions: list[LabelsPrediction] = Field(description="One prediction per text, in the order the texts were "
                                                            "sent.")


class Health(BaseModel):
    status: str
    model: str
    classes: list[str]


def explain(errors: list[dict[str, Any]]) -> str:
    """Pydantic's validation errors in plain words, saying what to change."""
    messages, items = [], []
    for error in errors:
        kind, where = error["type"], [part for part in error["loc"] if part != "body"]
        if kind == "json_invalid":
            messages.append(f"The request body is not valid JSON; send a JSON object such as {EXAMPLE}.")
        elif kind == "value_error":
            messages.append(str(error["ctx"]["error"]))
        elif where[:1] == ["texts"] and len(where) == 2:
            items.append(str(where[1]))
        elif where == ["texts"]:
            messages.append(f'"texts" must be a list of strings, e.g. {EXAMPLE}.')
        elif where == ["text"]:
            messages.append('"text" must be a string; to send several texts, use "texts" with a list.')
        elif not where:
            messages.append(f"Send a JSON object with a list of texts, such as {EXAMPLE}.")
        else:
            messages.append(f"{'.'.join(map(str, where))}: {error['msg']}. Send a JSON object such as {EXAMPLE}.")
    # One sentence for all the bad items, however many: a list of a thousand numbers gets a short answer.
    if len(items) == 1:
        messages.append(f'Item {items[0]} of "texts" is not a string; send every text as a JSON string.')
    elif items:
        shown = ", ".join(items[:10]) + (", ..." if len(items) > 10 else "")
        messages.append(f'Items {shown} of "texts" are not strings; send every text as a JSON string.')
    return " ".join(dict.fromkeys(messages))


def _encodable(text: str) -> bool:
    """Whether the text is whole Unicode: JSON can spell half of a character, which no tokenizer can read."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def create_app(model, name: str, max_texts: int = 1000, max_body_mb: float = 10.0,
               max_chars: int = 1_000_000) -> fastapi.FastAPI:
    """A FastAPI app answering predictions from `model` (anything with `classes_` and `predict_proba`, and
    `label_thresholds_` where `multilabel_`): at most `max_texts` texts, `max_chars` characters in all and a body of
    `max_body_mb` MB per request."""
    classes = [str(c) for c in model.classes_]
    turns = Turns()  # FastAPI runs sync endpoints on a thread pool
    several = is_multilabel(model)
    response, answer = (LabelsResponse, LabelsPrediction) if several else (PredictResponse, Prediction)
    task = f"Chooses any of {len(classes)} labels" if several else f"Predicts one of {len(classes)} classes"
    app = fastapi.FastAPI(title=f"Classifier Studio: {name}", description=f"{task}: {', '.join(classes)}. Send 1 to "
                          f"{max_texts} texts per request.")

    @app.exception_handler(RequestValidationError)
    async def plain_message(request: fastapi.Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default lists pydantic's internals; a client wants one sentence saying what to fix.
        return JSONResponse(status_code=422, content={"detail": explain(exc.errors())})

    @app.get("/health", response_model=Health)
    def health() -> Health:
        return Health(status="ok", model=name, classes=classes)

    @app.post("/predict", response_model=response,
              responses={422: {"description": "The request is malformed; `detail` says what to change."}})
    def predict(request: PredictRequest):
        texts = request.texts if request.texts is not None else [request.text]
        if not texts:
            raise fastapi.HTTPException(422, f'"texts" is empty; send at least one text, e.g. {EXAMPLE}.')
        if len(texts) > max_texts:
            raise fastapi.HTTPException(422, f"Send at most {max_texts} texts per request (got {len(texts)}); "
                                             "split the list into batches.")
        longest = max(map(len, texts))
        if longest > MAX_CHARS:
            raise fastapi.HTTPException(422, f"A text has {longest:,} characters; send at most {MAX_CHARS:,} per "
                                             "text (the models read only the start of a text anyway).")
        if (total := sum(map(len, texts))) > max_chars:
            raise fastapi.HTTPException(422, f"The texts have {total:,} characters in all; send at most "
                                             f"{max_chars:,} per request (split the list into batches).")
        if broken := [i for i, text in enumerate(texts) if not _encodable(text)]:
            raise fastapi.HTTPException(400, f"Text {broken[0]} is not valid Unicode: it holds half of a character "
                                             "(a lone surrogate, such as \\ud800). Send the text as it was written.")
        probabilities = []
        for start in range(0, len(texts), CHUNK):
            with turns.turn():
                probabilities.append(model.predict_proba(texts[start:start + CHUNK]))
        proba = np.concatenate(probabilities)
        return response(predictions=[answer(**r) for r in model_records(model, proba)])

    app.add_middleware(BodyLimit, limit=int(max_body_mb * 1024 * 1024))
    return app


def serve(model_path: str | Path, host: str = "127.0.0.1", port: int = 8000, max_texts: int = 1000,
          max_body_mb: float = 10.0, max_chars: int = 1_000_000) -> None:
    """Load the model at `model_path` and serve it until interrupted, with `create_app`'s limits."""
    path = Path(model_path)
    model = load_model(path)
    name = path.resolve().name
    print(f"Serving {name} ({len(model.classes_)} classes) on http://{host}:{port} "
          "— POST /predict, GET /health, docs at /docs", flush=True)
    uvicorn.run(create_app(model, name, max_texts, max_body_mb, max_chars), host=host, port=port, log_level="info")
