"""One text's prediction by a model that chooses any number of labels: every label's probability against its
threshold, the chosen ones marked, and a plain sentence when none was chosen."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.wording import percent
from dashboard.charts import LAYOUT, literal
from dashboard.components import escape_md

CHOSEN, BELOW = "#4C78A8", "#BAB0AC"
TICK = "#E45756"
NO_LABEL = "No label reached its threshold"


def thresholds_chart(table: pd.DataFrame) -> go.Figure:
    """A bar per label (`label_table`'s rows: label, probability, threshold, chosen), coloured by whether it was
    chosen, with its threshold marked by a tick across the bar."""
    table = table.iloc[::-1]  # plotly draws the first bar at the bottom; the most probable goes on top
    names = [literal(label) for label in table["label"]]
    fig = go.Figure()
    for chosen, colour, legend in ((True, CHOSEN, "chosen"), (False, BELOW, "below its threshold")):
        rows = table["chosen"] == chosen
        shares = table.loc[rows, "probability"].tolist()
        fig.add_trace(go.Bar(x=shares, y=[n for n, r in zip(names, rows) if r], orientation="h", name=legend,
                             marker_color=colour, text=[percent(p) for p in shares], textposition="auto",
                             hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=table["threshold"].tolist(), y=names, mode="markers", name="threshold",
                             marker=dict(symbol="line-ns", size=22, line=dict(width=3, color=TICK)),
                             customdata=[percent(t) for t in table["threshold"]],
                             hovertemplate="%{y} needs %{customdata}<extra></extra>"))
    fig.update_layout(title="Probability of each label, and the threshold it needs", barmode="overlay",
                      height=max(220, 60 + 30 * len(table)), xaxis=dict(range=[0, 1], tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.15), **LAYOUT)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names)
    return fig


# The most characters of chosen labels the figure shows whole; more are cut there, and listed in full below it.
WHOLE_IN_FIGURE = 40


def show(table: pd.DataFrame, at_least_one: bool, chart_key: str) -> None:
    """The chosen labels, or that none was chosen, then every label's probability against its threshold."""
    chosen = table.loc[table["chosen"], "label"].tolist()
    st.metric("Predicted labels", escape_md(", ".join(chosen)) if chosen else "None",
              help="Every label whose probability reached its threshold; a text can have several, or none."
                   + (" This model always gives at least its most probable label." if at_least_one else ""))
    if len(", ".join(chosen)) > WHOLE_IN_FIGURE:
        st.markdown(f"All {len(chosen)}: " + escape_md(", ".join(chosen)))
    if not chosen:
        st.info(f"{NO_LABEL}: the model does not find any of its labels in this text. The most probable was "
                f"{escape_md(table['label'].iloc[0])} at {percent(table['probability'].iloc[0])}, which needs "
                f"{percent(table['threshold'].iloc[0])}.")
    st.plotly_chart(thresholds_chart(table), key=chart_key)
    st.caption("Each label is judged on its own, so the probabilities need not add up to 100%. A label is chosen when "
               "its bar reaches its threshold's tick.")
