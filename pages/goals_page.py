"""目标明细 (/goals): every goal matching the filters, with CSV and Excel downloads."""

import streamlit as st

from kpi.web import components as ui
from kpi.web import exports, queries
from kpi.web.i18n import t
from kpi.web.shell import page_context

f, lang = page_context()
st.title(t("page_goals", lang))
ui.source_caption(f, lang)
ui.light_legend(f, lang)

# The page of goals shown below also gives the total: one query, not a probe first.
loaded = ui.fetch_goal_page(lambda limit, offset: queries.goal_page(f, limit, offset), "goals_page")
if loaded[1] == 0:
    ui.empty(lang)
else:
    # The filters are in the file name (and in the workbook's 说明 sheet).
    stem, figures_stem = exports.file_stem(f), exports.file_stem(f, "指标")
    # Files are built only when a button is clicked (callables), not on every rerun.
    downloads = (
        ("download_csv_goals", lambda: exports.goals_csv(f), f"{stem}.csv", "text/csv", ":material/download:"),
        (
            "download_csv_indicators",
            lambda: exports.indicators_csv(f),
            f"{figures_stem}.csv",
            "text/csv",
            ":material/download:",
        ),
        (
            "download_xlsx",
            lambda: exports.workbook(f),
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ":material/table_view:",
        ),
    )
    with st.container(horizontal=True, gap="small"):
        for label_key, build, file_name, mime, icon in downloads:
            st.download_button(t(label_key, lang), build, file_name, mime, icon=icon, on_click="ignore")
    ui.show_goal_page(loaded, "goals_page", lang)
