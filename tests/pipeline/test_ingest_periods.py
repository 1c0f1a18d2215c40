"""Importing several report periods: the 期间 and 目标值 columns, upsert by (year, period,
department, seq), goals linked across periods, targets parsed from the goal text, captions."""

from pathlib import Path

import polars as pl
import pytest

from kpi.contract.storage import read_dataset
from kpi.pipeline import ingest
from kpi.pipeline.spreadsheet import COLUMNS
from tests.support.datasets import HUZHOU_2023, IMPORT_HEADER, multi_period_data, real_report_rows, real_reports_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data(tmp_path):
    return multi_period_data(tmp_path / "data", ROOT / "data")


def test_one_file_with_several_periods_imports_each_as_its_own_goal_row(data):
    dataset = read_dataset(data)
    rows = real_report_rows()
    bundled = read_dataset(ROOT / "data").goals.get_column("goal_id")
    imported = dataset.goals.filter(~pl.col("goal_id").is_in(bundled.implode()))
    assert imported.height == len(rows) + len(HUZHOU_2023)
    assert set(imported.get_column("period")) == {"Q1", "H1", "Q1-3", "M1-11", "FY"}
    # Each (year, period) has its row in periods.parquet with the time progress and a caption.
    periods = {(r["year"], r["period"]): r for r in dataset.periods.iter_rows(named=True)}
    assert periods[(2021, "M1-11")]["time_progress_pct"] == 91.7
    assert periods[(2021, "M1-11")]["label"] == "1-11月"
    assert periods[(2022, "FY")]["source_title"] == "湖州市2022年度市直部门目标任务完成情况"  # kept as curated
    assert periods[(2023, "H1")]["source_title"] == "2023年上半年目标任务完成情况（导入）"


def test_the_same_goal_is_linked_across_the_periods_of_its_year(data):
    goals = read_dataset(data).goals
    # 舟山 2021: seq 2 (市住建局) reported at 上半年 and 1-11月.
    series = goals.filter(pl.col("goal_key").str.starts_with("2021-") & (pl.col("seq") == 2)).filter(
        pl.col("goal_id").str.contains("dept_")
    )
    housing = series.group_by("goal_key").agg(pl.col("period").sort()).filter(pl.col("period").list.len() == 2)
    assert housing.height >= 1
    assert sorted(housing.get_column("period")[0].to_list()) == ["H1", "M1-11"]
    # Ids: 全年 keeps {year}-{dept}-{seq}; other periods carry their code.
    h1 = goals.filter(pl.col("period") == "H1").get_column("goal_id").to_list()
    assert all("-H1-" in goal_id for goal_id in h1)
    assert goals.filter(pl.col("year") == 2022).get_column("goal_id").str.contains("-FY-").sum() == 0


def test_reimporting_changes_nothing_and_a_changed_period_row_updates_only_that_row(data):
    rows = real_report_rows() + [dict(zip(IMPORT_HEADER, row, strict=True)) for row in HUZHOU_2023]
    plan = ingest.plan_import(real_reports_csv(rows), "again.csv", data)
    assert plan.ok and not plan.has_changes
    changed = [dict(r) for r in rows]
    first_h1 = next(i for i, r in enumerate(changed) if r["期间"] == "上半年")
    changed[first_h1]["完成情况"] += "另有新进展。"
    plan = ingest.plan_import(real_reports_csv(changed), "changed.csv", data)
    assert plan.ok
    assert plan.count("updated") == 1 and plan.count("added") == 0
    [update] = [c for c in plan.changes if c.action == "updated"]
    assert update.period == "H1" and update.changed == ("完成情况",)


