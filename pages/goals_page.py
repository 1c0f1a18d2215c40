import streamlit as st

from kpi import dashboard, ui
from kpi.i18n import t

active_filters, lang = dashboard.context()
st.title(t("page_goals", lang))
ui.source_caption(active_filters, lang)
dashboard.goals(active_filters, lang)
