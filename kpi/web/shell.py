"""The app shell: the page list, the login gate and data check before any page, the filters.

``app.py`` calls ``run_app()``: page config, ``st.navigation(build_pages(lang))`` (its menu
hidden until the viewer is in), the login gate of kpi/web/auth.py (nothing from the data is
drawn before it lets the viewer in; the /wall page also admits a configured wall token), the
data check (a Chinese error page naming each broken data file), the filters, then the page.
A 数据管理 admin page is one more entry in ``build_pages`` (shown only when an
admin password is configured); the wall screen another (never in the menu).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import duckdb
import polars as pl
import pyarrow
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from kpi.web import admin, auth, bucket_secrets, charts, filters, queries
from kpi.web.i18n import DEFAULT_LANG, LANGS, t
from kpi.web.legacy_pages import PAGE_FILE_SUFFIX, ensure_in_app, running_inside_app
from kpi.web.markup import markdown_literal
from kpi.web.queries import Filters

ROOT = Path(__file__).resolve().parents[2]
PAGES_DIR = ROOT / "pages"
_CONTEXT_KEY = "_kpi_context"
_log = logging.getLogger(__name__)

# (url path, i18n title key, material icon); url paths are bookmarked: keep them stable.
# The page's file is pages/<url path>_page.py (kpi.web.legacy_pages says why the suffix).
PAGES: tuple[tuple[str, str, str], ...] = (
    ("overview", "page_overview", ":material/dashboard:"),
    ("rankings", "page_rankings", ":material/leaderboard:"),
    ("targets", "page_targets", ":material/track_changes:"),
    ("departments", "page_departments", ":material/apartment:"),
    ("goals", "page_goals", ":material/list_alt:"),
)

# Streamlit's own English chrome that settings cannot turn off (docs/chinese-ui.md): the
# hover toolbars of charts and tables (fullscreen, search — English tooltips; the data are
# in the 查看数据 tables and the downloads) and text inputs' "Press Enter to apply" (the
# search commits as one types).
CHROME_CSS = (
    "<style>[data-testid=stElementToolbar]{display:none !important}"
    "[data-testid=InputInstructions]{display:none !important}</style>"
)


def page_file(url_path: str) -> Path:
    return PAGES_DIR / f"{url_path}{PAGE_FILE_SUFFIX}"


# The overview is served at "/"; its url_path still names it (and sets its script hash).
DEFAULT_URL_PATH = "overview"
WALL_URL_PATH = "wall"


def build_pages(lang: str) -> list[st.Page]:
    """The dashboard's pages, plus the hidden 数据管理 page when an admin password is configured."""
    pages = []
    for url_path, title_key, icon in PAGES:
        pages.append(
            st.Page(
                page_file(url_path),
                title=t(title_key, lang),
                icon=icon,
                url_path=url_path,
                default=url_path == DEFAULT_URL_PATH,
            )
        )
    # The wall screen (issue 15): not in the menu; opened by its link (/wall?…), which may carry a
    # wall token (kpi/web/auth.py) that only this page accepts.
    pages.append(
        st.Page(
            page_file(WALL_URL_PATH),
            title=t("page_wall", lang),
            icon=":material/tv:",
            url_path=WALL_URL_PATH,
            visibility="hidden",
        )
    )
    if admin.admin_enabled():
        # Hidden from the menu: staff open /admin and enter the admin password there.
        pages.append(
            st.Page(
                page_file("admin"),
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


def data_error_page(problems: list[str], lang: str) -> None:
    """The error page: which files and why, never where they are on the server (that goes to the log)."""
    _log.warning("data directory %s not readable: %s", queries.data_dir(), "; ".join(problems))
    st.title(t("data_error_title", lang))
    heading = t("data_error", lang)
    listed = "\n".join(f"- {markdown_literal(problem)}" for problem in problems)
    st.error(f"{heading}\n\n{listed}", icon=":material/error:")
    st.caption(t("data_error_help", lang))
    st.button(t("data_retry", lang), key="data_retry", icon=":material/refresh:")


# Errors a query may raise on data files the cheap check passed (damaged rows, a file
# replaced mid-query): shown as the data error page, never as a traceback.
DATA_ERRORS = (duckdb.Error, pl.exceptions.PolarsError, pyarrow.ArrowException, OSError)


def _data_failed(error: Exception, lang: str) -> None:
    # No cache is cleared: caches are keyed on the data version, so changed files are read
    # afresh anyway, and a hostile client's bad value must not cost every other viewer.
    problems = queries.data_problems(deep=True) or [t("data_read_failed", lang, error=type(error).__name__)]
    data_error_page(problems, lang)


_URL_CHECKED_KEY = "_kpi_url_checked"
# The link's filters as the session's first run saw them, and (for the wall page, which shows
# them in its canvas) the names of those not in force.
_URL_REQUESTED_KEY = "_kpi_url_requested"
WALL_IGNORED_KEY = "_kpi_wall_ignored"
URL_FILTER_PARAMS: dict[str, str] = {
    filters.YEAR: "year",
    filters.PERIOD: "period",
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
        filters.PERIOD: [f.period],
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


_charts_warming: list[threading.Thread] = []
_charts_warming_lock = threading.Lock()


def _warm_charts_once() -> None:
    """Build the charts' templates on a thread of their own, once per process, while the first
    run loads the data (DuckDB does not hold the GIL while it reads): no page then waits for one."""
    with _charts_warming_lock:
        if not _charts_warming:
            thread = threading.Thread(target=charts.warm_templates, name="chart-templates", daemon=True)
            _charts_warming.append(thread)
            thread.start()


def run_app() -> None:
    """The entrypoint: gate, data check, filters, navigation, the page. ``app.py`` is just this call.

    Filters are drawn here, not in pages, so their URL binding survives page switches.
    The page is resolved first (one ``st.navigation`` a run, its menu shown only to a viewer let
    in and only while the data can be read), because the gate depends on it: the wall page also
    admits a run whose link carries a configured wall token, and no other page does.
    """
    _warm_charts_once()
    bucket_secrets.apply()  # a data directory in a bucket may be configured in secrets
    lang = requested_lang()
    st.set_page_config(page_title=t("app_title", lang), page_icon=":material/monitoring:", layout="wide")
    viewer_in = auth.allowed()
    problems = queries.data_problems() if viewer_in else []
    page = st.navigation(build_pages(lang), position="sidebar" if viewer_in and not problems else "hidden")
    on_wall = page.url_path == WALL_URL_PATH
    if not viewer_in:
        if not (on_wall and auth.wall_token_admits()):
            if on_wall and auth.requested_wall_token() is not None:
                st.error(t("wall_token_refused", lang), icon=":material/key_off:")
            auth.login_screen(lang)
            return
        problems = queries.data_problems()
    if problems:
        data_error_page(problems, lang)
        return
    # The link's own values, once per session: later runs see the app's URL, not the sender's.
    requested = None
    if not st.session_state.get(_URL_CHECKED_KEY):
        requested = {param: st.query_params.get_all(param) for param in URL_FILTER_PARAMS}
        st.session_state[_URL_CHECKED_KEY] = True
        st.session_state[_URL_REQUESTED_KEY] = requested
    try:
        active_filters = filters.render_filters()
        set_context(active_filters)
        lang = filters.current_lang()
        ignored = ignored_url_filters(requested, active_filters) if requested else []
        if on_wall:
            # No share link (the wall's link holds its token), no sign-out, no banner: the wall
            # page draws its own canvas over everything and names ignored filters in it.
            # On every run (the wall is unattended: the notice stays, also after a data refresh).
            ignored = ignored_url_filters(st.session_state.get(_URL_REQUESTED_KEY) or {}, active_filters)
            st.session_state[WALL_IGNORED_KEY] = [t(URL_FILTER_PARAMS[p], lang) for p in ignored]
            with running_inside_app():
                page.run()
            return
        filters.render_share(active_filters, page.url_path)
        auth.logout_control(lang)
        if ignored:
            names = "、" if lang == "zh" else ", "
            st.warning(
                t("url_ignored", lang, params=names.join(t(URL_FILTER_PARAMS[p], lang) for p in ignored)),
                icon=":material/link_off:",
            )
        st.html(CHROME_CSS)
        with running_inside_app():
            page.run()
        follow_new_data()
    except DATA_ERRORS as error:
        _data_failed(error, lang)


# Replicas: an open page that nobody touches still shows a version published meanwhile, by this
# process or another one (docs/deployment.md, "Several replicas").
@st.fragment(run_every=queries.VERSION_POLL_SECONDS)
def follow_new_data() -> None:
    """Every few seconds (a fragment run that draws nothing): rerun the page when the data in
    force are not those its last run read. Not in the page's own run, which has just resolved
    the version (one read of ``current`` per page run, which matters on a bucket)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and ctx.fragment_ids_this_run and queries.newer_version_published():
        st.rerun(scope="app")


def page_context() -> tuple[Filters, str]:
    """What every page starts with: the filters in force for this run and the UI language."""
    ensure_in_app()
    return st.session_state[_CONTEXT_KEY], filters.current_lang()
