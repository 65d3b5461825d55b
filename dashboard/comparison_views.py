"""The Compare page's views: the verdict on which model to take with its statistics one click below, the
leaderboard, and two runs side by side."""
from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from core.evaluation.intervals import Comparison
from core.evaluation.recommendation import Recommendation, how_often, per_text, size, train_time
from dashboard.components import escape_md

STANDING = {"best": "🏆 best", "tied": "tied for best", "": ""}
HOW_WE_DECIDE = (
    "**How the verdict is made.** Every model is scored on the same test texts, which none of them saw in training. "
    "The top scorer is compared with each other model text by text: the test texts are drawn again at random "
    "1,000 times and the gap in macro-F1 is measured on each draw. When 95 in 100 of those gaps lie above zero "
    "(the 95% interval leaves out zero), the top scorer is better by more than chance; otherwise the two are as "
    "good as each other on this data, and the cheaper one is the better buy: faster per text, quicker to train, "
    "smaller (each counts the same, in proportion).\n\n"
    "**McNemar's test** looks only at the texts that one model gets right and the other wrong. If the two models "
    "were equally good, those texts would split about evenly between them; the p-value is how often a split at "
    "least this uneven would happen by chance. Below 0.05 is usually read as a real difference. In the table, the "
    "brackets after it hold the texts only the top scorer gets right vs only the other model.")


def _each(values: pd.Series, shown: Callable[[float | None], str]) -> list[str]:
    return [shown(None if pd.isna(value) else value) for value in values]


def verdict(recommendation: Recommendation) -> None:
    """The plain verdict first, the runs that could not be compared, and the statistics behind it in an expander."""
    st.success(f"**{escape_md(recommendation.headline())}** {escape_md(recommendation.reason())}")
    for reason in dict.fromkeys(recommendation.unknown.values()):
        st.warning(escape_md(reason))
    with st.expander("The statistics behind this verdict"):
        st.markdown(HOW_WE_DECIDE)
        _statistics(recommendation)


def _macro_f1_gap(comparison: Comparison) -> str:
    """'+0.016 (-0.002 to +0.035)': the gap and its 95% interval."""
    low, high = comparison.macro_f1_interval
    return f"{comparison.macro_f1_difference:+.3f} ({low:+.3f} to {high:+.3f})"


def _statistics(recommendation: Recommendation) -> None:
    """The top scorer against each other compared run: the gaps, the texts only one gets right, McNemar's test."""
    best = recommendation.best
    rows = [(other, recommendation.versus_best[other.run]) for other in (*recommendation.tied, *recommendation.beaten)]
    if not rows:
        return
    text = st.column_config.TextColumn
    st.dataframe(pd.DataFrame({
        "Model": [other.name for other, _ in rows],
        "Macro-F1 gap": [_macro_f1_gap(c) for _, c in rows],
        "Accuracy gap": [f"{c.accuracy_difference:+.1%}" for _, c in rows],
        "McNemar p": [f"{c.mcnemar_p:.3g} ({c.only_a_right:,} vs {c.only_b_right:,})" for _, c in rows],
        "Beyond chance": ["yes" if c.macro_f1_interval[0] > 0 else "no" for _, c in rows],
    }), hide_index=True, key="verdict_statistics", column_config={
        "Model": text(width=320),
        "Macro-F1 gap": text(width=160, help=f"{best.name} minus this model; in brackets, the 95% interval of the "
                                             "gap over 1,000 redraws of the test texts."),
        "Accuracy gap": text(width=90, help=f"{best.name} minus this model."),
        "McNemar p": text(width=112, help="How often two equally good models would split the texts only one gets "
                                          "right at least this unevenly; below 0.05 is usually read as a real "
                                          f"difference. In brackets: the texts only {best.name} gets right vs only "
                                          "this model."),
        "Beyond chance": text(width=100, help=f"Whether {best.name} is better by more than chance: the interval of "
                                             "the macro-F1 gap leaves out zero."),
    })
    st.caption(f"Each row: the top scorer, {escape_md(best.name)}, against that model on the test texts both scored.")


