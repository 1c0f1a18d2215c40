"""Page assembly: the page list, the hook before any page renders, and the body of each page.

``app.py`` calls ``run_app()``: ``before_pages()`` (page config and the login
gate of kpi/auth.py: nothing from the data is drawn before it lets the viewer
in), ``data_ready()`` (a Chinese error page naming each broken data file), the
filters, then ``st.navigation(build_pages(lang))`` and the page.
A 数据管理 admin page is one more entry in ``build_pages`` (shown only when an
admin password is configured).
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import polars as pl
import pyarrow
import streamlit as st

from kpi import admin, auth, charts, filters, i18n, queries, ui
from kpi.i18n import DEFAULT_LANG, LANGS, t
from kpi.queries import Filters

ROOT = Path(__file__).resolve().parent.parent
# File names differ from the URL paths on purpose: Streamlit's legacy multipage mode (on
# for a fresh process while a pages/ folder exists, until the first st.navigation) maps
# pages/<name>.py to /<name>; a different name keeps it from claiming our URLs.
PAGES_DIR = ROOT / "pages"
_CONTEXT_KEY = "_kpi_context"
# Set while app.py's navigation runs a page, on the script thread of that session.
_run_state = threading.local()

# (file, i18n title key, url path, material icon); url paths are bookmarked: keep them stable.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("overview_page.py", "page_overview", "overview", ":material/dashboard:"),
    ("rankings_page.py", "page_rankings", "rankings", ":material/leaderboard:"),
    ("targets_page.py", "page_targets", "targets", ":material/track_changes:"),
    ("departments_page.py", "page_departments", "departments", ":material/apartment:"),
    ("goals_page.py", "page_goals", "goals", ":material/list_alt:"),
)


# The overview is served at "/"; its url_path still names it (and sets its script hash).
DEFAULT_URL_PATH = "overview"


def build_pages(lang: str) -> list[st.Page]:
    """The dashboard's pages, plus the hidden 数据管理 page when an admin password is configured."""
    pages = []
    for file_name, title_key, url_path, icon in PAGES:
        pages.append(
            st.Page(
                PAGES_DIR / file_name,
                title=t(title_key, lang),
                icon=icon,
                url_path=url_path,
                default=url_path == DEFAULT_URL_PATH,
            )
        )
    if admin.admin_enabled():
        # Hidden from the menu: staff open /admin and enter the admin password there.
        pages.append(
            st.Page(
                PAGES_DIR / "admin_page.py",
                title=admin.TEXT["title"],
                icon=":material/upload_file:",
                url_path="admin",
                visibility="hidden",
            )
        )
    return pages


