import streamlit as st

from core.store.store import ACTIVE
from dashboard import navigation
from dashboard.components import run_label
from dashboard.state import get_store

st.title("Classifier Studio")
st.markdown(
    "Teach a computer to sort texts into categories (spam or not, which topic, what a question asks for) "
    "without writing code. Three steps:"
)
step1, step2, step3 = st.columns(3)
with step1:
    st.subheader("1 · Data")
    st.write("Pick a sample dataset or upload a table with a text column and a label column.")
    navigation.link(navigation.DATA, "Choose data")
with step2:
    st.subheader("2 · Train")
    st.write("Pick a model, press Start and watch it learn. Training goes on if you close the tab.")
    navigation.link(navigation.TRAIN, "Train a model")
with step3:
    st.subheader("3 · Results and predictions")
    st.write("See where the model is right and wrong on texts it never saw, then try your own sentences.")
    navigation.link(navigation.RESULTS, "See results")
    navigation.link(navigation.PREDICT, "Try predictions")

store = get_store()
runs = store.list_runs()
if runs:
    st.divider()
    st.subheader("Recent runs")
    datasets = {d.id: d for d in store.list_datasets()}
    active = [r for r in runs if r.status in ACTIVE]
    if active:
        st.info(f"{len(active)} run(s) training or waiting now.")
    for run in runs[:8]:
        st.text(run_label(run, datasets))
