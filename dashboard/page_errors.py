"""A page that fails says so in one plain sentence, with what to do; its traceback goes to the server's log only,
since it holds the server's paths and code."""
from __future__ import annotations

import logging
import secrets

import streamlit as st

log = logging.getLogger("classifier_studio.pages")
if not log.handlers:  # once per server process: the app's script runs again on every click
    _console = logging.StreamHandler()
    _console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_console)


def page_failed(page: str) -> None:
    """Log the exception being handled, with a reference that the message in the browser quotes."""
    reference = secrets.token_hex(4)
    log.exception("The page %s failed (reference %s).", page, reference)
    st.error(f"Something went wrong on this page, so it stopped. Reload the page to try again. If it happens again, "
             f"tell whoever runs this server and give them the reference **{reference}**: the details are in the "
             "server's log.")