def requested_lang() -> str:
    """The language before the filters are drawn: the session's choice, else the link's ``?lang=``."""
    if filters.LANG in st.session_state:
        return filters.current_lang()
    lang = st.query_params.get(filters.LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def hold_page(lang: str) -> None:
    """Resolve the requested page without showing a menu or running it.

    Keeps the link's page path (the page opens once the viewer is in or the data
    are fixed) and leaves the legacy pages/ mode a fresh process starts in, whose
    sidebar menu would otherwise list the page files.
    """
    st.navigation(build_pages(lang), position="hidden")


def before_pages(lang: str | None = None) -> bool:
    """Page config, then the login gate: False (after drawing only the login form) while the
    viewer is not let in, so that nothing from the data is ever drawn before."""
    lang = lang or requested_lang()
    st.set_page_config(page_title=t("app_title", lang), page_icon=":material/monitoring:", layout="wide")
    if auth.allowed():
        return True
    hold_page(lang)
    auth.login_screen(lang)
    return False


def data_error_page(problems: list[str], lang: str) -> None:
    st.title(t("data_error_title", lang))
    heading = t("data_error", lang, path=ui.markdown_literal(queries.data_dir()))
    listed = "\n".join(f"- {ui.markdown_literal(problem)}" for problem in problems)
    st.error(f"{heading}\n\n{listed}", icon=":material/error:")
    st.caption(t("data_error_help", lang))
    st.button(t("data_retry", lang), key="data_retry", icon=":material/refresh:")


def data_ready(lang: str | None = None) -> bool:
    """False (after drawing an error page in Chinese naming each broken file) when the data
    files cannot be read; checked on every run, so fixed files are picked up without a restart."""
    lang = lang or requested_lang()
    problems = queries.data_problems()
    if problems:
        hold_page(lang)
        data_error_page(problems, lang)
        return False
    return True


# Errors a query may raise on data files the cheap check passed (damaged rows, a file
# replaced mid-query): shown as the data error page, never as a traceback.
DATA_ERRORS = (duckdb.Error, pl.exceptions.PolarsError, pyarrow.ArrowException, OSError)


def _data_failed(error: Exception, lang: str) -> None:
    queries.clear_caches()
    problems = queries.data_problems(deep=True) or [t("data_read_failed", lang, error=type(error).__name__)]
    data_error_page(problems, lang)


_URL_CHECKED_KEY = "_kpi_url_checked"
URL_FILTER_PARAMS: dict[str, str] = {
    filters.YEAR: "year",
    filters.DEPT: "departments",
    filters.SECTOR: "sector",
    filters.THEME: "themes",
    filters.STATUS: "status",
    filters.QUERY: "search",
    filters.LANG: "language",
}


def ignored_url_filters(requested: dict[str, list[str]], f: Filters) -> list[str]:
    """The filters of the link whose values are not in force (unknown codes, a year not in the
    data, a second value where one is allowed, a search cut to its maximum length).

    Streamlit drops such values from bound widgets; with all of a filter's values
    dropped the filter is off, so the page says so rather than silently showing more.
    """
    in_force = {
        filters.YEAR: [str(f.year)],
        filters.DEPT: list(f.dept_ids),
        filters.SECTOR: list(f.sectors),
        filters.THEME: list(f.theme_ids),
        filters.STATUS: list(f.statuses),
        filters.QUERY: [st.session_state.get(filters.QUERY) or ""],
        filters.LANG: [filters.current_lang()],
    }
    return [param for param, values in requested.items() if any(v and v not in in_force[param] for v in values)]


def set_context(f: Filters) -> None:
    st.session_state[_CONTEXT_KEY] = f


def run_app() -> None:
    """The entrypoint: gate, data check, filters, navigation, the page. ``app.py`` is just this call.

    Filters are drawn here, not in pages, so their URL binding survives page switches.
    """
    lang = requested_lang()
    if not before_pages(lang) or not data_ready(lang):
        return
    # The link's own values, once per session: later runs see the app's URL, not the sender's.
    requested = None
    if not st.session_state.get(_URL_CHECKED_KEY):
        requested = {param: st.query_params.get_all(param) for param in URL_FILTER_PARAMS}
        st.session_state[_URL_CHECKED_KEY] = True
    page = None
    try:
        active_filters = filters.render_filters()
        set_context(active_filters)
        lang = filters.current_lang()
        page = st.navigation(build_pages(lang))
        filters.render_share(active_filters, page.url_path)
        auth.logout_control(lang)
        ignored = ignored_url_filters(requested, active_filters) if requested else []
        if ignored:
            names = "、" if lang == "zh" else ", "
            st.warning(
                t("url_ignored", lang, params=names.join(t(URL_FILTER_PARAMS[p], lang) for p in ignored)),
                icon=":material/link_off:",
            )
        _run_state.inside_app = True
        try:
            page.run()
        finally:
            _run_state.inside_app = False
    except DATA_ERRORS as error:
        if page is None:
            hold_page(lang)
        _data_failed(error, lang)


def ensure_in_app() -> None:
    """Make a page that was started on its own rerun inside the app instead.

    A folder named ``pages/`` makes a fresh Streamlit process (and every AppTest
    run) start in its legacy multipage mode until the first ``st.navigation``
    call: the first visitor who opens a deep link would get that page file run
    alone, without the entrypoint's hook, filters and navigation. Leaving legacy
    mode the way ``st.navigation`` does and rerunning resolves the same URL
    through ``app.py``'s navigation, with the sidebar filters' state intact.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not getattr(_run_state, "inside_app", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def context() -> tuple[Filters, str]:
    """The filters in force for this run and the UI language."""
    ensure_in_app()
    return st.session_state[_CONTEXT_KEY], filters.current_lang()


def with_department(f: Filters, dept_id: str) -> Filters:
    return Filters(f.year, (dept_id,), f.sectors, f.theme_ids, f.statuses, f.q)


# --- pages ---------------------------------------------------------------------------------

# Figures listed before "show all" on the rankings and targets pages.
RANKS_TOP_N = 15
TARGETS_TOP_N = 15
# The overview is a summary: five goals needing attention a page (the 目标明细 page lists ten).
# Each card costs the browser ≈ 20 ms; ten made the overview the slowest page to settle.
ATTENTION_PER_PAGE = 5


def overview(f: Filters, lang: str) -> None:
    counts = ui.kpi_tiles(f, lang)
    if counts["goals"] == 0:
        ui.empty(lang)
        return
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
    st.caption(t("attention_caption", lang))
    attention = ui.paged_goals(
        lambda limit, offset: queries.attention_goals(f, limit, offset), "attention_page", lang, ATTENTION_PER_PAGE
    )
    if attention == 0:
        ui.empty(lang, "attention_none")


def rankings(f: Filters, lang: str) -> None:
    st.caption(t("rankings_caption", lang))
    shown = [(group, *queries.ranked_figures(f, group, RANKS_TOP_N)) for group in queries.SCOPE_GROUPS]
    shown = [(group, frame, total) for group, frame, total in shown if total]
    if not shown:
        ui.empty(lang, "empty_chart")
        return
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
            if ui.show_all_toggle(f"ranks_all_{group}", total, lang, top_n=RANKS_TOP_N) is None and total > RANKS_TOP_N:
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


def targets(f: Filters, lang: str) -> None:
    st.caption(t("targets_caption", lang))
    frame, total = ui.top_n_or_all(lambda limit: queries.target_figures(f, limit), "targets_all", lang, TARGETS_TOP_N)
    if total == 0:
        ui.empty(lang, "no_targets")
        return
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


def _pick_department(key: str) -> None:
    filters.select_department(st.session_state.get(key))


def department(f: Filters, lang: str) -> None:
    # The department asked for (one chosen in the filters, within the chosen sectors) or the first listed.
    wanted = queries.departments_by_id(f.dept_ids if len(f.dept_ids) == 1 else ())
    if f.sectors:
        wanted = wanted.filter(pl.col("sector").is_in(list(f.sectors)))
    options, names, total = filters.department_options(wanted.get_column("dept_id").to_list(), f.sectors)
    if not options:
        ui.empty(lang)
        return
    chosen = wanted.get_column("dept_id")[0] if wanted.height else options[0]
    st.session_state["dept_pick"] = chosen
    st.selectbox(
        t("pick_department", lang),
        options,
        format_func=lambda d: i18n.department_name(names[d], lang),
        key="dept_pick",
        on_change=_pick_department,
        args=("dept_pick",),
    )
    if total > filters.DEPT_OPTION_LIMIT:
        st.caption(t("dept_showing", lang, shown=filters.DEPT_OPTION_LIMIT, n=total))
    if len(f.dept_ids) != 1:
        st.caption(t("dept_picked_first", lang))
    scoped = with_department(f, chosen)
    full_name = queries.departments_by_id((chosen,)).get_column("full_name").item()
    st.subheader(ui.markdown_literal(i18n.department_name(names[chosen], lang) if lang == "en" else full_name))
    counts = ui.kpi_tiles(scoped, lang)
    if counts["goals"] == 0:
        ui.empty(lang)
        return
    ui.paged_goals(lambda limit, offset: queries.goal_page(scoped, limit, offset), "dept_goals_page", lang)


def goals(f: Filters, lang: str) -> None:
    # The page of goals shown below also gives the total: one query, not a probe first.
    loaded = ui.fetch_goal_page(lambda limit, offset: queries.goal_page(f, limit, offset), "goals_page")
    if loaded[1] == 0:
        ui.empty(lang)
        return
    stem = f"huzhou-goals-{f.year}"
    # Files are built only when a button is clicked (callables), not on every rerun.
    downloads = (
        ("download_csv_goals", lambda: ui.goals_csv(f), f"{stem}.csv", "text/csv", ":material/download:"),
        (
            "download_csv_indicators",
            lambda: ui.indicators_csv(f),
            f"{stem}-indicators.csv",
            "text/csv",
            ":material/download:",
        ),
        (
            "download_xlsx",
            lambda: ui.workbook(f),
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ":material/table_view:",
        ),
    )
    with st.container(horizontal=True, gap="small"):
        for label_key, build, file_name, mime, icon in downloads:
            st.download_button(t(label_key, lang), build, file_name, mime, icon=icon, on_click="ignore")
    ui.show_goal_page(loaded, "goals_page", lang)
