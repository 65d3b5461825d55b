"""The confusion matrix stays readable with many classes, and every cell can be clicked."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.charts import CURVE_POINTS, thinned, training_curves
from dashboard.report_charts import TICK_CHARS, confusion_matrix


def test_thirty_classes_keep_every_label_and_grow_the_chart():
    classes = [f"class number {i} with a rather long descriptive name" for i in range(30)]
    matrix = np.random.default_rng(0).integers(0, 20, size=(30, 30)).tolist()
    small = confusion_matrix(np.eye(3, dtype=int).tolist(), ["a", "b", "c"])
    fig = confusion_matrix(matrix, classes, "Share of each true class", selected=(classes[2], classes[5]))
    heatmap, cells = fig.data
    assert heatmap.texttemplate is None, "30 x 30 numbers would be unreadable; the hover shows them"
    assert small.data[0].texttemplate == "%{text}"
    assert fig.layout.height > small.layout.height
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert list(axis.tickvals) == list(range(30)), "every class keeps its tick"
        assert all(len(t) <= TICK_CHARS for t in axis.ticktext) and axis.ticktext[0].endswith("…")
    # One clickable marker per cell, carrying the full names; the selected cell is marked.
    assert len(cells.customdata) == 900 and cells.customdata[2 * 30 + 5][:2] == [classes[2], classes[5]]
    assert list(cells.selectedpoints) == [2 * 30 + 5]
    np.testing.assert_allclose(np.asarray(heatmap.z).sum(axis=1)[np.asarray(matrix).sum(axis=1) > 0], 1.0)


def test_long_training_curves_are_thinned_to_means_of_consecutive_points():
    n = 5 * CURVE_POINTS + 3
    loss = pd.DataFrame({"id": range(n), "step": range(1, n + 1), "epoch": np.arange(1, n + 1) / 100, "split": "train",
                         "name": "loss", "value": np.linspace(2.0, 0.0, n), "time": 0.0})
    drawn = thinned(loss)
    assert len(drawn) == CURVE_POINTS
    assert drawn["value"].mean() == pytest.approx(loss["value"].mean(), rel=1e-3)
    assert drawn["epoch"].is_monotonic_increasing and drawn["value"].is_monotonic_decreasing
    assert len(training_curves(loss).data[0].x) == CURVE_POINTS
    assert thinned(loss.head(10)).equals(loss.head(10))
