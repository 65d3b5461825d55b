"""What the test report of a multi-label run holds (several labels per text), and its JSON form (report.json beside
the model, task "multilabel")."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.formats.thresholds import LabelThresholds
from core.evaluation.report_records import ClassCurves, Plain

TASK = "multilabel"
NOTHING = "(nothing)"  # the extra row and column of the missed-or-added matrix


@dataclass(frozen=True)
class LabelScores(Plain):
    """One label's row of the per-label table: its yes-or-no decision scored over the test texts."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int  # the test texts that have the label
    threshold: float  # the probability from which the model gives the label


@dataclass(frozen=True)
class LabelSetBaseline(Plain):
    """Giving every test text the test texts' most common set of labels, without reading them."""

    labels: str  # the set joined by "|" as the label column holds it; "" for no label at all
    micro_f1: float
    subset_accuracy: float


@dataclass(frozen=True)
class MultilabelReport:
    """A multi-label run's held-out test report, scored at the model's thresholds (`thresholds`).

    `intervals` holds the 95% bootstrap interval (low, high) of each score, by its field name. `label_confusion`
    holds each label's 2x2 matrix [[tn, fp], [fn, tp]] in the order of `classes`. `missed_added` is the
    missed-or-added matrix of `core.evaluation.multilabel_report.missed_added`: (k + 1) x (k + 1), the last row and
    column standing for NOTHING."""

    version: int
    n_test: int
    classes: list[str]
    thresholds: LabelThresholds
    micro_f1: float
    macro_f1: float
    weighted_f1: float
    samples_f1: float
    hamming_loss: float
    subset_accuracy: float
    intervals: dict[str, tuple[float, float]]
    per_label: list[LabelScores]
    label_confusion: list[list[list[int]]]
    missed_added: list[list[int]]
    curves: list[ClassCurves] = field(default_factory=list)  # a label every test text has, or none has, has none
    baseline: LabelSetBaseline | None = None
    task: str = TASK

    @property
    def accuracy(self) -> float:
        """The share of test texts with every label right: what accuracy means when a text has several labels."""
        return self.subset_accuracy

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "task": self.task, "n_test": self.n_test, "classes": self.classes,
            "thresholds": self.thresholds.to_dict(),
            **{name: getattr(self, name) for name in ("micro_f1", "macro_f1", "weighted_f1", "samples_f1",
                                                      "hamming_loss", "subset_accuracy")},
            "intervals": {name: list(span) for name, span in self.intervals.items()},
            "per_label": [row.to_dict() for row in self.per_label],
            "label_confusion": self.label_confusion, "missed_added": self.missed_added,
            "curves": [curve.to_dict() for curve in self.curves],
            "baseline": self.baseline.to_dict() if self.baseline else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MultilabelReport:
        return cls(**{
            **data,
            "thresholds": LabelThresholds.from_dict(data["thresholds"]),
            "intervals": {name: (float(low), float(high)) for name, (low, high) in data["intervals"].items()},
            "per_label": [LabelScores.from_dict(row) for row in data["per_label"]],
            "curves": [ClassCurves.from_dict(curve) for curve in data.get("curves", [])],
            "baseline": LabelSetBaseline.from_dict(data["baseline"]) if data.get("baseline") else None,
        })
