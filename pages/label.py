"""Label: texts without labels become a dataset, the app asking each time for the text its quick model is least sure
about, with a learning curve scored on a check set drawn at random."""
import streamlit as st

from core.labelling.sampling import MIN_PER_CLASS, next_query
from dashboard import labelling_start, labelling_views
from dashboard.components import escape_md
from dashboard.state import get_store

st.title("Label")
st.write("No labels yet, or only a few? Label texts here with one click each (or the keys 1-9). After every few "
         "labels a quick model is retrained and asks next for the text it is least sure about, so each label "
         "teaches it the most.")
store = get_store()
labelling_start.show_error()
project = labelling_start.current_project()
if project is None:
    labelling_start.start(store)
    st.stop()

title, close = st.columns([4, 1], vertical_alignment="bottom")
title.subheader(escape_md(project.name))
close.button("Other project", on_click=labelling_start.close_project, use_container_width=True)
with st.expander("Classes", expanded=len(project.classes) < 2):
    labelling_start.classes(project)
if len(project.classes) < 2:
    st.info("Add at least two classes to start labelling.")
    st.stop()

learner = labelling_views.learner(project.id)
if learner.due(project):
    with st.spinner("Retraining the quick model…"):
        learner.update(project)
query = next_query(project, learner.proba)

asking, watching = st.columns([3, 2], gap="large")
with asking:
    notes, suggested = labelling_views.suggest(project, query)
    labelling_views.ask(project, query, notes, suggested)
    labelling_views.why(query, MIN_PER_CLASS)
with watching:
    labelling_views.progress(project)

st.divider()
st.subheader("Use the labels")
labelling_start.export(project)
labelling_start.make(store, project)
