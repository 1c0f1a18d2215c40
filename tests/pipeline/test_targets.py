"""Goal targets read from the goal text: kinds, directions, values in base units, quotes;
the hand-read target lists of real reports; curated additions, corrections and drops."""

import csv
import json
import re
from pathlib import Path

import pytest

from kpi.pipeline.build import apply_target_overrides
from kpi.pipeline.curation import CurationError, TargetOverride
from kpi.pipeline.targets import baseline_targets, parse_goal_targets, target_value

REAL = Path(__file__).resolve().parents[1] / "data" / "real_reports"


def one(title: str, kind: str):
    found = [t for t in parse_goal_targets(title) if t.kind == kind]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("title", "kind", "direction", "value", "unit"),
    [
        ("地区生产总值突破4000亿元", "amount", "at_least", 4000e8, "元"),
        ("全年为企业减负200亿元以上", "amount", "at_least", 200e8, "元"),
        ("兑现惠企资金20亿元", "amount", "at_least", 20e8, "元"),
        ("新开工 48 个重大项目", "amount", "at_least", 48, "个"),
        ("粮食产量稳定在23万吨", "amount", "about", 23e4, "吨"),
        ("规上工业增加值增长8.5%", "rate", "at_least", 8.5, "%"),
        ("生产总值增长6%左右", "rate", "about", 6, "%"),
        ("研发投入强度不低于5%", "rate", "at_least", 5, "%"),
        ("居民消费价格涨幅控制在3%以内", "rate", "at_most", 3, "%"),
        ("城镇登记失业率控制在4.5%以内", "rate", "at_most", 4.5, "%"),
        # lowered to a value: a ceiling, with or without 以内
        ("城乡居民收入比缩小至1.6", "amount", "at_most", 1.6, ""),
        ("PM2.5浓度降到30微克/立方米", "amount", "at_most", 30, "微克/立方米"),
        ("一般性支出压缩至5亿元", "amount", "at_most", 5e8, "元"),
        ("城镇调查失业率下降到5%", "rate", "at_most", 5, "%"),
        ("排名全省前五", "rank", "top_n", 5, "位次"),
        ("争取进入全国前十", "rank", "top_n", 10, "位次"),
        ("保持全省第一", "rank", "top_n", 1, "位次"),
    ],
)
def test_each_kind_and_direction(title, kind, direction, value, unit):
    target = one(title, kind)
    assert (target.direction, target.unit) == (direction, unit)
    assert target.value == pytest.approx(value)
    assert target.quote in title and target.value_text in target.quote


@pytest.mark.parametrize(
    ("title", "quote"),
    [
        ("完成省定任务", "完成省定任务"),
        ("国家卫生城市创建成功", "国家卫生城市创建成功"),
        ("项目通过省级验收", "通过省级验收"),
    ],
)
def test_milestones(title, quote):
    target = one(title, "milestone")
    assert (target.direction, target.value, target.quote) == ("done", None, quote)


def test_rank_improvement_and_relative_targets_have_no_number():
    improve = one("工业投资增长10%，确保全省排名有进位", "rank")
    assert (improve.direction, improve.value, improve.quote) == ("improve", None, "确保全省排名有进位")
    relative = one("一般公共预算收入与经济增长基本同步。", "rate")
    assert (relative.direction, relative.value) == ("about", None)


@pytest.mark.parametrize(
    ("title", "value", "scope"),
    [("GDP增速争创嘉兴前三", 3.0, "嘉兴"), ("综合考核保持湖州第一", 1.0, "湖州"), ("保持长三角前十", 10.0, "长三角")],
)
def test_a_rank_in_a_scope_named_by_its_place(title: str, value: float, scope: str) -> None:
    (target,) = parse_goal_targets(title)
    assert (target.kind, target.value, target.rank_scope) == ("rank", value, scope)


@pytest.mark.parametrize(
    "title", ["规上工业增加值增速进入全省第一方阵", "争创全省第一梯队", "综合考核保持全市第一阵营"]
)
def test_a_first_tier_is_not_first_place(title: str) -> None:
    """第一方阵 is a group whose size the goal does not state: no rank to hold a figure to."""
    assert [t for t in parse_goal_targets(title) if t.kind == "rank"] == []


def test_a_range_is_about_its_span():
    target = one("地区生产总值增长4.5-5.0%", "rate")
    assert (target.direction, target.value, target.value_high, target.value_text) == ("about", 4.5, 5.0, "4.5-5.0%")


def test_a_stretch_target_is_kept_but_the_baseline_is_judged():
    targets = parse_goal_targets("全年地区生产总值增长7.5%以上，力争8%以上；力争财政总收入达到400亿元")
    rates = [t for t in targets if t.kind == "rate"]
    assert [(t.value, t.stretch) for t in rates] == [(7.5, False), (8.0, True)]
    amount = one("力争财政总收入达到400亿元", "amount")
    assert amount.stretch and amount.value == 400e8
    judged = baseline_targets(targets)
    assert [(t.kind, t.value) for t in judged] == [("rate", 7.5), ("amount", 400e8)]  # no baseline amount


