"""scikit-learn objects on disk through skops, which loads only types it knows to be plain data, so a crafted file
cannot run code.

skops lists every scikit-learn estimator when it is imported, most of a second, so it is imported on first use: a
process that never reads or writes such a file, such as `python -m core runs` or a worker, does not pay for it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence


class UnsafeFile(ValueError):
    """A skops file holding types that are not plain scikit-learn data."""


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
