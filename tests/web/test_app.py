"""Every page through Streamlit's AppTest, on the bundled data."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.storage import read_dataset, write_dataset
from kpi.web import i18n, queries
from kpi.web.i18n import t
from kpi.web.queries import Filters
from tests.support.apptest import (
    card_text,
    card_titles,
    expected_tiles,
    listed_heads,
    metric_values,
    open_lazy_expanders,
    problems_first,
    shown_tiles,
)

PAGES = ("overview", "rankings", "targets", "departments", "goals")
CHARTS_PER_PAGE = {"overview": 1, "targets": 2}  # rankings: sentences, no chart; targets: progress + target
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


def test_overview_opens_with_the_departments_needing_attention(make_app, goals: pl.DataFrame) -> None:
    app = make_app()
    blocks = [h.value for h in app.get("html") if "<style>" not in h.value]
    # The page's first blocks: the copy-link button, then the problems, above the tiles.
    assert 'class="kpi-copy"' in blocks[0]
    first_html = blocks[1]
    assert 'class="kpi-problems"' in first_html
    problems = goals.filter(
        pl.col("status").is_in(["not_met", "at_risk", "pending"]) | pl.col("light").is_in(["red", "yellow"])
    )
    for name in problems.get_column("dept_name").unique():
        assert name in first_html
    # Each line names the lights first, the statuses behind them.
    assert "市经信局</strong>：▲ 未完成 2、◑ 基本完成 1（⚠ 难度较大 2）" in first_html
    assert "市农业农村局</strong>：◑ 基本完成 1</li>" in first_html
    # Cards of several departments are numbered with their department, not a bare "1.".
    for title in card_titles(app):
        dept, number = title.split(" ", 1)[0], title.split(" ", 2)[1]
        assert dept in set(goals.get_column("dept_name")) and number.rstrip(".").isdigit()


def test_overview_lists_the_goals_of_a_clicked_department(make_app, goals: pl.DataFrame) -> None:
    # A click on the chart filters to one department (filters.select_department); a link does the same.
    dept_id = goals.filter(pl.col("status") == "at_risk").get_column("dept_id")[0]
    chosen = goals.filter(pl.col("dept_id") == dept_id).sort("seq")
    app = make_app({"dept": dept_id})
    name = chosen.get_column("dept_name")[0]
    assert t("dept_goals_title", name=name) in [h.value for h in app.subheader]
    titles = card_titles(app)
    for goal in chosen.iter_rows(named=True):
        assert f"{name} {goal['seq']}. {goal['title']}" in titles


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
    by_id = {g["goal_id"]: g for g in chosen.iter_rows(named=True)}
    assert card_titles(app) == [f"{by_id[i]['seq']}. {by_id[i]['title']}" for i in problems_first(chosen)]


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
    title_of = dict(zip(goals.get_column("goal_id"), goals.get_column("title"), strict=True))
    expected_second = [title_of[i] for i in problems_first(goals)[10:20]]
    assert [s.split(". ", 1)[1] for s in second_titles] == expected_second
    # problems first: page 1 opens with the red goals, and says in words how it is ordered
    first_reds = goals.filter(pl.col("light") == "red").height
    assert titles[0].split(". ", 1)[1] in set(goals.filter(pl.col("light") == "red").get_column("title"))
    assert first_reds and any(t("goal_order") in c.value for c in app.caption)


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
    title_of = dict(zip(chosen.get_column("goal_id"), chosen.get_column("title"), strict=True))
    assert titles == [title_of[i] for i in problems_first(chosen)]


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
    """The figure names in the open tab's data table, opened as a reader does."""
    open_lazy_expanders(app)
    return app.dataframe[0].value[t("col_figure")].to_list()


def test_rankings_show_one_scope_at_a_time_and_the_link_keeps_it(make_app, year: int) -> None:
    f = Filters(year)
    groups = [g for g in queries.SCOPE_GROUPS if queries.rank_statements(f, g)[1]]
    assert len(groups) >= 2  # the bundled data ranks figures in the province and elsewhere
    app = make_app(page="rankings")
    assert [tab.label for tab in app.tabs] == [i18n.RANK_SCOPE_GROUPS["zh"][g] for g in groups]
    first = queries.rank_statements(f, groups[0])[0]
    assert _chart_figures(app) == first.get_column("name").to_list()

    # A link to the second tab opens it, and the page's share link carries the tab.
    label = i18n.RANK_SCOPE_GROUPS["zh"][groups[1]]
    app = make_app({"rank_scope": label}, page="rankings")
    second = queries.rank_statements(f, groups[1])[0]
    assert _chart_figures(app) == second.get_column("name").to_list()
    assert parse_qs(urlsplit(app.code[0].value).query)["rank_scope"] == [label]

    # An unknown tab falls back to the first.
    app = make_app({"rank_scope": "<b>全宇宙</b>"}, page="rankings")
    assert _chart_figures(app) == first.get_column("name").to_list()


def test_targets_page_shows_shortfalls_gaps_and_how_each_target_is_known(make_app, indicators: pl.DataFrame) -> None:
    app = make_app(page="targets")
    text = card_text(app)
    # Derived targets are marked 约 and explained; stated ones say so.
    assert t("basis_completion") in text and t("basis_stated") in text and "约" in t("targets_caption")
    for row in indicators.filter(pl.col("target_basis") == "completion").iter_rows(named=True):
        assert row["target_text"].startswith("约") and row["target_text"] in text
    # The gap in the source's units: 235.4亿元 against 200亿元.
    assert "+35.4亿元" in text
    # The clear miss without an annual figure is listed, with its status.
    assert "目标增长8.5%" in text and "原文未给出" in text and i18n.status_label("at_risk") in text


