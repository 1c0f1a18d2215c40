"""目标对比 (/targets): progress against the time elapsed (时序进度), then actual against
target on a common % scale, for figures with a target."""

import polars as pl
import streamlit as st

from kpi.web import charts, queries
from kpi.web import components as ui
from kpi.web.i18n import t
from kpi.web.shell import page_context

f, lang = page_context()
st.title(t("page_targets", lang))
ui.source_caption(f, lang)

st.subheader(t("progress", lang))
ui.progress_view(f, lang)

st.subheader(t("page_targets", lang))
st.caption(t("targets_caption", lang))

frame, total = ui.top_n_or_all(lambda limit: queries.target_figures(f, limit), "targets_all", lang, ui.TARGETS_TOP_N)
if total == 0:
    ui.empty(lang, "no_targets")
else:
    table = frame.select(
        ui.department_names(frame.get_column("dept_name"), lang).alias(t("col_department", lang)),
        pl.col("name").alias(t("col_figure", lang)),
        pl.col("value_text").alias(t("col_value", lang)),
        pl.col("target_text").alias(t("col_target", lang)),
        pl.col("completion_pct").alias(t("col_completion", lang)),
        pl.col("pct_of_target").round(1).alias(t("col_pct", lang)),
        pl.col("quote").alias(t("col_quote", lang)),
    )
    ui.legend(charts.reached_legend(lang))
    ui.chart_with_data("bullet_chart", frame, (lang,), table, "chart_targets", lang)
