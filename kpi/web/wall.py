"""The wall screen (/wall): a fixed 1920×1080 canvas of big type that rotates through screens.

The screens reuse the overview's problems-first queries (kpi/web/queries.py): the headline
tiles with the lights and the goals needing attention, 需关注 with each light's reason (red
first, then yellow), the 赛马 league table, the provincial first places in words, and one
screen per department chosen in the link (``?dept=``). The link takes the same filters as every
page (drawn by kpi/web/filters.py in the sidebar, which the wall hides) plus ``rotate=SECONDS``.

The canvas is measured in its own pixels: ``--u`` is one canvas pixel on the screen (the
smaller of width ÷ 1920 and height ÷ 1080), so the same canvas fills a 4K screen at twice the
size, letterboxed on other shapes; figures are at least 32 and labels at least 20 canvas pixels.

One fragment (``st.fragment(run_every=…)``) draws the canvas as a single HTML block: it ticks
every ``tick_seconds(rotate)``, re-checks the gate (a revoked wall token ends the wall), looks
for a new data version (then reruns the page, so the filters' defaults follow the new data), and
moves to the next screen once ``rotate`` seconds have passed. Only that block is replaced: no
reload, and Streamlit's fading of stale elements is switched off on the wall.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import polars as pl
import streamlit as st

from kpi.pipeline.numbers import format_pct
from kpi.web import auth, filters, i18n, markup, queries
from kpi.web.i18n import t
from kpi.web.queries import Filters

ROTATE = "rotate"
DEFAULT_ROTATE_S = 20
MIN_ROTATE_S = 3
MAX_ROTATE_S = 3600
# The wall looks for a new data version at least this often, also when not rotating.
REFRESH_S = 10
# A timer tick may come a little early; a screen shown for rotate − this long has had its turn.
TICK_TOLERANCE_S = 0.5

WATERMARK_ENV = "KPI_WALL_WATERMARK"
WATERMARK_SECRET = "wall_watermark"
DEFAULT_WATERMARK = "内部资料 {time}"
WATERMARK_MAX_CHARS = 40

CANVAS_WIDTH, CANVAS_HEIGHT = 1920, 1080
# What fits one screen at the wall's type sizes (canvas pixels, see WALL_CSS).
OVERVIEW_ATTENTION = 7
ATTENTION_PER_SCREEN = 5
LEAGUE_ROWS = 14
FIRSTS_LINES = 16  # per column; two columns
FIRST_CHARS_PER_LINE = 26  # characters of a first place's sentence in a half-width column
MAX_LIST_SCREENS = 3
DEPT_ATTENTION = 3
DEPT_FIRSTS = 3
REASON_MAX_CHARS = 110

_SCREEN_KEY = "_kpi_wall_screen"
_SHOWN_AT_KEY = "_kpi_wall_shown_at"
_URL_PINS_KEY = "_kpi_wall_url_pins"


@dataclass(frozen=True)
class Screen:
    key: str  # overview, attention, league, firsts, dept
    title: str
    body: str  # escaped HTML


# --- the link's rotate= and the configured watermark ---------------------------------------------


def parse_rotate(values: list[str]) -> tuple[int, bool]:
    """(seconds between screens, whether the link's value was valid). No value: the default;
    0: no rotation; else whole seconds from ``MIN_ROTATE_S`` to ``MAX_ROTATE_S``. Anything else
    (several values, signs, decimals, other digits, huge numbers) is refused for the default."""
    if not values:
        return DEFAULT_ROTATE_S, True
    if len(values) != 1 or not isinstance(values[0], str) or not re.fullmatch(r"[0-9]{1,5}", values[0]):
        return DEFAULT_ROTATE_S, False
    seconds = int(values[0])
    if seconds == 0 or MIN_ROTATE_S <= seconds <= MAX_ROTATE_S:
        return seconds, True
    return DEFAULT_ROTATE_S, False


def tick_seconds(rotate: int) -> int:
    """How often the fragment runs: each rotation, and at least every ``REFRESH_S``."""
    return min(rotate, REFRESH_S) if rotate else REFRESH_S


def advance(index: int, shown_at: float, now: float, rotate: int, count: int) -> tuple[int, float]:
    """(screen to show, since when) at ``now``: the next one once the current one has been up
    ``rotate`` seconds; the index wraps when the number of screens changed."""
    if count <= 0:
        return 0, now
    index %= count
    if rotate and now - shown_at >= rotate - TICK_TOLERANCE_S:
        return (index + 1) % count, now
    return index, shown_at


def watermark_text(now: datetime) -> str:
    """The configured watermark (``KPI_WALL_WATERMARK`` or secrets ``wall_watermark``, default
    内部资料 {time}) with ``{time}`` and ``{date}`` filled in; control characters dropped, cut to
    ``WATERMARK_MAX_CHARS``. Plain text: escaped where it is drawn."""
    configured = auth.config_value(WATERMARK_ENV, WATERMARK_SECRET)
    text = str(configured) if configured else DEFAULT_WATERMARK
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = text.replace("{time}", now.strftime("%Y-%m-%d %H:%M")).replace("{date}", now.strftime("%Y-%m-%d"))
    return " ".join(text.split())[:WATERMARK_MAX_CHARS]


# --- screens ----------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


def _light_badge(light: str, period: str, lang: str) -> str:
    color = i18n.LIGHT_COLORS.get(light, i18n.LIGHT_COLORS["none"])
    label = i18n.light_label(light, period, lang) if light in i18n.LIGHT_ICONS else light
    return f'<span class="kpi-wall-badge" style="color:{color};border-color:{color}">{_e(label)}</span>'


def _tile(label: str, value: str, color: str = "", key: str = "") -> str:
    style = f' style="color:{color}"' if color else ""
    return (
        f'<div class="kpi-wall-tile" data-tile="{_e(key)}"><p class="kpi-wall-label">{_e(label)}</p>'
        f'<p class="kpi-wall-figure"{style}>{_e(value)}</p></div>'
    )


def _light_tiles(f: Filters, lang: str) -> str:
    counts = queries.light_counts(f)
    return "".join(
        _tile(i18n.light_label(light, f.period, lang), str(counts[light]), i18n.LIGHT_COLORS[light], f"light_{light}")
        for light in ("red", "yellow", "green", "none")
    )


def _headline_tiles(counts: dict, lang: str) -> str:
    return "".join(
        (
            _tile(t("tile_goals", lang), str(counts["goals"]), key="goals"),
            _tile(t("tile_met_share", lang), format_pct(float(counts["met_share"]) * 100), key="met_share"),
            _tile(t("tile_first", lang), str(counts["provincial_firsts"]), key="provincial_firsts"),
            _tile(
                f"{i18n.STATUS_ICONS['at_risk']} {t('tile_risk', lang)}",
                str(counts["at_risk_or_not_met"]),
                i18n.LIGHT_COLORS["red"] if counts["at_risk_or_not_met"] else "",
                "at_risk_or_not_met",
            ),
        )
    )


def _goal_head(goal: dict, lang: str) -> str:
    name = i18n.department_name(goal["dept_name"], lang)
    return (
        f"{_light_badge(goal['light'], goal['period'], lang)}"
        f'<span class="kpi-wall-goal-title"><strong>{_e(name)}</strong> {_e(goal["seq"])}. {_e(goal["title"])}</span>'
    )


def _goal_lines(goals: pl.DataFrame, lang: str) -> str:
    """Goals one line each (light, department, number, title), as on the first screen."""
    return "".join(
        f'<li class="kpi-wall-goal kpi-wall-goal-{_e(goal["light"])}">{_goal_head(goal, lang)}</li>'
        for goal in goals.iter_rows(named=True)
    )


def _shorten(text: str, limit: int = REASON_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _goal_reasons(goals: pl.DataFrame, lang: str) -> str:
    """Goals with the reason of their light and their status."""
    items = []
    for goal in goals.iter_rows(named=True):
        reason = goal["light_reason"] or goal["status_reason"] or ""
        items.append(
            f'<li class="kpi-wall-goal kpi-wall-goal-{_e(goal["light"])}">{_goal_head(goal, lang)}'
            f'<p class="kpi-wall-reason">{_e(t("labelled", lang, label=t("wall_reason", lang), text=_shorten(reason)))}'
            f"　{_e(i18n.status_label(goal['status'], lang))}</p></li>"
        )
    return "".join(items)


def _more(text: str) -> str:
    return f'<p class="kpi-wall-more">{_e(text)}</p>'


def overview_screen(f: Filters, counts: dict, lang: str) -> Screen:
    """The tiles with the lights, then the goals needing attention, red first (titles only)."""
    goals, total = queries.light_attention_goals(f, OVERVIEW_ATTENTION, 0)
    if total:
        listed = f'<ul class="kpi-wall-goals kpi-wall-oneline">{_goal_lines(goals, lang)}</ul>'
        if total > goals.height:
            listed += _more(t("wall_attention_more", lang, n=total - goals.height))
    else:
        listed = _more(t("wall_attention_none", lang))
    body = (
        f'<div class="kpi-wall-tiles">{_light_tiles(f, lang)}</div>'
        f'<div class="kpi-wall-tiles">{_headline_tiles(counts, lang)}</div>'
        f'<h2 class="kpi-wall-h2">{_e(t("wall_attention_list", lang))}</h2>{listed}'
    )
    return Screen("overview", t("wall_screen_overview", lang), body)


def attention_screens(f: Filters, lang: str) -> list[Screen]:
    """需关注 with reasons, red then yellow, a few a screen (at most ``MAX_LIST_SCREENS``)."""
    title = t("wall_screen_attention", lang)
    goals, total = queries.light_attention_goals(f, ATTENTION_PER_SCREEN, 0)
    if not total:
        return [Screen("attention", title, _more(t("wall_attention_none", lang)))]
    pages = min(-(-total // ATTENTION_PER_SCREEN), MAX_LIST_SCREENS)
    screens = []
    for page in range(pages):
        if page:
            goals, total = queries.light_attention_goals(f, ATTENTION_PER_SCREEN, page * ATTENTION_PER_SCREEN)
        body = f'<ul class="kpi-wall-goals">{_goal_reasons(goals, lang)}</ul>'
        shown = page * ATTENTION_PER_SCREEN + goals.height
        if page == pages - 1 and total > shown:
            body += _more(t("wall_list_more", lang, n=total - shown))
        screens.append(Screen("attention", f"{title} {page + 1}/{pages}" if pages > 1 else title, body))
    return screens


def league_screen(f: Filters, lang: str) -> Screen:
    """The 赛马 league table as the overview keeps it (the best and the laggards beyond
    ``queries.SHOW_ALL_DEPARTMENTS``); more than ``LEAGUE_ROWS`` lines are cut in the middle,
    never at the bottom: the laggards stay on the screen (their places show the gap)."""
    frame, _, hidden = queries.league_table(f)
    rows = frame.to_dicts()
    if len(rows) > LEAGUE_ROWS:
        hidden += len(rows) - LEAGUE_ROWS
        rows = rows[: LEAGUE_ROWS - LEAGUE_ROWS // 2] + rows[-(LEAGUE_ROWS // 2) :]
    head = "".join(f'<th class="kpi-wall-label">{_e(t(key, lang))}</th>' for key in markup.LEAGUE_HEADINGS)
    body = []
    for row in rows:
        place = t("place_tied" if row["tied"] else "place", lang, n=row["place"])
        share = f"{round(row['green_share'] * 100)}%"
        body.append(
            f'<tr class="kpi-wall-league-row"><td class="kpi-wall-place">{_e(place)}</td>'
            f'<td class="kpi-wall-dept">{_e(i18n.department_name(row["name"], lang))}</td>'
            f'<td class="kpi-wall-num"><span class="kpi-wall-figure">{_e(share)}</span>'
            f'<span class="kpi-wall-of">（{row["green"]}/{row["total"]}）</span></td>'
            f'<td class="kpi-wall-num"><span class="kpi-wall-figure">{row["firsts"]}</span></td>'
            f'<td class="kpi-wall-num"><span class="kpi-wall-figure">{row["top3"]}</span></td></tr>'
        )
    table = f'<table class="kpi-wall-league"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    if hidden:
        table += _more(t("wall_league_more", lang, n=hidden))
    return Screen("league", t("wall_screen_league", lang), table)


def provincial_firsts(f: Filters) -> pl.DataFrame:
    """The figures ranked exactly 全省第1 as a result (not 前N, not a forecast), grouped by
    department as the rankings page orders them: what the 全省第一 tile counts."""
    frame, _ = queries.rank_statements(f, "province")
    return frame.filter(
        (pl.col("rank") == 1) & (pl.col("rank_scope") == "全省") & ~pl.col("rank_is_top_n") & ~pl.col("is_forecast")
    )


def _first_lines(firsts: pl.DataFrame, lang: str, with_department: bool = True) -> list[tuple[str, int, bool]]:
    """Per department heading and per first place, in order: (HTML line, the lines it takes in a
    half-width column, whether it is a first place)."""
    lines, current = [], None
    for row in firsts.iter_rows(named=True):
        if with_department and row["dept_id"] != current:
            current = row["dept_id"]
            name = _e(i18n.department_name(row["dept_name"], lang))
            lines.append((f'<li class="kpi-wall-first-dept"><strong>{name}</strong></li>', 1, False))
        rank, rest = markup.rank_sentence(row, lang)
        lines.append(
            (
                f'<li class="kpi-wall-first"><span class="kpi-wall-figure kpi-wall-rank">{_e(rank)}</span>'
                f'<span class="kpi-wall-first-text">{_e(rest)}</span></li>',
                1 + len(rest) // FIRST_CHARS_PER_LINE,
                True,
            )
        )
    return lines


def _chunks(lines: list[tuple[str, int, bool]], capacity: int) -> list[list[tuple[str, int, bool]]]:
    """The lines cut into screens of at most ``capacity`` display lines: a heading is never last
    on a screen, and a department continued on the next screen is named there again."""
    chunks: list[list[tuple[str, int, bool]]] = [[]]
    used, heading = 0, None
    for line in lines:
        if chunks[-1] and used + line[1] > capacity:
            if not chunks[-1][-1][2]:
                carried = [chunks[-1].pop()]
            else:
                carried = [heading] if heading is not None and line[2] else []
            chunks.append(carried)
            used = sum(item[1] for item in carried)
        if not line[2]:
            heading = line
        chunks[-1].append(line)
        used += line[1]
    return chunks


def firsts_screens(f: Filters, lang: str) -> list[Screen]:
    """The provincial first places in words, in two columns of ``FIRSTS_LINES`` lines a screen
    (at most ``MAX_LIST_SCREENS``); none: no screen."""
    lines = _first_lines(provincial_firsts(f), lang)
    if not lines:
        return []
    title = t("wall_screen_firsts", lang)
    chunks = _chunks(lines, 2 * FIRSTS_LINES)
    shown = chunks[:MAX_LIST_SCREENS]
    screens = []
    for page, chunk in enumerate(shown):
        body = f'<ul class="kpi-wall-firsts kpi-wall-columns">{"".join(line for line, _, _ in chunk)}</ul>'
        if page == len(shown) - 1 and len(chunks) > len(shown):
            rest = sum(1 for chunk in chunks[len(shown) :] for _, _, is_first in chunk if is_first)
            body += _more(t("wall_list_more", lang, n=rest))
        screens.append(Screen("firsts", f"{title} {page + 1}/{len(shown)}" if len(shown) > 1 else title, body))
    return screens


def department_screen(f: Filters, dept: dict, lang: str) -> Screen:
    """One department: its tiles with lights, its goals needing attention, its first places."""
    scoped = replace(f, dept_ids=(dept["dept_id"],))
    counts = queries.tiles(scoped)
    name = i18n.department_name(dept["name"], lang) if lang == "en" else dept["full_name"]
    goals, total = queries.light_attention_goals(scoped, DEPT_ATTENTION, 0)
    parts = [
        f'<div class="kpi-wall-tiles">{_light_tiles(scoped, lang)}</div>',
        f'<div class="kpi-wall-tiles">{_headline_tiles(counts, lang)}</div>',
    ]
    if total:
        parts.append(f'<ul class="kpi-wall-goals">{_goal_reasons(goals, lang)}</ul>')
        if total > goals.height:
            parts.append(_more(t("wall_attention_more", lang, n=total - goals.height)))
    else:
        parts.append(_more(t("wall_attention_none", lang)))
    firsts = provincial_firsts(scoped)
    if firsts.height:
        lines = _first_lines(firsts.head(DEPT_FIRSTS), lang, with_department=False)
        parts.append(f'<ul class="kpi-wall-firsts">{"".join(line for line, _, _ in lines)}</ul>')
        if firsts.height > DEPT_FIRSTS:
            parts.append(_more(t("wall_list_more", lang, n=firsts.height - DEPT_FIRSTS)))
    return Screen("dept", name, "".join(parts))


def build_screens(f: Filters, lang: str) -> list[Screen]:
    """Every screen of the wall for these filters, in rotation order."""
    counts = queries.tiles(f)
    if counts["goals"] == 0:
        return [Screen("overview", t("wall_screen_overview", lang), _more(t("wall_no_goals", lang)))]
    screens = [overview_screen(f, counts, lang), *attention_screens(f, lang), league_screen(f, lang)]
    screens += firsts_screens(f, lang)
    chosen = queries.departments_by_id(f.dept_ids)
    by_id = {row["dept_id"]: row for row in chosen.iter_rows(named=True)}
    screens += [department_screen(f, by_id[d], lang) for d in f.dept_ids if d in by_id]
    return screens


# --- the canvas --------------------------------------------------------------------------------------


def scope_text(f: Filters, lang: str) -> str:
    """The filters in force, in words: departments, sectors, themes, statuses, search."""
    parts = []
    if f.dept_ids:
        names = queries.departments_by_id(f.dept_ids).get_column("name").to_list()
        parts.append("、".join(i18n.department_name(n, lang) for n in names))
    parts += list(f.sectors)
    if f.theme_ids:
        themes = queries.themes().filter(pl.col("theme_id").is_in(list(f.theme_ids)))
        parts += [i18n.theme_name(r["name"], r["name_en"], lang) for r in themes.iter_rows(named=True)]
    parts += [i18n.status_label(s, lang) for s in f.statuses]
    if f.q:
        parts.append(f"「{f.q}」")
    return t("wall_scope_filtered", lang, what=" · ".join(parts)) if parts else t("wall_scope_all", lang)


def version_id() -> str:
    """The data version in force (its directory's name: never a path of the server)."""
    return Path(queries.data_version().split("|", 1)[0]).name


def canvas_html(
    screen: Screen,
    index: int,
    count: int,
    f: Filters,
    lang: str,
    rotate: int,
    now: datetime,
    notices: list[str],
) -> str:
    """The whole canvas: header (title, period, filters, as-of date, refresh time, place in the
    rotation), the screen, notices and the source, and the watermark over all of it."""
    info = queries.period_info(f.year, f.period)
    as_of = t("wall_as_of", lang, as_of=info["as_of"]) if info else t("wall_as_of_missing", lang)
    period = t("wall_period", lang, year=f.year, period=i18n.period_label(f.period, lang))
    rotation = t("wall_rotate_every", lang, seconds=rotate) if rotate else t("wall_rotate_off", lang)
    watermark = _e(watermark_text(now))
    marks = "".join(f'<span class="kpi-wall-mark">{watermark}</span>' for _ in range(12))
    notes = "".join(f'<p class="kpi-wall-notice">{_e(n)}</p>' for n in notices)
    source = f'<p class="kpi-wall-source">{_e(info["source_title"])}</p>' if info else ""
    return (
        f'<div class="kpi-wall" data-screen="{_e(screen.key)}" data-screen-index="{index}" '
        f'data-screens="{count}" data-version="{_e(version_id())}">'
        '<div class="kpi-wall-canvas">'
        '<header class="kpi-wall-head"><div class="kpi-wall-titles">'
        f'<h1 class="kpi-wall-title">{_e(t("app_title", lang))} · {_e(screen.title)}</h1>'
        f'<p class="kpi-wall-sub">{_e(period)} · {_e(scope_text(f, lang))}</p></div>'
        '<div class="kpi-wall-meta">'
        f'<p class="kpi-wall-as-of">{_e(as_of)}</p>'
        f'<p class="kpi-wall-refreshed">{_e(t("wall_refreshed", lang, time=now.strftime("%H:%M:%S")))}</p>'
        f'<p class="kpi-wall-pager">{index + 1} / {count} · {_e(rotation)}</p></div></header>'
        f'<main class="kpi-wall-body">{screen.body}</main>'
        f'<footer class="kpi-wall-foot">{notes}{source}</footer>'
        f'<div class="kpi-wall-watermark" aria-hidden="true">{marks}</div>'
        "</div></div>"
    )


# Streamlit's chrome hidden (header, toolbar, sidebar and its toggle, the running indicator),
# its fading of stale elements off, and the canvas: ``--u`` is one canvas pixel.
WALL_CSS = """<style>
header[data-testid=stHeader],[data-testid=stToolbar],[data-testid=stDecoration],[data-testid=stSidebar],
[data-testid=stSidebarCollapsedControl],[data-testid=stExpandSidebarButton],[data-testid=stStatusWidget],
[data-testid=stBottom]{display:none !important}
html,body,[data-testid=stApp],[data-testid=stMain]{background:#05080F !important;overflow:hidden !important}
[data-stale=true],[data-stale=true] *{opacity:1 !important;transition:none !important}
.kpi-wall{position:fixed;inset:0;z-index:1000000;background:#05080F;display:flex;align-items:center;
justify-content:center;--u:min(calc(100vw / 1920),calc(100vh / 1080))}
.kpi-wall-canvas{position:relative;box-sizing:border-box;width:calc(1920 * var(--u));height:calc(1080 * var(--u));
overflow:hidden;display:flex;flex-direction:column;gap:calc(22 * var(--u));padding:calc(34 * var(--u)) calc(52 * var(--u));
background:#0B1220;color:#E8EEF7;font-size:calc(26 * var(--u));line-height:1.35;
font-family:'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif}
.kpi-wall-canvas p,.kpi-wall-canvas h1,.kpi-wall-canvas h2,.kpi-wall-canvas ul{margin:0;padding:0}
.kpi-wall-canvas li{list-style:none}
.kpi-wall-head{display:flex;justify-content:space-between;align-items:flex-end;gap:calc(40 * var(--u));
padding-bottom:calc(16 * var(--u));border-bottom:calc(2 * var(--u)) solid #24324A}
.kpi-wall-title{font-size:calc(46 * var(--u));font-weight:700;line-height:1.2;color:#FFFFFF}
.kpi-wall-sub{font-size:calc(26 * var(--u));color:#B8C6DB;margin-top:calc(8 * var(--u)) !important}
.kpi-wall-meta{text-align:right;font-size:calc(24 * var(--u));color:#B8C6DB;white-space:nowrap}
.kpi-wall-as-of{font-size:calc(28 * var(--u));color:#FFFFFF;font-weight:700}
.kpi-wall-refreshed,.kpi-wall-pager{font-size:calc(24 * var(--u))}
.kpi-wall-body{flex:1;min-height:0;overflow:hidden;display:flex;flex-direction:column;gap:calc(22 * var(--u))}
.kpi-wall-tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:calc(22 * var(--u))}
.kpi-wall-tile{background:#131D31;border:calc(2 * var(--u)) solid #24324A;border-radius:calc(12 * var(--u));
padding:calc(10 * var(--u)) calc(24 * var(--u))}
.kpi-wall-label{font-size:calc(26 * var(--u));color:#C9D5E6}
.kpi-wall-figure{font-size:calc(40 * var(--u));font-weight:700;color:#FFFFFF;line-height:1.15}
.kpi-wall-tile .kpi-wall-figure{font-size:calc(60 * var(--u))}
.kpi-wall-h2{font-size:calc(32 * var(--u));font-weight:700;color:#FFFFFF}
.kpi-wall-goals{display:flex;flex-direction:column;gap:calc(10 * var(--u))}
.kpi-wall-goal{display:flex;flex-wrap:wrap;align-items:baseline;gap:calc(6 * var(--u)) calc(14 * var(--u));
font-size:calc(28 * var(--u));padding:calc(5 * var(--u)) calc(18 * var(--u));background:#131D31;
border-left:calc(8 * var(--u)) solid #8C8C8C;border-radius:calc(6 * var(--u))}
.kpi-wall-goal-red{border-left-color:#D55E00}.kpi-wall-goal-yellow{border-left-color:#E69F00}
.kpi-wall-goal-title{flex:1;min-width:0;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.kpi-wall-oneline .kpi-wall-goal-title{display:block;white-space:nowrap;text-overflow:ellipsis}
.kpi-wall-badge{flex:none;font-size:calc(24 * var(--u));font-weight:700;border:calc(2 * var(--u)) solid;
border-radius:calc(8 * var(--u));padding:0 calc(10 * var(--u));white-space:nowrap}
.kpi-wall-reason{flex-basis:100%;font-size:calc(24 * var(--u));color:#C9D5E6}
.kpi-wall-more{font-size:calc(24 * var(--u));color:#B8C6DB}
.kpi-wall-league{width:100%;border-collapse:collapse}
.kpi-wall-league th{text-align:left;padding:calc(4 * var(--u)) calc(14 * var(--u));border-bottom:calc(2 * var(--u)) solid #24324A}
.kpi-wall-league td{padding:calc(1 * var(--u)) calc(14 * var(--u));font-size:calc(30 * var(--u));white-space:nowrap;
border-bottom:calc(1 * var(--u)) solid #1B2740}
.kpi-wall-league td.kpi-wall-dept{white-space:normal;width:40%}
.kpi-wall-league .kpi-wall-figure{font-size:calc(34 * var(--u))}
.kpi-wall-of{font-size:calc(24 * var(--u));color:#B8C6DB}
.kpi-wall-firsts{display:flex;flex-direction:column;gap:calc(4 * var(--u));line-height:1.25}
.kpi-wall-columns{display:block;column-count:2;column-gap:calc(60 * var(--u));column-fill:auto;flex:1;min-height:0}
.kpi-wall-columns li{break-inside:avoid;margin-bottom:calc(6 * var(--u))}
.kpi-wall-columns .kpi-wall-first-dept{break-after:avoid}
.kpi-wall-first-dept{font-size:calc(30 * var(--u));color:#FFFFFF;margin-top:calc(6 * var(--u))}
.kpi-wall-first{display:flex;align-items:baseline;gap:calc(18 * var(--u));padding-left:calc(24 * var(--u))}
.kpi-wall-rank{flex:none;color:#56B4E9;font-size:calc(34 * var(--u))}
.kpi-wall-first-text{font-size:calc(28 * var(--u))}
.kpi-wall-foot{display:flex;justify-content:space-between;gap:calc(30 * var(--u));font-size:calc(20 * var(--u));color:#9FB0C8}
.kpi-wall-notice{color:#F0C05A;font-size:calc(22 * var(--u))}
.kpi-wall-source{margin-left:auto !important;text-align:right;font-size:calc(20 * var(--u))}
.kpi-wall-watermark{position:absolute;inset:0;display:grid;grid-template-columns:repeat(4,1fr);
grid-template-rows:repeat(3,1fr);pointer-events:none;overflow:hidden}
.kpi-wall-mark{align-self:center;justify-self:center;transform:rotate(-18deg);white-space:nowrap;
font-size:calc(28 * var(--u));color:rgba(255,255,255,0.09);font-weight:700}
</style>"""


# --- the page ----------------------------------------------------------------------------------------


def wall_allowed() -> bool:
    """The gate, again, for each tick of the wall: the viewer's login or the link's wall token."""
    return auth.allowed() or auth.wall_token_admits()


def _reset_defaults_for_new_data() -> None:
    """A new data version may bring a new year or period: the filters the link did not pin
    (year, period) go back to their defaults, the new data's latest."""
    pins = st.session_state.get(_URL_PINS_KEY, {})
    if not pins.get(filters.YEAR):
        st.session_state.pop(filters.YEAR, None)
    if not pins.get(filters.PERIOD):
        st.session_state.pop(filters.PERIOD, None)
        st.session_state.pop(f"{filters.PERIOD}_ui", None)


def _tick(f: Filters, lang: str, rotate: int, notices: list[str], version: str) -> None:
    if not wall_allowed():
        st.rerun()  # the whole page: the gate shows its login form (a revoked token ends here)
    problems = queries.data_problems()
    if problems:
        st.html(
            '<div class="kpi-wall"><div class="kpi-wall-canvas"><main class="kpi-wall-body">'
            f'<p class="kpi-wall-notice">{_e(t("wall_data_problem", lang, problem=problems[0]))}</p>'
            "</main></div></div>"
        )
        return
    if queries.data_version() != version:
        _reset_defaults_for_new_data()
        st.rerun()  # a new version: the page again, so the filters' options and defaults follow it
    screens = build_screens(f, lang)
    now = time.monotonic()
    index, shown_at = advance(
        st.session_state.get(_SCREEN_KEY, 0), st.session_state.get(_SHOWN_AT_KEY, now), now, rotate, len(screens)
    )
    st.session_state[_SCREEN_KEY], st.session_state[_SHOWN_AT_KEY] = index, shown_at
    st.html(canvas_html(screens[index], index, len(screens), f, lang, rotate, datetime.now().astimezone(), notices))


def render(f: Filters, lang: str, ignored: list[str]) -> None:
    """The wall page's body: the chrome-hiding styles once, then the ticking canvas."""
    if _URL_PINS_KEY not in st.session_state:
        st.session_state[_URL_PINS_KEY] = {p: bool(st.query_params.get_all(p)) for p in (filters.YEAR, filters.PERIOD)}
    rotate, valid = parse_rotate(st.query_params.get_all(ROTATE))
    notices = []
    if not valid:
        notices.append(t("wall_rotate_invalid", lang, low=MIN_ROTATE_S, high=MAX_ROTATE_S, default=DEFAULT_ROTATE_S))
    if ignored:
        notices.append(t("wall_ignored", lang, params=("、" if lang == "zh" else ", ").join(ignored)))
    st.html(WALL_CSS)
    st.fragment(_tick, run_every=tick_seconds(rotate))(f, lang, rotate, notices, queries.data_version())
