"""总览 (/): the light tiles, the tiles, goals by status per department, the provincial top-3
leaderboard, 需关注 (red, then yellow lights) and the lights changed since the previous period."""

import polars as pl
import streamlit as st

from kpi.web import charts, i18n, queries
from kpi.web import components as ui
from kpi.web.i18n import t
from kpi.web.shell import page_context

f, lang = page_context()
st.title(t("page_overview", lang))
ui.source_caption(f, lang)

ui.light_legend(f.period, lang)
ui.light_tiles(f, lang)
counts = ui.kpi_tiles(f, lang)
if counts["goals"] == 0:
    ui.empty(lang)
else:
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("status_mix", lang))
        st.caption(t("status_mix_caption", lang))
        frame, _ = ui.top_n_or_all(lambda limit: queries.status_by_department(f, limit), "status_mix_all", lang)
        table = frame.select(
            ui.department_names(frame.get_column("name"), lang).alias(t("col_department", lang)),
            charts.each(frame.get_column("status"), lambda s: i18n.status_label(s, lang)).alias(t("col_status", lang)),
            pl.col("goals").alias(t("col_count", lang)),
            (pl.col("met_share") * 100).round(1).alias(t("col_met_share", lang) + "%"),
        )
        ui.legend(charts.status_legend(lang))
        ui.chart_with_data("status_mix", frame, (lang,), table, "chart_status_mix", lang, clickable=True)
    with right:
        st.subheader(t("leaderboard", lang))
        st.caption(t("leaderboard_caption", lang))
        frame, total = ui.top_n_or_all(lambda limit: queries.top3_leaderboard(f, limit), "leaderboard_all", lang)
        if total == 0:
            ui.empty(lang, "empty_chart")
        else:
            table = frame.select(
                ui.department_names(frame.get_column("name"), lang).alias(t("col_department", lang)),
                pl.col("top3").alias(t("col_top3", lang)),
                pl.col("firsts").alias(t("col_first", lang)),
            )
            ui.chart_with_data("top3_leaderboard", frame, (lang,), table, "chart_leaderboard", lang, clickable=True)
    st.subheader(t("attention", lang))
    st.caption(
        t(
            "attention_lights_caption",
            lang,
            red=i18n.light_label("red", f.period, lang),
            yellow=i18n.light_label("yellow", f.period, lang),
        )
    )
    attention = ui.paged_goals(
        lambda limit, offset: queries.light_attention_goals(f, limit, offset),
        "attention_page",
        lang,
        ui.ATTENTION_PER_PAGE,
    )
    if attention == 0:
        ui.empty(lang, "attention_none")
    ui.light_changes(f, lang)
