"""Reading what an AppTest run shows: tiles, goal cards, lazy expanders; and the expected tiles."""

from __future__ import annotations

import html
import re
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from kpi.pipeline.numbers import format_pct
from kpi.web import i18n, queries
from kpi.web.i18n import t

# The forecast wording the 全省第一 tiles' help text excludes (预计, 有望, …).
FORECAST_WORDS = "预计|有望|预期|可望"
ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"


def open_lazy_expanders(app: AppTest) -> int:
    """Open every expander that draws its content only when opened (the charts' 查看数据 and
    the goal cards' figures, the lights' rules), as a reader clicking each does; return how many
    were opened."""
    keys = [expander.key for expander in app.expander if expander.key]
    for key in keys:
        app.session_state[key] = True
    if keys:
        app.run()
    return len(keys)


def card_titles(app: AppTest) -> list[str]:
    """The goal cards' titles as shown ("3. 目标…"), in page order, from their HTML."""
    bodies = [block.value for block in app.get("html")]
    # Tags stripped: a search in force marks its term inside titles.
    return [html.unescape(re.sub(r"<[^>]+>", "", title)) for body in bodies for title in _CARD_TITLE.findall(body)]


_CARD_TITLE = re.compile(r'<p class="kpi-title"[^>]*><strong>(.*?)</strong></p>', re.S)


def listed_heads(app: AppTest, key: str) -> list[str]:
    """The bold heads of a ``markup.lines_html`` list (class ``key``) as shown, in page order."""
    bodies = [block.value for block in app.get("html") if f'class="{key}"' in block.value]
    head = re.compile(rf'<li class="{re.escape(key)}-item"[^>]*><strong>(.*?)</strong>', re.S)
    return [html.unescape(found) for body in bodies for found in head.findall(body)]


def card_text(app: AppTest) -> str:
    """All the goal cards' text (titles, badges, narratives, status reasons), unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", " ", " ".join(block.value for block in app.get("html"))))


def metric_values(app: AppTest) -> dict[str, str]:
    """KPI tile label → displayed value (the light tiles: ``light_tile_values``)."""
    return {metric.label: metric.value for metric in app.metric if not _is_light_tile(metric.label)}


def _is_light_tile(label: str) -> bool:
    return any(label.startswith(icon + " ") for icon in i18n.LIGHT_ICONS.values())


def light_tile_values(app: AppTest) -> dict[str, str]:
    """Light tile label (icon and words) → displayed count."""
    return {metric.label: metric.value for metric in app.metric if _is_light_tile(metric.label)}


def expected_light_tiles(goals: pl.DataFrame, period: str) -> dict[str, str]:
    """The light tiles computed with Polars from the goals of one period."""
    return {
        i18n.light_label(light, period): str(goals.filter(pl.col("light") == light).height)
        for light in ("red", "yellow", "green", "none")
    }


def expected_tiles(goals: pl.DataFrame, indicators: pl.DataFrame) -> dict[str, float | int]:
    """The tile counts computed with Polars from the given goals and all indicators."""
    counts = {status: goals.filter(pl.col("status") == status).height for status in queries.STATUSES}
    # 待核 (low-confidence) figures are not counted until staff confirm them.
    chosen = indicators.filter(pl.col("confidence") == "high").join(goals.select("goal_id"), on="goal_id", how="semi")
    stated = chosen.filter((pl.col("rank") == 1) & (pl.col("rank_scope") == "全省") & ~pl.col("rank_is_top_n"))
    # Independent of the pipeline's is_forecast: the forecast words the tiles' help text names.
    forecast = pl.col("quote").str.contains(FORECAST_WORDS)
    firsts, forecast_firsts = stated.filter(~forecast).height, stated.filter(forecast).height
    met = counts["exceeded"] + counts["achieved"]
    return {
        "goals": goals.height,
        **counts,
        "at_risk_or_not_met": counts["at_risk"] + counts["not_met"],
        "provincial_firsts": firsts,
        "forecast_firsts": forecast_firsts,
        "met_share": met / goals.height if goals.height else 0.0,
    }


_CN = "零一二三四五六七八九"


# Worst first, written out here: red, yellow, green, then goals without a light; within a light
# unmet, at risk, pending, on track, achieved, exceeded; then department order and number.
_LIGHT_RANK = {"red": 0, "yellow": 1, "green": 2}
_STATUS_RANK = {"not_met": 0, "at_risk": 1, "pending": 2, "on_track": 3, "achieved": 4, "exceeded": 5}


def problems_first(goals: pl.DataFrame) -> list[str]:
    """Goal ids in the order the goal lists show them (the rule restated, not the query)."""
    return (
        goals.with_columns(
            pl.col("light").replace_strict(_LIGHT_RANK, default=3).alias("light_rank"),
            pl.col("status").replace_strict(_STATUS_RANK, default=6).alias("status_rank"),
        )
        .sort("light_rank", "status_rank", "sort_order", "seq", "goal_id")
        .get_column("goal_id")
        .to_list()
    )


def search_terms(term: str) -> list[str]:
    """What a search for ``term`` looks for: the term lower-cased, with Chinese digits as Arabic
    ones, and the reverse (全省第一 → 全省第1)."""
    term = " ".join(term.split())[:50].lower()
    arabic = "".join(str(_CN.index(c)) if c in _CN else {"〇": "0", "两": "2"}.get(c, c) for c in term)
    chinese = "".join(_CN[int(c)] if c in "0123456789" else c for c in term)
    return [v for v in dict.fromkeys([term, arabic, chinese]) if v]


def search_matches(goals: pl.DataFrame, departments: pl.DataFrame, themes: pl.DataFrame, term: str) -> pl.DataFrame:
    """The goals a search finds, computed with Polars: title, narrative, the department's short
    and full name, a theme's Chinese or English name."""
    words = search_terms(term)
    if not words:
        return goals
    names = departments.select("dept_id", _short=pl.col("name"), _full=pl.col("full_name"))
    found = goals.join(names, on="dept_id", how="left")
    theme_ids = themes.filter(
        pl.any_horizontal(
            pl.col("name").str.to_lowercase().str.contains(w, literal=True)
            | pl.col("name_en").fill_null("").str.to_lowercase().str.contains(w, literal=True)
            for w in words
        )
    ).get_column("theme_id")
    hit = (
        pl.any_horizontal(
            pl.col(c).str.to_lowercase().str.contains(w, literal=True)
            for c in ("title", "result", "_short", "_full")
            for w in words
        )
        | pl.col("themes").list.eval(pl.element().is_in(theme_ids.to_list())).list.any()
    )
    return found.filter(hit).drop("_short", "_full")


def tile_labels(lang: str = "zh") -> dict[str, str]:
    """Tile key → its label on screen."""
    labels = {"goals": t("tile_goals", lang)}
    for status in ("exceeded", "achieved", "on_track", "pending"):
        labels[status] = i18n.status_label(status, lang)
    labels["at_risk_or_not_met"] = f"{i18n.STATUS_ICONS['at_risk']} {t('tile_risk', lang)}"
    labels["provincial_firsts"] = t("tile_first", lang)
    labels["forecast_firsts"] = t("tile_forecast_first", lang)
    labels["met_share"] = t("tile_met_share", lang)
    return labels


def shown_tiles(expected: dict[str, float | int], lang: str = "zh") -> dict[str, str]:
    """How the expected counts must appear in the tiles."""
    labels = tile_labels(lang)
    return {
        labels[key]: format_pct(float(value) * 100) if key == "met_share" else str(value)
        for key, value in expected.items()
        if key in labels
    }
