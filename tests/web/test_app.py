"""Every page through Streamlit's AppTest, on the bundled data."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.web import components as ui
from kpi.web import i18n, queries
from kpi.web.i18n import t
from kpi.web.queries import Filters
from tests.support.apptest import (
    card_text,
    card_titles,
    expected_tiles,
    metric_values,
    open_lazy_expanders,
    shown_tiles,
)

PAGES = ("overview", "rankings", "targets", "departments", "goals")
CHARTS_PER_PAGE = {"overview": 2, "rankings": 1, "targets": 2}  # rankings: the open tab's; targets: progress + target
HOSTILE = ["'; drop table goals;--", "<script>alert(1)</script>"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(make_app, page: str) -> None:
    app = make_app(page=page)
    assert not app.exception
    assert app.title[0].value == t(f"page_{page}")
    captions = " ".join(c.value for c in app.caption)
    # From periods.parquet (data/curation/periods.csv), not from constants in the code.
    assert "湖州市2022年度市直部门目标任务完成情况" in captions and "2022-12" in captions and "全年" in captions
    # The element type the "no chart" checks elsewhere look for is the one charts have.
    assert len(app.get("vega_lite_chart")) == CHARTS_PER_PAGE.get(page, 0)


def test_overview_tiles_for_the_full_data(make_app, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    app = make_app()
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))
    helps = {m.label: m.help for m in app.metric}
    assert all(helps.values())  # each tile says what it counts
    assert "全省第1" in helps[t("tile_first")]


def test_overview_for_one_department(make_app, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    dept_id = goals.sort("sort_order").get_column("dept_id")[0]
    chosen = goals.filter(pl.col("dept_id") == dept_id)
    app = make_app({"dept": dept_id})
    assert not app.exception
    assert metric_values(app) == shown_tiles(expected_tiles(chosen, indicators))
    assert metric_values(app)[t("tile_goals")] == "5"


def test_overview_for_at_risk_goals(make_app, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    app = make_app({"status": "at_risk"})
    chosen = goals.filter(pl.col("status") == "at_risk")
    assert metric_values(app) == shown_tiles(expected_tiles(chosen, indicators))
    # The 需关注 list shows each of them with its narrative.
    narratives = " ".join(h.value for h in app.get("html"))
    for result in chosen.get_column("result").head(10):
        assert result[:12] in narratives.replace("<mark>", "").replace("</mark>", "")


def test_search_term_from_the_url(make_app, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    term = "减负"
    chosen = goals.filter(
        pl.col("title").str.contains(term, literal=True) | pl.col("result").str.contains(term, literal=True)
    )
    app = make_app({"q": term})
    assert app.text_input(key="q").value == term
    assert metric_values(app) == shown_tiles(expected_tiles(chosen, indicators))


def test_query_parameters_set_every_filter(make_app, goals: pl.DataFrame, indicators: pl.DataFrame, year: int) -> None:
    sector = goals.get_column("sector")[0]
    theme = goals.filter(pl.col("sector") == sector).get_column("themes")[0][0]
    params = {"year": str(year), "sector": sector, "theme": theme, "status": ["achieved", "exceeded", "on_track"]}
    app = make_app(params)
    assert app.selectbox(key="year").value == year
    assert app.multiselect(key="sector").value == [sector]
    assert app.multiselect(key="theme_ui").value == [theme]
    chosen = goals.filter(
        (pl.col("sector") == sector)
        & pl.col("themes").list.contains(theme)
        & pl.col("status").is_in(["achieved", "exceeded", "on_track"])
    )
    assert metric_values(app) == shown_tiles(expected_tiles(chosen, indicators))


@pytest.mark.parametrize("bad", HOSTILE + ["1999", "nope", ""])
def test_bogus_or_hostile_parameters_are_ignored(
    make_app, bad: str, goals: pl.DataFrame, indicators: pl.DataFrame, year: int
) -> None:
    app = make_app({"dept": bad, "theme": bad, "status": bad, "year": bad, "sector": bad, "lang": bad})
    assert not app.exception
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))
    assert app.selectbox(key="year").value == year
    for key in ("dept_ui", "theme_ui", "status_ui", "sector"):
        assert app.multiselect(key=key).value == []
    for key in ("dept", "theme", "status", "year", "sector", "lang"):
        assert key not in app.query_params  # dropped from the URL too


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_search_is_only_text(make_app, bad: str, goals: pl.DataFrame) -> None:
    app = make_app({"q": bad})
    assert not app.exception
    assert metric_values(app)[t("tile_goals")] == "0"
    assert any(t("empty") in info.value for info in app.info)  # a friendly message, not an empty chart
    assert not app.get("vega_lite_chart")
    app.switch_page("pages/goals_page.py").run()
    assert not app.exception and any(t("empty") in info.value for info in app.info)
    # The goals are still there afterwards.
    app.button(key="clear_filters").click().run()
    assert app.title[0].value == t("page_goals")
    assert f"共 {goals.height} 条目标" in " ".join(c.value for c in app.caption)


def test_english_labels(make_app, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    app = make_app({"lang": "en"})
    assert not app.exception
    assert app.title[0].value == "Overview"
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators), "en")
    options = app.multiselect(key="dept_ui").options
    assert set(i18n.DEPARTMENT_NAMES_EN.values()) >= set(options)
    assert "Exceeded" in " ".join(app.multiselect(key="status_ui").options)


def test_department_page_picks_one_department(make_app, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    order = goals.sort("sort_order").get_column("dept_id").unique(maintain_order=True).to_list()
    app = make_app(page="departments")
    picker = app.selectbox(key="dept_pick")
    assert picker.value == order[0]
    second = order[1]
    picker.set_value(second).run()
    assert not app.exception
    assert app.query_params["dept"] in ([second], second)  # bound to `dept`
    chosen = goals.filter(pl.col("dept_id") == second)
    assert metric_values(app) == shown_tiles(expected_tiles(chosen, indicators))
    # One card per goal, each with its status in words.
    cards = card_text(app)
    for status in chosen.get_column("status"):
        assert i18n.status_label(status) in cards
    assert card_titles(app) == [f"{g['seq']}. {g['title']}" for g in chosen.sort("seq").iter_rows(named=True)]


def test_goals_page_paginates_and_offers_downloads(make_app, goals: pl.DataFrame) -> None:
    app = make_app(page="goals")
    assert not app.exception
    assert len(app.get("download_button")) == 3
    pagination = app.pagination
    assert len(pagination) == 1
    titles = card_titles(app)
    assert len(titles) == 10
    pagination[0].set_value(2).run()
    second_titles = card_titles(app)
    assert second_titles != titles
    expected_second = goals.sort("sort_order", "seq").slice(10, 10)
    assert [s.split(". ", 1)[1] for s in second_titles] == expected_second.get_column("title").to_list()


def test_goals_page_past_the_end_goes_back_to_page_one(make_app, goals: pl.DataFrame) -> None:
    """The remembered page lies past the end once a filter shrinks the list: page 1 is shown."""
    app = make_app(page="goals")
    last = -(-goals.height // 10)
    app.pagination[0].set_value(last).run()
    term = "减负"
    chosen = goals.filter(
        pl.col("title").str.contains(term, literal=True) | pl.col("result").str.contains(term, literal=True)
    )
    assert 0 < chosen.height <= 10 < goals.height
    app.text_input(key="q").set_value(term).run()
    assert not app.exception
    assert f"共 {chosen.height} 条目标" in " ".join(c.value for c in app.caption)
    titles = [title.split(". ", 1)[1] for title in card_titles(app)]
    assert titles == chosen.sort("sort_order", "seq").get_column("title").to_list()


def test_figures_are_highlighted_and_traceable(make_app, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    dept_id = indicators.get_column("dept_id")[0]
    app = make_app({"dept": dept_id}, page="goals")
    html = " ".join(h.value for h in app.get("html"))
    for value_text in indicators.filter(pl.col("dept_id") == dept_id).get_column("value_text"):
        assert f"<mark>{value_text}</mark>" in html or value_text in html
    assert open_lazy_expanders(app) >= 1
    tables = [df.value for df in app.dataframe]
    quotes = set(pl.concat([pl.from_pandas(tb) for tb in tables], how="diagonal").get_column(t("col_quote")))
    assert quotes == set(indicators.filter(pl.col("dept_id") == dept_id).get_column("quote"))


def _chart_figures(app: AppTest) -> list[str]:
    """The figure names in the (only) rank chart's data table, opened as a reader does."""
    assert len(app.get("vega_lite_chart")) == 1
    open_lazy_expanders(app)
    return app.dataframe[0].value[t("col_figure")].to_list()


