import streamlit as st

from kpi import dashboard, ui
from kpi.i18n import t

active_filters, lang = dashboard.context()
st.title(t("page_rankings", lang))
ui.source_caption(active_filters, lang)
dashboard.rankings(active_filters, lang)
