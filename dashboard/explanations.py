"""The Predict page's word highlight: which words pushed the prediction, as coloured text and a bar chart.

The text is the user's, so it reaches HTML only through `html.escape`; the words on the chart's axis are runs of
letters and digits (`core.inference.attributions.words`), which carry no markup.
"""
from __future__ import annotations

import html
from collections import defaultdict
from typing import Callable

import plotly.graph_objects as go
import streamlit as st

from core.inference.attributions import Explanation
from dashboard.charts import LAYOUT, literal
from dashboard.components import escape_md

OCCLUSION = "Word removal (any model)"
GRADIENTS = "Gradients (this model)"
METHOD_HELP = (f"**{OCCLUSION}**: each word is taken out in turn and the text predicted again; the word's weight "
               "is how far the probability of the predicted class falls. Works for every model. "
               f"**{GRADIENTS}**: the model's own gradients say how strongly each word's vector moves the "
               "prediction; one pass, offered for the neural models that read words as tokens.")
AXIS_TITLES = {OCCLUSION: "fall in probability when the word is taken out", GRADIENTS: "gradient × input"}
LEFT_OUT = {OCCLUSION: "each word weighed takes one more prediction", GRADIENTS: "the model reads no further"}
GREEN, RED = "44, 160, 44", "214, 39, 40"
TOP_WORDS = 10


def _colour(weight: float, scale: float) -> str:
    # Capped below full strength so the text stays readable on the strongest words, in light and dark themes.
    return f"rgba({GREEN if weight > 0 else RED}, {0.6 * abs(weight) / scale:.2f})"


def highlight_html(text: str, explanation: Explanation) -> str:
    """The text with each weighed word on a background coloured by its weight; every piece of text escaped."""
    scale = max((abs(w.weight) for w in explanation.weights), default=0.0) or 1.0
    pieces, position = [], 0
    for w in explanation.weights:
        pieces.append(html.escape(text[position : w.start]))
        # No padding on the sides: Chinese characters, one word each, would drift apart.
        pieces.append(f'<span style="background-color: {_colour(w.weight, scale)}; border-radius: 0.2em; '
                      f'padding: 0.1em 0" title="{w.weight:+.4f}">{html.escape(w.word)}</span>')
        position = w.end
    pieces.append(html.escape(text[position:]))
    return f'<div style="line-height: 1.8; white-space: pre-wrap">{"".join(pieces)}</div>'


def top_words(explanation: Explanation, axis_title: str, k: int = TOP_WORDS) -> go.Figure:
    """The `k` words with the largest weights either way, a word that occurs more than once with its weights summed;
    words of no weight are left out."""
    totals: dict[str, float] = defaultdict(float)
    for w in explanation.weights:
        totals[w.word] += w.weight
    top = sorted((item for item in totals.items() if item[1]), key=lambda item: abs(item[1]), reverse=True)[:k][::-1]
    fig = go.Figure(go.Bar(x=[weight for _, weight in top], y=[literal(word) for word, _ in top], orientation="h",
                           marker_color=[f"rgb({GREEN if weight > 0 else RED})" for _, weight in top],
                           hovertemplate="%{y}: %{x:+.4f}<extra></extra>"))
    fig.update_layout(title="The words that mattered most", xaxis_title=axis_title, height=max(200, 60 + 28 * len(top)),
                      **LAYOUT)
    fig.update_yaxes(type="category")
    return fig


def show(text: str, explain: Callable[[str], Explanation | None]) -> None:
    """The method switch, the highlighted text with what its colours mean, and the top words; `explain(method)`
    gives the explanation by OCCLUSION or GRADIENTS (None where the model has no gradients)."""
    methods = [OCCLUSION] + ([GRADIENTS] if explain(GRADIENTS) is not None else [])
    method = st.segmented_control("How the words are weighed", methods, default=OCCLUSION, required=True,
                                  key="predict.method", help=METHOD_HELP)
    explanation = explain(method)
    if not any(w.weight for w in explanation.weights):
        st.info("No single word moves this prediction: the model may not know these words.")
        return
    st.html(highlight_html(text, explanation))
    st.caption(f"Green words pushed the model towards **{escape_md(explanation.target)}**, red ones away from it; "
               "the stronger the colour, the stronger the push.")
    if explanation.words_left_out:
        st.caption(f"Only the first {len(explanation.weights):,} words were weighed ({LEFT_OUT[method]}); the last "
                   f"{explanation.words_left_out:,} are left plain.")
    st.plotly_chart(top_words(explanation, AXIS_TITLES[method]), key="predict.top_words")
