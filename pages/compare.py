import pandas as pd
import streamlit as st

from core.evaluation.comparison import arch_title, candidates, compare_runs, leaderboard, weigh
from core.evaluation.recommendation import Recommendation, judge_pair
from dashboard import navigation
from dashboard.comparison_views import leaderboard_table, pair_verdict, verdict
from dashboard.components import dataset_label, escape_md, run_not_offered
from dashboard.report_charts import overlaid_curves, per_class_pair
from dashboard.state import DATASET, RUN, current, get_store
from dashboard.url_ids import parse_id


# A finished run's predictions never change, so one verdict per leaderboard (its runs and their finishing times).
@st.cache_data(max_entries=16, show_spinner="Comparing the models on their test texts…")
def weighed(board: pd.DataFrame) -> Recommendation:
    return weigh(get_store(), board)


st.title("Compare runs")
st.write("Every model trained on one dataset, scored on the same test texts: which to take, and why.")
store = get_store()
finished = store.runs_with_model()
datasets = {d.id: d for d in store.list_datasets() if any(r.dataset_id == d.id for r in finished)}
if not datasets:
    st.info("No model has finished training yet.")
    navigation.link(navigation.TRAIN, "Train a model")
    st.stop()
runs_by_id = {r.id: r for r in finished}
# A shared link's run (?run=), else the run last looked at, decides which dataset opens.
asked = st.query_params.get("run", "")
focus = parse_id(asked) or current(RUN)
if asked.strip() and parse_id(asked) not in runs_by_id:
    st.warning(run_not_offered(store, asked, " Below: the models of one of your datasets; choose another in the "
                                             "Dataset list."))
    st.query_params.pop("run")  # said once: the page's next run shows what is chosen, not the link's miss
preferred = runs_by_id[focus].dataset_id if focus in runs_by_id else current(DATASET)
ids = list(datasets)
dataset_id = st.selectbox("Dataset", ids, index=ids.index(preferred) if preferred in ids else 0,
                          format_func=lambda i: dataset_label(datasets[i]), key="compare.dataset")
board = leaderboard(store, dataset_id)
if len(board) < 2:
    st.info("Only one model has finished on this dataset. Train another (a different model or settings) to compare.")
    navigation.link(navigation.TRAIN, "Train another model")
    st.subheader("Leaderboard")
    leaderboard_table(board, None, datasets[dataset_id].multilabel)
    st.stop()
recommendation = weighed(board)
verdict(recommendation)
st.subheader("Leaderboard")
leaderboard_table(board, recommendation, datasets[dataset_id].multilabel)

names = {int(row.run): f"#{row.run} · {row.model}" for row in board.itertuples()}
st.subheader("Training curves")
chosen = st.multiselect("Runs to draw", list(names), default=list(names)[:6], format_func=names.get,
                        key=f"compare.curves.{dataset_id}")
metrics = {names[i]: pd.DataFrame(store.metrics_since(i)) for i in chosen}
left, right = st.columns(2)
left.plotly_chart(overlaid_curves(metrics, "macro_f1", "Validation macro-F1 (higher is better)"), key="compare_f1")
right.plotly_chart(overlaid_curves(metrics, "loss", "Validation loss (lower is better)"), key="compare_loss")
st.caption("Models that train in one step (TF-IDF, sentence embeddings) show a single point.")

st.subheader("Two runs, class by class")
left, right = st.columns(2)
a = left.selectbox("Run A", list(names), index=0, format_func=names.get, key=f"compare.a.{dataset_id}")
b = right.selectbox("Run B", list(names), index=1, format_func=names.get, key=f"compare.b.{dataset_id}")
if a == b:
    st.info("Pick two different runs.")
    st.stop()
try:
    result, table = compare_runs(store, a, b)
except ValueError as error:
    st.error(escape_md(error))
    st.stop()
weighed_runs = {c.run: c for c in candidates(board)}
pair_verdict(result, judge_pair(result, weighed_runs[a], weighed_runs[b]))
name_a, name_b = f"A (#{a} {arch_title(runs_by_id[a])})", f"B (#{b} {arch_title(runs_by_id[b])})"
st.plotly_chart(per_class_pair(table, name_a, name_b), key="compare_per_class")
navigation.link(navigation.RESULTS, "See one run's results in detail")
