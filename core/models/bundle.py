"""A run's model as one ZIP file to take away: the model bundle (the run's model as this version saves it:
safetensors, skops, tokenizer and bundle.json) or the ONNX export (`core.formats.onnx_export`), each with
README.md (the model card) and metrics.json. Nothing in either is pickled; `core.models.loading` opens them again."""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from core.evaluation.report import load_report
from core.formats.description import CARD_FILE, METRICS_FILE
from core.formats.onnx_export import export
from core.models.card import model_card
from core.models.loading import load_folder
from core.store.datasets import load_dataset
from core.store.shared_storage import run_files
from core.store.store import Store
from core.workspace import EXPORT_DIR, MODEL_DIR

KINDS = ("bundle", "onnx")
REPORT_KEYS = ("n_test", "classes", "accuracy", "baseline", "macro_f1", "intervals", "per_class", "confusion_matrix",
               "calibration")
MULTILABEL_REPORT_KEYS = ("n_test", "classes", "thresholds", "micro_f1", "macro_f1", "weighted_f1", "samples_f1",
                          "hamming_loss", "subset_accuracy", "baseline", "intervals", "per_label", "label_confusion")


def file_name(run_id: int, arch: str, kind: str) -> str:
    return f"run-{run_id}-{arch}{'-onnx' if kind == 'onnx' else ''}.zip"


def run_zip(store: Store, run_id: int, kind: str) -> Path:
    """The ZIP of run `run_id`'s model (`kind` "bundle" or "onnx"), made on first request and kept in the run folder.

    The ONNX export is checked against the model on the run's test texts and refused if they disagree.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown format '{kind}'. Formats: {', '.join(KINDS)}.")
    run = store.get_run(run_id)
    folder = run_files(store, run_id)
    if not run.has_model or not (folder / MODEL_DIR).exists():
        raise ValueError(f"Run {run_id} is {run.status} and has no model to download; a run has one once it has "
                         "finished, or when stopped after an epoch.")
    name = file_name(run_id, run.arch, kind)
    target = folder / EXPORT_DIR / name
    if target.exists():
        return target
    report = load_report(folder)
    # A run shared with the viewer brings its dataset's summary in the card, though the dataset is not shared.
    df = load_dataset(store.as_viewer(None), run.dataset_id)
    dataset = store.as_viewer(None).get_dataset(run.dataset_id)
    saved = report.to_dict()
    keys = MULTILABEL_REPORT_KEYS if saved.get("task") == "multilabel" else REPORT_KEYS
    metrics = json.dumps({k: saved[k] for k in keys}, indent=2, ensure_ascii=False)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        model = load_folder(folder / MODEL_DIR)
        if kind == "onnx":
            content = Path(scratch) / "onnx"
            manifest = export(model, content, df.loc[df["split"] == "test", "text"].tolist())
        else:
            # Saved again as this version saves models: one saved by an older version may be in a form that importing
            # now refuses (a TF-IDF vocabulary kept as thousands of files inside its skops file).
            content, manifest = Path(scratch) / "model", None
            model.save(content)
        thresholds = model.label_thresholds_ if model.multilabel_ else None
        extras = {CARD_FILE: model_card(run, dataset, df, report, name, manifest, thresholds), METRICS_FILE: metrics}
        target.parent.mkdir(exist_ok=True)
        partial = Path(scratch) / name
        write_zip(content, extras, partial)
        # Renamed into place whole, so a second tab asking at the same moment never gets half a file.
        os.replace(partial, target)
    return target


def write_zip(folder: Path, extras: dict[str, str], destination: Path) -> None:
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(folder).as_posix())
        for name, text in extras.items():
            archive.writestr(name, text)
