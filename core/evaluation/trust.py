"""How far to trust the confidence of one prediction. A model's own probability is often too sure of itself (a
77%-accurate model saying "100%"), so it is checked against how often the test predictions of the same confidence
were right: the reliability bands of the run's report (`core.evaluation.curves.reliability`), or of a downloaded model's
metrics.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from core.evaluation.curves import CALIBRATION_BINS
from core.evaluation.report_records import Calibration
from core.evaluation.report import load_report
from core.formats.description import METRICS_FILE
from core.wording import count, percent

# Fewer test texts in a band than this say too little about how often the model is right at that confidence.
MIN_TEXTS = 20
# A band's share of right answers this close to the model's confidence: the model's own figure holds.
CLOSE = 0.05


class Trust(NamedTuple):
    sentence: str
    warn: bool  # the model's own figure promises more than the test texts bear out, or nothing can be said of it


class Scores(NamedTuple):
    """What `trust` needs of a model's test results: a run's report, or a downloaded model's metrics.json."""
    accuracy: float
    calibration: Calibration | None = None  # None when not measured, or not well formed in a downloaded file


class Band(NamedTuple):
    low: float
    high: float
    right: float  # the share of the band's test texts the model got right
    texts: int


def band(calibration: Calibration, confidence: float) -> Band | None:
    """The reliability band that holds `confidence`; None when no test text had a confidence in it."""
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    inner = edges[1:-1]
    wanted = int(np.searchsorted(inner, confidence))
    # Only bands with texts are stored, each with its texts' mean confidence, which lies inside the band: binned the
    # same way (scikit-learn's calibration_curve), it says which band each stored one is.
    for mean, right, texts in zip(calibration.confidence, calibration.accuracy, calibration.count):
        if int(np.searchsorted(inner, mean)) == wanted:
            return Band(float(edges[wanted]), float(edges[wanted + 1]), float(right), int(texts))
    return None


def _how_often(right: float) -> str:
    if right >= 1.0:
        return "every time"
    return "never" if right <= 0.0 else f"{percent(right)} of the time"


def _sure(b: Band) -> str:
    return f"over {b.low:.0%} sure" if b.high >= 1.0 else f"between {b.low:.0%} and {b.high:.0%} sure"


def trust(confidence: float, scores: Scores | None) -> Trust:
    """How far to trust a prediction the model gives probability `confidence`, from `scores`; None when the model
    came without."""
    stated = percent(confidence)
    if not scores:
        return Trust(f"The model is {stated} sure, but how far to trust that is unknown: this model came without "
                     "test results.", True)
    accuracy = scores.accuracy
    overall = f"On its test texts it was right {_how_often(accuracy)}."
    if scores.calibration is None:
        return Trust(f"The model is {stated} sure, but how far to trust that is unknown: its file does not say how "
                     f"often it was right when that sure. {overall}", True)
    found = band(scores.calibration, confidence)
    if found is None or found.texts < MIN_TEXTS:
        return Trust(f"The model is {stated} sure. Too few test texts got a confidence like this to check that "
                     f"figure. {overall}", confidence - accuracy > CLOSE)
    measured = (f"on the test texts, when it was {_sure(found)}, it was right {_how_often(found.right)} "
                f"({count(found.texts, 'text')})")
    if confidence - found.right > CLOSE:
        return Trust(f"The model says {stated}, but take it as about {percent(found.right)}: {measured}.", True)
    if found.right - confidence > CLOSE:
        return Trust(f"The model says {stated}, and it does better than that: {measured}.", False)
    return Trust(f"The model is {stated} sure, and that holds: {measured}.", False)


def run_scores(folder: Path) -> Scores | None:
    """What `trust` needs of a run's report: its test accuracy and reliability bands; None when it has no report, or
    when it is a multi-label run's, whose probabilities are each label's own and have no such bands."""
    report = load_report(folder)
    return Scores(report.accuracy, report.calibration) if report and report.task != "multilabel" else None


def downloaded_scores(folder: Path) -> Scores | None:
    """The test accuracy and reliability bands in a downloaded model's metrics.json, as far as they are there and
    well formed (the file comes from anyone); None when it has no usable accuracy."""
    try:
        data = json.loads((folder / METRICS_FILE).read_text(encoding="utf-8"))
        accuracy = float(data["accuracy"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not 0.0 <= accuracy <= 1.0:
        return None
    calibration = data.get("calibration")
    try:
        bands = [list(map(float, calibration[k])) for k in ("confidence", "accuracy", "count")]
        ece = float(calibration["ece"])
    except (TypeError, KeyError, ValueError):
        return Scores(accuracy)
    if len({len(b) for b in bands}) != 1:
        return Scores(accuracy)
    return Scores(accuracy, Calibration(*bands, ece=ece))
