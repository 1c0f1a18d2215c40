"""Shared Streamlit components: tiles, charts with their data tables, goal cards, paging."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import polars as pl
import streamlit as st

from kpi.contract.vocab import LIGHT_THRESHOLD_KEYS, LIGHTS
from kpi.pipeline.figures import title_target
from kpi.pipeline.numbers import format_cn, format_pct
from kpi.web import charts, filters, i18n, markup, queries
from kpi.web.i18n import t
from kpi.web.queries import Filters

GOALS_PER_PAGE = 10
TOP_N = 10
# Figures listed before "show all" on the rankings and targets pages.
RANKS_TOP_N = 15
TARGETS_TOP_N = 15
# The overview is a summary: five goals needing attention a page (the 目标明细 page lists ten).
# Each card costs the browser ≈ 20 ms; ten made the overview the slowest page to settle.
ATTENTION_PER_PAGE = 5
# The light legend's expander (its rules are drawn only once opened).
LIGHT_LEGEND_KEY = "light_legend"


def source_caption(f: Filters, lang: str) -> None:
    """The source document, period, as-of date and time progress, from periods.parquet."""
    info = queries.period_info(f.year, f.period)
    if info is None:
        st.caption(t("source_caption_missing", lang, year=f.year))
        return
    st.caption(
        t(
            "source_caption",
            lang,
            source=markup.markdown_literal(info["source_title"]),
            year=f.year,
            period=i18n.period_label(f.period, lang),
            as_of=markup.markdown_literal(info["as_of"]),
            progress=format_pct(info["time_progress_pct"]),
        )
    )


def empty(lang: str, key: str = "empty") -> None:
    st.info(t(key, lang), icon=":material/info:")


def percent(share: float) -> str:
    """A 0..1 share the way the source writes rates (e.g. 71.3%)."""
    return format_pct(share * 100)


def tile_specs(counts: dict[str, float | int], lang: str) -> list[tuple[str, str, str]]:
    """(label, value as shown, help text) of the nine KPI tiles, from ``queries.tiles``: the
    page's tiles and the PDF briefing's alike."""
    status_tiles = ("exceeded", "achieved", "on_track", "pending")
    specs: list[tuple[str, str, str]] = [(t("tile_goals", lang), str(counts["goals"]), t("tile_goals_help", lang))]
    for status in status_tiles:
        label = i18n.status_label(status, lang)
        specs.append((label, str(counts[status]), t("tile_status_help", lang, label=i18n.status_word(status, lang))))
    specs += [
        (
            f"{i18n.STATUS_ICONS['at_risk']} {t('tile_risk', lang)}",
            str(counts["at_risk_or_not_met"]),
            t("tile_risk_help", lang),
        ),
        (t("tile_first", lang), str(counts["provincial_firsts"]), t("tile_first_help", lang)),
        (t("tile_forecast_first", lang), str(counts["forecast_firsts"]), t("tile_forecast_first_help", lang)),
        (t("tile_met_share", lang), percent(float(counts["met_share"])), t("tile_met_share_help", lang)),
    ]
    return specs


def kpi_tiles(f: Filters, lang: str) -> dict[str, float | int]:
    """The nine KPI tiles; each help text says exactly what is counted."""
    counts = queries.tiles(f)
    series = queries.tile_series(f)
    sparkline = {
        t("tile_goals", lang): series.get_column("goals").to_list(),
        t("tile_met_share", lang): [round(v * 100, 1) for v in series.get_column("met_share").to_list()],
    }
    specs = tile_specs(counts, lang)
    # A wrapping grid: four or more tiles a row on a laptop, two on a phone
    # (Streamlit would stack a horizontal container into one column on a phone).
    st.html(
        "<style>.st-key-kpi_tiles{display:grid !important;"
        "grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:0.5rem}"
        ".st-key-kpi_tiles>div{width:auto !important;min-width:0}"
        # Labels wrap instead of ending in … (Pending acceptance, 难度较大/未完成 on a phone).
        ".st-key-kpi_tiles [data-testid=stMetricLabel] *{white-space:normal !important;"
        "overflow:visible !important;text-overflow:clip !important}</style>"
    )
    with st.container(key="kpi_tiles"):
        for label, value, help_text in specs:
            line = sparkline.get(label)
            st.metric(label, value, help=help_text, border=True, chart_data=line if line and len(line) > 1 else None)
    return counts


def legend(items: list[tuple[str, str]]) -> None:
    """A chart legend as text chips above the chart."""
    st.html(markup.legend_html(items))


def show_all_toggle(key: str, total: int, lang: str, top_n: int = TOP_N) -> int | None:
    """The limit to query: the top ``top_n``, or everything once the reader asks."""
    if total <= top_n:
        return None
    if st.toggle(t("show_all", lang, n=total), key=key):
        return None
    st.caption(t("showing_top", lang, shown=top_n, n=total))
    return top_n


def top_n_or_all(
    fetch: Callable[[int | None], tuple[pl.DataFrame, int]], key: str, lang: str, top_n: int = TOP_N
) -> tuple[pl.DataFrame, int]:
    """A chart's frame and its total: one query for the top ``top_n`` (which also returns the
    total), a second for everything only once the reader turns "show all" on."""
    frame, total = fetch(top_n)
    if total == 0:
        return frame, total
    if show_all_toggle(key, total, lang, top_n) is None and total > top_n:
        frame, total = fetch(None)
    return frame, total


def _department_click(chart_key: str) -> None:
    state = st.session_state.get(chart_key)
    if not state:
        return
    points = state.get("selection", {}).get(charts.DEPT_SELECTION) or []
    if points and points[0].get("dept_id"):
        filters.select_department(points[0]["dept_id"])


# Shared by every session: a chart is built and serialised once per data and filters,
# not on every rerun (building an Altair chart is most of a page's script time). Bounded:
# a "show all" spec at a province's scale holds thousands of rows.
@st.cache_data(show_spinner=False, max_entries=128)
def _chart_spec(builder: str, frame: pl.DataFrame, args: tuple) -> dict:
    return charts.spec(builder, frame, *args)


def chart_with_data(
    builder: str,
    frame: pl.DataFrame,
    args: tuple,
    table: pl.DataFrame,
    key: str,
    lang: str,
    clickable: bool = False,
    column_config: dict | None = None,
) -> None:
    """The chart ``charts.BUILDERS[builder](frame, *args)`` and its "查看数据" table alternative."""
    spec = _chart_spec(builder, frame, args)
    if clickable:
        st.vega_lite_chart(
            spec=spec,
            key=key,
            on_select=lambda: _department_click(key),
            selection_mode=charts.DEPT_SELECTION,
            width="stretch",
        )
    else:
        st.vega_lite_chart(spec=spec, key=key, width="stretch")
    # Lazy: the table is sent only once the reader opens it (a closed expander's content
    # would otherwise be drawn too, ≈ 60 ms of the browser's time per chart).
    data = st.expander(t("view_data", lang), icon=":material/table:", key=f"{key}_data", on_change="rerun")
    if data.open:
        with data:
            st.dataframe(table, hide_index=True, width="stretch", column_config=column_config)


def department_names(names: pl.Series, lang: str) -> pl.Series:
    return charts.each(names, lambda n: i18n.department_name(n, lang))


def rank_column(frame: pl.DataFrame, lang: str) -> pl.Series:
    rows = frame.select(pl.struct("rank_scope", "rank", "rank_is_top_n")).to_series()
    return charts.each(
        rows, lambda r: i18n.rank_text(r["rank_scope"], r["rank"], r["rank_is_top_n"], lang), "rank_text"
    )


def _pct_text(values: pl.Series) -> pl.Series:
    return charts.each(values, lambda v: "" if v is None else format_pct(v))


def indicator_table(indicators: pl.DataFrame, lang: str) -> None:
    """A goal's figures as the source writes them, each with its quote."""
    table = indicators.select(
        pl.col("name").alias(t("col_figure", lang)),
        pl.col("value_text").alias(t("col_value", lang)),
        pl.col("target_text").fill_null("").alias(t("col_target", lang)),
        _pct_text(indicators.get_column("completion_pct")).alias(t("col_completion", lang)),
        _pct_text(indicators.get_column("growth_pct")).alias(t("col_growth", lang)),
        rank_column(indicators, lang).alias(t("col_rank_text", lang)),
        pl.col("quote").alias(t("col_quote", lang)),
        # 待核: the extraction was unsure; kept out of charts, tiles and counts until confirmed.
        pl.when(pl.col("confidence") == "low")
        .then(pl.lit(t("figure_unconfirmed", lang, reason="")) + pl.col("confidence_reason").fill_null(""))
        .otherwise(pl.lit(""))
        .alias(t("col_check", lang)),
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={t("col_quote", lang): st.column_config.TextColumn(width="large")},
    )


