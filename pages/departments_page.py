"""部门 (/departments): one department's tiles and goal cards, its figures marked in the narrative."""

from dataclasses import replace

import polars as pl
import streamlit as st

from kpi.web import brief, filters, i18n, queries
from kpi.web import components as ui
from kpi.web.i18n import t
from kpi.web.markup import markdown_literal
from kpi.web.shell import page_context

f, lang = page_context()
st.title(t("page_departments", lang))
ui.source_caption(f, lang)
ui.light_legend(f, lang)

# The department asked for (one chosen in the filters, within the chosen sectors) or the first listed.
wanted = queries.departments_by_id(f.dept_ids if len(f.dept_ids) == 1 else ())
if f.sectors:
    wanted = wanted.filter(pl.col("sector").is_in(list(f.sectors)))
if f.q:
    # A search picks the departments with a matching goal (by its text or the department's name).
    matching, total = queries.departments_matching(f, filters.DEPT_OPTION_LIMIT)
    options = matching.get_column("dept_id").to_list()
    names = dict(zip(options, matching.get_column("name"), strict=True))
    wanted = wanted.filter(pl.col("dept_id").is_in(options))
    st.caption(t("dept_search", lang, q=markdown_literal(f.q), n=total))
else:
    options, names, total = filters.department_options(wanted.get_column("dept_id").to_list(), f.sectors)
if not options:
    ui.empty(lang)
    st.stop()
chosen = wanted.get_column("dept_id")[0] if wanted.height else options[0]
st.session_state["dept_pick"] = chosen
st.selectbox(
    t("pick_department", lang),
    options,
    format_func=lambda d: i18n.department_name(names[d], lang),
    key="dept_pick",
    on_change=lambda: filters.select_department(st.session_state.get("dept_pick")),
)
if total > filters.DEPT_OPTION_LIMIT:
    st.caption(t("dept_showing", lang, shown=filters.DEPT_OPTION_LIMIT, n=total))
if len(f.dept_ids) != 1:
    st.caption(t("dept_picked_first", lang))
scoped = replace(f, dept_ids=(chosen,))


def goal_fetch(limit: int, offset: int) -> tuple[pl.DataFrame, int]:
    return queries.goal_page(scoped, limit, offset)


# The department's goal cards, started now on a second core while its tiles are drawn.
queries.prefetch(
    ("departments", scoped, st.session_state.get("dept_goals_page")),
    ui.prefetch_goal_page(goal_fetch, "dept_goals_page"),
)
full_name = queries.departments_by_id((chosen,)).get_column("full_name").item()
st.subheader(markdown_literal(i18n.department_name(names[chosen], lang) if lang == "en" else full_name))
brief.download_button(scoped, lang, "departments")
counts = ui.kpi_tiles(scoped, lang)
if counts["goals"] == 0:
    ui.empty(lang)
else:
    ui.paged_goals(goal_fetch, "dept_goals_page", lang, with_department=False)
