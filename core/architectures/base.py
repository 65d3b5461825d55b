"""What every architecture provides: a config dataclass that drives the UI form, and a scikit-learn style model."""
from __future__ import annotations

import json
from dataclasses import Field, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss

from core.architectures.label_thresholds import multilabel_metrics, tune
from core.data.multilabel import indicator, label_names
from core.data.text_set import TextSet
from core.formats.description import checked_classes, write_description
from core.formats.thresholds import FALLBACK, LabelThresholds, description_entries, predictions, read_description
from core.training.callbacks import Callback, CallbackList, Report, reporter
from core.training.state import TrainState

BUNDLE_FILE = "bundle.json"
# Quick trains in a minute or two for a first look; Balanced is the default; Best trades time for accuracy.
PRESETS = ("quick", "balanced", "best")
TRUE, FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}
# Cross-validation (core.evaluation.cross_validation): at most this many folds, and by default this many for the
# families cheap enough to fit again per fold (`ArchConfig.cheap_to_cross_validate`), on fewer texts than this.
MAX_FOLDS = 20
DEFAULT_FOLDS = 5
CROSS_VALIDATE_BELOW = 50_000


def to_bool(raw: Any) -> bool:
    if isinstance(raw, str) and raw.strip().lower() in TRUE | FALSE:
        return raw.strip().lower() in TRUE
    if isinstance(raw, (bool, int)):
        return bool(raw)
    raise ValueError(f"expected yes or no (true/false); got {raw!r}")


def option(default: Any, help: str, *, label: str, when: Mapping[str, Sequence[Any]] | None = None,
           available: Callable[[], bool] | None = None, **limits: Any) -> Any:
    """A config field whose label, help text and limits (min, max, choices) build the UI form. `when` names the
    values of other settings under which it does anything ({"classifier": ["linear_svm"]}); `available` says
    whether this machine can use it at all. The form leaves out a field that does nothing; it keeps its value."""
    conditions = {"when": dict(when)} if when else {}
    if available is not None:
        conditions["available"] = available
    return field(default=default, metadata={"help": help, "label": label, **conditions, **limits})


def applies(spec: Field, values: Mapping[str, Any]) -> bool:
    """Whether the setting `spec` changes anything, given the other settings' `values` and this machine."""
    meta = spec.metadata
    if any(values.get(name) not in choices for name, choices in meta.get("when", {}).items()):
        return False
    return meta.get("available", lambda: True)()