def leaderboard_table(board: pd.DataFrame, recommendation: Recommendation | None, several: bool = False) -> None:
    """Best macro-F1 first, with its 95% interval in the same cell; a trophy only for a lead beyond chance. Fixed
    column widths keep every column and whole model names in view on a 1,280-pixel screen. With `several` labels
    per text, accuracy is the share of texts with every label right, and says so."""
    right = "Every label right" if several else "Accuracy"
    standing = [recommendation.standing(int(run)) if recommendation else "" for run in board["run"]]
    shown = pd.DataFrame({
        "Standing": [STANDING[s] for s in standing],
        "Model": [f"#{run} {model}" for run, model in zip(board["run"], board["model"])],
        "Macro-F1": [f"{f1:.3f}" if pd.isna(low) else f"{f1:.3f} ({low:.2f}–{high:.2f})"
                     for f1, low, high in zip(board["macro_f1"], board["macro_f1_low"], board["macro_f1_high"])],
        right: [f"{accuracy:.1%}" for accuracy in board["accuracy"]],
        "Training": _each(board["train_seconds"], train_time),
        "Per text": _each(board["latency_ms"], per_text),
        "Size": _each(board["model_bytes"], size),
    })
    crossed = board["cv_macro_f1"].notna().any()
    if crossed:
        shown["Cross-validated"] = ["" if pd.isna(mean) else f"{mean:.3f} ± {spread:.3f}"
                                    for mean, spread in zip(board["cv_macro_f1"], board["cv_macro_f1_spread"])]
    text = st.column_config.TextColumn
    # Widths in pixels add up to what a 1,280-pixel screen leaves beside the sidebar; the Model column holds the
    # longest title, "#12 Sentence embeddings + logistic regression".
    st.dataframe(shown, hide_index=True, key="leaderboard", column_config={
        "Standing": text(width=96, help="🏆 best: ahead of every other model by more than chance. Tied for best: "
                                         "the top scorer is not better than it by more than chance."),
        "Model": text(width=290, help="The run's number and its model."),
        "Macro-F1": text(width=120, help="Every class counts the same; 1 is perfect. In brackets: where the score "
                                         "would land 95 times in 100 on another test set of this size."),
        right: text(width=64, help="The share of test texts given exactly their labels, none missing and none "
                                   "extra." if several else "The share of test texts the model gets right."),
        "Training": text(width=82, help="How long training took."),
        "Per text": text(width=64, help="Median time to classify one text on its own, measured on the server."),
        "Size": text(width=64, help="The saved model on disk."),
        **({"Cross-validated": text(width=100, help="Macro-F1 of the run's cross-validation: the mean over its "
                                    "folds ± how far they spread. Blank: trained without cross-validation.")}
           if crossed else {}),
    })


def pair_verdict(result: Comparison, recommendation: Recommendation) -> None:
    """Two runs: the plain verdict, then the differences and McNemar's test in an expander. For multi-label runs
    micro-F1 joins them, and a text counts as right when every one of its labels is."""
    st.success(f"**{escape_md(recommendation.headline())}** {escape_md(recommendation.reason())}")
    several = result.micro_f1_interval is not None
    with st.expander("The statistics of A against B"):
        columns = st.columns(4 if several else 3)
        if several:
            low, high = result.micro_f1_interval
            columns[-1].metric("Micro-F1, A minus B", f"{result.micro_f1_difference:+.3f}", border=True,
                               help=f"Every label decision pooled. 95% paired bootstrap interval {low:+.3f} to "
                                    f"{high:+.3f}.")
        a, b, c = columns[:3]
        a.metric("Macro-F1, A minus B", f"{result.macro_f1_difference:+.3f}", border=True,
                 help=f"95% paired bootstrap interval {result.macro_f1_interval[0]:+.3f} to "
                      f"{result.macro_f1_interval[1]:+.3f} over {result.n:,} shared test texts.")
        b.metric("Every label right, A minus B" if several else "Accuracy, A minus B",
                 f"{result.accuracy_difference:+.1%}", border=True,
                 help=f"95% paired bootstrap interval {result.accuracy_interval[0]:+.1%} to "
                      f"{result.accuracy_interval[1]:+.1%}.")
        c.metric("McNemar p", f"{result.mcnemar_p:.3g}", border=True,
                 help="How often two equally good models would split the texts only one gets right at least this "
                      "unevenly. Below 0.05 is usually read as a real difference.")
        right = "gets every label right" if several else "is right"
        st.caption(f"Only A {right} on {result.only_a_right:,} texts and only B on {result.only_b_right:,}; the "
                   f"rest both get right or both get wrong. If A and B were equally good, a split at least this "
                   f"uneven would happen {how_often(result.mcnemar_p)} by chance.")
