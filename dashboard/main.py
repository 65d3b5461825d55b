"""Every page view of Classifier Studio runs this script: page setup, sign-in, navigation and the sidebar. The server
is dashboard/app.py, which serves it."""
from __future__ import annotations

import streamlit as st

from core.disk_space import disk_full_message, is_disk_full
from core.errors import StorageError
from dashboard.access import account_box, gate
from dashboard.components import escape_md
from dashboard.limits_views import server_limits
from dashboard.navigation import pages
from dashboard.page_errors import page_failed
from dashboard.state import server_store
from dashboard.system_views import system_panel

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
except Exception as exc:  # noqa: BLE001 - anything else: a plain message here, the traceback in the server's log
    if is_disk_full(exc):
        st.error(escape_md(disk_full_message(server_store().root)))
    else:
        page_failed(navigation.title)
