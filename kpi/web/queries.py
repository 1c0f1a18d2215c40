"""The query layer: the only place with SQL.

One DuckDB connection per process (``st.cache_resource``) holds the Parquet
files of the data directory as in-memory tables; every query runs on its own cursor with
bound parameters and returns a small, already aggregated Polars frame, cached
per filter values with ``st.cache_data``. The goals a filter combination selects
(the scope) are worked out once per combination and shared by every query of a
page as the relation ``fg``, so a search scans the narratives once, not once per
chart. ``clear_caches()`` drops all of it, so the next query re-opens the files
(tests use it; an import needs no clearing, since caches are keyed on the version).
When a page run finds another version in force than the process saw last, the caches are
cleared once for the process (``_note_version``), so old versions do not stay in memory;
``newer_version_published()`` lets an idle open page notice a version another replica
published.

``data_problems()`` runs the contract's health check (``kpi.contract.health``) before
every page, once per version of the data (the directory ``current`` names, and its
files' inode, size, modification time); it resolves ``current`` once per page run and
the run's queries all read that version, so a page never mixes two. Caches are keyed
on the version, so a new import or files fixed by hand are read afresh on the next
run, without a restart and without clearing anything.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from kpi.contract import health
from kpi.contract.storage import BucketPath, data_dir, location
from kpi.contract.vocab import BEHIND_LIGHTS, FULL_YEAR, LIGHT_THRESHOLD_KEYS, STATUSES
from kpi.web import tables

MET_STATUSES: tuple[str, ...] = ("exceeded", "achieved")
SCOPE_GROUPS: tuple[str, ...] = ("province", "nation", "other")
SEARCH_MAX_CHARS = 50

# One definition of scope grouping, used by every ranking query.
_SCOPE_GROUP_SQL = """
    CASE WHEN i.rank_scope LIKE '全省%' THEN 'province'
         WHEN i.rank_scope LIKE '全国%' THEN 'nation'
         ELSE 'other' END
"""
# Exactly "全省第1" (not a top-N range, not a sub-scope such as 全省内河), as a result:
# a forecast (有望全省第1, 预计全省第1) is counted apart (_FORECAST_FIRST_SQL), never as achieved.
_STATED_FIRST_SQL = "(i.rank = 1 AND i.rank_scope = '全省' AND NOT i.rank_is_top_n)"
_PROVINCIAL_FIRST_SQL = f"({_STATED_FIRST_SQL} AND NOT i.is_forecast)"
_FORECAST_FIRST_SQL = f"({_STATED_FIRST_SQL} AND i.is_forecast)"
_PROVINCIAL_TOP3_SQL = "(i.rank <= 3 AND i.rank_scope = '全省' AND NOT i.is_forecast)"
# The figures that count, as ``i``: tiles, charts, rankings and targets leave out the ones the
# extraction was unsure of (confidence 'low', shown 待核 in the goal's table until staff confirm them).
_COUNTED_INDICATORS_SQL = "(SELECT * FROM indicators WHERE confidence = 'high') i"
# The goals and figures of the filter scope (the relation ``fg``). The scope is one year and
# period; saying so lets DuckDB skip the row groups of other years (zone maps) before the join:
# 2–3× on a million goal rows. ``_query`` fills $scope_year and $scope_period.
_SCOPED_GOALS_SQL = (
    "(SELECT * FROM goals WHERE year = $scope_year AND period = $scope_period) g SEMI JOIN fg ON fg.goal_id = g.goal_id"
)
_SCOPED_INDICATORS_SQL = "(SELECT * FROM indicators WHERE year = $scope_year) i SEMI JOIN fg ON fg.goal_id = i.goal_id"
# The scope year's confirmed figures, for a subquery that names its goal itself.
_YEAR_COUNTED_INDICATORS_SQL = "(SELECT * FROM indicators WHERE confidence = 'high' AND year = $scope_year) i"
_SCOPED_COUNTED_INDICATORS_SQL = f"{_YEAR_COUNTED_INDICATORS_SQL} SEMI JOIN fg ON fg.goal_id = i.goal_id"
# Percent of target: the stated completion rate, else actual ÷ target
# (target ÷ actual where lower is better). No target and no rate: no value.
_PCT_OF_TARGET_SQL = """
    CASE WHEN i.completion_pct IS NOT NULL THEN i.completion_pct
         WHEN i.target IS NULL OR i.value IS NULL THEN NULL
         WHEN i.higher_is_better AND i.target <> 0 THEN i.value / i.target * 100
         WHEN NOT i.higher_is_better AND i.value <> 0 THEN i.target / i.value * 100
    END
