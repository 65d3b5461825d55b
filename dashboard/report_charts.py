"""Plotly figures of a run's test report: confusion matrix, ROC, precision-recall, reliability, and the
comparisons of several runs. Labels come from the user's data: they go into hover text as values, never into
titles as markup, and always through `literal`."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.evaluation.report_records import Calibration, ClassCurves, LengthSlice, ThresholdSweep
from dashboard.charts import LAYOUT, literal

NORMALIZATIONS = {"Counts": None, "Share of each true class": 1, "Share of each predicted class": 0}
TICK_CHARS = 24  # longer class names are cut on the axes; the hover shows them whole


def _tick(label: str) -> str:
    return label if len(label) <= TICK_CHARS else label[: TICK_CHARS - 1] + "…"


def confusion_matrix(matrix: Sequence[Sequence[int]], classes: Sequence[str], normalize: str = "Counts",
                     selected: tuple[str, str] | None = None,
                     axes: tuple[str, str] = ("true class", "predicted class")) -> go.Figure:
    """Rows are the true class, columns the predicted one (`axes` names them otherwise). Shares divide by each row
    (true class) or each column (predicted class). An invisible marker sits on every cell: heatmaps send no click
    events, markers do, so a click selects that cell's (true, predicted) pair."""
    counts = np.asarray(matrix, dtype=float)
    axis = NORMALIZATIONS[normalize]
    if axis is None:
        z, text = counts, [[f"{int(v):,}" for v in row] for row in counts]
    else:
        totals = counts.sum(axis=axis, keepdims=True)
        z = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        text = [[f"{v:.0%}" for v in row] for row in z]
    labels = [str(c) for c in classes]
    n = len(labels)
    ticks = [literal(_tick(label)) for label in labels]
    height = max(380, min(1100, 150 + 30 * n))
    fig = go.Figure(go.Heatmap(z=z, x=list(range(n)), y=list(range(n)), text=text,
                               texttemplate="%{text}" if n <= 20 else None, colorscale="Blues", hoverinfo="skip",
                               colorbar=dict(title="share" if axis is not None else "texts", thickness=12)))
    true_index, predicted_index = np.meshgrid(range(n), range(n), indexing="ij")
    cell = (height - 150) / max(n, 1)
    share = z if axis is not None else None
    fig.add_trace(go.Scatter(
        x=predicted_index.ravel(), y=true_index.ravel(), mode="markers", showlegend=False,
        marker=dict(symbol="square", size=max(6.0, 0.9 * cell), color="#E45756", opacity=0.01),
        selected=dict(marker=dict(opacity=0.35)), unselected=dict(marker=dict(opacity=0.01)),
        customdata=[[literal(labels[t]), literal(labels[p]), int(counts[t, p]),
                     f"{share[t, p]:.1%}" if share is not None else ""]
                    for t, p in zip(true_index.ravel(), predicted_index.ravel())],
        hovertemplate=f"{axes[0].split()[0]}: %{{customdata[0]}}<br>{axes[1].split()[0]}: %{{customdata[1]}}<br>"
                      "%{customdata[2]:,} texts %{customdata[3]}<br>click to list them<extra></extra>",
        selectedpoints=[labels.index(selected[0]) * n + labels.index(selected[1])]
        if selected and selected[0] in labels and selected[1] in labels else None,
    ))
    fig.update_layout(height=height, **{**LAYOUT, "margin": dict(l=10, r=10, t=20, b=10)},
                      clickmode="event+select", dragmode=False)
    fig.update_xaxes(title_text=axes[1], tickmode="array", tickvals=list(range(n)), ticktext=ticks,
                     tickangle=-45 if n > 6 else 0, tickfont=dict(size=11 if n <= 20 else 9), showgrid=False,
                     zeroline=False, range=[-0.5, n - 0.5])
    fig.update_yaxes(title_text=axes[0], tickmode="array", tickvals=list(range(n)), ticktext=ticks,
                     range=[n - 0.5, -0.5], tickfont=dict(size=11 if n <= 20 else 9), showgrid=False, zeroline=False)
    return fig


