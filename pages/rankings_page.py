"""排名 (/rankings): every ranked figure, one tab per scope (全省 / 全国 / 其他范围, kept in the link)."""

import polars as pl
import streamlit as st

from kpi.web import components as ui
from kpi.web import filters, i18n, queries
from kpi.web.i18n import t
from kpi.web.shell import page_context

f, lang = page_context()
st.title(t("page_rankings", lang))
ui.source_caption(f, lang)
st.caption(t("rankings_caption", lang))

shown = [(group, *queries.ranked_figures(f, group, ui.RANKS_TOP_N)) for group in queries.SCOPE_GROUPS]
shown = [(group, frame, total) for group, frame, total in shown if total]
if not shown:
    ui.empty(lang, "empty_chart")
else:
    # One tab per scope, only the chosen one drawn (lazy); the tab travels in the link (?rank_scope=全国).
    tabs = st.tabs(
        [i18n.RANK_SCOPE_GROUPS[lang][group] for group, _, _ in shown],
        key=filters.RANK_SCOPE,
        on_change="rerun",
        bind="query-params",
    )
    for (group, frame, total), tab in zip(shown, tabs, strict=True):
        if not tab.open:
            continue
        with tab:
            if ui.show_all_toggle(f"ranks_all_{group}", total, lang, ui.RANKS_TOP_N) is None and total > ui.RANKS_TOP_N:
                frame, _ = queries.ranked_figures(f, group, None)
            table = frame.select(
                ui.department_names(frame.get_column("dept_name"), lang).alias(t("col_department", lang)),
                pl.col("name").alias(t("col_figure", lang)),
                pl.col("value_text").alias(t("col_value", lang)),
                ui.rank_column(frame, lang).alias(t("col_rank_text", lang)),
                pl.col("quote").alias(t("col_quote", lang)),
            )
            # A department's colour comes from its place among all departments (from the query).
            colours = dict(zip(frame.get_column("dept_id"), frame.get_column("dept_position"), strict=True))
            ui.chart_with_data(
                "rank_chart", frame, (colours, lang), table, f"chart_ranks_{group}", lang, clickable=True
            )