"""


@dataclass(frozen=True)
class Filters:
    """The global filters. Empty tuples mean "no restriction"."""

    year: int
    dept_ids: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    theme_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    q: str = ""
    # The report period (FY 全年, Q1, H1, Q1-3, M1-N); the sidebar defaults it to the year's latest.
    period: str = FULL_YEAR


def normalise_search(text: str | None) -> str:
    """Collapse whitespace and cap the length of a search term."""
    return " ".join((text or "").split())[:SEARCH_MAX_CHARS]


_CN_DIGITS = "零一二三四五六七八九"
_TO_ARABIC = str.maketrans({c: str(i) for i, c in enumerate(_CN_DIGITS)} | {"〇": "0", "两": "2"})
_TO_CHINESE = str.maketrans({str(i): c for i, c in enumerate(_CN_DIGITS)})
SEARCH_VARIANTS = 3


def search_variants(term: str) -> tuple[str, ...]:
    """The term as typed, with Chinese digits written as Arabic ones, and the reverse, lower-cased:
    全省第一 also finds 全省第1 and 前3 finds 前三. Each spelling once, at most ``SEARCH_VARIANTS``:
    a repeated one would be looked for again in every text that does not match (most of them),
    and 数字 or GDP have only one."""
    term = normalise_search(term).lower()
    if not term:
        return ()
    return tuple(dict.fromkeys([term, term.translate(_TO_ARABIC), term.translate(_TO_CHINESE)]))


def _matches(column: str, cased: tuple[bool, ...]) -> str:
    """``column`` contains one of the (lower-cased) variants $q0, $q1 …; ``cased[k]``: variant k has
    letters with case. One without (Chinese, digits) is looked for in the text as it is. One with
    case is matched by $r{k}, the variant as a literal case-insensitive pattern (``_literal_pattern``):
    RE2 folds case while it scans, as fast as the plain scan, where lower() of a million narratives
    first cost about 5× that (GDP on the four-period million rows: 1,185 ms for the tiles' series)."""
    return (
        "("
        + " OR ".join(
            f"regexp_matches({column}, $r{k})" if has_case else f"contains({column}, $q{k})"
            for k, has_case in enumerate(cased)
        )
        + ")"
    )


def _literal_pattern(term: str) -> str:
    """The term as an RE2 pattern that matches exactly its characters, in any case (every
    character that could mean something in a pattern is escaped: the term comes from anyone)."""
    return "(?i)" + re.escape(term)


def _search_sql(cased: tuple[bool, ...]) -> str:
    """A goal matches a search when its title, narrative, department (short or full name) or one
    of its themes (Chinese or English name) contains the term in one of its variants."""
    return (
        "("
        + " OR ".join(_matches(c, cased) for c in ("g.title", "g.result", "d.name", "d.full_name"))
        + " OR list_has_any(g.themes, (SELECT coalesce(list(th.theme_id), []) FROM themes th WHERE "
        + _matches("th.name", cased)
        + " OR "
        + _matches("coalesce(th.name_en, '')", cased)
        + ")))"
    )


# The search condition for each number of variants and each combination of them with and without
# case, built once from fixed fragments: which one a search uses depends on the term, the SQL never
# holds the term.
_SEARCH_SQL: dict[tuple[bool, ...], str] = {
    cased: _search_sql(cased)
    for count in range(1, SEARCH_VARIANTS + 1)
    for cased in itertools.product((False, True), repeat=count)
}


# Per data directory, the version data_problems() saw last (shared by all sessions): what
# queries outside a page run use.
_seen_versions: dict[str, tuple[str, health.FileSignature]] = {}
# Within a page run, the version resolved by that run's data_problems(): every query of the run
# reads that one version, whatever other sessions publish or see meanwhile.
_RUN_VERSION_KEY = "_kpi_data_version"


def _run_state():
    """This session's state during a page run; None outside one (tests, benchmark scripts)."""
    return st.session_state if get_script_run_ctx(suppress_warning=True) is not None else None


def _resolve(directory: Path | BucketPath) -> tuple[str, health.FileSignature]:
    version, _ = health.resolve(directory)
    version = version or directory
    return str(version), health.file_signature(version)


def _version_in_force() -> tuple[str, health.FileSignature]:
    directory = str(data_dir())
    state = _run_state()
    if state is not None:
        pinned = state.get(_RUN_VERSION_KEY)
        if pinned is not None and pinned[0] == directory:
            return pinned[1]
    seen = _seen_versions.get(directory)
    if seen is None:
        seen = _seen_versions[directory] = _resolve(location(directory))
    return seen


def data_version() -> str:
    """The cache key of the data in force: the version directory and its files' signature."""
    version, signature = _version_in_force()
    return f"{version}|{signature}"


@st.cache_data(show_spinner=False, max_entries=16)
def _data_problems(version: str, signature: health.FileSignature, deep: bool) -> list[str]:
    problems = health.version_file_problems(location(version), deep)
    if problems:
        return problems
    # tables.Unreadable is raised through, so that neither cache keeps it (data_problems says it).
    return list(_loaded(version, tables.version_key(version, signature)).problems)


def data_problems(directory: Path | BucketPath | None = None, deep: bool = False) -> list[str]:
    """What keeps the dashboard from reading the data (``kpi.contract.health``), checked once per
    version of the files. Resolves ``current`` once: the rest of this page run reads that version."""
    directory = directory or data_dir()
    resolved_at = time.monotonic()
    version, problems = health.resolve(directory)
    if version is None:
        return problems
    resolved = _note_version(str(directory), (str(version), health.file_signature(version)))
    try:
        problems = _data_problems(*resolved, deep)
    except tables.Unreadable as unreadable:  # tried again on the next run
        problems = list(unreadable.problems)
    state = _run_state()
    if state is not None:
        state[_RUN_VERSION_KEY] = (str(directory), resolved)
        state[_RUN_RESOLVED_AT_KEY] = resolved_at
    return problems


# Keyed on the data version (unused in the body): files that changed get a new connection.
@st.cache_resource(show_spinner=False, max_entries=2)
def _loaded(version: str, key: str) -> tables.Loaded:
    return tables.load(location(version))


def _connection(version: str, key: str) -> duckdb.DuckDBPyConnection:
    """The version's tables, loaded once per version and process (``kpi.web.tables``)."""
    try:
        return _loaded(version, key).connection
    except tables.Unreadable as unreadable:  # as DuckDB, PyArrow or the store raised it: the page's error handling
        raise unreadable.error from None


def _query(sql: str, params: dict[str, object] | None = None, scope: Filters | None = None) -> pl.DataFrame:
    """Run one statement on a cursor of its own; the goals passing ``scope`` are visible to it as
    the relation ``fg``, its year and period as $scope_year and $scope_period where the SQL uses them."""
    version, signature = _version_in_force()
    params = dict(params or {})
    if scope is not None:
        if "$scope_year" in sql:
            params["scope_year"] = int(scope.year)
        if "$scope_period" in sql:
            params["scope_period"] = str(scope.period)
        scope_table = _scope(scope)
    cursor = _connection(version, tables.version_key(version, signature)).cursor()
    try:
        if scope is not None:
            cursor.register("fg", scope_table)
        return cursor.sql(sql, params=params).pl()
    finally:
        cursor.close()


_PREFETCHED_KEY = "_kpi_prefetched"


def prefetch(what: tuple, *calls: Callable[[], object]) -> threading.Thread | None:
    """Start these query calls, one after the other, on a thread of their own while the page goes
    on drawing; the page's own calls find them cached, or wait for the one under way (Streamlit
    computes a cached value once however many callers ask). DuckDB runs a query of one period's
    size on one core, so the page and its prefetch use two. The thread carries the page run's
    context, so it reads the version the run pinned. A call that fails is left to the page's own
    call, which fails the same way where the page handles it. Outside a page run: nothing.

    ``what`` names what the calls fetch (page, filters, page numbers): a rerun of the session
    that asks for the same again (a toggle, an expander) starts nothing, its values are cached."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not calls:
        return None
    asked = (data_version(), what)
    if st.session_state.get(_PREFETCHED_KEY) == asked:
        return None
    st.session_state[_PREFETCHED_KEY] = asked
    thread = threading.Thread(target=_run_prefetch, args=(calls,), name="kpi-prefetch", daemon=True)
    add_script_run_ctx(thread, ctx)
    thread.start()
    return thread


def _run_prefetch(calls: tuple[Callable[[], object], ...]) -> None:
    for call in calls:
        try:
            call()
        except Exception:  # the page's own call raises it where it is handled
            _log.debug("prefetch failed; the page's own call will tell", exc_info=True)


def _split_total(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """A page of rows that carry ``count(*) OVER () AS total``: the rows without it, and the total."""
    return frame.drop("total"), int(frame.get_column("total")[0]) if frame.height else 0


def clear_caches() -> None:
    """Forget the connection and every cached result (call after new data are written)."""
    _loaded.clear()
    _seen_versions.clear()
    _polled.clear()
    for cached in _CACHED:
        cached.clear()


# --- Replicas: a newly published version noticed by every process, its caches cleared once ---------

_log = logging.getLogger(__name__)
_version_lock = threading.Lock()
# How many times this process dropped its caches because the data in force changed (one per change).
cache_clears = 0
# A session's page polls the version this often (an idle open page follows a new import). Each poll
# is a fragment run, ≈ 5–9 ms of server CPU (docs/scaling.md): 100 idle tabs cost ≈ 0.1–0.2 of a core.
VERSION_POLL_SECONDS = 5.0
# Process-wide: the version last read for a poll, and when; polls of all sessions share one read.
_polled: dict[str, tuple[float, tuple[str, health.FileSignature] | None]] = {}
_POLL_REUSE_SECONDS = 1.0
# When this session's last page run resolved its version: a poll read before that is not used.
_RUN_RESOLVED_AT_KEY = "_kpi_data_version_at"


def _note_version(directory: str, resolved: tuple[str, health.FileSignature]) -> tuple[str, health.FileSignature]:
    """The version a page run reads: ``resolved``, or what is in force now when the process's
    version changed meanwhile. On a change the caches are cleared, once per process: sessions
    that notice it together take a lock, and only the first finds the version still unseen.
    Under the lock the directory is resolved afresh, so the version seen only moves to what is
    current, never back to what a slower run resolved before the publication."""
    global cache_clears
    if _seen_versions.get(directory) == resolved:
        return resolved
    with _version_lock:
        seen = _seen_versions.get(directory)
        if seen == resolved:
            return resolved
        fresh = _resolve_or_none(location(directory)) or resolved
        if seen is not None and fresh != seen:
            _loaded.clear()
            for cached in _CACHED:
                cached.clear()
            cache_clears += 1
            _log.info("data version changed from %s to %s: caches cleared", Path(seen[0]).name, Path(fresh[0]).name)
        _seen_versions[directory] = fresh
        return fresh


def preload() -> str | None:
    """Load the data in force into memory before the first visitor asks for it: ``python -m
    kpi.serve`` runs this on a thread of its own once the server listens, so the first page waits
    for its own queries, not for the tables (≈ 2 s for a million figures). Returns the version
    directory loaded; None when there is none or it cannot be loaded. What is wrong is not said
    here: the first page run says it, as every page does (``data_problems``)."""
    directory = data_dir()
    version, _ = health.resolve(directory)
    if version is None or health.version_file_problems(version, deep=False):
        return None
    # Noted as a page run notes it: a version published before the first visit replaces this one.
    resolved = _note_version(str(directory), (str(version), health.file_signature(version)))
    try:
        _loaded(resolved[0], tables.version_key(*resolved))
    except tables.Unreadable:
        return None
    return resolved[0]


def _resolve_or_none(directory: Path | BucketPath) -> tuple[str, health.FileSignature] | None:
    version, _ = health.resolve(directory)
    return (str(version), health.file_signature(version)) if version is not None else None


def newer_version_published() -> bool:
    """True when the data in force differ from what this session's last page run read: a version
    published since (by this process or another replica), or files replaced by hand. Reads the
    ``current`` link at most once a second per process, whatever the number of sessions (and
    never answers from a read older than the session's own last run, which would rerun it
    for nothing)."""
    state = _run_state()
    pinned = state.get(_RUN_VERSION_KEY) if state is not None else None
    directory = str(data_dir())
    if pinned is None or pinned[0] != directory:
        return False
    now = time.monotonic()
    polled = _polled.get(directory)
    if polled is None or now - polled[0] >= _POLL_REUSE_SECONDS or polled[0] < state.get(_RUN_RESOLVED_AT_KEY, now):
        polled = _polled[directory] = (now, _resolve_or_none(location(directory)))
    return polled[1] is not None and polled[1] != pinned[1]


def _goal_scope(f: Filters, periods_sql: str | None = None) -> tuple[str, dict[str, object]]:
    """SQL selecting the goals that pass the filters, with its parameters: those of the filters'
    year and period, or those that ``periods_sql`` (a fixed condition on g) selects, for series
    across periods.

    Only fixed SQL fragments are chosen here; every user value is a parameter.
    """
    conditions = [periods_sql or "g.year = $year AND g.period = $period"]
    params: dict[str, object] = {"year": int(f.year), "period": str(f.period)}
    if f.dept_ids:
        conditions.append("list_contains($dept_ids, g.dept_id)")
        params["dept_ids"] = list(f.dept_ids)
    if f.sectors:
        conditions.append("list_contains($sectors, d.sector)")
        params["sectors"] = list(f.sectors)
    if f.theme_ids:
        conditions.append("list_has_any(g.themes, $theme_ids)")
        params["theme_ids"] = list(f.theme_ids)
    if f.statuses:
        conditions.append("list_contains($statuses, g.status)")
        params["statuses"] = list(f.statuses)
    variants = search_variants(f.q)
    if variants:
        # contains() matches literally: % and _ in the term are not wildcards. A variant with
        # letters is matched as $r{k}, a literal case-insensitive pattern; one without as $q{k}.
        cased = tuple(v.lower() != v.upper() for v in variants)
        conditions.append(_SEARCH_SQL[cased])
        for k, (variant, has_case) in enumerate(zip(variants, cased, strict=True)):
            params[f"r{k}" if has_case else f"q{k}"] = _literal_pattern(variant) if has_case else variant
    sql = f"""
        SELECT g.goal_id, g.dept_id, g.status, g.light, g.year, g.period
        FROM goals g JOIN departments d ON d.dept_id = g.dept_id
        WHERE {" AND ".join(conditions)}
    """
    return sql, params


# Not st.cache_data: that would copy the (up to a year's worth of) goal ids on every
# query; an Arrow table is immutable, so one copy can be shared by every session.
@st.cache_resource(show_spinner=False, max_entries=32)
def _scope_table(version: str, f: Filters) -> pa.Table:
    sql, params = _goal_scope(f)
    return _query(sql, params).to_arrow()


def _scope(f: Filters) -> pa.Table:
    """goal_id, dept_id, status, light, year, period of the goals that pass the filters, evaluated
    once per combination."""
    return _scope_table(data_version(), f)


# --- options for the filter widgets -------------------------------------------------


@st.cache_data(show_spinner=False)
def _years(version: str) -> list[int]:
    frame = _query("SELECT DISTINCT year FROM goals ORDER BY year DESC")
    return [int(y) for y in frame.get_column("year").to_list()]


def years() -> list[int]:
    return _years(data_version())


@st.cache_data(show_spinner=False)
def _departments(version: str) -> pl.DataFrame:
    return _query("SELECT dept_id, name, full_name, sector FROM departments ORDER BY sort_order, dept_id")


def departments() -> pl.DataFrame:
    """All departments in display order: dept_id, name, full_name, sector."""
    return _departments(data_version())


@st.cache_data(show_spinner=False, max_entries=256)
def _department_choices(version: str, sectors: tuple[str, ...], name_part: str, limit: int) -> tuple[pl.DataFrame, int]:
    frame = _query(
        """
        SELECT dept_id, name, count(*) OVER () AS total FROM departments
        WHERE ($any_sector OR list_contains($sectors, sector))
          AND ($part = '' OR contains(lower(name), lower($part)) OR contains(lower(full_name), lower($part)))
        ORDER BY sort_order, dept_id
        LIMIT $limit
        """,
        {"sectors": list(sectors), "any_sector": not sectors, "part": name_part, "limit": limit},
    )
    return _split_total(frame)


def department_choices(sectors: tuple[str, ...], name_part: str, limit: int) -> tuple[pl.DataFrame, int]:
    """The first ``limit`` departments (display order) of the given sectors (all when none)
    whose short or full name contains ``name_part``, and how many match in all: the options
    of a department picker, which at a province's scale cannot list every department."""
    return _department_choices(data_version(), tuple(sectors), normalise_search(name_part), int(limit))


@st.cache_data(show_spinner=False, max_entries=256)
def _departments_by_id(version: str, dept_ids: tuple[str, ...]) -> pl.DataFrame:
    return _query(
        """
        SELECT dept_id, name, full_name, sector FROM departments
        WHERE list_contains($dept_ids, dept_id)
        ORDER BY sort_order, dept_id
        """,
        {"dept_ids": list(dept_ids)},
    )


def departments_by_id(dept_ids: tuple[str, ...]) -> pl.DataFrame:
    """The departments among ``dept_ids`` that exist (unknown ids are left out), in display order."""
    return _departments_by_id(data_version(), tuple(sorted(set(dept_ids))))


@st.cache_data(show_spinner=False)
def _themes(version: str) -> pl.DataFrame:
    return _query("SELECT theme_id, name, name_en FROM themes ORDER BY theme_id")


def themes() -> pl.DataFrame:
    return _themes(data_version())


@st.cache_data(show_spinner=False)
def _sectors(version: str) -> list[str]:
    frame = _query("SELECT sector FROM departments GROUP BY sector ORDER BY min(sort_order)")
    return frame.get_column("sector").to_list()


def sectors() -> list[str]:
    return _sectors(data_version())


@st.cache_data(show_spinner=False, max_entries=64)
def _departments_matching(version: str, f: Filters, limit: int) -> tuple[pl.DataFrame, int]:
    frame = _query(
        """
        SELECT d.dept_id, d.name, count(*) OVER () AS total
        FROM departments d SEMI JOIN fg ON fg.dept_id = d.dept_id
        ORDER BY d.sort_order, d.dept_id
        LIMIT $limit
        """,
        {"limit": int(limit)},
        scope=f,
    )
    return _split_total(frame)


def departments_matching(f: Filters, limit: int) -> tuple[pl.DataFrame, int]:
    """The departments (first ``limit``, display order) with at least one goal passing the
    filters other than the department filter — a search's departments — and how many in all."""
    return _departments_matching(data_version(), replace(f, dept_ids=()), int(limit))


# --- tiles ----------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _tiles(version: str, f: Filters) -> dict[str, float | int]:
    goal_counts = _query(
        f"""
        SELECT count(*) AS goals,
               {", ".join(f"count(*) FILTER (WHERE status = '{s}') AS {s}" for s in STATUSES)}
        FROM fg
        """,
        scope=f,
    ).row(0, named=True)
    firsts = _query(
        f"""
        SELECT count(*) FILTER (WHERE {_PROVINCIAL_FIRST_SQL}) AS firsts,
               count(*) FILTER (WHERE {_FORECAST_FIRST_SQL}) AS forecast_firsts
        FROM {_SCOPED_COUNTED_INDICATORS_SQL}
        WHERE {_STATED_FIRST_SQL}
        """,
        scope=f,
    ).row(0, named=True)
    tiles: dict[str, float | int] = {key: int(value) for key, value in goal_counts.items()}
    tiles["at_risk_or_not_met"] = tiles["at_risk"] + tiles["not_met"]
    tiles["provincial_firsts"] = int(firsts["firsts"] or 0)
    tiles["forecast_firsts"] = int(firsts["forecast_firsts"] or 0)
    met = sum(tiles[s] for s in MET_STATUSES)
    tiles["met_share"] = met / tiles["goals"] if tiles["goals"] else 0.0
    return tiles


def tiles(f: Filters) -> dict[str, float | int]:
    """Counts for the KPI tiles: goals, one per status, at_risk_or_not_met,
    provincial_firsts (figures ranked exactly 全省第1, as a result), forecast_firsts (全省第1
    stated as a forecast: 有望, 预计) and met_share (0..1)."""
    return _tiles(data_version(), f)


# --- problems first ------------------------------------------------------------------------

# Per department of the scope: goals, one count per light and per problem status, shares. The
# columns the worst-first order below reads; shared by every query that lists departments worst
# first. A department has a problem when a goal has a red or yellow light, or a status not met,
# at risk or pending (the light rules make those red or yellow; the status is counted too, so a
# goal is never dropped from the problems because of its light alone).
_PER_DEPT_SQL = """
    SELECT dept_id, count(*) AS total,
           count(*) FILTER (WHERE light = 'red') AS red,
           count(*) FILTER (WHERE light = 'yellow') AS yellow,
           count(*) FILTER (WHERE light = 'green') / count(*) AS green_share,
           count(*) FILTER (WHERE status = 'not_met') AS not_met,
           count(*) FILTER (WHERE status = 'at_risk') AS at_risk,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE light IN ('red', 'yellow') OR status IN ('not_met', 'at_risk', 'pending')) AS problems,
           count(*) FILTER (WHERE status IN ('exceeded', 'achieved')) / count(*) AS met_share,
           count(*) FILTER (WHERE status = 'exceeded') / count(*) AS exceeded_share
    FROM fg GROUP BY dept_id
"""
# THE order of departments "worst first", in one place: most red lights, then yellow ones; equal
# on those, the status breaks the tie (most unmet goals, then at risk, then pending); then the
# lowest share of green lights (a goal without a measurable light, 无量化进度, is not on track
# either), then lowest share met. ``p`` is a row of _PER_DEPT_SQL, ``d`` its department.
_WORST_FIRST_SQL = (
    "p.red DESC, p.yellow DESC, p.not_met DESC, p.at_risk DESC, p.pending DESC, "
    "p.green_share ASC, p.met_share ASC, p.exceeded_share ASC, p.total DESC, d.sort_order"
)
# The best departments first (the reverse, for those without a problem): most green, most met.
_BEST_FIRST_SQL = "p.green_share DESC, p.met_share DESC, p.exceeded_share DESC, p.total DESC, d.sort_order"
# With this many departments or fewer, every department is shown; beyond, every department
# with a problem plus the best PROBLEMS_TOP_N others (the rest behind "show all").
SHOW_ALL_DEPARTMENTS = 20
PROBLEMS_TOP_N = 10
# At province scale most departments can have a problem in a running period (3,866 of 5,000 at
# 一季度 in the benchmark set): lists and charts show the worst this many, the rest on request.
LAGGARDS_MAX = 50


@st.cache_data(show_spinner=False)
def _status_worst_first(version: str, f: Filters, show_all: bool) -> tuple[pl.DataFrame, int, int]:
    frame = _query(
        f"""
        WITH per_dept AS ({_PER_DEPT_SQL}),
        ranked AS (
            SELECT p.*, d.name, d.full_name,
                   row_number() OVER (ORDER BY {_WORST_FIRST_SQL}) AS dept_order,
                   -- place among the departments without a problem, best first
                   CASE WHEN p.problems = 0 THEN row_number() OVER (
                       PARTITION BY p.problems = 0 ORDER BY {_BEST_FIRST_SQL}
                   ) END AS best_order,
                   count(*) OVER () AS departments
            FROM per_dept p JOIN departments d ON d.dept_id = p.dept_id
        ),
        shown AS (
            SELECT * FROM ranked
            WHERE $show_all OR departments <= $keep_all OR best_order <= $top_n
                  OR (problems > 0 AND dept_order <= $laggards_max)
        )
        SELECT s.dept_id, s.name, s.full_name, fg.status, count(*) AS goals, s.total, s.problems,
               s.met_share, s.dept_order, list_position($statuses_order, fg.status) AS status_order,
               s.departments, (SELECT count(*) FROM shown) AS shown_departments
        FROM fg JOIN shown s ON s.dept_id = fg.dept_id
        GROUP BY ALL
        ORDER BY s.dept_order, status_order
        """,
        {
            "show_all": bool(show_all),
            "keep_all": SHOW_ALL_DEPARTMENTS,
            "top_n": PROBLEMS_TOP_N,
            "laggards_max": LAGGARDS_MAX,
            "statuses_order": list(STATUSES),
        },
        scope=f,
    )
    if not frame.height:
        return frame.drop("departments", "shown_departments"), 0, 0
    total = int(frame.get_column("departments")[0])
    hidden = total - int(frame.get_column("shown_departments")[0])
    return frame.drop("departments", "shown_departments"), total, hidden


def status_worst_first(f: Filters, show_all: bool = False) -> tuple[pl.DataFrame, int, int]:
    """Goals per department and status, departments worst first (``_WORST_FIRST_SQL``).

    Up to ``SHOW_ALL_DEPARTMENTS`` departments all are shown; beyond that the departments with a
    problem (a red or yellow light, a goal not met, at risk or pending), worst first, at most
    ``LAGGARDS_MAX`` of them, plus the ``PROBLEMS_TOP_N`` best others (all with ``show_all``).
    Returns (frame: dept_id, name, full_name, status, goals, total, problems, met_share,
    dept_order, status_order; number of departments; number left out)."""
    return _status_worst_first(data_version(), f, bool(show_all))


@st.cache_data(show_spinner=False)
def _problem_departments(version: str, f: Filters, limit: int | None) -> tuple[pl.DataFrame, int]:
    return _split_total(
        _query(
            f"""
            WITH per_dept AS ({_PER_DEPT_SQL})
            SELECT p.dept_id, d.name, d.full_name, p.red, p.yellow, p.not_met, p.at_risk, p.pending,
                   p.total, count(*) OVER () AS total_departments
            FROM per_dept p JOIN departments d ON d.dept_id = p.dept_id
            WHERE p.problems > 0
            ORDER BY {_WORST_FIRST_SQL}
            LIMIT $limit
            """,
            {"limit": limit},
            scope=f,
        ).rename({"total": "goals", "total_departments": "total"})
    )


def problem_departments(f: Filters, limit: int | None = None) -> tuple[pl.DataFrame, int]:
    """The departments with a red or yellow light or a goal not met, at risk or pending, worst
    first (``_WORST_FIRST_SQL``), with those counts and their number of goals (``goals``); the
    worst ``limit`` of them (all with None). Returns (frame, number of such departments)."""
    return _problem_departments(data_version(), f, None if limit is None else int(limit))


@st.cache_data(show_spinner=False)
def _league_table(version: str, f: Filters, show_all: bool) -> tuple[pl.DataFrame, int, int]:
    frame = _query(
        f"""
        WITH per_dept AS ({_PER_DEPT_SQL}),
        ranks AS (
            SELECT i.dept_id,
                   count(*) FILTER (WHERE {_PROVINCIAL_FIRST_SQL}) AS firsts,
                   count(*) FILTER (WHERE {_PROVINCIAL_TOP3_SQL}) AS top3
            FROM {_SCOPED_COUNTED_INDICATORS_SQL}
            WHERE i.rank IS NOT NULL
            GROUP BY i.dept_id
        ),
        counted AS (
            SELECT p.dept_id, d.name, d.full_name, p.total,
                   CAST(round(p.green_share * p.total) AS BIGINT) AS green, p.green_share,
                   CAST(round(p.met_share * p.total) AS BIGINT) AS met, p.met_share, p.red, p.yellow,
                   coalesce(r.firsts, 0) AS firsts, coalesce(r.top3, 0) AS top3, d.sort_order,
                   -- the order among equals: worst first from the bottom up (_WORST_FIRST_SQL)
                   row_number() OVER (ORDER BY {_WORST_FIRST_SQL}) AS worst_order
            FROM per_dept p JOIN departments d ON d.dept_id = p.dept_id
            LEFT JOIN ranks r ON r.dept_id = p.dept_id
        ),
        placed AS (
            SELECT *, rank() OVER (ORDER BY green_share DESC, firsts DESC, top3 DESC) AS place,
                   count(*) OVER (PARTITION BY green_share, firsts, top3) > 1 AS tied,
                   row_number() OVER (ORDER BY green_share DESC, firsts DESC, top3 DESC, worst_order DESC)
                       AS line,
                   count(*) OVER () AS departments
            FROM counted
        )
        SELECT dept_id, name, full_name, total, green, green_share, met, met_share, red, yellow,
               firsts, top3, place, tied, departments, count(*) OVER () AS shown_departments
        FROM placed
        WHERE $show_all OR departments <= $keep_all OR line <= $top_n OR line > departments - $top_n
        ORDER BY line
        """,
        {"show_all": bool(show_all), "keep_all": SHOW_ALL_DEPARTMENTS, "top_n": PROBLEMS_TOP_N},
        scope=f,
    )
    if not frame.height:
        return frame.drop("departments", "shown_departments"), 0, 0
    total = int(frame.get_column("departments")[0])
    hidden = total - int(frame.get_column("shown_departments")[0])
    return frame.drop("departments", "shown_departments"), total, hidden


def league_table(f: Filters, show_all: bool = False) -> tuple[pl.DataFrame, int, int]:
    """The 赛马 league table: departments by share of goals on or ahead of time progress (green
    lights: 达到时序进度, at 全年 完成目标), then stated 全省第1 figures, then 全省前三 figures
    (confirmed ones only, forecasts never counted); equal on all three is a tie, with the same
    ``place`` (1, 1, 3 …) and ``tied`` true. Among equals the worse department (``_WORST_FIRST_SQL``:
    more red, then yellow lights, then status) is listed lower.

    Up to ``SHOW_ALL_DEPARTMENTS`` departments all are listed; beyond, the ``PROBLEMS_TOP_N``
    best and the ``PROBLEMS_TOP_N`` laggards at the bottom (all with ``show_all``).
    Returns (frame: dept_id, name, full_name, total, green, green_share, met, met_share, red,
    yellow, firsts, top3, place, tied; number of departments; number left out)."""
    return _league_table(data_version(), f, bool(show_all))


# --- goal lists ---------------------------------------------------------------------------

_GOAL_COLUMNS = """
    g.goal_id, g.year, g.dept_id, d.name AS dept_name, g.seq, g.title, g.result,
    g.status, g.status_reason, g.themes, g.period, g.goal_key, g.light, g.light_reason
"""


@st.cache_data(show_spinner=False)
def _goal_page(version: str, f: Filters, limit: int, offset: int) -> tuple[pl.DataFrame, int]:
    frame = _query(
        f"""
        SELECT {_GOAL_COLUMNS}, count(*) OVER () AS total
        FROM {_SCOPED_GOALS_SQL}
        JOIN departments d ON d.dept_id = g.dept_id
        ORDER BY {_LIGHT_ORDER_SQL}, list_position($worst_first, g.status), d.sort_order, g.seq, g.goal_id
        LIMIT $limit OFFSET $offset
        """,
        {"worst_first": list(_STATUS_WORST_FIRST), "limit": int(limit), "offset": int(offset)},
        scope=f,
    )
    if frame.height:
        return frame.drop("total"), int(frame.get_column("total")[0])
    if offset == 0 and limit > 0:
        return frame.drop("total"), 0
    # A page past the end has no row to carry the total: count separately (rare).
    count = _query("SELECT count(*) FROM fg", scope=f).item()
    return frame.drop("total"), int(count)


def goal_page(f: Filters, limit: int = 10, offset: int = 0) -> tuple[pl.DataFrame, int]:
    """One page of the goals that pass the filters, problems first (red, yellow, green, no light;
    within a light by status, worst first; then department order and number), and their total count."""
    return _goal_page(data_version(), f, limit, offset)


_INDICATOR_COLUMNS = """
    i.indicator_id, i.goal_id, i.name, i.value, i.unit, i.value_text, i.qualifier,
    i.target, i.target_text, i.completion_pct, i.growth_pct, i.rank, i.rank_scope,
    i.rank_is_top_n, i.is_forecast, i.higher_is_better, i.quote, i.target_basis, i.confidence, i.confidence_reason
"""


@st.cache_data(show_spinner=False)
def _indicators_of_goals(version: str, goal_ids: tuple[str, ...], years: tuple[int, ...]) -> pl.DataFrame:
    if not goal_ids or not years:
        return _query(f"SELECT {_INDICATOR_COLUMNS} FROM indicators i WHERE FALSE")
    # The year test comes first: it is cheap and leaves list_contains a tenth of a decade's figures.
    return _query(
        f"""
        SELECT {_INDICATOR_COLUMNS} FROM indicators i
        WHERE i.year BETWEEN $first AND $last AND list_contains($years, i.year)
          AND list_contains($goal_ids, i.goal_id)
        ORDER BY i.goal_id, i.indicator_id
        """,
        {"goal_ids": list(goal_ids), "years": list(years), "first": min(years), "last": max(years)},
    )


def indicators_of_goals(goal_ids: tuple[str, ...], years: tuple[int, ...]) -> pl.DataFrame:
    """The figures of the given goals; ``years`` are the goals' years (one, for a page of goal cards)."""
    return _indicators_of_goals(data_version(), tuple(goal_ids), tuple(sorted({int(y) for y in years})))


# --- rankings and targets -------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _rank_statements(version: str, f: Filters, scope_group: str, limit: int) -> tuple[pl.DataFrame, int]:
    frame = _query(
        f"""
        WITH ranked AS (
            SELECT i.indicator_id, i.dept_id, d.name AS dept_name, d.full_name AS dept_full_name,
                   i.name, i.value_text, i.unit, i.rank, i.rank_scope, i.rank_is_top_n, i.is_forecast, i.quote,
                   d.sort_order,
                   min(i.rank) FILTER (WHERE NOT i.is_forecast) OVER (PARTITION BY i.dept_id) AS best_rank,
                   count(*) FILTER (WHERE {_PROVINCIAL_FIRST_SQL}) OVER (PARTITION BY i.dept_id) AS firsts
            FROM {_SCOPED_COUNTED_INDICATORS_SQL}
            JOIN departments d ON d.dept_id = i.dept_id
            WHERE i.rank IS NOT NULL AND {_SCOPE_GROUP_SQL} = $scope_group
        )
        SELECT * EXCLUDE (sort_order, best_rank), count(*) OVER () AS total
        FROM ranked
        ORDER BY firsts DESC, best_rank NULLS LAST, sort_order, dept_id,
                 is_forecast, rank, rank_is_top_n, indicator_id
        LIMIT $limit
        """,
        {"scope_group": scope_group, "limit": int(limit)},
        scope=f,
    )
    return _split_total(frame)


def rank_statements(f: Filters, scope_group: str, limit: int = 400) -> tuple[pl.DataFrame, int]:
    """Ranked figures of one scope group, grouped by department (departments with most stated
    全省第1 first, then best rank), each department's achieved ranks best first, forecasts last.
    With the department's full name and ``is_forecast``. Confirmed figures only (no 待核)."""
    if scope_group not in SCOPE_GROUPS:
        raise ValueError(f"unknown scope group {scope_group!r}")
    return _rank_statements(data_version(), f, scope_group, int(limit))


# Goals worst first by status, in one place (the order of STATUSES reversed: not met first).
_STATUS_WORST_FIRST: tuple[str, ...] = ("not_met", "at_risk", "pending", "on_track", "achieved", "exceeded")


@st.cache_data(show_spinner=False)
def _target_gaps(version: str, f: Filters, limit: int | None) -> tuple[pl.DataFrame, int]:
    frame = _query(
        f"""
        WITH measured AS (
            SELECT i.indicator_id, i.goal_id, i.dept_id, d.name AS dept_name, g.seq, g.title AS goal_title,
                   g.status, i.name, i.value, i.unit, i.value_text, i.target, i.target_text, i.target_basis,
                   i.completion_pct, i.higher_is_better, i.is_forecast, i.quote,
                   {_PCT_OF_TARGET_SQL} AS pct_of_target,
                   i.value - i.target AS gap, d.sort_order
            FROM {_SCOPED_COUNTED_INDICATORS_SQL}
            JOIN departments d ON d.dept_id = i.dept_id
            JOIN goals g ON g.goal_id = i.goal_id
            WHERE i.target IS NOT NULL OR i.completion_pct IS NOT NULL
        )
        SELECT * EXCLUDE (sort_order), pct_of_target - 100 AS gap_pct, count(*) OVER () AS total
        FROM measured WHERE pct_of_target IS NOT NULL
        ORDER BY pct_of_target, sort_order, indicator_id
        LIMIT $limit
        """,
        {"limit": limit},
        scope=f,
    )
    return _split_total(frame)


def target_gaps(f: Filters, limit: int | None = None) -> tuple[pl.DataFrame, int]:
    """Every figure with a target or a completion rate, furthest below its target first:
    pct_of_target, gap (value − target, base units; null without a target value) and
    gap_pct (pct_of_target − 100), with the goal's title and status. Confirmed figures only (no 待核)."""
    return _target_gaps(data_version(), f, limit)


@st.cache_data(show_spinner=False)
def _title_target_goals(version: str, f: Filters, limit: int) -> tuple[pl.DataFrame, int]:
    # Only confirmed figures: a 待核 figure paired with a target is not on the targets page
    # (target_gaps), so its goal is listed here, and the figures written out are counted ones.
    frame = _query(
        f"""
        SELECT g.goal_id, g.dept_id, d.name AS dept_name, g.seq, g.title, g.status,
               (SELECT list(i.value_text ORDER BY i.indicator_id) FROM {_YEAR_COUNTED_INDICATORS_SQL}
                WHERE i.goal_id = g.goal_id) AS figures,
               count(*) OVER () AS total
        FROM {_SCOPED_GOALS_SQL}
        JOIN departments d ON d.dept_id = g.dept_id
        WHERE regexp_matches(g.title, '[0-9]')
          AND NOT EXISTS (
              SELECT 1 FROM {_YEAR_COUNTED_INDICATORS_SQL}
              WHERE i.goal_id = g.goal_id AND (i.target IS NOT NULL OR i.completion_pct IS NOT NULL)
          )
        ORDER BY list_position($worst_first, g.status), d.sort_order, g.seq
        LIMIT $limit
        """,
        {"worst_first": list(_STATUS_WORST_FIRST), "limit": int(limit)},
        scope=f,
    )
    return _split_total(frame)


# The most goal-title targets the targets page lists (with "show all" on), the rest counted.
TITLE_TARGETS_MAX = 500


def title_target_goals(f: Filters, limit: int = TITLE_TARGETS_MAX) -> tuple[pl.DataFrame, int]:
    """Goals whose title has a number (a possible target) but none of whose figures is paired
    with a target: the targets the source states without an annual figure to compare. Worst
    status first; the goal's figures as written in ``figures``."""
    return _title_target_goals(data_version(), f, limit)


# --- export ---------------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _export(version: str, f: Filters) -> tuple[pl.DataFrame, pl.DataFrame]:
    goals = _query(
        f"""
        SELECT g.goal_id, g.year, g.period, g.dept_id, d.name AS dept_name, g.seq, g.title, g.status,
               g.status_reason, g.light, g.light_reason, array_to_string(g.themes, '|') AS themes, g.result
        FROM {_SCOPED_GOALS_SQL}
        JOIN departments d ON d.dept_id = g.dept_id
        ORDER BY d.sort_order, g.seq
        """,
        scope=f,
    )
    indicators = _query(
        f"""
        SELECT i.indicator_id, i.goal_id, i.dept_id, d.name AS dept_name, i.year, i.name,
               i.value, i.unit, i.value_text, i.qualifier, i.target, i.target_text,
               i.completion_pct, i.growth_pct, i.rank, i.rank_scope, i.rank_is_top_n,
               i.higher_is_better, i.quote, i.target_basis, i.is_forecast, i.confidence, i.confidence_reason
        FROM {_SCOPED_INDICATORS_SQL}
        JOIN departments d ON d.dept_id = i.dept_id
        ORDER BY d.sort_order, i.goal_id, i.indicator_id
        """,
        scope=f,
    )
    return goals, indicators


def export_frames(f: Filters) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The filtered goals and their indicators, every column, for download."""
    return _export(data_version(), f)


# --- report periods and lights ------------------------------------------------------------------

# Percent of target of a figure that is an amount (not a rate, a ratio or a rank): what a
# share against the time elapsed means.
_AMOUNT_SHARE_SQL = f"""
    CASE WHEN i.unit IN ('%', '个百分点', '位次', '') THEN NULL ELSE {_PCT_OF_TARGET_SQL} END
"""
_THRESHOLD_COLUMNS = ", ".join(LIGHT_THRESHOLD_KEYS)
_LIGHT_ORDER_SQL = "CASE g.light WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 WHEN 'green' THEN 2 ELSE 3 END"


@st.cache_data(show_spinner=False, max_entries=256)
def _periods(version: str, year: int) -> pl.DataFrame:
    return _query(
        f"""
        SELECT period, label, end_date, time_progress_pct, source_title, as_of, {_THRESHOLD_COLUMNS}
        FROM periods WHERE year = $year ORDER BY end_date DESC
        """,
        {"year": int(year)},
    )


def periods(year: int) -> pl.DataFrame:
    """The report periods of a year, latest first: period, label, end_date,
    time_progress_pct, source_title, as_of and the light thresholds its lights were decided with."""
    return _periods(data_version(), int(year))


def period_codes(year: int) -> list[str]:
    return periods(year).get_column("period").to_list()


def period_info(year: int, period: str) -> dict | None:
    """The period's row (caption, time progress), or None when the year has no such period."""
    frame = periods(year).filter(pl.col("period") == period)
    return frame.row(0, named=True) if frame.height else None


def previous_period(year: int, period: str) -> str | None:
    """The period reported just before ``period`` in the same year."""
    codes = period_codes(year)
    if period not in codes:
        return None
    index = codes.index(period)
    return codes[index + 1] if index + 1 < len(codes) else None


@st.cache_data(show_spinner=False)
def _light_counts(version: str, f: Filters) -> dict[str, int]:
    row = _query(
        """
        SELECT count(*) FILTER (WHERE g.light = 'green') AS green,
               count(*) FILTER (WHERE g.light = 'yellow') AS yellow,
               count(*) FILTER (WHERE g.light = 'red') AS red,
               count(*) FILTER (WHERE g.light = 'none') AS none
        FROM fg g
        """,
        scope=f,
    ).row(0, named=True)
    return {key: int(value) for key, value in row.items()}


def light_counts(f: Filters) -> dict[str, int]:
    """Goals per light (green, yellow, red, none) among those passing the filters."""
    return _light_counts(data_version(), f)


@st.cache_data(show_spinner=False)
def _light_goal_page(version: str, f: Filters, lights: tuple[str, ...], limit: int, offset: int):
    frame = _query(
        f"""
        SELECT {_GOAL_COLUMNS}, count(*) OVER () AS total
        FROM {_SCOPED_GOALS_SQL}
        JOIN departments d ON d.dept_id = g.dept_id
        WHERE list_contains($lights, g.light)
        ORDER BY {_LIGHT_ORDER_SQL}, list_position($worst_first, g.status), d.sort_order, g.seq
        LIMIT $limit OFFSET $offset
        """,
        {"lights": list(lights), "worst_first": list(_STATUS_WORST_FIRST), "limit": int(limit), "offset": int(offset)},
        scope=f,
    )
    total = int(frame.get_column("total")[0]) if frame.height else 0
    if not frame.height and offset:
        total = int(
            _query(
                "SELECT count(*) FROM fg WHERE list_contains($lights, fg.light)",
                {"lights": list(lights)},
                scope=f,
            ).item()
        )
    return frame.drop("total"), total


def light_attention_goals(f: Filters, limit: int = 10, offset: int = 0) -> tuple[pl.DataFrame, int]:
    """Goals with a red light, then those with a yellow one (within a light, not met, at risk,
    pending, on track, then the rest), one page, and their total count."""
    return _light_goal_page(data_version(), f, ("red", "yellow"), limit, offset)


@st.cache_data(show_spinner=False)
def _light_changes(version: str, f: Filters, previous: str, limit: int | None) -> tuple[pl.DataFrame, int]:
    frame = _query(
        f"""
        WITH prev AS (
            SELECT goal_key, light AS previous_light FROM goals
            WHERE year = $year AND period = $previous
        )
        SELECT g.goal_id, g.goal_key, d.name AS dept_name, g.seq, g.title, g.light, g.light_reason,
               prev.previous_light,
               coalesce(list_position($behind, g.light), 0)
                   - coalesce(list_position($behind, prev.previous_light), 0) AS change,
               count(*) OVER () AS total
        FROM {_SCOPED_GOALS_SQL}
        JOIN prev ON prev.goal_key = g.goal_key
        JOIN departments d ON d.dept_id = g.dept_id
        WHERE prev.previous_light <> g.light
        ORDER BY change DESC, {_LIGHT_ORDER_SQL}, d.sort_order, g.seq
        LIMIT $limit
        """,
        {
            "year": int(f.year),
            "previous": previous,
            "behind": list(BEHIND_LIGHTS),
            "limit": limit,
        },
        scope=f,
    )
    return _split_total(frame)


def light_changes(f: Filters, previous: str, limit: int | None = None) -> tuple[pl.DataFrame, int]:
    """Goals whose light differs from the ``previous`` period of the same year, worse first
    (at most ``limit``), and how many there are.

    ``change`` > 0 is worse (e.g. green → red), < 0 better, 0 between green and none (nothing
    measurable: neither, vocab.BEHIND_LIGHTS); worse, then those, then better."""
    return _light_changes(data_version(), f, previous, limit)


@st.cache_data(show_spinner=False)
def _progress_figures(version: str, f: Filters, limit: int | None) -> tuple[pl.DataFrame, int]:
    frame = _query(
        f"""
        WITH measured AS (
            SELECT i.indicator_id, i.goal_id, g.goal_key, i.dept_id, d.name AS dept_name, g.seq, g.title AS goal_title,
                   i.name, i.value_text, i.target_text, i.quote, g.light,
                   {_AMOUNT_SHARE_SQL} AS share, p.time_progress_pct, d.sort_order
            FROM {_SCOPED_COUNTED_INDICATORS_SQL}
            JOIN goals g ON g.goal_id = i.goal_id
            JOIN departments d ON d.dept_id = i.dept_id
            JOIN periods p ON p.year = g.year AND p.period = g.period
            WHERE i.target IS NOT NULL OR i.completion_pct IS NOT NULL
        )
        SELECT * EXCLUDE (sort_order), share - time_progress_pct AS gap, count(*) OVER () AS total
        FROM measured WHERE share IS NOT NULL
        ORDER BY gap, sort_order, indicator_id
        LIMIT $limit
        """,
        {"limit": limit},
        scope=f,
    )
    return _split_total(frame)


def progress_figures(f: Filters, limit: int | None = None) -> tuple[pl.DataFrame, int]:
    """Figures with a target, as a share of it next to the period's time progress, furthest
    behind first: value_text and target_text as written, share and gap in points."""
    return _progress_figures(data_version(), f, limit)


@st.cache_data(show_spinner=False, max_entries=256)
def _goal_history(version: str, goal_keys: tuple[str, ...], years: tuple[int, ...]) -> pl.DataFrame:
    if not goal_keys:
        years = (0,)
    # The year range first: DuckDB skips other years' row groups before testing the keys.
    return _query(
        f"""
        WITH series AS (
            SELECT g.goal_id, g.goal_key, g.year, g.period, g.light, g.light_reason FROM goals g
            WHERE g.year BETWEEN $first AND $last AND list_contains($keys, g.goal_key)
        ),
        shares AS (
            SELECT i.goal_id, min({_AMOUNT_SHARE_SQL}) AS share
            FROM {_COUNTED_INDICATORS_SQL} SEMI JOIN series s ON s.goal_id = i.goal_id
            WHERE i.year BETWEEN $first AND $last
            GROUP BY i.goal_id
        )
        SELECT s.goal_key, s.year, s.period, p.label, p.end_date, p.time_progress_pct, s.light, s.light_reason,
               shares.share
        FROM series s JOIN periods p ON p.year = s.year AND p.period = s.period
        LEFT JOIN shares USING (goal_id)
        ORDER BY s.goal_key, p.end_date
        """,
        {"keys": list(goal_keys), "first": min(years), "last": max(years)},
    )


def goal_history(goal_keys: tuple[str, ...], years: tuple[int, ...]) -> pl.DataFrame:
    """Each goal's series across the periods of its year (``years``: the goals' years): period,
    label, light, share (lowest share of target among its amount figures, or null)."""
    return _goal_history(data_version(), tuple(sorted(set(goal_keys))), tuple(sorted({int(y) for y in years})))


@st.cache_data(show_spinner=False, max_entries=256)
def _rank_moves(version: str, goal_ids: tuple[str, ...], year: int, previous: str) -> pl.DataFrame:
    return _query(
        f"""
        WITH cur AS (
            SELECT i.indicator_id, i.goal_id, i.name, i.rank_scope, i.rank, g.goal_key
            FROM {_COUNTED_INDICATORS_SQL} JOIN goals g ON g.goal_id = i.goal_id
            WHERE i.year = $year AND list_contains($goal_ids, i.goal_id)
              AND i.rank IS NOT NULL AND NOT i.rank_is_top_n
        ),
        prev AS (
            SELECT i.name, i.rank_scope, i.rank AS previous_rank, g.goal_key
            FROM {_COUNTED_INDICATORS_SQL} JOIN goals g ON g.goal_id = i.goal_id
            WHERE i.year = $year AND g.year = $year AND g.period = $previous
              AND g.goal_key IN (SELECT goal_key FROM cur)
              AND i.rank IS NOT NULL AND NOT i.rank_is_top_n
        )
        SELECT cur.indicator_id, cur.goal_id, cur.name, cur.rank_scope, cur.rank, prev.previous_rank,
               prev.previous_rank - cur.rank AS move
        FROM cur JOIN prev USING (goal_key, name, rank_scope)
        ORDER BY cur.goal_id, cur.indicator_id
        """,
        {"goal_ids": list(goal_ids), "year": int(year), "previous": previous},
    )


def rank_moves(goal_ids: tuple[str, ...], year: int, previous: str | None) -> pl.DataFrame:
    """Ranked figures of these goals also ranked in the ``previous`` period: move > 0 is 进位."""
    if previous is None:
        return _query(
            "SELECT NULL::VARCHAR AS indicator_id, NULL::VARCHAR AS goal_id, NULL::INTEGER AS move WHERE FALSE"
        )
    return _rank_moves(data_version(), tuple(sorted(goal_ids)), int(year), previous)


# How many report periods a tile's sparkline shows: three years of quarterly reports. Ten years'
# forty points do not read on a tile 165 px wide, and each period more is a year's narratives
# more to search (a province's million goals, a search for 数字: 224 ms for all forty, 96 ms for
# twelve).
SPARKLINE_PERIODS = 12


@st.cache_data(show_spinner=False)
def _tile_series(version: str, f: Filters) -> pl.DataFrame:
    # One aggregate over the goals the filters select, in every period shown: the scope of every
    # period is not materialised (a million goal ids, and a semi join on them, ≈ 220 MB at a
    # province's scale). The years bound lets DuckDB skip the older years' row groups.
    scope, params = _goal_scope(f, periods_sql="g.year BETWEEN (SELECT min(year) FROM shown) AND $year")
    return _query(
        f"""
        WITH shown AS (
            SELECT year, period, end_date FROM periods
            WHERE end_date <= (SELECT end_date FROM periods WHERE year = $year AND period = $period)
            ORDER BY end_date DESC
            LIMIT $shown
        ),
        s AS ({scope})
        SELECT s.year, s.period, p.end_date,
               count(*) AS goals,
               count(*) FILTER (WHERE s.light = 'green') AS green,
               count(*) FILTER (WHERE s.light = 'yellow') AS yellow,
               count(*) FILTER (WHERE s.light = 'red') AS red,
               count(*) FILTER (WHERE s.light = 'none') AS none,
               count(*) FILTER (WHERE s.status IN ('exceeded', 'achieved')) / count(*) AS met_share
        FROM s JOIN shown p ON p.year = s.year AND p.period = s.period
        GROUP BY s.year, s.period, p.end_date
        ORDER BY p.end_date
        """,
        params | {"shown": SPARKLINE_PERIODS},
    )


def tile_series(f: Filters) -> pl.DataFrame:
    """Per report period, oldest first, the goals passing the other filters: goals,
    green/yellow/red/none and met_share — the tiles' sparklines. The ``SPARKLINE_PERIODS``
    periods (across years) that end with the chosen one."""
    return _tile_series(data_version(), f)


# --- PDF briefing (issue 15) -------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _first_places(version: str, f: Filters) -> pl.DataFrame:
    return _query(
        f"""
        SELECT i.indicator_id, i.dept_id, d.name AS dept_name, d.full_name AS dept_full_name,
               i.name, i.value_text, i.unit, i.rank, i.rank_scope, i.rank_is_top_n, i.is_forecast, i.quote
        FROM {_SCOPED_COUNTED_INDICATORS_SQL}
        JOIN departments d ON d.dept_id = i.dept_id
        WHERE {_STATED_FIRST_SQL}
        ORDER BY i.is_forecast, d.sort_order, i.indicator_id
        """,
        scope=f,
    )


def first_places(f: Filters) -> pl.DataFrame:
    """Every figure stated as 全省第1 (the 全省第一 tile's figures, then the 预计全省第一 ones
    marked ``is_forecast``), in department order: the first places in words. Confirmed figures only."""
    return _first_places(data_version(), f)


_CACHED = (
    _data_problems,
    _scope_table,
    _years,
    _departments,
    _department_choices,
    _departments_by_id,
    _departments_matching,
    _themes,
    _sectors,
    _tiles,
    _status_worst_first,
    _problem_departments,
    _league_table,
    _goal_page,
    _indicators_of_goals,
    _rank_statements,
    _target_gaps,
    _title_target_goals,
    _export,
    _periods,
    _light_counts,
    _light_goal_page,
    _light_changes,
    _progress_figures,
    _goal_history,
    _rank_moves,
    _tile_series,
    _first_places,
)
