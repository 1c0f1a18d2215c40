"""The downloads a leader forwards: read back with Polars and checked against the data and the view."""

from __future__ import annotations

import io

import polars as pl

from kpi.contract.schema import STATUSES
from kpi.web import exports, i18n
from kpi.web.queries import Filters
from tests.support.apptest import search_matches


def _sheets(content: bytes) -> dict[str, pl.DataFrame]:
    return pl.read_excel(io.BytesIO(content), sheet_id=0)


def test_the_workbook_has_chinese_headers_words_not_codes_and_values_as_written(
    year: int, goals: pl.DataFrame, indicators: pl.DataFrame
) -> None:
    sheets = _sheets(exports.workbook(Filters(year)))
    assert list(sheets) == ["说明", "目标", "指标"]
    goal_sheet, figures = sheets["目标"], sheets["指标"]
    assert goal_sheet.columns == list(exports.GOAL_HEADERS.values())
    assert figures.columns == list(exports.INDICATOR_HEADERS.values())
    assert all(not column.isascii() for column in goal_sheet.columns + figures.columns)
    # Statuses in words, never the codes.
    assert set(goal_sheet.get_column("完成状态")) <= set(i18n.STATUS_LABELS["zh"].values())
    assert not set(goal_sheet.get_column("完成状态")) & set(STATUSES)
    assert goal_sheet.height == goals.height and figures.height == indicators.height
    # Each figure as the source writes it, next to its base value (1477万元 → 14770000).
    by_id = indicators.select("indicator_id", "value_text", "value", "unit")
    joined = figures.join(by_id, left_on="指标编号", right_on="indicator_id")
    assert joined.height == indicators.height
    assert (joined.get_column("数值（原文）") == joined.get_column("value_text")).all()
    assert ((joined.get_column("数值（基本单位）") - joined.get_column("value")).abs() < 1e-6).all()
    # Forecasts said in words.
    forecasts = figures.filter(pl.col("是否预测").str.starts_with("是"))
    assert forecasts.height == indicators.filter(pl.col("quote").str.contains("预计|有望")).height > 0


def test_the_filters_are_in_the_file_name_and_the_notes_sheet(
    year: int, goals: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> None:
    dept = goals.sort("sort_order").row(0, named=True)
    f = Filters(year, dept_ids=(dept["dept_id"],), statuses=("achieved",), q="示范")
    stem = exports.file_stem(f)
    for part in (str(year), dept["dept_name"], i18n.status_word("achieved"), "示范"):
        assert part in stem
    assert exports.file_stem(Filters(year)) != stem
    notes = dict(_sheets(exports.workbook(f))["说明"].iter_rows())
    assert notes["筛选：年度"] == str(year) and notes["筛选：部门"] == dept["dept_name"]
    assert notes["筛选：完成状态"] == i18n.status_word("achieved") and notes["筛选：搜索"] == "示范"
    period = tables["periods"].filter(pl.col("year") == year).sort("end_date").row(-1, named=True)
    assert notes["筛选：期间"] == i18n.period_label(f.period) == period["label"]
    assert notes["数据截至"] == period["as_of"] and period["source_title"] in notes["数据来源"]
    # The goals are exactly those the view shows for these filters.
    chosen = search_matches(
        goals.filter((pl.col("dept_id") == dept["dept_id"]) & (pl.col("status") == "achieved")),
        tables["departments"],
        tables["themes"],
        "示范",
    )
    exported = _sheets(exports.workbook(f))["目标"]
    assert sorted(exported.get_column("目标编号")) == sorted(chosen.get_column("goal_id")) != []


def test_csv_downloads_have_the_same_rows_as_the_workbook(year: int) -> None:
    f = Filters(year, statuses=("at_risk", "pending"))
    sheets = _sheets(exports.workbook(f))
    goal_csv = pl.read_csv(io.BytesIO(exports.goals_csv(f)))
    figure_csv = pl.read_csv(io.BytesIO(exports.indicators_csv(f)))
    assert goal_csv.columns == sheets["目标"].columns
    assert sorted(goal_csv.get_column("目标编号")) == sorted(sheets["目标"].get_column("目标编号"))
    assert figure_csv.height == sheets["指标"].height