def goal_card(
    goal: dict,
    indicators: pl.DataFrame,
    theme_names: dict[str, str],
    lang: str,
    with_department: bool = True,
    prefix: str = "",
    history: str = "",
) -> None:
    """One goal's card; ``prefix`` keeps the keys apart when a page lists a goal twice;
    ``history`` (escaped HTML) is its series across periods."""
    with st.container(border=True, key=f"{prefix}goal_{goal['goal_id']}"):
        figures = indicators.get_column("value_text").to_list() if indicators.height else []
        # One HTML block, not a Markdown title, a row of st.badge and a caption: about nine
        # Streamlit elements a card, and ten cards, cost the browser ≈ 0.2 s on every goal list.
        terms = queries.search_variants(str(st.session_state.get(filters.QUERY) or ""))
        st.html(markup.goal_card_html(goal, figures, theme_names, lang, with_department, terms, history))
        if indicators.height:
            # Lazy, as the charts' tables: the figures are marked in the narrative above, and ten
            # cards of tables cost the browser ≈ 0.2 s on every goal list.
            details = st.expander(
                t("goal_figures", lang, n=indicators.height),
                icon=":material/table:",
                key=f"{prefix}figures_{goal['goal_id']}",
                on_change="rerun",
            )
            if details.open:
                with details:
                    indicator_table(indicators, lang)


