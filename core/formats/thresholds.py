"""How a multi-label model turns each label's probability into a yes or no, as its saved description (bundle.json,
onnx.json) keeps it: a threshold per label, the one for labels without their own, and whether every text gets at
least its most likely label. Tuning them is the model's business (core.architectures.label_thresholds)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

FALLBACK = 0.5


@dataclass(frozen=True)
class LabelThresholds:
    """A threshold per label (by name), the one for labels without their own, and whether every text gets at least
    its most likely label even when none passes its threshold."""

    thresholds: dict[str, float] = field(default_factory=dict)
    fallback: float = FALLBACK
    at_least_one: bool = False

    def for_classes(self, classes: Sequence[str]) -> np.ndarray:
        return np.array([self.thresholds.get(str(c), self.fallback) for c in classes], dtype=np.float64)

    def decide(self, proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
        """The 0/1 matrix of chosen labels: each label whose probability reaches its threshold."""
        chosen = (proba >= self.for_classes(classes)).astype(np.int64)
        if self.at_least_one and len(proba) and proba.shape[1]:
            none = chosen.sum(axis=1) == 0
            chosen[np.flatnonzero(none), proba[none].argmax(axis=1)] = 1
        return chosen

    def labels(self, proba: np.ndarray, classes: Sequence[str]) -> list[tuple[str, ...]]:
        """Each text's chosen labels, in `classes` order: what a multi-label model's `predict` returns."""
        names = [str(c) for c in classes]
        return [tuple(name for name, yes in zip(names, row) if yes) for row in self.decide(proba, classes)]

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": dict(self.thresholds), "fallback": self.fallback, "at_least_one": self.at_least_one}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> LabelThresholds:
        """Thresholds as `to_dict` wrote them. Raises ValueError saying which value is not a probability, or
        which part is not in the form written."""
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ValueError(f"the label thresholds must be a mapping of 'thresholds', 'fallback' and 'at_least_one'; "
                             f"got {type(data).__name__}")
        thresholds = data.get("thresholds", {})
        if not isinstance(thresholds, dict):
            raise ValueError(f"the label thresholds must map each label to a number; got {type(thresholds).__name__}")
        at_least_one = data.get("at_least_one", False)
        if not isinstance(at_least_one, bool):
            raise ValueError(f"'at_least_one' of the label thresholds must be true or false; got {at_least_one!r}")
        return cls({str(k): _probability(v, f"the threshold of '{k}'") for k, v in thresholds.items()},
                   _probability(data.get("fallback", FALLBACK), "the fallback threshold"), at_least_one)

    def checked(self, classes: Sequence[str]) -> LabelThresholds:
        """Itself, once every label it names is one of `classes`; ValueError naming the others."""
        unknown = sorted(set(self.thresholds) - {str(c) for c in classes})
        if unknown:
            raise ValueError(f"the label thresholds name labels the model does not have: {', '.join(unknown[:5])}")
        return self


def _probability(value: Any, what: str) -> float:
    # bool is an int to Python, but `true` is no threshold.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{what} must be a number between 0 and 1; got {value!r}")
    return float(value)


def predictions(proba: np.ndarray, classes: np.ndarray, thresholds: LabelThresholds | None
                ) -> np.ndarray | list[tuple[str, ...]]:
    """What `predict` returns for these probabilities: each text's most likely class, or with `thresholds` (a
    multi-label model) each text's labels as a tuple, possibly empty."""
    return classes[proba.argmax(axis=1)] if thresholds is None else thresholds.labels(proba, classes)


def description_entries(thresholds: LabelThresholds | None) -> dict[str, Any]:
    """What a saved model's description holds of its thresholds: nothing for a single-label model (None), so its
    file stays as it was before models learned several labels."""
    return {} if thresholds is None else {"multilabel": True, "label_thresholds": thresholds.to_dict()}


def read_description(description: dict[str, Any], classes: Sequence[str], source: str) -> LabelThresholds | None:
    """The thresholds of a multi-label model from its description `source`; None for a single-label one. Raises
    ValueError saying what in it is not in the form Classifier Studio writes."""
    multilabel = description.get("multilabel", False)
    if not isinstance(multilabel, bool):
        raise ValueError(f"'multilabel' in {source} must be true or false; got {multilabel!r}")
    if not multilabel:
        return None
    try:
        return LabelThresholds.from_dict(description.get("label_thresholds")).checked(classes)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
