"""总览 (/): problems first — the departments needing attention, the light tiles, the tiles, goals
by status per department (worst first), the 赛马 league table, 需关注 (red, then yellow lights),
the goals of a clicked department and the lights changed since the previous period."""

import polars as pl
import streamlit as st

from kpi.web import brief, charts, i18n, markup, queries
from kpi.web import components as ui
from kpi.web.i18n import t
from kpi.web.shell import page_context

f, lang = page_context()


# The two goal lists, one fetch and one page key each: the prefetch asks for what they will show.
def attention_fetch(limit: int, offset: int) -> tuple[pl.DataFrame, int]:
    return queries.light_attention_goals(f, limit, offset)


def department_fetch(limit: int, offset: int) -> tuple[pl.DataFrame, int]:
    return queries.goal_page(f, limit, offset)


ATTENTION_PAGE, DEPARTMENT_PAGE = "attention_page", "overview_dept_page"
one_department = len(f.dept_ids) == 1
# The page's later queries, started now from the bottom up on a second core while the top is drawn.
previous = queries.previous_period(f.year, f.period)
queries.prefetch(
    ("overview", f, st.session_state.get(ATTENTION_PAGE), st.session_state.get(DEPARTMENT_PAGE)),
    *([lambda: queries.light_changes(f, previous, ui.TOP_N)] if previous else []),
    ui.prefetch_goal_page(attention_fetch, ATTENTION_PAGE, ui.ATTENTION_PER_PAGE),
    *([ui.prefetch_goal_page(department_fetch, DEPARTMENT_PAGE)] if one_department else []),
    lambda: queries.league_table(f),
    lambda: queries.status_worst_first(f),
    lambda: queries.tiles(f),
)
st.title(t("page_overview", lang))
ui.source_caption(f, lang)

# The problems before anything else, so they are on a phone's first screen.
problems, problem_total = queries.problem_departments(f, queries.SHOW_ALL_DEPARTMENTS)
with st.container(key="problems"):
    st.subheader(t("problems", lang))
    if problem_total > problems.height and st.toggle(t("problems_show_all", lang, n=problem_total), key="problems_all"):
        problems, problem_total = queries.problem_departments(f)
    if problems.height:
        st.html(markup.problems_html(problems.to_dicts(), lang, f.period))
        if problem_total > problems.height:
            st.caption(t("problems_hidden", lang, n=problem_total - problems.height))
    else:
        st.caption(t("problems_none", lang))
# The PDF of this view (made when clicked), after the problems so they stay on a phone's first screen.
brief.download_button(f, lang, "overview")

ui.light_legend(f, lang)
ui.light_tiles(f, lang)
counts = ui.kpi_tiles(f, lang)
if counts["goals"] == 0:
    ui.empty(lang)
else:
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("status_mix", lang))
        st.caption(t("status_mix_caption", lang))
        frame, total, hidden = queries.status_worst_first(f)
        if hidden and st.toggle(t("show_all_departments", lang, n=total), key="status_mix_all"):
            frame, total, hidden = queries.status_worst_first(f, show_all=True)
        if hidden:
            st.caption(t("status_mix_hidden", lang, n=hidden))
        table = frame.select(
            ui.department_names(frame.get_column("name"), lang).alias(t("col_department", lang)),
            charts.each(frame.get_column("status"), lambda s: i18n.status_label(s, lang)).alias(t("col_status", lang)),
            pl.col("goals").alias(t("col_count", lang)),
            (pl.col("met_share") * 100).round(1).alias(t("col_met_share", lang) + "%"),
        )
        ui.legend(charts.status_legend(lang))
        ui.chart_with_data("status_mix", frame, (lang,), table, "chart_status_mix", lang, clickable=True)
    with right:
        st.subheader(t("league", lang))
        st.caption(t("league_rule", lang))
        league, total, hidden = queries.league_table(f)
        if hidden and st.toggle(t("show_all_departments", lang, n=total), key="league_all"):
            league, total, hidden = queries.league_table(f, show_all=True)
        if hidden:
            st.caption(t("league_hidden", lang, total=total, n=queries.PROBLEMS_TOP_N, hidden=hidden))
        st.html(markup.league_html(league.to_dicts(), lang))
    if one_department:
        # A click on a chart filters to one department: list that department's goals.
        chosen = queries.departments_by_id(f.dept_ids)
        if chosen.height:
            name = i18n.department_name(chosen.get_column("name").item(), lang)
            st.subheader(t("dept_goals_title", lang, name=name))
            ui.paged_goals(department_fetch, DEPARTMENT_PAGE, lang, prefix="dept_")
    st.subheader(t("attention", lang))
    st.caption(
        t(
            "attention_lights_caption",
            lang,
            red=i18n.light_label("red", f.period, lang),
            yellow=i18n.light_label("yellow", f.period, lang),
        )
    )
    attention = ui.paged_goals(attention_fetch, ATTENTION_PAGE, lang, ui.ATTENTION_PER_PAGE)
    if attention == 0:
        ui.empty(lang, "attention_none")
    ui.light_changes(f, lang)
