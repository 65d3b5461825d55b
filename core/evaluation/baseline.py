"""The score a model has to beat: always answering the most common class of the test texts, without reading them.
On lopsided data that trivial answer already scores high (87.6% on SMS spam), so accuracy alone flatters a model."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from core.evaluation.report_records import Baseline, Report

GOOD, WEAK, WORSE = "good", "weak", "worse"
# Avoiding fewer than this share of the trivial answer's mistakes is too little to call a model worth having.
SMALL_GAIN = 0.1


def most_common(codes: np.ndarray, classes: Sequence[str]) -> Baseline:
    """The most common class among the test labels (`codes` index `classes`; the first on a tie) and the accuracy
    of answering it for every text."""
    counts = np.bincount(codes, minlength=len(classes))
    k = int(counts.argmax())
    return Baseline(class_name=str(classes[k]), accuracy=float(counts[k] / max(len(codes), 1)))


def verdict(report: Report) -> tuple[str, str]:
    """Whether the model is worth having next to always answering the most common class: (GOOD, WEAK or WORSE, a
    sentence for people who do not read metrics)."""
    base, accuracy, low = report.baseline, report.accuracy, report.intervals.accuracy[0]
    name, trivial = f"“{base.class_name}”", base.accuracy
    if trivial >= 1.0:
        return WEAK, (f"Every test text is {name}, so these test texts cannot show whether the model is worth "
                      "having. Test it on texts of the other classes too.")
    if accuracy <= trivial:
        than = "as well as" if accuracy == trivial else "better than"
        return WORSE, (f"Not worth it as it is: always answering {name} would score {trivial:.1%}, {than} the "
                       "model. Try another model, or add training texts of the rarer classes.")
    fewer = 1 - (1 - accuracy) / (1 - trivial)  # the share of the trivial answer's mistakes the model avoids
    if low <= trivial or fewer < SMALL_GAIN:
        why = ("the gap is within the margin of error of the accuracy" if low <= trivial
               else f"the model avoids only {fewer:.0%} of the mistakes that answer makes")
        return WEAK, (f"Barely better than always answering {name}, which would score {trivial:.1%}: {why}. Check "
                      "the per-class scores before relying on it.")
    return GOOD, (f"Worth it: the model makes {fewer:.0%} fewer mistakes than always answering {name}, which would "
                  f"score {trivial:.1%}.")
