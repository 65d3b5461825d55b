"""Classifier Studio core: everything the dashboard and `python -m core` do, without either.

For a Python user, four names:

    from core import load_model, read_file, Store, start_run

    model = load_model("run-3-tfidf.zip")           # a downloaded model, checked before it is used
    model.predict(["Free entry!"]), model.classes_  # and predict_proba, in the order of classes_
    table = read_file("texts.csv").table             # any supported file, with what was read and left out
    run_id, _ = start_run(Store(), dataset_id, "tfidf", {})  # queue a run on a saved dataset; a worker trains it

Where everything else lives, layer by layer, is in docs/ARCHITECTURE.md. Nothing in this package imports streamlit.
"""
from importlib import import_module
from typing import Any

# Each name is imported on first use, so importing one core module does not load every layer.
_OFFERED = {
    "load_model": ("core.models.loading", "load_model"),
    "read_file": ("core.data.reading", "read_file"),
    "Store": ("core.store.store", "Store"),
    "start_run": ("core.runs.jobs", "start"),
}

__all__ = sorted(_OFFERED)


def __getattr__(name: str) -> Any:
    if name not in _OFFERED:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    module, attribute = _OFFERED[name]
    return getattr(import_module(module), attribute)
