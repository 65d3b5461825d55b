"""Plotly figure builders. Each keeps `uirevision` so a live update does not reset the user's zoom."""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.wording import percent


def literal(value: object) -> str:
    """A user's text as plotly must be given it to show it as written: plotly reads tags such as <b>, <br> and
    <a href> and entities in every tick, legend and hover label, so the text's own brackets and ampersands go in as
    entities."""
    return html.escape(str(value), quote=False)


LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), uirevision="keep")
CURVE_POINTS = 1000  # most points drawn of one training curve


def thinned(points: pd.DataFrame, most: int = CURVE_POINTS) -> pd.DataFrame:
    """At most `most` points, each the mean of a run of consecutive ones: an hour of training logs thousands,
    which every watching browser would receive every second."""
    if len(points) <= most:
        return points
    runs = np.arange(len(points)) * most // len(points)
    return points[["epoch", "value"]].groupby(runs).mean()


def training_curves(metrics: pd.DataFrame) -> go.Figure:
    """Loss (training and validation) on the left; validation accuracy and macro-F1 on the right."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (lower is better)", "Validation scores (higher is better)"))
    series = [("train", "loss", 1, "training loss"), ("val", "loss", 1, "validation loss"),
              ("val", "accuracy", 2, "validation accuracy"), ("val", "macro_f1", 2, "validation macro-F1")]
    for split, name, col, title in series:
        part = metrics[(metrics["split"] == split) & (metrics["name"] == name)] if len(metrics) else metrics
        part = thinned(part)
        if len(part):
            mode = "lines" if split == "train" and len(part) > 1 else "lines+markers"
            fig.add_trace(go.Scatter(x=part["epoch"], y=part["value"], mode=mode, name=title,
                                     hovertemplate=f"{title}: %{{y:.4f}}<br>epoch %{{x:.2f}}<extra></extra>"), row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_layout(height=360, legend=dict(orientation="h", y=-0.25), **LAYOUT)
    return fig


def probabilities(classes: Sequence[str], values: Sequence[float]) -> go.Figure:
    order = np.argsort(values)
    fig = go.Figure(go.Bar(x=np.asarray(values)[order], y=[literal(classes[i]) for i in order], orientation="h",
                           text=[percent(values[i]) for i in order], textposition="auto",
                           hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.update_layout(title="Probability of each class", height=max(220, 40 + 30 * len(classes)),
                      xaxis=dict(range=[0, 1], tickformat=".0%"), **LAYOUT)
    fig.update_yaxes(type="category")
    return fig


def token_lengths(lengths: Sequence[int], max_length: int) -> go.Figure:
    """How many tokens the training texts have, with the cut at `max_length` marked."""
    fig = go.Figure(go.Histogram(x=list(lengths), nbinsx=60, marker_color="#4C78A8",
                                 hovertemplate="%{x} tokens: %{y:,} texts<extra></extra>"))
    fig.add_vline(x=max_length, line_color="#E45756", line_dash="dash",
                  annotation_text=f"max length {max_length}", annotation_position="top right")
    fig.update_layout(title="Tokens per training text", xaxis_title="tokens", yaxis_title="texts", height=260,
                      bargap=0.05, **LAYOUT)
    return fig


def learning_curve(points: pd.DataFrame) -> go.Figure:
    """The Label page's quick model: accuracy on the check set against the labels spent so far."""
    fig = go.Figure(go.Scatter(x=points["labels"], y=points["accuracy"], mode="lines+markers",
                               customdata=points["checked_on"],
                               hovertemplate="%{y:.1%} of %{customdata} check texts right<br>after %{x} labels"
                                             "<extra></extra>"))
    fig.update_layout(title="Accuracy on the check set", xaxis_title="labels given", height=300,
                      yaxis=dict(range=[0, 1.02], tickformat=".0%"), **LAYOUT)
    return fig
