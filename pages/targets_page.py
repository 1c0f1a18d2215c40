"""目标对比 (/targets): progress against the time elapsed (时序进度); then every figure with a
target, furthest below target first, shortfalls included, the gap in the source's units and in %;
then the goal-title targets no figure can be compared with."""

import polars as pl
import streamlit as st

from kpi.web import charts, markup, queries
from kpi.web import components as ui
from kpi.web.i18n import t
from kpi.web.shell import page_context

f, lang = page_context()
# The page's later queries, started now from the bottom up on a second core while the top is drawn.
queries.prefetch(
    ("targets", f),
    lambda: queries.title_target_goals(f, ui.TARGETS_TOP_N),
    lambda: queries.target_gaps(f, ui.TARGETS_TOP_N),
)
st.title(t("page_targets", lang))
ui.source_caption(f, lang)

st.subheader(t("progress", lang))
ui.progress_view(f, lang)

st.subheader(t("page_targets", lang))
st.caption(t("targets_caption", lang))

frame, total = ui.top_n_or_all(lambda limit: queries.target_gaps(f, limit), "targets_all", lang, ui.TARGETS_TOP_N)
if total == 0:
    ui.empty(lang, "no_targets")
else:
    headers = [
        t(key, lang)
        for key in (
            "col_department",
            "col_figure",
            "col_value",
            "col_target",
            "col_basis",
            "col_pct",
            "col_gap",
            "col_gap_pct",
        )
    ]
    rows = ui.target_rows(frame, lang)
    table = pl.DataFrame(rows, schema=headers, orient="row")
    ui.legend(charts.reached_legend(lang))
    ui.chart_with_data("bullet_chart", frame, (lang,), table, "chart_targets", lang, clickable=True)
    st.html(markup.lines_html(ui.target_items(frame, lang), "kpi-targets"))

# The goal-title targets: the top ones, all (up to TITLE_TARGETS_MAX) once the reader asks; no
# section when none of the titles' numbers is a target (a year, a count of programmes).
top, top_total = queries.title_target_goals(f, ui.TARGETS_TOP_N)
if top_total > top.height or ui.title_target_rows(top, lang):
    st.subheader(t("title_targets", lang))
    st.caption(t("title_targets_caption", lang))
    goals, more = ui.top_n_or_all(
        lambda limit: queries.title_target_goals(f, limit or queries.TITLE_TARGETS_MAX),
        "title_targets_all",
        lang,
        ui.TARGETS_TOP_N,
    )
    rows = ui.title_target_rows(goals, lang)
    items = [(f"{dept} {title}", status, note) for dept, title, _, note, status in rows]
    st.html(markup.lines_html(items, "kpi-title-targets"))
    if more > goals.height > ui.TARGETS_TOP_N:
        st.caption(t("title_targets_more", lang, n=more - goals.height))
