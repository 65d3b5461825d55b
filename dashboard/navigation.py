"""The app's pages, by absolute path so links work however the server was started."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent.parent / "pages"
HOME = PAGES / "home.py"
DATA = PAGES / "data.py"
LABEL = PAGES / "label.py"
TRAIN = PAGES / "train.py"
RESULTS = PAGES / "results.py"
COMPARE = PAGES / "compare.py"
PREDICT = PAGES / "predict.py"
ICONS = {
    HOME: ":material/home:",
    DATA: ":material/table_view:",
    LABEL: ":material/label:",
    TRAIN: ":material/model_training:",
    RESULTS: ":material/analytics:",
    COMPARE: ":material/leaderboard:",
    PREDICT: ":material/online_prediction:",
}


def pages() -> list[st.Page]:
    return [
        st.Page(HOME, title="Home", icon=ICONS[HOME], default=True),
        st.Page(DATA, title="1 · Data", icon=ICONS[DATA], url_path="data"),
        st.Page(LABEL, title="1b · Label", icon=ICONS[LABEL], url_path="label"),
        st.Page(TRAIN, title="2 · Train", icon=ICONS[TRAIN], url_path="train"),
        st.Page(RESULTS, title="3 · Results", icon=ICONS[RESULTS], url_path="results"),
        st.Page(COMPARE, title="4 · Compare", icon=ICONS[COMPARE], url_path="compare"),
        st.Page(PREDICT, title="5 · Predict", icon=ICONS[PREDICT], url_path="predict"),
    ]


def link(page: Path, label: str) -> None:
    st.page_link(page, label=label, icon=ICONS[page])
