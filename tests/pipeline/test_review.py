"""The 待核 review queue: decisions go to the curation files and are re-applied on rebuild and re-import."""

from __future__ import annotations

import csv
import io
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from kpi.contract.schema import TABLES
from kpi.contract.storage import current_version_id, read_dataset, table_path, write_dataset, writer_lock
from kpi.pipeline import ingest, review
from kpi.pipeline.build import CURATION_DIR, RAW_FILE, build_dataset
from kpi.pipeline.curation import load_curation
from kpi.pipeline.history import history_entries

ROWS = [
    ["2024", "市交通运输局", "1", "交通投资增长10%", "公路、港口投资分别增长31%、12%和9%。"],
    ["2024", "市统计局", "2", "地区生产总值 | 8%左右", "9.7 | 853.2亿元 | 完成 | 2"],
]


def upload(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["年度", "部门", "序号", "目标任务", "完成情况"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def place(tmp_path: Path, seed_files: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    write_dataset(read_dataset(seed_files), data)
    curation = tmp_path / "curation"
    shutil.copytree(CURATION_DIR, curation)
    plan = ingest.plan_import(upload(ROWS), "进度.csv", data, curation)
    assert plan.ok, plan.problems
    ingest.apply_import(plan)
    return data, curation


def _files(data: Path, curation: Path) -> dict[str, object]:
    """The version in force, its tables' bytes (through the storage API) and the curation files."""
    tables = {name: table_path(data, name).read_bytes() for name in TABLES}
    return {"version": current_version_id(data), **tables, **{p.name: p.read_bytes() for p in curation.glob("*.csv")}}


def item_of(data: Path, value_text: str) -> review.QueueItem:
    return next(i for i in review.review_queue(data) if i.value_text == value_text)


def test_the_queue_lists_the_unsure_figures_with_their_sentence(place: tuple[Path, Path]) -> None:
    data, _ = place
    queue = review.review_queue(data)
    assert {i.value_text for i in queue} >= {"853.2亿元"}
    assert all(i.year == 2024 and i.reason for i in queue)
    item = item_of(data, "853.2亿元")
    assert item.value_text in item.sentence and item.sentence in item.result


def test_a_rename_is_recorded_applied_and_survives_a_reimport(
    place: tuple[Path, Path], tmp_path: Path, seed_files: Path
) -> None:
    data, curation = place
    item = item_of(data, "853.2亿元")
    message = review.decide(
        data, item.indicator_id, "rename", "地区生产总值（全年）", "表格行：指标名称在目标列", curation
    )
    assert "改名" in message
    figure = read_dataset(data).indicators.filter(pl.col("indicator_id") == item.indicator_id).row(0, named=True)
    assert (figure["name"], figure["confidence"], figure["confidence_reason"]) == ("地区生产总值（全年）", "high", None)
    assert item.indicator_id not in {i.indicator_id for i in review.review_queue(data)}
    rows = list(csv.DictReader((curation / "indicator_overrides.csv").open(encoding="utf-8")))
    assert rows[-1] == {
        "dept_name": "市统计局",
        "seq": "2",
        "value_text": "853.2亿元",
        "field": "name",
        "value": "地区生产总值（全年）",
        "reason": "表格行：指标名称在目标列",
        "year": "2024",
        "period": "",  # 全年
    }
    assert len(history_entries(data)) >= 2  # the data before the decision is kept as a version

    # Re-import into a fresh copy of the seed: the decision is applied again.
    fresh = tmp_path / "fresh"
    seed = read_dataset(seed_files)
    write_dataset(replace(seed, indicators=seed.indicators.clear()), fresh)
    plan = ingest.plan_import(upload(ROWS), "进度.csv", fresh, curation)
    assert plan.ok, plan.problems
    again = plan.dataset.indicators.filter(pl.col("value_text") == "853.2亿元").row(0, named=True)
    assert (again["name"], again["confidence"]) == ("地区生产总值（全年）", "high")

    # The seed rebuild still passes with the new, dated row in the curation file.
    build_dataset(RAW_FILE.read_text(encoding="utf-8"), load_curation(curation))


def test_confirm_and_drop(place: tuple[Path, Path]) -> None:
    data, curation = place
    unsure = [i for i in review.review_queue(data) if i.goal_id.endswith("-1")]
    assert unsure
    review.decide(data, unsure[0].indicator_id, "confirm", "", "核对原文无误", curation)
    confirmed = read_dataset(data).indicators.filter(pl.col("indicator_id") == unsure[0].indicator_id)
    assert confirmed.get_column("confidence").to_list() == ["high"]
    dropped = item_of(data, "853.2亿元")
    before = read_dataset(data).indicators.filter(pl.col("goal_id") == dropped.goal_id).height
    review.decide(data, dropped.indicator_id, "drop", "", "表格行，数值另行核对", curation)
    after = read_dataset(data).indicators.filter(pl.col("goal_id") == dropped.goal_id)
    assert after.height == before - 1 and "853.2亿元" not in after.get_column("value_text").to_list()


@pytest.mark.parametrize(
    ("action", "value", "reason", "message"),
    [
        ("value", "99亿元", "原文如此", "应为完成情况原文中写出的一个数量"),
        ("rename", "", "原文如此", "请填写新的名称"),
        ("confirm", "", "  ", "请写明理由"),
        ("explode", "", "x", "未知的处理方式"),
    ],
)
def test_a_decision_that_does_not_apply_writes_nothing(
    place: tuple[Path, Path], action: str, value: str, reason: str, message: str
) -> None:
    data, curation = place
    item = item_of(data, "853.2亿元")
    before = _files(data, curation)
    with pytest.raises(review.ReviewError, match=message):
        review.decide(data, item.indicator_id, action, value, reason, curation)
    assert _files(data, curation) == before


def test_a_corrected_value_must_be_written_in_the_result(place: tuple[Path, Path]) -> None:
    data, curation = place
    item = next(i for i in review.review_queue(data) if i.value_text == "12%")
    review.decide(data, item.indicator_id, "value", "31%", "第二项应为31%（示例）", curation)
    figure = read_dataset(data).indicators.filter(pl.col("indicator_id") == item.indicator_id).row(0, named=True)
    assert (figure["value_text"], figure["value"], figure["growth_pct"], figure["confidence"]) == (
        "31%",
        31.0,
        31.0,
        "high",
    )


def test_a_decision_on_a_period_goal_applies_to_that_period_only_keeps_its_targets_and_relights_it(
    tmp_path: Path, seed_files: Path
) -> None:
    data = tmp_path / "data"
    write_dataset(read_dataset(seed_files), data)
    curation = tmp_path / "curation"
    shutil.copytree(CURATION_DIR, curation)
    rows = [
        ["2024", "上半年", "市统计局", "2", "地区生产总值达到1600亿元", "9.7 | 853.2亿元 | 完成 | 2"],
        ["2024", "", "市统计局", "2", "地区生产总值达到1600亿元", "9.7 | 853.2亿元 | 完成 | 2"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["年度", "期间", "部门", "序号", "目标任务", "完成情况"], *rows])
    plan = ingest.plan_import(buffer.getvalue().encode("utf-8"), "进度.csv", data, curation)
    assert plan.ok, plan.problems
    ingest.apply_import(plan)
    queue = [i for i in review.review_queue(data) if i.value_text == "853.2亿元"]
    assert sorted(i.period for i in queue) == ["FY", "H1"]
    half = next(i for i in queue if i.period == "H1")
    before = read_dataset(data)
    goal_before = before.goals.filter(pl.col("goal_id") == half.goal_id).row(0, named=True)
    targets_before = before.goal_targets.filter(pl.col("goal_id") == half.goal_id)
    assert targets_before.height == 1 and goal_before["light"] == "none"  # a 待核 figure decides no light
    assert "1 个待核指标未计入" in goal_before["light_reason"]

    review.decide(data, half.indicator_id, "rename", "地区生产总值", "表格行：指标名称在目标列", curation)

    after = read_dataset(data)
    assert after.goal_targets.filter(pl.col("goal_id") == half.goal_id).equals(targets_before)
    goal = after.goals.filter(pl.col("goal_id") == half.goal_id).row(0, named=True)
    # 853.2 of 1600 亿元 at 上半年 (时序进度 50%): 53.33%, ahead of time — decided by the confirmed figure
    assert goal["light"] == "green" and "853.2亿元" in goal["light_reason"], goal["light_reason"]
    assert [i.period for i in review.review_queue(data) if i.value_text == "853.2亿元"] == ["FY"]
    row = list(csv.DictReader((curation / "indicator_overrides.csv").open(encoding="utf-8")))[-1]
    assert (row["year"], row["period"], row["value"]) == ("2024", "H1", "地区生产总值")
    # A re-import of the same file applies the decision again, to the 上半年 goal only.
    again = ingest.plan_import(buffer.getvalue().encode("utf-8"), "进度.csv", data, curation)
    assert again.ok, again.problems
    figures = again.dataset.indicators.filter(pl.col("value_text") == "853.2亿元")
    by_goal = dict(zip(figures["goal_id"], figures["confidence"], strict=True))
    assert by_goal[half.goal_id] == "high" and sorted(by_goal.values()) == ["high", "low"]


def test_a_decision_waits_for_the_writer_and_changes_nothing_when_it_stays_busy(
    place: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, curation = place
    item = item_of(data, "853.2亿元")
    overrides = (curation / "indicator_overrides.csv").read_bytes()
    version = current_version_id(data)
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with writer_lock(data):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert holding.wait(30)
        monkeypatch.setenv("KPI_LOCK_TIMEOUT", "0")
        with pytest.raises(review.ReviewError, match="另一个导入或恢复正在写入数据"):
            review.decide(data, item.indicator_id, "confirm", "", "核对原文无误", curation)
    finally:
        release.set()
        thread.join()
    assert (curation / "indicator_overrides.csv").read_bytes() == overrides
    assert current_version_id(data) == version