def test_period_labels_in_any_form_and_empty_means_full_year(tmp_path):
    data = tmp_path / "data"
    rows = [
        ["2023", "1—6月", "市财政局", "1", "兑现惠企资金20亿元", "上半年兑现惠企资金4.79亿元。", ""],
        ["2023", "截至9月底", "市财政局", "1", "兑现惠企资金20亿元", "兑现惠企资金12亿元。", ""],
        ["2023", "", "市财政局", "1", "兑现惠企资金20亿元", "全年兑现惠企资金21亿元，超额完成。", ""],
        ["2023", "上半年", "市财政局", "2", "民生实事", "民生支出236.51亿元，已完成年初预算的51.6%。", "20亿元"],
    ]
    header = "年度,期间,部门,序号,目标任务,完成情况,目标值\n"
    content = (header + "\n".join(",".join(r) for r in rows) + "\n").encode("utf-8")
    plan = ingest.plan_import(content, "periods.csv", data)
    assert plan.ok, plan.problems
    ingest.apply_import(plan)
    dataset = read_dataset(data)
    goals = {(g["period"], g["seq"]): g for g in dataset.goals.iter_rows(named=True)}
    assert set(goals) == {("H1", 1), ("Q1-3", 1), ("FY", 1), ("H1", 2)}
    assert goals[("H1", 1)]["light"] == "red"
    assert goals[("H1", 1)]["light_reason"] == "兑现惠企资金4.79亿元，为全年目标20亿元的23.95%，时序进度50%"
    assert goals[("Q1-3", 1)]["light"] == "red"  # 60% at 75%: more than 10 points behind
    assert goals[("FY", 1)]["light"] == "green"
    # The 目标值 column adds a target with basis "file"; the title's own targets are parsed too.
    file_targets = dataset.goal_targets.filter(pl.col("basis") == "file")
    assert file_targets.get_column("quote").to_list() == ["20亿元"]
    assert file_targets.get_column("value").to_list() == [20e8]
    # The typed target names no figure: it is the goal's, compared with the figure its title names.
    assert goals[("H1", 2)]["light"] == "green"
    assert goals[("H1", 2)]["light_reason"].startswith("民生支出236.51亿元，为全年目标20亿元的1182.55%，时序进度50%")
    parsed = dataset.goal_targets.filter(pl.col("goal_id") == goals[("H1", 1)]["goal_id"])
    assert parsed.select("kind", "value", "quote").row(0) == ("amount", 20e8, "兑现惠企资金20亿元")
    report = ingest.format_report(plan)
    assert "2023年上半年 市财政局 1." in report and "灯色 红灯" in report
    assert "期间" in ingest.changes_frame(plan).columns


@pytest.mark.parametrize(
    ("period", "target", "message"),
    [
        ("下半年", "", "第2行「期间」：无法识别的期间「下半年」"),
        ("4-6月", "", "无法识别的期间「4-6月」"),
        ("上半年", "很多", "第2行「目标值」：无法识别的目标值「很多」"),
    ],
)
def test_a_bad_period_or_target_value_is_refused_naming_row_and_column(tmp_path, period, target, message):
    content = f"年度,期间,部门,序号,目标任务,完成情况,目标值\n2023,{period},市财政局,1,某目标,某完成情况。,{target}\n".encode()
    plan = ingest.plan_import(content, "bad.csv", tmp_path / "data")
    assert not plan.ok
    assert any(message in str(p) for p in plan.problems), plan.problems


def test_the_same_goal_twice_in_one_period_is_a_duplicate_but_in_two_periods_is_not(tmp_path):
    header = "年度,期间,部门,序号,目标任务,完成情况\n"
    twice = header + "2023,上半年,市财政局,1,甲,乙。\n2023,1-6月,市财政局,1,甲,丙。\n"
    plan = ingest.plan_import(twice.encode(), "twice.csv", tmp_path / "data")
    assert any("期间 上半年" in str(p) and "重复" in str(p) for p in plan.problems)
    both = header + "2023,上半年,市财政局,1,甲,乙。\n2023,前三季度,市财政局,1,甲,丙。\n"
    assert ingest.plan_import(both.encode(), "both.csv", tmp_path / "data").ok


def test_the_template_columns_include_period_and_target_value():
    headers = [c.header for c in COLUMNS]
    assert "期间" in headers and "目标值" in headers
    assert not next(c for c in COLUMNS if c.header == "期间").required