def test_rankings_show_one_scope_at_a_time_and_the_link_keeps_it(make_app, year: int) -> None:
    f = Filters(year)
    groups = [g for g in queries.SCOPE_GROUPS if queries.ranked_figures(f, g)[1]]
    assert len(groups) >= 2  # the bundled data ranks figures in the province and elsewhere
    app = make_app(page="rankings")
    assert [tab.label for tab in app.tabs] == [i18n.RANK_SCOPE_GROUPS["zh"][g] for g in groups]
    first = queries.ranked_figures(f, groups[0], ui.RANKS_TOP_N)[0]
    assert _chart_figures(app) == first.get_column("name").to_list()

    # A link to the second tab opens it, and the page's share link carries the tab.
    label = i18n.RANK_SCOPE_GROUPS["zh"][groups[1]]
    app = make_app({"rank_scope": label}, page="rankings")
    second = queries.ranked_figures(f, groups[1], ui.RANKS_TOP_N)[0]
    assert _chart_figures(app) == second.get_column("name").to_list()
    assert parse_qs(urlsplit(app.code[0].value).query)["rank_scope"] == [label]

    # An unknown tab falls back to the first.
    app = make_app({"rank_scope": "<b>全宇宙</b>"}, page="rankings")
    assert _chart_figures(app) == first.get_column("name").to_list()
