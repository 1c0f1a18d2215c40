"""Contract validation on deliberately broken inputs: every message names the table, row and column."""

from dataclasses import replace

import polars as pl
import pytest

from kpi.contract.schema import ContractError, validate
from tests.support.datasets import tiny_dataset


def broken(table: str, **changes):
    dataset = tiny_dataset()
    frame = getattr(dataset, table).with_columns(**changes)
    return replace(dataset, **{table: frame})


def test_the_tiny_dataset_is_valid():
    assert validate(tiny_dataset()).goals.height == 1


@pytest.mark.parametrize(
    ("dataset", "fragment"),
    [
        (broken("goals", status=pl.lit("done")), "状态 'done' 不是有效值"),
        (broken("goals", dept_id=pl.lit("nowhere")), "部门 'nowhere' 不在部门表中"),
        (broken("goals", themes=pl.lit(["nope"])), "主题 ['nope'] 不在主题表中"),
        (broken("goals", themes=pl.lit([], dtype=pl.List(pl.String))), "至少需要一个主题"),
        (broken("goals", seq=pl.lit(0, dtype=pl.Int32)), "序号应为 ≥1"),
        (broken("goals", title=pl.lit("  ")), "列「title」为空"),
        (broken("indicators", goal_id=pl.lit("2022-x-9")), "目标 '2022-x-9' 不在目标表中"),
        (broken("indicators", quote=pl.lit("不存在的引文")), "引文「不存在的引文」在目标的完成情况中找不到"),
        (broken("indicators", rank_scope=pl.lit(None, dtype=pl.String)), "缺少排名范围"),
        (broken("indicators", year=pl.lit(2023, dtype=pl.Int32)), "部门或年度与所属目标不一致"),
        (broken("indicators", value=pl.lit(None, dtype=pl.Float64)), "列「value」为空"),
        (broken("indicators", target_basis=pl.lit("guess")), "目标来源 'guess' 不是有效值"),
        (broken("indicators", target_basis=pl.lit(None, dtype=pl.String)), "应同时为空或同时填写"),
    ],
)
def test_broken_rows_are_named(dataset, fragment):
    with pytest.raises(ContractError) as error:
        validate(dataset)
    assert fragment in str(error.value)
    assert "第1行" in str(error.value)


def test_duplicate_ids_are_reported():
    dataset = tiny_dataset()
    twice = replace(dataset, departments=pl.concat([dataset.departments, dataset.departments]))
    with pytest.raises(ContractError, match="部门表第2行（dept_id='dept_a'）：dept_id 重复"):
        validate(twice)


def test_duplicate_goal_keys_are_reported():
    dataset = tiny_dataset()
    second = dataset.goals.with_columns(goal_id=pl.lit("2022-dept_a-1b"))
    with pytest.raises(ContractError, match="序号 1 重复"):
        validate(replace(dataset, goals=pl.concat([dataset.goals, second])))


def test_missing_column_and_wrong_type_are_reported():
    dataset = tiny_dataset()
    with pytest.raises(ContractError, match="指标表缺少列：quote"):
        validate(replace(dataset, indicators=dataset.indicators.drop("quote")))
    wrong = dataset.goals.with_columns(year=pl.lit("二〇二二"))
    with pytest.raises(ContractError, match="目标表的列「year」类型应为 Int32"):
        validate(replace(dataset, goals=wrong))


# --- report periods, goal targets and lights --------------------------------------------------------


def test_goals_written_before_periods_existed_read_as_full_year_goals_without_a_light():
    dataset = tiny_dataset()
    old = dataset.goals.drop("period", "goal_key", "light", "light_reason")
    upgraded = validate(replace(dataset, goals=old)).goals.row(0, named=True)
    assert (upgraded["period"], upgraded["goal_key"], upgraded["light"]) == ("FY", "2022-dept_a-1", "none")
    assert upgraded["light_reason"]


def test_the_same_goal_may_appear_once_per_period():
    dataset = tiny_dataset()
    h1 = dataset.goals.with_columns(goal_id=pl.lit("2022-H1-dept_a-1"), period=pl.lit("H1"))
    periods = pl.concat(
        [
            dataset.periods,
            dataset.periods.with_columns(
                period_id=pl.lit("2022-H1"), period=pl.lit("H1"), label=pl.lit("上半年"), time_progress_pct=pl.lit(50.0)
            ),
        ]
    )
    validate(replace(dataset, goals=pl.concat([dataset.goals, h1]), periods=periods))
    twice = h1.with_columns(goal_id=pl.lit("2022-H1-dept_a-1b"))
    with pytest.raises(ContractError, match="期间 H1、部门 dept_a、序号 1 重复"):
        validate(replace(dataset, goals=pl.concat([dataset.goals, h1, twice]), periods=periods))


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: replace(d, goals=d.goals.with_columns(period=pl.lit("H2"))), "期间 'H2' 不是有效值"),
        (lambda d: replace(d, goals=d.goals.with_columns(light=pl.lit("blue"))), "灯色 'blue' 不是有效值"),
        (lambda d: replace(d, periods=d.periods.clear()), "缺少目标表用到的期间 2022-FY"),
        (
            lambda d: replace(d, periods=d.periods.with_columns(time_progress_pct=pl.lit(90.0))),
            "时序进度应为 100.0",
        ),
    ],
)
def test_period_and_light_problems_are_named(change, fragment):
    with pytest.raises(ContractError, match=fragment):
        validate(change(tiny_dataset()))


def _target(**values):
    row = {
        "target_id": "2022-dept_a-1-t01",
        "goal_id": "2022-dept_a-1",
        "kind": "amount",
        "direction": "at_least",
        "value": 60.0,
        "value_high": None,
        "unit": "个",
        "value_text": "60个",
        "rank_scope": None,
        "stretch": False,
        "basis": "parsed",
        "quote": "无障碍改造",
    }
    return pl.DataFrame([{**row, **values}], schema=tiny_dataset().goal_targets.schema)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"goal_id": "2022-dept_a-9"}, "不在目标表中"),
        ({"kind": "wish"}, "类型 'wish' 不是有效值"),
        ({"direction": "sideways"}, "方向 'sideways' 不是有效值"),
        ({"value": None}, "数量目标缺少目标值"),
        ({"quote": "不在标题里"}, "引文「不在标题里」在目标任务中找不到"),
        ({"basis": "guess"}, "来源 'guess' 不是有效值"),
    ],
)
def test_goal_target_problems_are_named(values, fragment):
    dataset = tiny_dataset()
    validate(replace(dataset, goal_targets=_target()))  # the base row is valid
    with pytest.raises(ContractError, match=fragment):
        validate(replace(dataset, goal_targets=_target(**values)))
