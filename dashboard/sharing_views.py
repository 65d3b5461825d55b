"""Whose a dataset or a run is, and the owner's switch to share it; shown only with sign-in on."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from core.access.ownership import Owned, can_change
from core.store.store import Store
from dashboard.components import escape_md


def whose(store: Store, item: Owned) -> str:
    """' · Shared by ada@example.com' (Markdown) for what is not the viewer's; '' with sign-in off or for their own."""
    if store.viewer is None or item.owner == store.viewer.id:
        return ""
    if item.owner is None:
        return " · Made before sign-in, seen by everyone"
    return f" · {'Shared by' if item.shared else 'Belongs to'} {escape_md(item.owner)}"


def ownership(store: Store, item: Owned, key: str, share: Callable[[bool], object], what: str) -> None:
    """Under a chosen item: whose it is, or the owner's switch."""
    if line := whose(store, item):
        st.caption(line.removeprefix(" · "))
    share_toggle(store, item, key, share, what)


def share_toggle(store: Store, item: Owned, key: str, share: Callable[[bool], object], what: str) -> None:
    """The owner's switch; others see nothing (`whose` says whose it is). `share(on)` stores the choice."""
    if store.viewer is None or not can_change(store.viewer, item) or item.owner is None:
        return
    st.toggle("Shared", value=item.shared, key=key, on_change=lambda: share(st.session_state[key]),
              help=f"Let everyone who signs in to this server see {what}. Only you can change or delete it.")