def goal_cards(goals: pl.DataFrame, lang: str, with_department: bool = True, prefix: str = "") -> None:
    """Cards for a page of goals, with each goal's indicators."""
    themes = queries.themes()
    theme_names = {
        row["theme_id"]: i18n.theme_name(row["name"], row["name_en"], lang) for row in themes.iter_rows(named=True)
    }
    indicators, history, moves = card_queries(goals)
    histories = goal_histories(goals, history, moves, lang)
    for goal in goals.iter_rows(named=True):
        goal_card(
            goal,
            indicators.filter(pl.col("goal_id") == goal["goal_id"]),
            theme_names,
            lang,
            with_department,
            prefix,
            histories.get(goal["goal_id"], ""),
        )


def rank_move_text(move: dict, previous: str, lang: str) -> str:
    n = move["move"]
    word = t("rank_up", lang, n=n) if n > 0 else t("rank_down", lang, n=-n) if n < 0 else t("rank_same", lang)
    return t(
        "rank_move",
        lang,
        name=move["name"],
        scope=move["rank_scope"],
        rank=move["rank"],
        previous=i18n.period_label(previous, lang),
        move=word,
    )


class RankMoves(NamedTuple):
    """The goals of one (year, period) of a page: the previous period of their year (None for
    the year's first) and their ranked figures' movements since it (queries.rank_moves)."""

    previous: str | None
    moves: pl.DataFrame | None


def card_queries(goals: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, dict[tuple[int, str], RankMoves]]:
    """What the cards of a page of goals read: their figures, their series across the periods
    of their year, and per (year, period) the rank movements since the previous period."""
    indicators = queries.indicators_of_goals(
        tuple(goals.get_column("goal_id").to_list()), tuple(goals.get_column("year").unique().to_list())
    )
    if "goal_key" not in goals.columns or goals.height == 0:
        return indicators, pl.DataFrame(), {}
    history = queries.goal_history(tuple(goals.get_column("goal_key").to_list()), tuple(goals.get_column("year")))
    # One query for the rank movements of the page's goals per (year, period) they belong to.
    moves: dict[tuple[int, str], RankMoves] = {}
    for (year, period), group in goals.group_by("year", "period", maintain_order=True):
        previous = queries.previous_period(year, period)
        found = queries.rank_moves(tuple(group.get_column("goal_id").to_list()), year, previous) if previous else None
        moves[(year, period)] = RankMoves(previous, found)
    return indicators, history, moves


def prefetch_goal_page(fetch: GoalFetch, key: str, page_size: int = GOALS_PER_PAGE) -> Callable[[], None]:
    """For ``queries.prefetch``: the page of goals the reader is on (as ``fetch_goal_page`` will
    fetch it) and the queries of its cards."""
    page = st.session_state.get(key, 1)

    def fetch_page_and_cards() -> None:
        goals, _ = fetch(page_size, (page - 1) * page_size)
        card_queries(goals)

    return fetch_page_and_cards


