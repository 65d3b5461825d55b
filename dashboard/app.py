"""Classifier Studio: `streamlit run dashboard/app.py`."""
from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts dashboard/ on sys.path, not the repository root; the pages import core and dashboard.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from core.storage import StorageError  # noqa: E402
from dashboard.access import account_box, gate  # noqa: E402
from dashboard.components import escape_md  # noqa: E402
from dashboard.limits_views import server_limits  # noqa: E402
from dashboard.navigation import pages  # noqa: E402
from dashboard.page_errors import page_failed  # noqa: E402
from dashboard.state import server_store  # noqa: E402
from dashboard.system_views import system_panel  # noqa: E402

st.set_page_config(page_title="Classifier Studio", page_icon="🧪", layout="wide")
server_limits()  # a malformed limit keeps every page shut, before anything starts a run under it
server_store()
gate()

navigation = st.navigation(pages())
with st.sidebar:
    account_box()
    system_panel(server_store())
try:
    navigation.run()
except StorageError as exc:  # any page that needed a run's files, with shared storage out of reach
    st.error(escape_md(exc))
# st.stop(), st.rerun() and switch_page raise Streamlit's own control exceptions, which are no Exception: they pass.
except Exception:  # noqa: BLE001 - anything else: a plain message here, the traceback in the server's log
    page_failed(navigation.title)
