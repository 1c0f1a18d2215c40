"""湖州市直部门目标驾驶舱 — entrypoint: hook, filters, navigation."""

import streamlit as st

from kpi import dashboard, filters

dashboard.before_pages()
if dashboard.data_ready():
    # Filters are drawn here, in the entrypoint, so their URL binding survives page switches.
    active_filters = filters.render_filters()
    dashboard.set_context(active_filters)
    page = st.navigation(dashboard.build_pages(filters.current_lang()))
    filters.render_share(active_filters, page.url_path)
    page.run()
