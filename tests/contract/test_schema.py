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
