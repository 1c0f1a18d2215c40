"""The global sidebar filters and their URL form.

Each filter is bound to a query parameter with Streamlit's ``bind="query-params"``,
so a link reproduces the view, filters survive page switches (they are bound in
the entrypoint) and unknown values are dropped by Streamlit before we see them.

Streamlit writes a bound widget's *displayed* option into the URL. Departments,
themes, statuses and the language must travel as stable codes (``?dept=finance``)
while people read Chinese (or English) names, so those four are bound on small
code-valued widgets kept out of sight, and the visible, translated widgets copy
their value there. Year, sector and search display exactly what the URL holds,
so they are bound directly.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode

import streamlit as st

from kpi.contract.schema import STATUSES
from kpi.contract.vocab import FULL_YEAR
from kpi.web import i18n, markup, queries
from kpi.web.i18n import DEFAULT_LANG, LANGS, t
from kpi.web.markup import markdown_literal
from kpi.web.queries import Filters

YEAR, DEPT, SECTOR, THEME, STATUS, QUERY, LANG = "year", "dept", "sector", "theme", "status", "q", "lang"
# The report period of the year (?period=H1): options are the periods the chosen year reports.
PERIOD = "period"
# Bound to the URL by a page (not a filter): the rankings page's scope tab. Shared links carry it.
RANK_SCOPE = "rank_scope"
PAGE_PARAMS: dict[str, tuple[str, ...]] = {"rankings": (RANK_SCOPE,)}
# Not in the URL: narrows the department pickers' options when there are too many to list.
DEPT_FIND = "dept_find"
# At most this many departments are offered in a picker (plus those already chosen): at a
# province's scale the full list would be 5,000 options, ≈ 230 KB sent with every page.
DEPT_OPTION_LIMIT = 200
CODE_PARAMS: tuple[str, ...] = (LANG, DEPT, THEME, STATUS, PERIOD)
URL_STATE_CONTAINER = "url_state"
PUBLIC_URL_ENV = "KPI_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://localhost:8501"


def _ui_key(param: str) -> str:
    return f"{param}_ui"


def current_lang() -> str:
    lang = st.session_state.get(LANG, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def _copy_to_bound(param: str) -> None:
    value = st.session_state[_ui_key(param)]
    st.session_state[param] = list(_texts(value)) if isinstance(value, (list, tuple)) else value


def select_department(dept_id: str | None) -> None:
    """Filter to one department (used by chart clicks and the department picker)."""
    if dept_id:
        st.session_state[DEPT] = [dept_id]


def clear_filters() -> None:
    """Reset every filter to its default (the language is kept)."""
    years = queries.years()
    st.session_state[DEPT] = []
    st.session_state[THEME] = []
    st.session_state[STATUS] = []
    st.session_state[SECTOR] = []
    st.session_state[QUERY] = ""
    if years:
        st.session_state[YEAR] = years[0]
        codes = queries.period_codes(years[0])
        if codes:
            st.session_state[PERIOD] = codes[0]


def _texts(values: object) -> tuple[str, ...]:
    """The text values of a multi-select's state; anything else (a modified client can send
    numbers) is dropped, as an unknown option is."""
    return tuple(v for v in values if isinstance(v, str)) if isinstance(values, (list, tuple)) else ()


def _known_dept_ids() -> list[str]:
    """The department codes the URL widget accepts: those the link asks for or already
    chosen, that exist. Others are dropped by Streamlit, as an unknown option is."""
    requested = set(st.query_params.get_all(DEPT)) | set(_texts(st.session_state.get(DEPT)))
    return queries.departments_by_id(tuple(requested)).get_column("dept_id").to_list()


def department_find_text() -> str:
    return st.session_state.get(DEPT_FIND) or ""


def department_options(selected: list[str], sectors: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str], int]:
    """(options, dept_id → name, number of departments matching) for a department picker:
    the chosen ones first when they are not among the first ``DEPT_OPTION_LIMIT`` that
    match the sectors and the find text."""
    choices, total = queries.department_choices(sectors, department_find_text(), DEPT_OPTION_LIMIT)
    chosen = queries.departments_by_id(tuple(selected))
    names = dict(zip(chosen.get_column("dept_id"), chosen.get_column("name"), strict=True))
    listed = choices.get_column("dept_id").to_list()
    in_list = set(listed)
    options = [d for d in selected if d in names and d not in in_list] + listed
    names.update(zip(listed, choices.get_column("name"), strict=True))
    return options, names, total


def render_department_find(container, lang: str) -> None:
    """A name filter for the department pickers, shown only when they cannot list every department."""
    if queries.department_choices((), "", DEPT_OPTION_LIMIT)[1] > DEPT_OPTION_LIMIT:
        container.text_input(
            t("dept_find", lang),
            key=DEPT_FIND,
            max_chars=queries.SEARCH_MAX_CHARS,
            placeholder=t("dept_find_placeholder", lang),
        )


def _bound_codes():
    """The code-valued widgets that carry dept/theme/status/lang in the URL; returns their
    hidden container (the period's code widget joins it once the year is known)."""
    themes = queries.themes()
    # Hidden with CSS: they exist only to hold the URL state; the visible widgets copy into them.
    st.html(f"<style>.st-key-{URL_STATE_CONTAINER} {{display: none;}}</style>")
    hidden = st.sidebar.container(key=URL_STATE_CONTAINER)
    with hidden:
        # A select box like the others here, not a radio: one kind of widget less for the browser to load.
        st.selectbox(LANG, LANGS, key=LANG, bind="query-params", label_visibility="collapsed")
        st.multiselect(DEPT, _known_dept_ids(), key=DEPT, bind="query-params")
        st.multiselect(THEME, themes.get_column("theme_id").to_list(), key=THEME, bind="query-params")
        st.multiselect(STATUS, list(STATUSES), key=STATUS, bind="query-params")
    return hidden


def _mirror(param: str) -> None:
    """Show the bound value in the visible widget (URL, chart click or reset may have changed it)."""
    value = st.session_state.get(param)
    st.session_state[_ui_key(param)] = list(_texts(value)) if isinstance(value, (list, tuple)) else value


def render_filters() -> Filters:
    """Draw the sidebar filters and return the filters in force."""
    hidden = _bound_codes()
    lang = current_lang()
    themes = queries.themes()
    years = queries.years()
    theme_names = {
        row["theme_id"]: i18n.theme_name(row["name"], row["name_en"], lang) for row in themes.iter_rows(named=True)
    }

    sidebar = st.sidebar
    sidebar.subheader(t("filters", lang))
    year_column, period_column = sidebar.columns(2)
    year = year_column.selectbox(t("year", lang), years, key=YEAR, bind="query-params")
    # Latest first, so the default (the first option) is the latest period of the year; a
    # period the year does not report is dropped from the link like any unknown value.
    codes = queries.period_codes(int(year)) if year is not None else []
    with hidden:
        st.selectbox(PERIOD, codes, key=PERIOD, bind="query-params")
    _mirror(PERIOD)
    period = period_column.selectbox(
        t("period", lang),
        codes,
        format_func=lambda code: i18n.period_label(code, lang),
        key=_ui_key(PERIOD),
        on_change=_copy_to_bound,
        args=(PERIOD,),
    )
    render_department_find(sidebar, lang)
    dept_ids, dept_names, dept_total = department_options(list(_texts(st.session_state.get(DEPT))))
    dept_names = {d: i18n.department_name(name, lang) for d, name in dept_names.items()}
    for param, label, options, names in (
        (DEPT, t("departments", lang), dept_ids, dept_names),
        (THEME, t("themes", lang), list(theme_names), theme_names),
        (STATUS, t("status", lang), list(STATUSES), {s: i18n.status_label(s, lang) for s in STATUSES}),
    ):
        _mirror(param)
        sidebar.multiselect(
            label,
            options,
            format_func=names.__getitem__,
            key=_ui_key(param),
            on_change=_copy_to_bound,
            args=(param,),
            placeholder=t("all", lang),
        )
        if param == DEPT:
            if dept_total > DEPT_OPTION_LIMIT:
                sidebar.caption(t("dept_showing", lang, shown=DEPT_OPTION_LIMIT, n=dept_total))
            elif dept_total == 0:
                sidebar.caption(t("dept_find_none", lang, text=markdown_literal(department_find_text())))
            sidebar.multiselect(
                t("sector", lang), queries.sectors(), key=SECTOR, bind="query-params", placeholder=t("all", lang)
            )
    query = sidebar.text_input(
        t("search", lang),
        key=QUERY,
        bind="query-params",
        max_chars=queries.SEARCH_MAX_CHARS,
        placeholder=t("search_placeholder", lang),
        # Searches as the reader types (after a short pause), no Enter needed.
        live="400ms",
        type="search",
    )
    sidebar.button(
        t("clear_filters", lang), key="clear_filters", on_click=clear_filters, icon=":material/filter_alt_off:"
    )
    _mirror(LANG)
    sidebar.segmented_control(
        t("language", lang),
        LANGS,
        format_func={"zh": "中文", "en": "English"}.__getitem__,
        key=_ui_key(LANG),
        on_change=_copy_to_bound,
        args=(LANG,),
        required=True,
    )
    return Filters(
        year=int(year) if year is not None else 0,
        dept_ids=_texts(st.session_state.get(DEPT)),
        sectors=_texts(st.session_state.get(SECTOR)),
        theme_ids=_texts(st.session_state.get(THEME)),
        statuses=_texts(st.session_state.get(STATUS)),
        q=queries.normalise_search(query),
        period=period if period in codes else (codes[0] if codes else FULL_YEAR),
    )


def share_params(f: Filters, lang: str = DEFAULT_LANG) -> list[tuple[str, str]]:
    """The query parameters of a link that reproduces the view.

    The year and the period are always written (a link without them would change meaning
    when a new year or period is loaded); other filters only when they are not the default.
    """
    params: list[tuple[str, str]] = [(YEAR, str(f.year)), (PERIOD, f.period)]
    params += [(DEPT, d) for d in f.dept_ids]
    params += [(SECTOR, s) for s in f.sectors]
    params += [(THEME, th) for th in f.theme_ids]
    params += [(STATUS, s) for s in f.statuses]
    if f.q:
        params.append((QUERY, f.q))
    if lang != DEFAULT_LANG:
        params.append((LANG, lang))
    return params


def share_url(base_url: str, f: Filters, lang: str = DEFAULT_LANG, page_params: list[tuple[str, str]] = ()) -> str:
    """``base_url`` (scheme, host and page path) plus the filters as repeated parameters, and
    the page's own (such as the rankings tab)."""
    return f"{base_url.split('?')[0].rstrip('/')}?{urlencode(share_params(f, lang) + list(page_params))}"


def page_params(url_path: str) -> list[tuple[str, str]]:
    """The page's own URL state in force: from its widget, else (first run) from the link."""
    params = []
    for param in PAGE_PARAMS.get(url_path, ()):
        value = st.session_state.get(param) or st.query_params.get(param)
        if value:
            params.append((param, str(value)))
    return params


def page_base_url(url_path: str) -> str:
    """The URL of the current page: from the browser when Streamlit knows it,
    else ``$KPI_PUBLIC_URL`` (the hosted address) plus the page path."""
    url = st.context.url
    if url:
        return url
    base = os.environ.get(PUBLIC_URL_ENV, "").strip() or DEFAULT_PUBLIC_URL
    return f"{base.rstrip('/')}/{url_path}".rstrip("/")


def render_share(f: Filters, url_path: str) -> None:
    """The share link: a one-tap copy button at the top of the page (a phone's first screen),
    and the link itself to read in the sidebar."""
    lang = current_lang()
    url = share_url(page_base_url(url_path), f, lang, page_params(url_path))
    # Scripts allowed for this block only: its one inline handler copies the escaped URL.
    st.html(markup.copy_link_html(url, lang), unsafe_allow_javascript=True)
    with st.sidebar.popover(t("share_show", lang), icon=":material/link:"):
        st.caption(t("share_help", lang))
        st.code(url, language=None, wrap_lines=True)


# --- a link's query string outside a page run (the PDF briefing, issue 15) ------------------

# A dashboard link's query string is a few hundred characters; a longer one is refused.
QUERY_STRING_MAX = 4000
# param → the i18n key naming it (as the page's warning about ignored link values does).
PARAM_NAMES: dict[str, str] = {
    YEAR: "year",
    PERIOD: "period",
    DEPT: "departments",
    SECTOR: "sector",
    THEME: "themes",
    STATUS: "status",
    QUERY: "search",
    LANG: "language",
}
_SINGLE_VALUED = (YEAR, PERIOD, QUERY, LANG)
_SHOWN_VALUE_MAX = 40


def _shown(value: str) -> str:
    """A value from a hostile link, safe to quote in a message: printable, one line, capped."""
    text = "".join(ch if ch.isprintable() else "�" for ch in value)
    return text if len(text) <= _SHOWN_VALUE_MAX else text[:_SHOWN_VALUE_MAX] + "…"


def parse_query_string(text: str, lang: str = DEFAULT_LANG) -> tuple[Filters, str, list[str]]:
    """The filters a link's query string asks for (``dept=finance&year=2022``, or the whole link),
    checked as the URL-bound widgets check them: a year in the data, a period that year reports,
    departments, sectors, themes and statuses that exist, one language, a search of at most
    ``SEARCH_MAX_CHARS``. Returns (filters, language, problems): the widgets drop what they do
    not know, a command must say so — ``problems`` lists each, in words, and is empty when the
    filters are exactly what the link asked for. The page's own parameters (such as the rankings
    tab) are accepted and have no effect here; any other parameter is a problem."""
    problems: list[str] = []
    text = text.strip()
    if "?" in text:
        text = text.split("?", 1)[1]
    text = text.split("#", 1)[0]
    if len(text) > QUERY_STRING_MAX:
        return Filters(year=0), DEFAULT_LANG, [t("query_too_long", lang, n=len(text), limit=QUERY_STRING_MAX)]
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return Filters(year=0), DEFAULT_LANG, [t("query_bad_encoding", lang)]
    page_params = {param for params in PAGE_PARAMS.values() for param in params}
    values: dict[str, list[str]] = {}
    for param, value in pairs:
        if param in PARAM_NAMES:
            if value:  # an empty value means no restriction, as on the page
                values.setdefault(param, []).append(value)
        elif param not in page_params:
            problems.append(t("query_unknown_param", lang, param=_shown(param)))

    def bad(param: str, value: str) -> None:
        problems.append(t("query_bad_value", lang, name=t(PARAM_NAMES[param], lang), param=param, value=_shown(value)))

    for param in _SINGLE_VALUED:
        if len(values.get(param, [])) > 1:
            problems.append(t("query_one_value", lang, name=t(PARAM_NAMES[param], lang), param=param))
            values[param] = values[param][:1]
    chosen_lang = DEFAULT_LANG
    for value in values.get(LANG, []):
        if value in LANGS:
            chosen_lang = value
        else:
            bad(LANG, value)
    years = queries.years()
    year = years[0] if years else 0
    for value in values.get(YEAR, []):
        if value.isascii() and value.isdigit() and int(value) in years:
            year = int(value)
        else:
            bad(YEAR, value)
    codes = queries.period_codes(year) if year else []
    period = codes[0] if codes else FULL_YEAR
    for value in values.get(PERIOD, []):
        if value in codes:
            period = value
        else:
            bad(PERIOD, value)

    def known(param: str, allowed: set[str]) -> tuple[str, ...]:
        kept = []
        for value in values.get(param, []):
            if value in allowed:
                if value not in kept:
                    kept.append(value)
            else:
                bad(param, value)
        return tuple(kept)

    asked = tuple(values.get(DEPT, []))
    dept_ids = known(DEPT, set(queries.departments_by_id(asked).get_column("dept_id").to_list()))
    sectors = known(SECTOR, set(queries.sectors()))
    theme_ids = known(THEME, set(queries.themes().get_column("theme_id").to_list()))
    statuses = known(STATUS, set(STATUSES))
    q = ""
    for value in values.get(QUERY, []):
        if len(value) > queries.SEARCH_MAX_CHARS:
            problems.append(t("query_too_long_search", lang, limit=queries.SEARCH_MAX_CHARS))
        q = queries.normalise_search(value)
    f = Filters(
        year=year,
        dept_ids=dept_ids,
        sectors=sectors,
        theme_ids=theme_ids,
        statuses=statuses,
        q=q,
        period=period,
    )
    return f, chosen_lang, problems
