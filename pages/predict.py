import random

import pandas as pd
import streamlit as st

from core.prediction import load_run_model, predict_table, probability_column
from core.workspace import PREDICTIONS_FILE, run_dir
from dashboard.charts import probabilities
from dashboard.components import escape_md, finished_run_or_stop
from dashboard.state import get_store

st.title("Predict")
store = get_store()
run = finished_run_or_stop(store, "Model", key="predict.run")


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def model_of(run_id: int):
    return load_run_model(get_store(), run_id)


def fill_example() -> None:
    """Put a random held-out test text in the box, so a demo needs no typing."""
    texts = pd.read_parquet(run_dir(run.id, store.root) / PREDICTIONS_FILE, columns=["text"])["text"].tolist()
    st.session_state["predict.text"] = random.choice(texts)


text = st.text_area("Text to classify", key="predict.text", height=120,
                    placeholder="Type or paste a text, or press 'Random test example'.")
left, right, _ = st.columns([1, 2, 5])
left.button("Predict", type="primary")
right.button("Random test example", on_click=fill_example)
if not (text or "").strip():
    st.stop()
model = model_of(run.id)
row = predict_table(model, [text]).iloc[0]
classes = [str(c) for c in model.classes_]
st.metric("Predicted label", escape_md(row["predicted"]), help="The class with the highest probability.")
st.caption(f"The model is {row['confidence']:.1%} sure.")
st.plotly_chart(probabilities(classes, [float(row[probability_column(c)]) for c in classes]), key="probabilities")
