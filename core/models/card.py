"""The README.md that travels with a downloaded model: what it was trained on, how well it does, what it is for,
where it falls short and how to load it."""
from __future__ import annotations

import datetime
import json
from typing import Any, NamedTuple

import pandas as pd

from core.architectures import get_architecture
from core.data.multilabel import split_labels
from core.evaluation.multilabel_records import MultilabelReport
from core.evaluation.report_records import Report
from core.formats.thresholds import LabelThresholds
from core.store.records import DatasetRecord, Run
from core.wording import count, literal_markdown as literal

# A class whose test F1 is below this is named under the limitations.
WEAK_F1 = 0.7
INSTALL = "`pip install -r requirements.txt` in its repository, see its README"
# A class with fewer test texts than this has a score too uncertain to lean on.
FEW_TEST_TEXTS = 30


def _interval(value: float, span: tuple[float, float]) -> str:
    low, high = span
    return f"{value:.3f} (95% interval {low:.3f} to {high:.3f})"


def data_summary(df: pd.DataFrame, multilabel: bool = False) -> pd.DataFrame:
    """Texts per class (rows) and split (columns), with totals; with several labels per text, the texts that have
    each label, and in the totals every text once."""
    labels = df["label"].astype(str)
    table = pd.crosstab(labels, df["split"]).reindex(columns=["train", "val", "test"], fill_value=0)
    total = table.sum()
    if multilabel:
        each = df.assign(label=labels.map(split_labels)).explode("label").dropna(subset=["label"])
        table = pd.crosstab(each["label"], each["split"]).reindex(columns=["train", "val", "test"], fill_value=0)
    table.loc["all texts" if multilabel else "all classes"] = total
    return table


def model_card(run: Run, dataset: DatasetRecord, df: pd.DataFrame, report: Report | MultilabelReport, file_name: str,
               onnx: dict[str, Any] | None = None, thresholds: LabelThresholds | None = None) -> str:
    """The card of run `run`'s model, for the download called `file_name`; `onnx` is the export's manifest, and
    `thresholds` those of a model that gives each text several labels."""
    arch = get_architecture(run.arch)
    classes = report.classes
    per_class = sorted(_label_rows(report), key=lambda r: r.f1)
    summary = data_summary(df, thresholds is not None)
    max_length = run.config.get("max_length")
    gives = (f"any of {count(len(classes), 'label')} (none, one or several)" if thresholds is not None
             else f"one of {count(len(classes), 'label')}")
    lines = [
        f"# {literal(dataset.name)}: {arch.title}",
        "",
        f"A text classifier trained with Classifier Studio (run {run.id}, "
        f"{datetime.datetime.fromtimestamp(run.finished_at or run.created_at):%Y-%m-%d}). It gives each text "
        f"{gives}: {', '.join(literal(c) for c in classes)}.",
        "",
        f"**Architecture.** {arch.description}",
        "",
        "## Data",
        "",
        f"Dataset '{literal(dataset.name)}': {count(dataset.n_rows, 'text')}, split into training, validation and test "
        "texts. The test texts were never seen in training.",
        "",
        "| label | training | validation | test |",
        "|---|---:|---:|---:|",
        *[f"| {literal(label)} | {row['train']:,} | {row['val']:,} | {row['test']:,} |"
          for label, row in summary.iterrows()],
        "",
        "## How well it does",
        "",
        f"On {count(report.n_test, 'test text')}: {_headline(report)}. The intervals are 95% bootstrap intervals: "
        "another test set of this size from the same data would most likely score within them.",
        "",
        "| label | precision | recall | F1 | test texts |",
        "|---|---:|---:|---:|---:|",
        *[f"| {literal(r.name)} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | {r.support:,} |"
          for r in per_class],
        "",
    ]
    if thresholds is not None:
        lines += threshold_lines(thresholds, classes)
    if run.status == "cancelled":
        lines += ["Training was stopped by hand; this is the best epoch reached by then.", ""]
    lines += [
        "## Intended use",
        "",
        f"Sorting texts like those in '{literal(dataset.name)}' into these {len(classes)} labels, with a person "
        "checking the cases that matter. The probabilities say how sure the model is: low ones are worth a second look.",
        "",
        "## Limitations",
        "",
        _answers(thresholds),
        "- It knows only what its training texts show: other topics, wording, languages or a later period may score "
        "lower than the test figures above.",
    ]
    weak = [r for r in per_class if r.f1 < WEAK_F1]
    if weak:
        lines.append("- Weakest labels (test F1 below 0.7): " + ", ".join(
            f"{literal(r.name)} ({r.f1:.2f})" for r in weak) + ". Check its answers for these with care.")
    few = [r for r in per_class if r.support < FEW_TEST_TEXTS]
    if few:
        lines.append(f"- Fewer than {FEW_TEST_TEXTS} test texts for " + ", ".join(literal(r.name) for r in few) +
                     ": their scores are uncertain.")
    if max_length:
        lines.append(f"- It reads the first {max_length} tokens of a text; the rest of a longer text is ignored.")
    lines += ["", *usage(file_name, onnx, thresholds is not None), "", "## Settings", "", "```json", _settings(run),
              "```", ""]
    return "\n".join(lines)


class LabelRow(NamedTuple):
    name: str
    precision: float
    recall: float
    f1: float
    support: int


def _label_rows(report: Report | MultilabelReport) -> list[LabelRow]:
    if isinstance(report, MultilabelReport):
        return [LabelRow(r.label, r.precision, r.recall, r.f1, r.support) for r in report.per_label]
    return [LabelRow(r.class_name, r.precision, r.recall, r.f1, r.support) for r in report.per_class]


