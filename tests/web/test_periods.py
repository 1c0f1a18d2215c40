"""The running year on the dashboard, through AppTest and the query layer, on a multi-period
data set (the bundled data, the real multi-period reports and three 2023 Huzhou goals, imported
the way staff do): the period selector and its URL, lights as text, the light tiles, 需关注,
the changes since the previous period, the progress view and the goal cards' history."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.storage import read_dataset, write_dataset
from kpi.pipeline import synth
from kpi.web import filters, i18n, markup, queries
from kpi.web.i18n import t
from kpi.web.queries import Filters
from tests.support.apptest import (
    APP,
    ROOT,
    card_text,
    expected_light_tiles,
    light_tile_values,
    listed_heads,
    open_lazy_expanders,
)
from tests.support.datasets import multi_period_data


@pytest.fixture(scope="module")
def multi(tmp_path_factory) -> Path:
    return multi_period_data(tmp_path_factory.mktemp("multi") / "data", ROOT / "data")


@pytest.fixture
def data(multi: Path, monkeypatch) -> Path:
    monkeypatch.setenv("KPI_DATA_DIR", str(multi))
    queries.clear_caches()
    return multi


def app_at(params: dict[str, str], page: str | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page:
        app.switch_page(f"pages/{page}_page.py").run()
    assert not app.exception, app.exception
    return app


def period_box(app: AppTest):
    return next(box for box in app.selectbox if box.label == t("period"))


def goals_of(data: Path, year: int, period: str) -> pl.DataFrame:
    return read_dataset(data).goals.filter((pl.col("year") == year) & (pl.col("period") == period))


# --- the period selector ---------------------------------------------------------------------------


def test_the_default_is_the_latest_period_of_the_chosen_year(data):
    app = app_at({"year": "2023"})
    box = period_box(app)
    assert box.options == ["前三季度", "上半年", "一季度"]  # latest first
    assert box.value == "Q1-3"
    app = app_at({"year": "2022"})
    assert period_box(app).value == "FY"


def test_period_in_the_link_sets_the_view_and_the_caption(data):
    app = app_at({"year": "2023", "period": "H1"})
    assert period_box(app).value == "H1"
    captions = " ".join(c.value for c in app.caption)
    assert "2023年上半年目标任务完成情况（导入）" in captions and "时序进度 50%" in captions and "上半年" in captions
    assert light_tile_values(app) == expected_light_tiles(goals_of(data, 2023, "H1"), "H1")


@pytest.mark.parametrize("value", ["H7", "M1-10", "FY", "上半年", "h1", "' OR 1=1 --", ""])
def test_a_period_the_year_does_not_report_is_dropped_and_said(data, value):
    app = app_at({"year": "2023", "period": value})
    assert period_box(app).value == "Q1-3"  # the latest of 2023
    if value:
        warnings = " ".join(w.value for w in app.warning)
        assert t("period") in warnings


def test_the_share_link_carries_year_and_period(data):
    app = app_at({"year": "2023", "period": "Q1"})
    shared = " ".join(block.value for block in app.code)
    assert "year=2023" in shared and "period=Q1" in shared
    assert filters.share_params(Filters(2023, period="Q1"))[:2] == [("year", "2023"), ("period", "Q1")]


def test_choosing_a_period_writes_its_code_to_the_url(data):
    app = app_at({"year": "2023"})
    app.selectbox(key="period_ui").set_value("Q1").run()
    assert app.query_params["period"] == ["Q1"] or app.query_params["period"] == "Q1"
    assert light_tile_values(app) == expected_light_tiles(goals_of(data, 2023, "Q1"), "Q1")


# --- lights on the overview --------------------------------------------------------------------------


def test_lights_are_shown_as_words_never_colour_alone(data):
    app = app_at({"year": "2023", "period": "H1"})
    text = card_text(app)
    assert "滞后于时序进度" in text  # 市农业农村局: 35% at 50%
    assert "兑现惠农资金7亿元，为全年目标20亿元的35%，时序进度50%" in text  # its reason, on the card
    legend = " ".join(block.value for block in app.get("html"))
    for light in ("green", "yellow", "red", "none"):
        assert i18n.light_label(light, "H1") in legend
    open_lazy_expanders(app)  # the legend's rules, as a reader opens them
    explained = " ".join(m.value for m in app.markdown)
    assert "10" in explained and "时序进度" in explained  # the thresholds from the CSV, stated


def test_needs_attention_lists_red_before_yellow(data):
    rows, total = queries.light_attention_goals(Filters(2023, period="H1"), 20, 0)
    lights = rows.get_column("light").to_list()
    assert total == len(lights) and set(lights) <= {"red", "yellow"}
    assert lights == sorted(lights, key=["red", "yellow"].index)
    expected = goals_of(data, 2023, "H1").filter(pl.col("light").is_in(["red", "yellow"])).height
    assert total == expected


def test_changes_since_the_previous_period_worse_first(data):
    frame, total = queries.light_changes(Filters(2023, period="H1"), "Q1")
    assert total == frame.height == 3
    changes = {row["title"]: (row["previous_light"], row["light"]) for row in frame.iter_rows(named=True)}
    assert changes["兑现惠农资金20亿元"] == ("green", "red")
    assert changes["规上工业增加值同比增长8.5%，力争全省排名进入前五"] == ("red", "green")
    assert changes["完成交通投资100亿元"] == ("yellow", "green")
    assert frame.get_column("title")[0] == "兑现惠农资金20亿元"  # the one that got worse first
    app = app_at({"year": "2023", "period": "H1"})
    # Three changes: a list (the grid is for 显示全部 of more than ui.TOP_N), worse first, each
    # with its lights before and now in words and the reason of its light now.
    heads = listed_heads(app, markup.CHANGES_LIST)
    assert len(heads) == 3 and heads[0].endswith("兑现惠农资金20亿元")
    [listed] = [
        html.unescape(re.sub(r"<[^>]+>", "", b.value))
        for b in app.get("html")
        if f'class="{markup.CHANGES_LIST}"' in b.value
    ]
    assert "● 达到时序进度 → ▲ 滞后于时序进度（变差）" in listed
    assert "▲ 滞后于时序进度 → ● 达到时序进度（好转）" in listed
    assert "兑现惠农资金7亿元，为全年目标20亿元的35%，时序进度50%" in listed
    assert not [d for d in app.dataframe if t("col_previous_light") in d.value.columns]
    first = app_at({"year": "2023", "period": "Q1"})
    assert t("changes_first_period") in " ".join(c.value for c in first.caption)


def sparkline_periods(periods: pl.DataFrame, year: int, period: str) -> pl.DataFrame:
    """The periods a sparkline shows, worked out here: the last SPARKLINE_PERIODS that end no
    later than the chosen one, across the years, oldest first."""
    end = periods.filter((pl.col("year") == year) & (pl.col("period") == period)).get_column("end_date").item()
    return periods.filter(pl.col("end_date") <= end).sort("end_date").tail(queries.SPARKLINE_PERIODS)


def test_light_tiles_carry_a_sparkline_across_periods(data):
    series = queries.tile_series(Filters(2023, period="H1"))
    dataset = read_dataset(data)
    shown = sparkline_periods(dataset.periods, 2023, "H1")
    assert series.select("year", "period").rows() == shown.select("year", "period").rows()
    assert series.select("year", "period").rows()[-1] == (2023, "H1") and series.height > 2
    assert series.get_column("goals").sum() == dataset.goals.join(shown, on=["year", "period"]).height
    app = app_at({"year": "2023", "period": "H1"})
    lines = [
        m.proto.chart_data for m in app.metric if m.label in expected_light_tiles(goals_of(data, 2023, "H1"), "H1")
    ]
    assert all(len(line) == series.height for line in lines) and lines


def test_the_sparklines_count_the_filtered_goals_of_every_period(data):
    goals = read_dataset(data).goals
    dept = goals.filter(pl.col("year") == 2023).get_column("dept_id")[0]
    cases = [
        (Filters(2023, dept_ids=(dept,)), goals.filter(pl.col("dept_id") == dept)),
        (
            Filters(2023, q="交通投资"),
            goals.filter(pl.col("title").str.contains("交通投资") | pl.col("result").str.contains("交通投资")),
        ),
        (Filters(2023, statuses=("at_risk",)), goals.filter(pl.col("status") == "at_risk")),
    ]
    latest = read_dataset(data).periods.sort("end_date").tail(queries.SPARKLINE_PERIODS).select("year", "period")
    year, period = latest.row(-1)
    for f, chosen in cases:
        f = replace(f, year=year, period=period)
        chosen = chosen.join(latest, on=["year", "period"])
        expected = chosen.group_by("year", "period").agg(
            goals=pl.len(), red=(pl.col("light") == "red").sum(), green=(pl.col("light") == "green").sum()
        )
        series = queries.tile_series(f)
        assert chosen.height > 0
        got = {(r["year"], r["period"]): (r["goals"], r["red"], r["green"]) for r in series.iter_rows(named=True)}
        assert got == {
            (r["year"], r["period"]): (r["goals"], r["red"], r["green"]) for r in expected.iter_rows(named=True)
        }


@pytest.fixture(scope="module")
def four_years(tmp_path_factory) -> Path:
    """Sixteen report periods (2019–2022, four a year): more than a sparkline shows."""
    directory = tmp_path_factory.mktemp("four-years")
    synth.write_dataset(synth.generate(12, 4, seed=5), directory)
    return directory


def test_a_sparkline_shows_the_twelve_periods_that_end_with_the_chosen_one(four_years, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(four_years))
    queries.clear_caches()
    dataset = read_dataset(four_years)
    assert dataset.periods.height == 16 > queries.SPARKLINE_PERIODS
    for year, period in [(2022, "FY"), (2021, "H1"), (2019, "Q1-3")]:
        shown = sparkline_periods(dataset.periods, year, period)
        expected = (
            dataset.goals.join(shown.select("year", "period", "end_date"), on=["year", "period"])
            .group_by("end_date", "year", "period")
            .agg(goals=pl.len(), red=(pl.col("light") == "red").sum())
            .sort("end_date")
        )
        series = queries.tile_series(Filters(year, period=period))
        assert (
            series.select("year", "period", "goals", "red").rows()
            == expected.select("year", "period", "goals", "red").rows()
        )
        assert series.select("year", "period").rows()[-1] == (year, period)
    assert queries.tile_series(Filters(2022, period="FY")).height == queries.SPARKLINE_PERIODS
    assert queries.tile_series(Filters(2021, period="H1")).height == 4 + 4 + 2  # 2019, 2020, 2021 Q1 and H1
    assert queries.tile_series(Filters(2019, period="Q1-3")).height == 3
    # The tiles on the page draw the same twelve points.
    app = app_at({"year": "2022", "period": "FY"})
    lines = [m.proto.chart_data for m in app.metric if m.proto.chart_data]
    assert lines and all(len(line) == queries.SPARKLINE_PERIODS for line in lines)
    assert t("light_tiles_caption", period="全年", progress="100%", n=12) in [c.value for c in app.caption]


# --- the progress view ---------------------------------------------------------------------------------


def test_the_progress_view_is_sorted_by_how_far_behind(data):
    frame, total = queries.progress_figures(Filters(2023, period="H1"))
    assert total == frame.height > 0
    gaps = frame.get_column("gap").to_list()
    assert gaps == sorted(gaps)
    first = frame.row(0, named=True)
    assert first["share"] < first["time_progress_pct"] == 50.0
    transport = frame.filter(pl.col("name").str.contains("交通投资")).row(0, named=True)
    assert (transport["value_text"], transport["target_text"], transport["share"]) == ("55亿元", "100亿元", 55.0)
    app = app_at({"year": "2023", "period": "H1"}, page="targets")
    assert len(app.get("vega_lite_chart")) == 2


# --- history on goal cards ---------------------------------------------------------------------------------


def test_a_goal_card_shows_its_series_and_its_rank_movement(data):
    app = app_at({"year": "2023", "period": "H1", "dept": "economy_it"}, page="departments")
    text = card_text(app)
    assert t("history") in text
    assert "一季度" in text and "上半年" in text
    assert "规上工业增加值：全省第3（较一季度进位 3 位）" in text
    history = queries.goal_history(("2023-economy_it-1",), (2023,))
    assert history.get_column("period").to_list() == ["Q1", "H1"]
    assert history.get_column("light").to_list() == ["red", "green"]
    moves = queries.rank_moves(("2023-H1-economy_it-1",), 2023, "Q1")
    assert moves.select("previous_rank", "rank", "move").row(0) == (6, 3, 3)


def test_figures_marked_for_review_are_left_out_of_progress_history_and_rank_moves(multi, tmp_path, monkeypatch):
    dataset = read_dataset(multi)
    unsure = (pl.col("value_text") == "55亿元") | (pl.col("goal_id") == "2023-Q1-economy_it-1") & pl.col(
        "rank"
    ).is_not_null()
    marked = dataset.indicators.with_columns(
        pl.when(unsure).then(pl.lit("low")).otherwise(pl.col("confidence")).alias("confidence"),
        pl.when(unsure).then(pl.lit("测试：待核")).otherwise(pl.col("confidence_reason")).alias("confidence_reason"),
    )
    assert marked.filter(pl.col("confidence") == "low").height >= 2
    directory = tmp_path / "data"
    write_dataset(replace(dataset, indicators=marked), directory)
    monkeypatch.setenv("KPI_DATA_DIR", str(directory))
    queries.clear_caches()
    frame, _ = queries.progress_figures(Filters(2023, period="H1"))
    assert frame.height > 0 and "55亿元" not in frame.get_column("value_text").to_list()
    assert queries.rank_moves(("2023-H1-economy_it-1",), 2023, "Q1").height == 0
