"""The least a Streamlit page can be that shows what our pages show, for `benchmarks.first_minutes` to measure
against: `?with=chart` draws one small Plotly chart, `?with=table` one small table, anything else only a title. A
fresh page loads the browser code of each kind of element on first use (Plotly's is megabytes), so this is the floor
a page with such an element cannot go below, whatever its own script does."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.title("A page with one element")
kind = st.query_params.get("with")
if kind == "chart":
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[3, 4])))
elif kind == "table":
    st.dataframe(pd.DataFrame({"class": ["a", "b"], "texts": [3, 4]}))