def _headline(report: Report | MultilabelReport) -> str:
    if isinstance(report, MultilabelReport):
        spans = report.intervals
        return (f"micro-F1 {_interval(report.micro_f1, spans['micro_f1'])}, macro-F1 "
                f"{_interval(report.macro_f1, spans['macro_f1'])}, every label of a text right "
                f"{_interval(report.subset_accuracy, spans['subset_accuracy'])}")
    spans = report.intervals
    return (f"accuracy {_interval(report.accuracy, spans.accuracy)}, macro-F1 "
            f"{_interval(report.macro_f1, spans.macro_f1)}")


def threshold_lines(thresholds: LabelThresholds, classes: list[str]) -> list[str]:
    """The card's section on how each label's probability becomes a yes or no."""
    lines = ["## Thresholds", "",
             "A text gets each label whose probability reaches that label's threshold, tuned on the validation texts "
             f"for the label's best F1 ({thresholds.fallback:g} where too few validation texts had the label).",
             "", "| label | threshold |", "|---|---:|",
             *[f"| {literal(c)} | {t:.3f} |" for c, t in zip(classes, thresholds.for_classes(classes))], ""]
    if thresholds.at_least_one:
        lines += ["A text whose labels all fall below their thresholds still gets its most likely label.", ""]
    return lines


def _answers(thresholds: LabelThresholds | None) -> str:
    if thresholds is None:
        return ("- It always answers with one of its labels, even for a text unlike anything it was trained on; it "
                "cannot say \"none of these\".")
    if thresholds.at_least_one:
        return ("- It always answers with at least one of its labels, even for a text unlike anything it was trained "
                "on.")
    return ("- It answers with no label at all for a text none of whose labels reaches its threshold; a text unlike "
            "anything it was trained on may still get some.")


def usage_code(file_name: str, multilabel: bool = False) -> tuple[str, str]:
    """How to use the file `file_name`: from Python, and from the command line (predict a table, serve it); for a
    model that gives each text several labels, how its thresholds pick them."""
    load = ["from core import load_model", "", f'model = load_model("{file_name}")']
    if multilabel:
        python = "\n".join([*load, 'print(model.predict(["a text to classify"]))  # a tuple of labels per text',
                            "# Each label's own probability; a text gets the labels that reach their thresholds.",
                            'proba = model.predict_proba(["a text to classify"])',
                            "thresholds = model.label_thresholds_.for_classes(model.classes_)",
                            "print([list(model.classes_[row >= thresholds]) for row in proba])"])
    else:
        python = "\n".join([*load, 'print(model.predict(["a text to classify"]))        # labels',
                            'print(model.predict_proba(["a text to classify"]))  # one column per label, in '
                            "model.classes_ order"])
    bash = "\n".join([
        f"python -m core predict --model {file_name} --input texts.csv --text-col text --output predictions.csv",
        f"python -m core serve --model {file_name} --port 8000",
        "curl -s localhost:8000/predict -H 'Content-Type: application/json' -d '{\"texts\": [\"a text\"]}'"])
    return python, bash


def usage(file_name: str, onnx: dict[str, Any] | None, multilabel: bool = False) -> list[str]:
    python, bash = usage_code(file_name, multilabel)
    lines = ["## How to use it", "",
             f"With Classifier Studio installed ({INSTALL}):", "", "```python", python, "```", "", "```bash", bash,
             "```", "", "In the app, open **Predict**, choose *Imported from a file* and import this file."]
    if onnx:
        lines += ["", f"**ONNX.** `model.onnx` takes {_onnx_input(onnx)} and returns `probabilities` (one column per "
                  "label, in the order of `classes` in `onnx.json`" + ("; each label's own probability, and a text has "
                  "the labels whose probability reaches their threshold in `label_thresholds` of `onnx.json`"
                  if multilabel else "") + "). ONNX Runtime matched the original model to within "
                  f"{onnx['parity']['max_difference']:.1g} on {count(onnx['parity']['texts'], 'test text')}."]
        if onnx["input"] == "tokens":
            lines += ["", "To run it without Classifier Studio: pad each batch to its longest text with the pad id, "
                      "with `mask` false on padding" + (f", and give a text that tokenizes to nothing the one token "
                      f"{onnx['empty_id']}" if onnx.get("empty_id") is not None else "") + "."]
    else:
        lines += ["", "**Files.** `bundle.json` names the architecture, its settings and the labels (the order of "
                  "`predict_proba`'s columns)" + (" and each label's threshold" if multilabel else "") +
                  "; the weights are safetensors (in `hf/` in Hugging Face's layout for "
                  "pretrained models) or skops for scikit-learn parts: no pickle anywhere. `metrics.json` holds the "
                  "test report."]
    return lines


def _onnx_input(onnx: dict[str, Any]) -> str:
    if onnx["input"] == "tfidf":
        return ("`features`, the TF-IDF vector of each text from `vectorizer.skops` (scikit-learn's TfidfVectorizer, "
                "load it with `skops.io.load`; Python only)")
    return (f"`tokens` (int64 token ids from `tokenizer.json`, padded with {onnx['pad_id']}) and `mask` (true for real "
            "tokens), both shaped batch x length")


def _settings(run: Run) -> str:
    return json.dumps({"architecture": run.arch, **run.config}, indent=2, ensure_ascii=False)