def goal_histories(
    goals: pl.DataFrame, history: pl.DataFrame, moves: dict[tuple[int, str], RankMoves], lang: str
) -> dict[str, str]:
    """goal_id → its history line (escaped HTML) for goals reported in more than one period,
    with the movement of its ranked figures since the previous period (``card_queries``)."""
    if "goal_key" not in goals.columns or goals.height == 0:
        return {}
    moves_of: dict[str, list[dict]] = {}
    for found in (group.moves for group in moves.values() if group.moves is not None):
        for move in found.to_dicts():
            moves_of.setdefault(move["goal_id"], []).append(move)
    out: dict[str, str] = {}
    for goal in goals.iter_rows(named=True):
        rows = history.filter(pl.col("goal_key") == goal["goal_key"]).to_dicts()
        previous = moves.get((goal["year"], goal["period"]), RankMoves(None, None)).previous
        texts = [rank_move_text(m, previous, lang) for m in moves_of.get(goal["goal_id"], [])]
        if len(rows) > 1 or texts:
            out[goal["goal_id"]] = markup.history_html(rows, texts, lang)
    return out


def light_thresholds(f: Filters) -> dict[str, float] | None:
    """The thresholds the lights of the chosen year and period were decided with, as stored with
    the data (periods.parquet); None when the data do not record them (an older version)."""
    info = queries.period_info(f.year, f.period)
    if info is None:
        return None
    values = {key: info.get(key) for key in LIGHT_THRESHOLD_KEYS}
    return None if any(v is None for v in values.values()) else values


def light_legend(f: Filters, lang: str) -> None:
    """The lights' shapes, colours and words, and the rules with the thresholds these lights
    were decided with (stored with the data, not read from the curation file in force)."""
    period = f.period
    items = [(i18n.LIGHT_COLORS[light], i18n.light_label(light, period, lang)) for light in LIGHTS]
    st.html(markup.legend_html(items))
    # Lazy, as the charts' tables: the rules are drawn once the reader opens them (their long
    # Markdown in a closed expander cost the browser 15–40 ms on every page with lights).
    rules = st.expander(t("light_legend_title", lang), icon=":material/help:", key=LIGHT_LEGEND_KEY, on_change="rerun")
    if not rules.open:
        return
    th = light_thresholds(f)

    def word(light: str, at: str = period) -> str:
        return f"{i18n.LIGHT_ICONS[light]}{i18n.light_word(light, at, lang)}"

    with rules:
        if th is None:
            st.markdown(t("light_thresholds_unknown", lang))
            return
        st.markdown(
            markup.markdown_literal(
                t(
                    "light_legend",
                    lang,
                    green=word("green", "Q1"),
                    yellow=word("yellow", "Q1"),
                    red=word("red", "Q1"),
                    none=word("none", "Q1"),
                    amount_gap=f"{th['amount_yellow_gap']:g}",
                    rate_gap=f"{th['rate_yellow_gap']:g}",
                    about=f"{th['rate_about_tolerance']:g}",
                    fy_green=f"{th['fy_green_share']:g}",
                    fy_yellow=f"{th['fy_yellow_share']:g}",
                    fy_green_label=word("green", "FY"),
                    fy_yellow_label=word("yellow", "FY"),
                    fy_red_label=word("red", "FY"),
                )
            )
        )


def light_tiles(f: Filters, lang: str) -> dict[str, int]:
    """Goals per light, each tile with its sparkline across periods and years."""
    counts = queries.light_counts(f)
    series = queries.tile_series(f)
    info = queries.period_info(f.year, f.period)
    progress = format_pct(info["time_progress_pct"]) if info else ""
    st.caption(
        t(
            "light_tiles_caption",
            lang,
            period=i18n.period_label(f.period, lang),
            progress=progress,
            n=queries.SPARKLINE_PERIODS,
        )
    )
    with st.container(key="light_tiles", horizontal=True):
        for light in ("red", "yellow", "green", "none"):
            label = i18n.light_label(light, f.period, lang)
            st.metric(
                label,
                counts[light],
                help=t("tile_light_help", lang, label=i18n.light_word(light, f.period, lang)),
                border=True,
                chart_data=series.get_column(light).to_list() if series.height > 1 else None,
            )
    return counts


GoalFetch = Callable[[int, int], tuple[pl.DataFrame, int]]


