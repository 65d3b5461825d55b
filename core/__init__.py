"""Classifier Studio core: data, architectures, training, the workspace store and jobs.

Nothing in this package imports streamlit; the dashboard and the command line both sit on top of it.
"""