def test_counts_that_name_things_are_not_targets():
    assert all(
        t.kind == "milestone" for t in parse_goal_targets("深入实施三个“一号工程”，提高“救在身边”八个专项推进力")
    )


def test_a_goal_stating_nothing_measurable_is_one_qualitative_milestone():
    [target] = parse_goal_targets("推进国资国企改革三年行动，加快国有企业市场化转型。")
    assert (target.kind, target.quote) == ("milestone", "推进国资国企改革三年行动")


def test_an_indicator_table_row_with_its_unit_in_brackets():
    target = one("人均地区生产总值（万元） | 19", "amount")
    assert (target.value, target.unit) == (190000, "元")
    rate = one("R&D经费支出占GDP比重（%） | 2.26", "rate")
    assert rate.value == 2.26


def _real_targets():
    with (REAL / "targets.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = json.loads((REAL / "expected_targets.json").read_text(encoding="utf-8"))["targets"]
    return rows, expected


def test_the_hand_read_targets_of_real_target_lists():
    rows, expected = _real_targets()
    assert len(expected) == 26
    for entry in expected:
        [row] = [
            r
            for r in rows
            if r["年度"] == str(entry["year"]) and r["序号"] == entry["seq"] and r["来源"] == entry["source"]
        ]
        found = parse_goal_targets(row["目标任务"])
        if entry["direction"] == "milestone":
            matches = [t for t in found if t.kind == "milestone"]
        else:
            matches = [
                t
                for t in found
                if t.direction == entry["direction"]
                and (
                    t.value == entry["target_value"]
                    or (t.value and entry["target_value"] and abs(t.value - entry["target_value"]) < 1e-6)
                )
                and (entry["unit"] is None or t.unit == entry["unit"])
            ]
        assert matches, (entry["metric"], row["目标任务"], found)


def test_every_quote_of_every_real_list_is_in_its_text():
    rows, _ = _real_targets()
    with (REAL / "reports.csv").open(encoding="utf-8") as handle:
        rows += list(csv.DictReader(handle))
    for row in rows:
        for target in parse_goal_targets(row["目标任务"]):
            assert target.quote in row["目标任务"]
            if target.value_text is not None:
                # As written, or (an indicator table: 19 under （万元）) its number as written.
                number = re.match(r"[\d.]+", target.value_text)
                assert target.value_text in row["目标任务"] or (number and number.group(0) in row["目标任务"])


# --- curation -------------------------------------------------------------------------------------

TITLE = "规上工业增加值全年同比增长8.5%，力争全省排名进入前五"


def override(action, quote, kind="", direction="", value_text=""):
    return TargetOverride(action, quote, kind, direction, value_text, "测试", "target_overrides.csv 第2行")


def test_curation_adds_corrects_and_drops_targets_checked_against_the_text():
    parsed = parse_goal_targets(TITLE)
    dropped = apply_target_overrides(parsed, [override("drop", "力争全省排名进入前五")], TITLE)
    assert [t.kind for t in dropped] == ["rate"]
    corrected = apply_target_overrides(
        parsed, [override("correct", "规上工业增加值全年同比增长8.5%", "rate", "about", "8.5%")], TITLE
    )
    assert {(t.kind, t.direction, t.basis) for t in corrected} >= {("rate", "about", "curated")}
    assert len(corrected) == len(parsed)
    added = apply_target_overrides([], [override("add", "力争全省排名进入前五", "rank", "top_n", "前五")], TITLE)
    assert (added[0].value, added[0].rank_scope, added[0].basis) == (5.0, "全省", "curated")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (override("drop", "全省第一"), "不在目标任务"),
        (override("drop", "规上工业"), "应恰好对应该目标的一个目标值"),  # in the text, but not one target's quote
        (override("add", "全年同比增长8.5%", "amount", "at_least", "8.5%"), "数量目标「8.5%」"),
        (override("add", "全年同比增长8.5%", "rate", "at_least", "八点五"), "比率目标"),
    ],
)
def test_a_curated_target_that_does_not_fit_the_text_stops_the_build(bad, message):
    targets = parse_goal_targets(TITLE)
    if bad.quote == "规上工业":
        targets = targets + targets  # two targets quoting it
    with pytest.raises(CurationError, match=message):
        apply_target_overrides(targets, [bad], TITLE)


def test_target_values_typed_by_a_person():
    assert target_value("amount", "20亿元", "兑现惠企资金20亿元") == (20e8, "元", None)
    assert target_value("rate", "8.5%", "增长8.5%") == (8.5, "%", None)
    assert target_value("rank", "前五", "全省前五") == (5.0, "位次", "全省")
    with pytest.raises(ValueError):
        target_value("rank", "靠前", "排名靠前")
