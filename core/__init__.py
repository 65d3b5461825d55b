"""Classifier Studio core: data, architectures, training, the workspace store and jobs.

Nothing in this package imports streamlit; the dashboard and the command line both sit on top of it.
"""


def __getattr__(name: str):
    # `from core import load_model` is the two-line Python API; it is looked up on use, so importing a core module
    # does not load every architecture.
    if name == "load_model":
        from core.models.loading import load_model
        return load_model
    raise AttributeError(f"module 'core' has no attribute {name!r}")