def one_vs_rest(curves: Sequence[ClassCurves], kind: str) -> go.Figure:
    """ROC (`kind='roc'`) or precision-recall (`kind='pr'`) curves, one per class, with each area in the legend."""
    fig = go.Figure()
    for curve in curves:
        if kind == "roc":
            x, y, name = curve.fpr, curve.tpr, f"{literal(curve.class_name)} (AUC {curve.roc_auc:.3f})"
        else:
            x, y = curve.recall, curve.precision
            name = f"{literal(curve.class_name)} (AP {curve.average_precision:.3f})"
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, meta=[literal(curve.class_name)],
                                 hovertemplate="%{meta[0]}<br>%{x:.3f}, %{y:.3f}<extra></extra>"))
    if kind == "roc":
        fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="guessing", hoverinfo="skip",
                                 line=dict(dash="dot", color="grey")))
        fig.update_layout(title="ROC curve", xaxis_title="false positive rate", yaxis_title="true positive rate (recall)")
    else:
        fig.update_layout(title="Precision-recall curve", xaxis_title="recall", yaxis_title="precision")
    fig.update_xaxes(range=[0, 1.01])
    fig.update_yaxes(range=[0, 1.02])
    fig.update_layout(height=420, legend=dict(orientation="v"), **LAYOUT)
    return fig


def reliability(calibration: Calibration) -> go.Figure:
    """Accuracy against confidence per bin; points on the diagonal mean the model is as sure as it is right."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated", hoverinfo="skip",
                             line=dict(dash="dot", color="grey")))
    fig.add_trace(go.Scatter(x=calibration.confidence, y=calibration.accuracy, mode="lines+markers",
                             name="this model", customdata=calibration.count,
                             marker=dict(size=[6 + 14 * np.sqrt(c / max(calibration.count))
                                               for c in calibration.count]),
                             hovertemplate="sure: %{x:.1%}<br>right: %{y:.1%}<br>%{customdata:,} texts<extra></extra>"))
    fig.update_layout(title=f"Reliability (expected calibration error {calibration.ece:.3f})",
                      xaxis_title="how sure the model says it is", yaxis_title="how often it is right",
                      height=420, **LAYOUT)
    fig.update_xaxes(range=[0, 1.01], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return fig


def length_slices(slices: Sequence[LengthSlice]) -> go.Figure:
    table = pd.DataFrame([s.to_dict() for s in slices])
    fig = go.Figure(go.Bar(x=table["slice"], y=table["accuracy"], customdata=table[["n", "macro_f1"]],
                           text=[f"{v:.0%}" for v in table["accuracy"]], textposition="auto",
                           hovertemplate="%{x}<br>accuracy %{y:.1%}<br>macro-F1 %{customdata[1]:.3f}<br>"
                                         "%{customdata[0]:,} texts<extra></extra>"))
    fig.update_layout(title="Accuracy by text length", xaxis_title="text length", yaxis_title="accuracy",
                      height=320, **LAYOUT)
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return fig


def per_class_pair(table: pd.DataFrame, name_a: str, name_b: str) -> go.Figure:
    """Each class's F1 in two runs, side by side."""
    fig = go.Figure()
    for column, name in (("f1_a", name_a), ("f1_b", name_b)):
        fig.add_trace(go.Bar(y=table["class"].map(literal), x=table[column], name=literal(name), orientation="h",
                             hovertemplate="%{y}: F1 %{x:.3f}<extra></extra>"))
    fig.update_layout(barmode="group", title="F1 per class", height=max(320, 60 + 36 * len(table)),
                      xaxis=dict(range=[0, 1.02], title="F1"), legend=dict(orientation="h", y=-0.15), **LAYOUT)
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def overlaid_curves(metrics: dict[str, pd.DataFrame], name: str, title: str) -> go.Figure:
    """One validation metric of several runs against the epoch, a line per run."""
    fig = go.Figure()
    for run_name, frame in metrics.items():
        part = frame[(frame["split"] == "val") & (frame["name"] == name)] if len(frame) else frame
        if len(part):
            fig.add_trace(go.Scatter(x=part["epoch"], y=part["value"], mode="lines+markers", name=literal(run_name),
                                     meta=[literal(run_name)], hovertemplate="%{meta[0]}<br>epoch %{x:.2f}: %{y:.4f}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="epoch", height=360, legend=dict(orientation="h", y=-0.25), **LAYOUT)
    return fig


def threshold_curve(sweep: ThresholdSweep, threshold: float) -> go.Figure:
    """Precision, recall and F1 of the positive class at every threshold, with the chosen one marked."""
    tp, fp, fn = (np.asarray(counts, dtype=float) for counts in (sweep.tp, sweep.fp, sweep.fn))
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(tp), where=precision + recall > 0)
    fig = go.Figure()
    for values, name in ((precision, "precision"), (recall, "recall"), (f1, "F1")):
        fig.add_trace(go.Scatter(x=sweep.threshold, y=values, mode="lines", name=name,
                                 hovertemplate=f"{name} %{{y:.1%}} at %{{x:.2f}}<extra></extra>"))
    fig.add_vline(x=threshold, line_color="#E45756", line_dash="dash")
    fig.update_layout(title="Scores at each threshold", xaxis_title="threshold", height=380,
                      legend=dict(orientation="h", y=-0.25), **LAYOUT)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return fig
