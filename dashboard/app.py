"""Classifier Studio's server: `python -m streamlit run dashboard/app.py`.

Streamlit runs a script only for a page view, so anything started there starts with the first visitor. The
supervisor that notices dead workers must run from the moment the server does: this file is an `st.App` (found
by `streamlit run`) whose lifespan starts it, and dashboard/main.py is the script every page view runs.
"""
from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts dashboard/ on sys.path, not the repository root; the app imports core and dashboard.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.state import serving  # noqa: E402

app = st.App("main.py", lifespan=serving)
