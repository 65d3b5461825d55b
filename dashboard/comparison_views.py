"""The Compare page's views: the leaderboard table and the verdict on two runs."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.intervals import Comparison
from core.wording import duration


def _span(low: float | None, high: float | None, percent: bool) -> str:
    if low is None or pd.isna(low):
        return "—"
    return f"{low:.1%} – {high:.1%}" if percent else f"{low:.3f} – {high:.3f}"


def leaderboard_table(board: pd.DataFrame) -> None:
    """Best macro-F1 first, each score with its 95% interval; the best run marked."""
    shown = pd.DataFrame({
        "": ["🏆 best" if i == 0 else "" for i in range(len(board))],
        "Run": [f"#{r}" for r in board["run"]],
        "Model": board["model"],
        "Macro-F1": board["macro_f1"],
        "Macro-F1 95% interval": [_span(lo, hi, False) for lo, hi in zip(board["macro_f1_low"], board["macro_f1_high"])],
        "Accuracy": board["accuracy"],
        "Accuracy 95% interval": [_span(lo, hi, True) for lo, hi in zip(board["accuracy_low"], board["accuracy_high"])],
        "Training time": [duration(s) for s in board["train_seconds"]],
        "Model size (MB)": board["model_mb"],
        "Time per text (ms)": board["latency_ms"],
    })
    st.dataframe(shown, hide_index=True, key="leaderboard", column_config={
        "Macro-F1": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.3f",
                                                    help="Every class counts the same; 1 is perfect."),
        "Accuracy": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent"),
        "Model size (MB)": st.column_config.NumberColumn(format="%.1f", help="The saved model on disk."),
        "Time per text (ms)": st.column_config.NumberColumn(
            format="%.1f", help="Median time to classify one text on its own, measured on the server after training."),
    })
    st.caption("When two intervals overlap a lot, the runs may not really differ: compare them below to find out.")


def significance(result: Comparison, sentence: str) -> None:
    (st.success if result.significant else st.info)(sentence)
    a, b, c = st.columns(3)
    a.metric("Macro-F1, A minus B", f"{result.macro_f1_difference:+.3f}", border=True,
             help=f"95% paired bootstrap interval {result.macro_f1_interval[0]:+.3f} to "
                  f"{result.macro_f1_interval[1]:+.3f} over {result.n:,} shared test texts.")
    b.metric("Accuracy, A minus B", f"{result.accuracy_difference:+.1%}", border=True,
             help=f"95% paired bootstrap interval {result.accuracy_interval[0]:+.1%} to "
                  f"{result.accuracy_interval[1]:+.1%}.")
    c.metric("Chance of a gap this large", f"{result.mcnemar_p:.3g}", border=True,
             help="McNemar's exact test on the texts only one run gets right: how often two equally good models "
                  "would split them this unevenly. Below 0.05 is usually read as a real difference.")
    st.caption(f"Only A is right on {result.only_a_right:,} texts and only B on {result.only_b_right:,}; "
               "the rest both get right or both get wrong.")