@dataclass
class ArchConfig:
    seed: int = option(42, "Random seed; the same seed on the same data gives the same model.", label="Random seed",
                       min=0, max=2**31 - 1)
    cv_folds: int = option(1, "Also train this many models, each on all the training and validation texts but one "
                           "share, and score each on the share it did not see: the report then gives every score as "
                           "an average with its spread, and keeps a prediction for every text that no model trained "
                           "on it made. 1 = no cross-validation. The model you keep trains as usual either way.",
                           label="Cross-validation folds", min=1, max=MAX_FOLDS)
    # Whether a fit is cheap enough to repeat once per fold by default (see `dataset_defaults`).
    cheap_to_cross_validate: ClassVar[bool] = False

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "ArchConfig":
        """Build a config from user values, checking each against its field's limits."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"Unknown setting(s) {', '.join(unknown)}. Settings: {', '.join(known)}.")
        converted = {}
        for name, raw in values.items():
            spec = known[name]
            kind = type(spec.default)
            try:
                value = to_bool(raw) if kind is bool else kind(raw) if not isinstance(raw, kind) else raw
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            meta = spec.metadata
            if "choices" in meta and value not in meta["choices"]:
                raise ValueError(f"{name} must be one of {', '.join(map(str, meta['choices']))}; got {value}.")
            if "min" in meta and value < meta["min"] or "max" in meta and value > meta["max"]:
                raise ValueError(f"{name} must be between {meta.get('min')} and {meta.get('max')}; got {value}.")
            converted[name] = value
        return cls(**converted)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> "ArchConfig":
        """The config of a saved model. A family whose new settings would change how older models work names
        the values those models had, for the settings they lack."""
        return cls.from_dict(values)

    @classmethod
    def preset_values(cls, preset: str, n_train: int) -> dict[str, Any]:
        """The settings that `preset` changes from the defaults, for a training split of `n_train` texts."""
        return {}

    @classmethod
    def dataset_defaults(cls, preset: str, n_train: int, n_val: int) -> dict[str, Any]:
        """`preset_values`, with cross-validation on where a fit is cheap and the training and validation texts are
        fewer than CROSS_VALIDATE_BELOW: what the Train page and `python -m core train` start from."""
        values = cls.preset_values(preset, n_train)
        if cls.cheap_to_cross_validate and n_train + n_val < CROSS_VALIDATE_BELOW:
            values["cv_folds"] = DEFAULT_FOLDS
        return values

    @classmethod
    def preset(cls, preset: str, n_train: int) -> "ArchConfig":
        if preset not in PRESETS:
            raise ValueError(f"Unknown preset '{preset}'. Presets: {', '.join(PRESETS)}.")
        return cls.from_dict(cls.preset_values(preset, n_train))


def classification_metrics(y_true: Sequence[int], proba: np.ndarray) -> dict[str, float]:
    """Loss, accuracy and macro-F1 of class-index targets against predicted probabilities."""
    predicted = proba.argmax(axis=1)
    labels = list(range(proba.shape[1]))
    return {
        "loss": float(log_loss(y_true, proba, labels=labels)),
        "accuracy": float(accuracy_score(y_true, predicted)),
        "macro_f1": float(f1_score(y_true, predicted, labels=labels, average="macro", zero_division=0)),
    }


class TextClassifier:
    """scikit-learn conventions: `fit` returns self, learned state ends in `_`, `classes_` orders `predict_proba`."""

    config_cls: ClassVar[type[ArchConfig]] = ArchConfig
    arch_name: ClassVar[str] = ""
    # Whether one run may train across several processes (DistributedDataParallel); a model fit in one go
    # trains in one process whatever the server's setting.
    distributable: ClassVar[bool] = False
    # Set by a fit on several labels per text (TextSet.multilabel): `predict_proba` then scores each label on its
    # own and `label_thresholds_` picks a text's labels. A model saved before that existed loads as single-label.
    multilabel_: bool = False
    label_thresholds_: LabelThresholds | None = None

    def __init__(self, config: ArchConfig | None = None):
        self.config = config or self.config_cls()

    def fit(self, train: TextSet, val: TextSet | None = None, callbacks: Sequence[Callback] = (),
            checkpoints: Path | None = None) -> "TextClassifier":
        """Learn from `train`, reporting to `callbacks`. Given a `checkpoints` folder, a model trained over steps
        resumes from the checkpoint found there and keeps one there while it trains."""
        raise NotImplementedError

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def check_data(self, texts: Sequence[str]) -> list[str]:
        """Plain-language warnings about how well this model can read `texts` (say, a tokenizer that does not
        know their language), shown before training and kept with the run."""
        return []

    def token_lengths(self, texts: Sequence[str]) -> list[int] | None:
        """Tokens per text, before cutting at `max_length`; None for a model that reads texts whole."""
        return None

    def token_gradients(self, text: str, target: int) -> tuple[list[tuple[int, int]], np.ndarray] | None:
        """Gradient x input of each token of `text` for the log-probability of class index `target`, with each
        token's character span in `text`; None for a model that has no vector per token to take gradients of."""
        return None

    def predict(self, texts: Sequence[str]) -> np.ndarray | list[tuple[str, ...]]:
        """Each text's class; for a multi-label model, each text's labels (a tuple, possibly empty)."""
        chooses = self.label_thresholds_ if self.multilabel_ else None
        return predictions(self.predict_proba(texts), self.classes_, chooses)

    def predict_proba_reporting(self, texts: Sequence[str], report: Report) -> np.ndarray:
        """`predict_proba` of `texts` in about a hundred parts, calling `report(done, total)` after each, so a
        progress bar moves while a long list is scored (a sentence-embedding model reads some 50 texts a second on
        a CPU)."""
        texts = list(texts)
        part = max(64, -(-len(texts) // 100))
        report(0, len(texts))
        scored = [np.zeros((0, len(self.classes_)))]
        for start in range(0, len(texts), part):
            scored.append(self.predict_proba(texts[start : start + part]))
            report(min(start + part, len(texts)), len(texts))
        return np.concatenate(scored)

    def export_onnx(self, directory: Path) -> dict[str, Any]:
        """Write model.onnx, which returns `probabilities`, and what turns texts into its input, into `directory`;
        return the manifest entries that tell `core.formats.onnx_runtime` how to read texts (see
        `core.formats.onnx_export`)."""
        raise NotImplementedError

    def save(self, directory: Path) -> None:
        """Write the model's files, then bundle.json naming the architecture, config and classes."""
        directory.mkdir(parents=True, exist_ok=True)
        self._save_weights(directory)
        bundle = {"arch": self.arch_name, "config": self.config.to_dict(), "classes": self.classes_.tolist(),
                  **description_entries(self.label_thresholds_ if self.multilabel_ else None)}
        write_description(directory, BUNDLE_FILE, bundle)

    @classmethod
    def load(cls, directory: Path) -> "TextClassifier":
        bundle = json.loads((directory / BUNDLE_FILE).read_text(encoding="utf-8"))
        model = cls(cls.config_cls.from_saved(bundle["config"]))
        model.classes_ = np.array(checked_classes(bundle.get("classes"), BUNDLE_FILE), dtype=object)
        model.label_thresholds_ = read_description(bundle, model.classes_, BUNDLE_FILE)
        model.multilabel_ = model.label_thresholds_ is not None
        model._load_weights(directory)
        outputs = model._n_outputs()
        if outputs != len(model.classes_):
            raise ValueError(f"{BUNDLE_FILE} names {len(model.classes_)} classes but the model has {outputs} outputs")
        return model

    def _n_outputs(self) -> int:
        """How many classes the loaded weights score."""
        return self.predict_proba(["a"]).shape[1]

    def _encode_targets(self, train: TextSet) -> np.ndarray:
        """Set `multilabel_` and `classes_` (sorted) from `train`; return what the model learns from: each text's
        class index, or with several labels per text a 0/1 matrix, one column per class."""
        self.multilabel_ = train.multilabel
        if not train.multilabel:
            return self._encode_labels(train.labels)
        self.classes_ = np.array(label_names(train.labels), dtype=object)
        if len(self.classes_) < 2:
            raise ValueError(f"A model that gives each text several labels needs at least 2 labels in the training "
                             f"texts; they have {len(self.classes_)}. Add texts of other labels.")
        return indicator(train.labels, self.classes_)

    def _truth(self, data: TextSet) -> np.ndarray:
        """The labels of `data` as `_encode_targets` gave the training labels."""
        return indicator(data.labels, self.classes_) if self.multilabel_ else self._label_indices(data.labels)

    def _metrics(self, truth: np.ndarray, proba: np.ndarray) -> dict[str, float]:
        """Loss, accuracy and macro-F1 (subset accuracy, and F1 at the 0.5 threshold, for several labels)."""
        return multilabel_metrics(truth, proba) if self.multilabel_ else classification_metrics(truth, proba)

    def _tune_thresholds(self, val: TextSet | None, proba: np.ndarray | None = None) -> None:
        """At the end of a multi-label fit, each label's threshold tuned on `val` (whose probabilities `proba` may
        already be); 0.5 for every label without validation texts."""
        if not self.multilabel_:
            return
        if val is None or not val.texts:
            self.label_thresholds_ = LabelThresholds({str(c): FALLBACK for c in self.classes_})
            return
        self.label_thresholds_ = tune(self._truth(val), self.predict_proba(val.texts) if proba is None else proba,
                                      self.classes_)

    def _encode_labels(self, labels: Sequence[str]) -> np.ndarray:
        """Set `classes_` (sorted) and return each label's index into it."""
        self.classes_ = np.array(sorted(set(labels)), dtype=object)
        return np.searchsorted(self.classes_, np.asarray(labels, dtype=object))

    def _label_indices(self, labels: Sequence[str]) -> np.ndarray:
        unknown = set(labels) - set(self.classes_)
        if unknown:
            raise ValueError(f"Labels the model was not trained on: {', '.join(map(str, sorted(unknown)))}.")
        return np.searchsorted(self.classes_, np.asarray(labels, dtype=object))

    def _save_weights(self, directory: Path) -> None:
        raise NotImplementedError

    def _load_weights(self, directory: Path) -> None:
        raise NotImplementedError


class OneShotClassifier(TextClassifier):
    """A model fit in one go rather than over epochs; callbacks see that as one step and one evaluation, and the
    fit and the validation pass as long work counted in texts (`Callback.on_progress`)."""

    # What the fit does, as the Train page's progress names it.
    fit_task: ClassVar[str] = "Learning from the training texts"

    def _fit_once(self, texts: Sequence[str], targets: np.ndarray, report: Report) -> np.ndarray:
        """Fit on `texts` with class-index `targets` (a 0/1 matrix for a multi-label model), calling
        `report(done, total)` as texts are read where that takes a while; return the training texts' probabilities."""
        raise NotImplementedError

    def fit(self, train: TextSet, val: TextSet | None = None, callbacks: Sequence[Callback] = (),
            checkpoints: Path | None = None) -> "OneShotClassifier":
        # Fit in one go there is nothing to resume: fitting again with the same seed gives the same model.
        hooks = CallbackList(callbacks)
        targets = self._encode_targets(train)
        state = TrainState(epochs=1, steps_per_epoch=1)
        hooks.fire("on_train_begin", state)
        report = reporter(state, hooks, self.fit_task)
        report(0, len(train.texts))
        train_proba = self._fit_once(train.texts, targets, report)
        report(len(train.texts), len(train.texts))
        state.start_task(None)
        state.step = 1
        state.loss = self._metrics(targets, train_proba)["loss"]
        hooks.fire("on_step_end", state)
        state.epoch = 1
        proba = None
        if val is not None and val.texts:
            proba = self.predict_proba_reporting(val.texts, reporter(state, hooks, "Scoring the validation texts"))
            state.start_task(None)
            state.val_metrics = self._metrics(self._truth(val), proba)
            hooks.fire("on_evaluate", state, state.val_metrics)
        self._tune_thresholds(val, proba)
        hooks.fire("on_epoch_end", state)
        hooks.fire("on_train_end", state)
        return self


@dataclass(frozen=True)
class Architecture:
    name: str
    title: str
    description: str
    model_cls: type[TextClassifier]
    summary: str  # one short line beside the title, where the models are listed to choose from

    @property
    def config_cls(self) -> type[ArchConfig]:
        return self.model_cls.config_cls

    @property
    def one_shot(self) -> bool:
        """Fit in one go, not over epochs: its 'curves' are one point each."""
        return issubclass(self.model_cls, OneShotClassifier)
