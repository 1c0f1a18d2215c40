"""排名 (/rankings): every ranked figure as a sentence, grouped by department, one tab per scope
(全省 / 全国 / 其他范围, kept in the link). No chart: nearly every rank is a first place, and a dot
plot of first places says less than the sentence."""

import polars as pl
import streamlit as st

from kpi.web import components as ui
from kpi.web import filters, i18n, markup, queries
from kpi.web.i18n import t
from kpi.web.shell import page_context

f, lang = page_context()
st.title(t("page_rankings", lang))
ui.source_caption(f, lang)
st.caption(t("rankings_caption", lang))

shown = [(group, *queries.rank_statements(f, group)) for group in queries.SCOPE_GROUPS]
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
            st.html(markup.rank_sentences_html(frame.to_dicts(), lang))
            if total > frame.height:
                st.caption(t("rankings_more", lang, n=total - frame.height))
            data = st.expander(
                t("view_data", lang), icon=":material/table:", key=f"ranks_{group}_data", on_change="rerun"
            )
            if data.open:
                with data:
                    st.dataframe(
                        frame.select(
                            ui.department_names(frame.get_column("dept_name"), lang).alias(t("col_department", lang)),
                            pl.col("name").alias(t("col_figure", lang)),
                            pl.col("value_text").alias(t("col_value", lang)),
                            ui.rank_column(frame, lang).alias(t("col_rank_text", lang)),
                            pl.col("quote").alias(t("col_quote", lang)),
                        ),
                        hide_index=True,
                        width="stretch",
                    )