def fetch_goal_page(fetch: GoalFetch, key: str, page_size: int = GOALS_PER_PAGE) -> tuple[pl.DataFrame, int, int]:
    """The goals of the page the reader is on, their total and the page number.

    One query: the page query also returns the total. Page 1 is fetched again only
    when the remembered page is past the end (the filters changed since).
    """
    page = st.session_state.get(key, 1)
    goals, total = fetch(page_size, (page - 1) * page_size)
    if total and page > -(-total // page_size):
        st.session_state[key] = page = 1
        goals, total = fetch(page_size, 0)
    return goals, total, page


def show_goal_page(
    loaded: tuple[pl.DataFrame, int, int],
    key: str,
    lang: str,
    page_size: int = GOALS_PER_PAGE,
    with_department: bool = True,
    prefix: str = "",
) -> int:
    """Goal cards of a page from ``fetch_goal_page``, with the pager; returns the total number of goals."""
    goals, total, page = loaded
    if total == 0:
        return 0
    pages = -(-total // page_size)
    st.caption(
        t("goal_count", lang, n=total)
        + ("　" + t("page_of", lang, page=page, pages=pages) if pages > 1 else "")
        + "　·　"
        + t("goal_order", lang)
    )
    goal_cards(goals, lang, with_department, prefix)
    if pages > 1:
        st.pagination(pages, key=key)
    return total


def paged_goals(
    fetch: GoalFetch,
    key: str,
    lang: str,
    page_size: int = GOALS_PER_PAGE,
    with_department: bool = True,
    prefix: str = "",
) -> int:
    """Goal cards one page at a time; returns the total number of goals."""
    return show_goal_page(fetch_goal_page(fetch, key, page_size), key, lang, page_size, with_department, prefix)


def light_changes(f: Filters, lang: str) -> None:
    """较上期变化: goals whose light changed since the previous period of the year, worse first."""
    st.subheader(t("changes", lang))
    previous = queries.previous_period(f.year, f.period)
    if previous is None:
        st.caption(t("changes_first_period", lang))
        return
    st.caption(t("changes_caption", lang, previous=i18n.period_label(previous, lang)))
    frame, total = top_n_or_all(lambda limit: queries.light_changes(f, previous, limit), "changes_all", lang, TOP_N)
    if total == 0:
        empty(lang, "changes_none")
        return
    if frame.height <= TOP_N:
        # A list, not a grid: it reads on a phone, and the grid's code and canvas cost the
        # browser ≈ 70 ms on every overview of a running year. All of them (on request) go in the grid.
        st.html(markup.changes_html(frame.to_dicts(), previous, f.period, lang))
        return
    table = frame.select(
        department_names(frame.get_column("dept_name"), lang).alias(t("col_department", lang)),
        pl.col("seq").alias(t("col_seq", lang)),
        pl.col("title").alias(t("col_title", lang)),
        charts.each(frame.get_column("previous_light"), lambda x: i18n.light_label(x, previous, lang)).alias(
            t("col_previous_light", lang)
        ),
        charts.each(frame.get_column("light"), lambda x: i18n.light_label(x, f.period, lang)).alias(
            t("col_light", lang)
        ),
        charts.each(frame.get_column("change"), lambda c: markup.change_word(c, lang)).alias(t("changes", lang)),
        pl.col("light_reason").alias(t("light_reason", lang)),
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="light_changes",
        column_config={t("light_reason", lang): st.column_config.TextColumn(width="large")},
    )


def progress_view(f: Filters, lang: str) -> None:
    """Every figure with an amount target: share of the year's target against time progress."""
    info = queries.period_info(f.year, f.period)
    if info is None:
        empty(lang, "no_progress")
        return
    progress = float(info["time_progress_pct"])
    st.caption(t("progress_caption", lang, progress=format_pct(progress)))
    frame, total = top_n_or_all(lambda limit: queries.progress_figures(f, limit), "progress_all", lang, TARGETS_TOP_N)
    if total == 0:
        empty(lang, "no_progress")
        return
    light_legend(f, lang)
    table = frame.select(
        department_names(frame.get_column("dept_name"), lang).alias(t("col_department", lang)),
        pl.col("name").alias(t("col_figure", lang)),
        pl.col("value_text").alias(t("col_value", lang)),
        pl.col("target_text").alias(t("col_target", lang)),
        pl.col("share").round(1).alias(t("col_share", lang)),
        pl.col("time_progress_pct").alias(t("col_time_progress", lang)),
        pl.col("gap").round(1).alias(t("col_time_gap", lang)),
        charts.each(frame.get_column("light"), lambda x: i18n.light_label(x, f.period, lang)).alias(
            t("col_light", lang)
        ),
        pl.col("quote").alias(t("col_quote", lang)),
    )
    chart_with_data("progress_chart", frame, (f.period, progress, lang), table, "chart_progress", lang, clickable=True)


# --- targets ----------------------------------------------------------------------------


def basis_label(basis: str | None, lang: str) -> str:
    """How a target is known, in words: stated, exact from the excess, approximate (约) from a rate."""
    return t(f"basis_{basis}", lang) if basis else t("basis_rate_only", lang)


def _signed(text: str, negative: bool) -> str:
    return ("−" if negative else "+") + text


def gap_text(row: dict, lang: str) -> str:
    """Actual − target in the source's units ("+35.4亿元", "−2个百分点"); 约 when the target is
    worked back from a completion rate; empty without a target value."""
    gap = row["gap"]
    if gap is None:
        return ""
    if row["unit"] in ("%", "％"):
        text = format_pct(abs(gap)).removesuffix("%") + t("percentage_points", lang)
    else:
        text = format_cn(abs(gap), row["unit"], row["value_text"])
    approx = "约" if row["target_basis"] == "completion" else ""
    return approx + _signed(text, gap < 0)


def gap_pct_text(row: dict) -> str:
    """% of target − 100, signed ("+17.7%", "−8%")."""
    gap = row["gap_pct"]
    if gap is None:
        return ""
    approx = "约" if row["target_basis"] == "completion" else ""
    return approx + _signed(format_pct(abs(gap)), gap < 0)


def target_rows(frame: pl.DataFrame, lang: str) -> list[list[str]]:
    """The targets table's rows, as the source writes each number."""
    rows = []
    for row in frame.iter_rows(named=True):
        rows.append(
            [
                i18n.department_name(row["dept_name"], lang),
                row["name"],
                row["value_text"],
                row["target_text"] or "",
                basis_label(row["target_basis"], lang),
                format_pct(row["pct_of_target"]),
                gap_text(row, lang),
                gap_pct_text(row),
            ]
        )
    return rows


def title_target_rows(goals: pl.DataFrame, lang: str) -> list[list[str]]:
    """Goals whose title states a target no figure is paired with: the target, the figures the
    narrative does give, and the status. Only targets written with digits (八个专项 is a count
    of programmes, not a target)."""
    rows = []
    for goal in goals.iter_rows(named=True):
        targets = [
            tt
            for tt in title_target(goal["title"])
            if tt.kind in ("level", "growth") and re.search(r"\d", tt.value_text)
        ]
        if not targets:
            continue
        written = "、".join(
            (t("growth_target", lang, value=tt.value_text) if tt.kind == "growth" else tt.value_text)
            + (tt.qualifier or "" if tt.kind == "level" else "")
            for tt in targets
        )
        figures = "、".join(goal["figures"] or [])
        note = (
            t("title_target_other", lang, target=written, figures=figures)
            if figures
            else t("title_target_none", lang, target=written)
        )
        rows.append(
            [
                i18n.department_name(goal["dept_name"], lang),
                f"{goal['seq']}. {goal['title']}",
                written,
                note,
                i18n.status_label(goal["status"], lang),
            ]
        )
    return rows


def target_items(frame: pl.DataFrame, lang: str) -> list[tuple[str, str, str]]:
    """Each figure with a target as (department · figure, "", sentence with actual, target and
    its source, percent of target and the gap), for markup.lines_html."""
    items = []
    for row in frame.iter_rows(named=True):
        head = f"{i18n.department_name(row['dept_name'], lang)} · {row['name']}"
        if row["target_text"]:
            sentence = t(
                "target_line",
                lang,
                value=row["value_text"],
                target=row["target_text"],
                basis=basis_label(row["target_basis"], lang),
                pct=format_pct(row["pct_of_target"]),
                gap=gap_text(row, lang),
                gap_pct=gap_pct_text(row),
            )
        else:
            sentence = t(
                "target_line_rate",
                lang,
                value=row["value_text"],
                pct=format_pct(row["pct_of_target"]),
                gap_pct=gap_pct_text(row),
            )
        items.append((head, "", sentence))
    return items