def test_search_by_department_name_is_honoured_on_the_departments_page(
    make_app, goals: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> None:
    finance = tables["departments"].filter(pl.col("name") == "市财政局").row(0, named=True)
    app = make_app({"q": "财政局"}, page="departments")
    assert not app.exception
    assert app.selectbox(key="dept_pick").value == finance["dept_id"]
    assert metric_values(app)[t("tile_goals")] == str(goals.filter(pl.col("dept_id") == finance["dept_id"]).height)
    # The term is marked in the cards.
    assert any('class="kpi-hit"' in h.value and ">财政局</mark>" in h.value for h in app.get("html"))


def test_search_terms_are_marked_in_the_cards(make_app) -> None:
    app = make_app({"q": "全省第一"}, page="goals")
    hits = [h.value for h in app.get("html") if 'class="kpi-hit"' in h.value]
    assert hits and all(">全省第1</mark>" in h or ">全省第一</mark>" in h for h in hits)


def test_rankings_read_as_sentences_grouped_by_department(
    make_app, indicators: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> None:
    app = make_app(page="rankings")
    text = " ".join(card_text(app).split())
    # Confirmed figures only: a 待核 rank is not stated until staff confirm it.
    province = indicators.filter(
        (pl.col("confidence") == "high") & pl.col("rank_scope").str.starts_with("全省") & pl.col("rank").is_not_null()
    )
    departments = tables["departments"].join(province.select("dept_id").unique(), on="dept_id", how="semi")
    for full_name in departments.get_column("full_name"):
        assert full_name in text  # full names, not cut
    for row in province.iter_rows(named=True):
        assert row["name"] in text and row["quote"] in text
    # 前N as a range, forecasts said as such.
    assert "第1至第3名之间" in text
    assert "预计全省第1 ：交通共富指数" in text and "预计全省第1 ：住房保障覆盖率" in text


def test_the_copy_button_carries_the_share_link(make_app, year: int) -> None:
    app = make_app({"q": "减负", "status": "exceeded"})
    [button] = [h.value for h in app.get("html") if 'class="kpi-copy"' in h.value]
    url = html.unescape(re.search(r'data-url="([^"]*)"', button)[1])
    assert url == app.code[0].value  # the same link the sidebar shows
    query = parse_qs(urlsplit(url).query)
    assert query["year"] == [str(year)] and query["q"] == ["减负"] and query["status"] == ["exceeded"]


def test_an_unconfirmed_figure_is_left_off_the_rankings_and_targets_pages(
    make_app, data_directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, year: int
) -> None:
    data = read_dataset(data_directory)
    of_year = data.indicators.filter(pl.col("year") == year)
    # One provincial rank and one figure against a target, each the only figure of its sentence.
    alone = of_year.filter(pl.col("quote").is_unique())
    ranked = alone.filter(pl.col("rank_scope").str.starts_with("全省") & pl.col("rank").is_not_null()).row(
        0, named=True
    )
    with_target = of_year.filter(pl.col("target").is_not_null())
    targeted = with_target.filter(
        pl.col("value_text").is_unique() & pl.col("rank").is_null() & (pl.col("goal_id") != ranked["goal_id"])
    ).row(0, named=True)
    doubtful = [ranked["indicator_id"], targeted["indicator_id"]]
    unsure = data.indicators.with_columns(
        confidence=pl.when(pl.col("indicator_id").is_in(doubtful)).then(pl.lit("low")).otherwise("confidence"),
        confidence_reason=pl.when(pl.col("indicator_id").is_in(doubtful))
        .then(pl.lit("名称取自句首（兜底规则），请核对"))
        .otherwise("confidence_reason"),
    )
    write_dataset(dataclasses.replace(data, indicators=unsure), tmp_path)
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    queries.clear_caches()

    rankings = " ".join(card_text(make_app(page="rankings")).split())
    assert ranked["quote"] not in rankings
    others = alone.filter(
        pl.col("rank_scope").str.starts_with("全省") & (pl.col("indicator_id") != ranked["indicator_id"])
    )
    assert others.height and all(quote in rankings for quote in others.get_column("quote"))
    targets = make_app(page="targets")
    assert not targets.exception
    shown = " ".join(card_text(targets).split())
    assert f"实际 {targeted['value_text']}" not in shown
    confirmed = with_target.filter(pl.col("indicator_id") != targeted["indicator_id"])
    assert all(f"实际 {value}" in shown for value in confirmed.get_column("value_text"))
    # The goal's own table still lists it, marked 待核 with the reason.
    goals = make_app({"dept": targeted["dept_id"], "q": targeted["value_text"]}, page="goals")
    open_lazy_expanders(goals)
    tables = [frame.value for frame in goals.dataframe]
    marked = [f for f in tables if t("col_check") in f.columns and f[t("col_figure")].to_list().count(targeted["name"])]
    assert marked and any(str(check).startswith("待核") for f in marked for check in f[t("col_check")].to_list())


def test_the_title_targets_section_is_left_out_when_no_title_number_is_a_target(make_app) -> None:
    """发改委's only goal title with a digit names a platform (“2+8”平台), not a target: its
    targets page has no 标题中的目标 section; 经信局's four title targets are listed."""
    for dept, listed in (("development_reform", 0), ("economy_it", 4)):
        app = make_app({"dept": dept}, page="targets")
        assert not app.exception
        assert (t("title_targets") in [s.value for s in app.subheader]) == (listed > 0)
        assert len(listed_heads(app, "kpi-title-targets")) == listed
