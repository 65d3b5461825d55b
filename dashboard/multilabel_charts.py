"""Plotly figures of a multi-label run's test report: each label's 2x2 confusion matrix, and the missed-or-added
matrix. Labels come from the user's data and always go through `literal`."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.evaluation.multilabel_records import NOTHING
from dashboard.charts import LAYOUT, literal
from dashboard.report_charts import confusion_matrix

GRID_COLUMNS = 4
CELL_NAMES = [["right without it", "added wrongly"], ["missed", "right with it"]]


def label_confusions(classes: Sequence[str], matrices: Sequence[Sequence[Sequence[int]]]) -> go.Figure:
    """One small 2x2 matrix per label, in a grid: rows whether a text has the label, columns whether the model
    gave it; [[tn, fp], [fn, tp]] as scikit-learn's multilabel_confusion_matrix counts them."""
    columns = min(GRID_COLUMNS, max(len(classes), 1))
    rows = max(1, math.ceil(len(classes) / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=[literal(c) for c in classes],
                        horizontal_spacing=0.06, vertical_spacing=min(0.12, 0.6 / rows))
    for i, (name, matrix) in enumerate(zip(classes, matrices)):
        counts = np.asarray(matrix, dtype=float)
        fig.add_trace(go.Heatmap(
            z=counts, x=["not given", "given"], y=["hasn't it", "has it"], colorscale="Blues", showscale=False,
            text=[[f"{int(v):,}" for v in row] for row in counts], texttemplate="%{text}",
            customdata=CELL_NAMES, meta=[literal(name)],
            hovertemplate="%{meta[0]}: %{customdata}<br>%{text} texts<extra></extra>",
        ), row=i // columns + 1, col=i % columns + 1)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=60 + 200 * rows, **{**LAYOUT, "margin": dict(l=10, r=10, t=40, b=10)})
    return fig


def missed_added(matrix: Sequence[Sequence[int]], classes: Sequence[str],
                 selected: tuple[str, str] | None = None) -> go.Figure:
    """The missed-or-added matrix (see core.evaluation.multilabel_report.missed_added), clickable like the
    confusion matrix. Its last cell, the texts with every label right, keeps its count but no colour: it would
    outshine every mistake."""
    fig = confusion_matrix(matrix, [*classes, NOTHING], "Counts", selected, axes=("missed label", "added label"))
    z = np.asarray(fig.data[0].z, dtype=float)
    z[-1, -1] = np.nan
    fig.data[0].z = z
    return fig
