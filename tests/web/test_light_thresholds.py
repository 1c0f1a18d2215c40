"""The thresholds the legend states are those the lights in the data were decided with: stored
with each report period (periods.parquet), never read from the curation file in force."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.storage import read_dataset, write_dataset
from kpi.contract.vocab import LIGHT_THRESHOLD_KEYS, read_light_thresholds
from kpi.pipeline import ingest
from kpi.pipeline.build import RAW_FILE, build_dataset
from kpi.pipeline.curation import load_curation
from kpi.web import queries
from kpi.web.i18n import t
from tests.support.apptest import APP, ROOT, open_lazy_expanders

BUNDLED = read_light_thresholds(ROOT / "data" / "curation" / "light_thresholds.csv")
# Numbers of the rules, none of them the bundled one.
WIDER = {
    "amount_yellow_gap": 17.0,
    "rate_yellow_gap": 3.5,
    "rate_about_tolerance": 0.8,
    "fy_green_share": 98.0,
    "fy_yellow_share": 85.0,
}
# A light the numbers decide: 37% of the year's target at 50% time progress.
H1_ROW = "2023,上半年,市财政局,1,兑现惠企资金20亿元,上半年兑现惠企资金7.4亿元。,"  # 37% at 50%


def curation_with(tmp_path: Path, thresholds: dict[str, float]) -> Path:
    directory = tmp_path / "curation"
    shutil.copytree(ROOT / "data" / "curation", directory)
    lines = ["key,value,说明"] + [f"{key},{thresholds[key]:g},测试" for key in LIGHT_THRESHOLD_KEYS]
    (directory / "light_thresholds.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert set(WIDER.values()).isdisjoint(BUNDLED.values())
    return directory


def stored(directory: Path) -> list[dict[str, float | None]]:
    periods = read_dataset(directory).periods
    return [{key: row[key] for key in LIGHT_THRESHOLD_KEYS} for row in periods.iter_rows(named=True)]


def legend_text(params: dict[str, str] | None = None) -> str:
    app = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (params or {}).items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    closed = " ".join(m.value for m in app.markdown)
    # The rules are drawn only once the reader opens the legend.
    assert open_lazy_expanders(app) >= 1 and not app.exception, app.exception
    opened = " ".join(m.value for m in app.markdown)
    assert len(opened) > len(closed)
    return opened


def test_the_build_records_the_thresholds_it_decided_the_lights_with() -> None:
    assert stored(ROOT / "data") == [BUNDLED]


def test_the_legend_states_the_thresholds_of_the_data_not_of_the_curation_file(tmp_path, monkeypatch) -> None:
    data = tmp_path / "data"
    write_dataset(
        build_dataset(RAW_FILE.read_text(encoding="utf-8"), load_curation(curation_with(tmp_path, WIDER))), data
    )
    assert stored(data) == [WIDER]
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    queries.clear_caches()
    text = legend_text()
    # The numbers the lights were decided with, though data/curation says 10, 2, 0.5, 100 and 90.
    for number in (
        "17 个百分点",
        "3.5 个百分点",
        "0.8 个百分点",
        "≥ 98%",
        "≥ 85%",
        "超出不超过 17%",
        "低于下限不超过 17%",
        "写明低于若干个百分点的按数量目标的 17 个百分点判断",
    ):
        assert number in text, number
    assert "10 个百分点" not in text and "≥ 90%" not in text


def test_data_that_do_not_record_them_say_so(tmp_path, monkeypatch) -> None:
    data = tmp_path / "data"
    dataset = read_dataset(ROOT / "data")
    unknown = dataset.periods.with_columns(pl.lit(None, pl.Float64).alias(k) for k in LIGHT_THRESHOLD_KEYS)
    write_dataset(dataclasses.replace(dataset, periods=unknown), data)
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    queries.clear_caches()
    text = legend_text()
    assert t("light_thresholds_unknown") in text and "10 个百分点" not in text


@pytest.fixture
def imported(tmp_path) -> Path:
    """The bundled data plus an imported 上半年 goal, lit with the bundled thresholds."""
    data = tmp_path / "data"
    write_dataset(read_dataset(ROOT / "data"), data)
    header = "年度,期间,部门,序号,目标任务,完成情况,目标值\n"
    plan = ingest.plan_import((header + H1_ROW + "\n").encode(), "h1.csv", data, ROOT / "data" / "curation")
    assert plan.ok, plan.problems
    ingest.apply_import(plan)
    return data


def test_an_import_under_new_thresholds_relights_the_goals_it_keeps_and_records_them(imported, tmp_path) -> None:
    h1 = read_dataset(imported).goals.filter(pl.col("period") == "H1").row(0, named=True)
    assert h1["light"] == "red"  # 37% at 50%: 13 points behind, more than 10
    assert stored(imported) == [BUNDLED, BUNDLED]
    # The same file, imported again once the thresholds are wider: its goal is unchanged.
    header = "年度,期间,部门,序号,目标任务,完成情况,目标值\n"
    wider = curation_with(tmp_path, WIDER)
    plan = ingest.plan_import((header + H1_ROW + "\n").encode(), "again.csv", imported, wider)
    assert plan.ok and plan.count("unchanged") == 1
    assert plan.stale_periods == 2 and plan.has_changes
    assert plan.relit_changed >= 1
    assert "进度灯阈值（light_thresholds.csv）与数据中记录的不同：2 个期间" in ingest.summary(plan)
    ingest.apply_import(plan)
    relit = read_dataset(imported).goals.filter(pl.col("period") == "H1").row(0, named=True)
    assert relit["light"] == "yellow"  # 13 points behind is within 17
    assert stored(imported) == [WIDER, WIDER]
    # The same file again under the same thresholds: nothing to write.
    again = ingest.plan_import((header + H1_ROW + "\n").encode(), "again.csv", imported, wider)
    assert again.ok and not again.has_changes and again.stale_periods == 0
