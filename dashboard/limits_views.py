"""The server's limits (core/access/limits.py) as the pages apply them: uploads checked by size, settings capped."""
from __future__ import annotations

import streamlit as st

from core.access.limits import Limits
from core.runs.backends.choice import check_settings
from dashboard.components import escape_md


def server_limits() -> Limits:
    """The limits in force; a malformed setting (core/settings.py), or more processes per run than GPUs, stops the
    page with a message rather than dropping the limit or failing later."""
    try:
        check_settings()
        return Limits.from_env()
    except ValueError as exc:
        st.error(f"{escape_md(exc)} The administrator needs to correct it and restart the app.")
        st.stop()


def upload_mb() -> int:
    """The largest upload in MB: the server's own limit, lowered by Streamlit's server.maxUploadSize."""
    streamlit_cap = int(st.get_option("server.maxUploadSize"))
    own = server_limits().upload_mb
    return min(own, streamlit_cap) if own else streamlit_cap


def too_big(upload) -> str | None:
    """Why an uploaded file is refused, or None. The browser refuses bigger files itself; this catches a file sent
    around it."""
    try:
        server_limits().check_upload(upload.size, upload_mb())
    except ValueError as exc:
        return str(exc)
    return None
