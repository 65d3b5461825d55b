"""What a run's test report holds, part by part, and its JSON form (report.json beside the model, metrics.json in a
download). The JSON keys are the field names, except "class", which Python keeps for itself: `class_name` here."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Self


def probability_column(label: str) -> str:
    """The column of a predictions table (the saved test predictions, a page's predictions) holding the
    probability the model gives `label`."""
    return f"P({label})"


class Plain:
    """A part whose JSON form is its fields as they are."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


@dataclass(frozen=True)
class Baseline:
    """Always answering the test texts' most common class, without reading them."""

    class_name: str
    accuracy: float

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.class_name, "accuracy": self.accuracy}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        return cls(class_name=data["class"], accuracy=data["accuracy"])


@dataclass(frozen=True)
class Intervals:
    """The 95% bootstrap intervals (low, high) of the accuracy and macro-F1, and how they were drawn."""

    accuracy: tuple[float, float]
    macro_f1: tuple[float, float]
    confidence_level: float
    resamples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "accuracy": list(self.accuracy), "macro_f1": list(self.macro_f1)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intervals:
        return cls(**{**data, "accuracy": tuple(data["accuracy"]), "macro_f1": tuple(data["macro_f1"])})


@dataclass(frozen=True)
class ClassScores:
    """One class's row of the per-class table."""

    class_name: str
    precision: float
    recall: float
    f1: float
    support: int  # its test texts

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.class_name, "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "support": self.support}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassScores:
        return cls(class_name=data["class"], precision=data["precision"], recall=data["recall"], f1=data["f1"],
                   support=data["support"])


@dataclass(frozen=True)
class ClassCurves:
    """One class against the rest: its ROC curve and area, its precision-recall curve and average precision."""

    class_name: str
    roc_auc: float
    fpr: list[float]
    tpr: list[float]
    average_precision: float
    recall: list[float]
    precision: list[float]
    prevalence: float  # the class's share of the test texts

    def to_dict(self) -> dict[str, Any]:
        return {"class": self.class_name, **{k: v for k, v in asdict(self).items() if k != "class_name"}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassCurves:
        return cls(class_name=data["class"], **{k: v for k, v in data.items() if k != "class"})


@dataclass(frozen=True)
class Calibration(Plain):
    """The reliability bands that hold test texts: each band's mean confidence, share of right answers and number
    of texts; and the expected calibration error."""

    confidence: list[float]
    accuracy: list[float]
    count: list[int]
    ece: float


@dataclass(frozen=True)
class ThresholdSweep(Plain):
    """A two-class model's confusion counts for one positive class, at each threshold from 0 to 1."""

    threshold: list[float]
    tp: list[int]
    fp: list[int]
    fn: list[int]
    tn: list[int]


@dataclass(frozen=True)
class LengthSlice(Plain):
    """The scores of the test texts from `min_length` to `max_length` characters long."""

    slice: str  # the lengths in words, e.g. "12–40 characters"
    min_length: int
    max_length: int
    n: int
    accuracy: float
    macro_f1: float


@dataclass(frozen=True)
class Report:
    """A run's held-out test report. The parts a report of an older version lacks (it is rebuilt when its test
    predictions are kept, see `core.evaluation.report.load_report`) are None or empty."""

    version: int
    task: str  # "binary" or "multiclass"
    n_test: int
    classes: list[str]
    accuracy: float
    macro_f1: float
    per_class: list[ClassScores]
    confusion_matrix: list[list[int]]  # rows: the true class, columns: the predicted one
    baseline: Baseline | None = None
    intervals: Intervals | None = None
    curves: list[ClassCurves] = field(default_factory=list)  # a class absent from the test texts has none
    calibration: Calibration | None = None
    length_slices: list[LengthSlice] = field(default_factory=list)
    thresholds: dict[str, ThresholdSweep] = field(default_factory=dict)  # by positive class; two classes only

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, in the order of keys the report has always been saved in."""
        data: dict[str, Any] = {"version": self.version, "task": self.task, "n_test": self.n_test,
                                "classes": self.classes, "accuracy": self.accuracy}
        if self.baseline is not None:
            data["baseline"] = self.baseline.to_dict()
        data["macro_f1"] = self.macro_f1
        if self.intervals is not None:
            data["intervals"] = self.intervals.to_dict()
        data["per_class"] = [row.to_dict() for row in self.per_class]
        data["confusion_matrix"] = self.confusion_matrix
        data["curves"] = [curve.to_dict() for curve in self.curves]
        if self.calibration is not None:
            data["calibration"] = self.calibration.to_dict()
        data["length_slices"] = [s.to_dict() for s in self.length_slices]
        if self.thresholds:
            data["thresholds"] = {name: sweep.to_dict() for name, sweep in self.thresholds.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report as any version saved it; the first version had no version number, task or the later parts."""
        classes = data["classes"]
        return cls(
            version=data.get("version", 1), task=data.get("task", "binary" if len(classes) == 2 else "multiclass"),
            n_test=data["n_test"], classes=classes, accuracy=data["accuracy"], macro_f1=data["macro_f1"],
            per_class=[ClassScores.from_dict(row) for row in data["per_class"]],
            confusion_matrix=data["confusion_matrix"],
            baseline=Baseline.from_dict(data["baseline"]) if "baseline" in data else None,
            intervals=Intervals.from_dict(data["intervals"]) if "intervals" in data else None,
            curves=[ClassCurves.from_dict(curve) for curve in data.get("curves", [])],
            calibration=Calibration.from_dict(data["calibration"]) if "calibration" in data else None,
            length_slices=[LengthSlice.from_dict(s) for s in data.get("length_slices", [])],
            thresholds={name: ThresholdSweep.from_dict(s) for name, s in data.get("thresholds", {}).items()},
        )
