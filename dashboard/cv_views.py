"""The Results page's view of a run's cross-validation: each headline score as its mean and spread across the folds,
said so that someone who never heard of folds can read it."""
from __future__ import annotations

from typing import Any, Mapping

import streamlit as st

from core.evaluation.cross_validation import headline
from dashboard.components import escape_md


def summary(cv: Mapping[str, Any] | None, multilabel: bool) -> None:
    """'Cross-validation, 5 folds: accuracy 0.979 ± 0.004, …' and what the folds and the spread mean; nothing for a
    run trained without cross-validation."""
    if not cv:
        return
    st.info(f"**{escape_md(headline(cv, multilabel))}**", icon=":material/stacks:")
    st.caption(f"Besides the model you keep, {cv['folds']} more were trained with the same settings, each on all the "
               "training and validation texts but one share of them, and scored on that share. The number after ± "
               "is how far their scores spread (one standard deviation): a small spread means the score does not "
               "hang on which texts happened to be held out; a large one means it could be that much higher or "
               "lower on other texts.")
