"""The quality report on the Data page: each finding in plain words, the rows it is about, and its one-click fix."""
from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd
import streamlit as st

from core.data.quality import Finding
from dashboard.components import escape_md

SHOWN_ROWS = 200
BOXES = {"error": st.error, "warning": st.warning, "info": st.info}


def findings(found: Sequence[Finding], table: pd.DataFrame, on_fix: Callable[[str], None]) -> None:
    """Errors first; a fix offered by two findings (empty text, missing label) gets one button."""
    offered: set[str] = set()
    for finding in sorted(found, key=lambda f: list(BOXES).index(f.level)):
        BOXES[finding.level](escape_md(finding.message))
        left, right = st.columns([2, 3])
        if finding.fix and finding.fix not in offered:
            offered.add(finding.fix)
            left.button(finding.fix_label, key=f"fix.{finding.fix}", on_click=on_fix, args=(finding.fix,))
        if finding.rows:
            with right.expander(f"See the rows ({min(len(finding.rows), SHOWN_ROWS):,} shown)"):
                st.dataframe(table.loc[finding.rows[:SHOWN_ROWS]], key=f"rows.{finding.kind}")


def applied(messages: Sequence[str], on_undo: Callable[[], None]) -> None:
    """What the fixes changed so far, and the way back to the table as read."""
    if not messages:
        return
    with st.container(border=True):
        st.markdown("**Fixes applied** (to this draft only; your file is unchanged)")
        for message in messages:
            st.markdown(f"- {escape_md(message)}")
        st.button("Undo all fixes", key="fix.undo", on_click=on_undo)
