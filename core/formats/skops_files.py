"""scikit-learn objects on disk through skops, which loads only types it knows to be plain data, so a crafted file
cannot run code.

skops lists every scikit-learn estimator when it is imported, most of a second, so it is imported on first use: a
process that never reads or writes such a file, such as `python -m core runs` or a worker, does not pay for it.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Sequence

from core.errors import UnsafeFile

VOCABULARY_SUFFIX = ".vocabulary.json"


def dump(obj: Any, path: Path) -> None:
    import skops.io as sio

    sio.dump(obj, path)


def load(path: Path, trusted: Sequence[str] = ()) -> Any:
    """The object in `path`; `trusted` names types beyond skops' own list that may load."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return sio.load(path, trusted=list(trusted) or None)
    except UntrustedTypesFoundException as exc:
        raise UnsafeFile(str(exc)) from exc


def vocabulary_path(path: Path) -> Path:
    """Where the vocabulary of the vectorizer saved in `path` goes: `pipeline.skops` -> `pipeline.vocabulary.json`."""
    return path.with_name(path.stem + VOCABULARY_SUFFIX)


def _vectorizer(obj: Any) -> Any:
    """The text vectorizer of `obj`: obj itself, or the first step of a Pipeline."""
    return obj.steps[0][1] if hasattr(obj, "steps") else obj


def dump_with_vocabulary(obj: Any, path: Path) -> None:
    """`dump` a fitted vectorizer, or a Pipeline that starts with one, with its vocabulary beside it as one JSON list
    of terms in column order. skops writes each entry of a dict as a file of its own: a real vocabulary became
    thousands of files inside the skops ZIP, which took 11 s to write for the SMS sample's 16,000 terms and then
    failed the file-count check every model from anyone gets."""
    vectorizer = _vectorizer(obj)
    terms = vectorizer.get_feature_names_out().tolist()
    # A shallow copy without the vocabulary: the model itself may be predicting in another thread meanwhile.
    stripped = copy.copy(vectorizer)
    del stripped.vocabulary_
    if hasattr(obj, "steps"):
        obj = copy.copy(obj)
        obj.steps = [(obj.steps[0][0], stripped), *obj.steps[1:]]
    else:
        obj = stripped
    dump(obj, path)
    vocabulary_path(path).write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")


def load_with_vocabulary(path: Path, trusted: Sequence[str] = ()) -> Any:
    """What `dump_with_vocabulary` wrote, whole again. A file written before the vocabulary moved out of it holds the
    vocabulary itself, and loads as it is."""
    obj = load(path, trusted)
    vectorizer = _vectorizer(obj)
    source = vocabulary_path(path)
    if not source.exists():
        if not hasattr(vectorizer, "vocabulary_"):
            raise FileNotFoundError(2, "The vectorizer's vocabulary is missing", source.name)
        return obj
    terms = json.loads(source.read_text(encoding="utf-8"))
    columns = len(vectorizer.idf_)
    if (not isinstance(terms, list) or len(terms) != columns or not all(isinstance(t, str) for t in terms)
            or len(set(terms)) != columns):
        raise ValueError(f"'{source.name}' is not the vocabulary of this model: it must list each of its "
                         f"{columns:,} terms once, as text.")
    vectorizer.vocabulary_ = {term: column for column, term in enumerate(terms)}
    return obj
