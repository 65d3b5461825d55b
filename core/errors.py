"""Every exception type of core in one place. Each message says what went wrong and what to do, for the person to
read: core.runs.failures turns them into the reason a run failed, and the pages show them as they are."""
from __future__ import annotations


class DataError(ValueError):
    """Input that cannot be used: a file, a column, a label, a split (core.data, core.cli)."""


class StorageError(OSError):
    """Shared storage could not be read or written (core.store.shared_storage)."""


class Cancelled(Exception):
    """The person's Stop arrived in the worker as a signal rather than through the loop (core.runs.worker)."""


class ClusterUnreachable(RuntimeError):
    """The Ray cluster's dashboard did not answer: the head is down, the address or port is wrong, or it is
    listening on another interface (core.runs.backends.ray_api)."""


class OutOfMemory(RuntimeError):
    """The device ran out of memory even with one text per pass (core.training.loop)."""


class UnsafeFile(ValueError):
    """A skops file holding types that are not plain scikit-learn data (core.formats.skops_files)."""


class BundleError(ValueError):
    """A file that cannot be opened as a model (core.models.loading)."""
