"""The framework's floor: a one-line Streamlit page, measured exactly like the dashboard."""

import streamlit as st

st.title("湖州市直部门目标驾驶舱")
