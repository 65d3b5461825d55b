"""The app's pages, by absolute path so links work however the server was started."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent.parent / "pages"
HOME = PAGES / "home.py"
DATA = PAGES / "data.py"
TRAIN = PAGES / "train.py"
RESULTS = PAGES / "results.py"
PREDICT = PAGES / "predict.py"


def pages() -> list[st.Page]:
    return [
        st.Page(HOME, title="Home", icon="🏠", default=True),
        st.Page(DATA, title="1 · Data", icon="📄", url_path="data"),
        st.Page(TRAIN, title="2 · Train", icon="🏋️", url_path="train"),
        st.Page(RESULTS, title="3 · Results", icon="📊", url_path="results"),
        st.Page(PREDICT, title="4 · Predict", icon="🔮", url_path="predict"),
    ]
