"""The light rules of kpi.pipeline.lights, each rule and its edges, on real component output:
figures from the narrative extractor, targets from the goal text, thresholds from the CSV."""

from dataclasses import asdict
from pathlib import Path

import polars as pl
import pytest

from kpi.contract.storage import read_dataset
from kpi.contract.vocab import read_light_thresholds
from kpi.pipeline.figures import extract_figures
from kpi.pipeline.lights import NO_MEASURE_REASON, decide_light, load_thresholds
from kpi.pipeline.status import infer_status
from kpi.pipeline.targets import parse_goal_targets

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = load_thresholds(ROOT / "data" / "curation")


def light(period: str, title: str, result: str, thresholds=THRESHOLDS) -> tuple[str, str]:
    figures = [asdict(f) for f in extract_figures(result, title)]
    status, reason = infer_status(result, [f["completion_pct"] for f in figures], period)
    return decide_light(
        period=period,
        status=status,
        status_reason=reason,
        result=result,
        targets=parse_goal_targets(title),
        figures=figures,
        thresholds=thresholds,
        title=title,  # as the build lights a goal
    )


def test_the_thresholds_file_holds_the_documented_numbers():
    assert THRESHOLDS == {
        "amount_yellow_gap": 10.0,
        "rate_yellow_gap": 2.0,
        "rate_about_tolerance": 0.5,
        "fy_green_share": 100.0,
        "fy_yellow_share": 90.0,
    }


# --- amount targets: share against time progress ----------------------------------------------


@pytest.mark.parametrize(
    ("period", "done", "expected"),
    [
        ("H1", "10亿元", "green"),  # 50% at 50%: at time progress is green
        ("H1", "9.9亿元", "yellow"),  # 49.5%
        ("H1", "8亿元", "yellow"),  # 40%: 10 points below is still yellow
        ("H1", "7.9亿元", "red"),  # 39.5%
        ("Q1", "5亿元", "green"),  # 25%
        ("Q1-3", "13亿元", "yellow"),  # 65% at 75%
        ("M1-10", "16.6亿元", "yellow"),  # 83% against 83.3%
        ("M1-10", "16.7亿元", "green"),  # 83.5%
        ("FY", "20亿元", "green"),  # 100%
        ("FY", "18亿元", "yellow"),  # 90%
        ("FY", "17.9亿元", "red"),  # 89.5%
    ],
)
def test_an_amount_target_is_judged_by_its_share_against_time_progress(period, done, expected):
    got, reason = light(period, "兑现惠企资金20亿元", f"兑现惠企资金{done}。")
    assert got == expected, reason
    assert f"兑现惠企资金{done}" in reason and "全年目标20亿元" in reason


def test_the_reason_names_the_figures_that_decided():
    assert light("H1", "兑现惠企资金20亿元", "上半年兑现惠企资金4.79亿元。") == (
        "red",
        "兑现惠企资金4.79亿元，为全年目标20亿元的23.95%，时序进度50%",
    )


def test_a_share_the_text_states_is_the_share():
    got, reason = light("H1", "保障民生支出", "民生支出236.51亿元，已完成年初预算的51.6%，略高于时序进度。")
    assert (got, reason) == ("green", "民生支出236.51亿元，完成全年目标的51.6%，时序进度50%")
    got, reason = light("Q1-3", "一般公共预算收入增长7%", "一般公共预算收入完成153.57亿元，完成年度目标51.2%。")
    assert got == "red" and "51.2%" in reason and "时序进度75%" in reason


# --- rate targets: the rate itself --------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "growth", "expected"),
    [
        ("规上工业增加值增长8.5%", "增长8.5%", "green"),
        ("规上工业增加值增长8.5%", "增长9.1%", "green"),
        ("规上工业增加值增长8.5%", "增长8.4%", "yellow"),
        ("规上工业增加值增长8.5%", "增长6.5%", "yellow"),  # exactly 2 points below
        ("规上工业增加值增长8.5%", "增长6.4%", "red"),
        ("规上工业增加值增长6%左右", "增长5.5%", "green"),  # 左右: half a point below still counts
        ("规上工业增加值增长6%左右", "增长5.4%", "yellow"),
        ("规上工业增加值增长4.5-5.0%", "增长4.5%", "green"),  # a range counts from its low end
        ("规上工业增加值增长4.5-5.0%", "增长4.3%", "yellow"),
    ],
)
def test_a_rate_target_compares_the_rate_not_a_prorated_share(title, growth, expected):
    # At H1 the rate is not halved: 8.5% growth at mid-year is on target.
    got, reason = light("H1", title, f"规上工业增加值同比{growth}。")
    assert got == expected, reason


@pytest.mark.parametrize(
    ("rate", "expected"), [("2.9%", "green"), ("3%", "green"), ("4.5%", "yellow"), ("5.1%", "red")]
)
def test_an_at_most_rate_the_other_way_round(rate, expected):
    got, reason = light("H1", "居民消费价格涨幅控制在3%以内", f"居民消费价格涨幅为{rate}。")
    assert got == expected, reason


# --- rank targets ------------------------------------------------------------------------------------


def test_a_rank_target_is_green_within_red_outside_none_without_a_rank():
    assert light("Q1-3", "增速排名全省前五", "增速列全省第3位。")[0] == "green"
    assert light("Q1-3", "增速排名全省前五", "增速列全省第5位。")[0] == "green"
    got, reason = light("Q1-3", "增速排名全省前五", "增速列全省第6位。")
    assert got == "red" and "全省第6" in reason and "前五" in reason
    # No rank stated yet: no light, and the reason says which target waits for what.
    assert light("Q1-3", "增速排名全省前五", "各项工作有序推进。") == (
        "none",
        "目标增速排名全省前五未能对照：完成情况中没有写明排名",
    )


def test_a_rank_improvement_target_reads_the_reported_movement():
    assert light("H1", "确保全省排名有进位", "排名较上年进位2位。")[0] == "green"
    assert light("H1", "确保全省排名有进位", "排名下降1位。")[0] == "red"


# --- which figure measures a target -------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        "今年以来共签约亿元以上项目38个，其中10亿元以上项目6个，总投资412亿元。",
        # No 其中: the 0 that 10亿元 shares with 50个 must not make it the closer name.
        "年初以来签约亿元以上项目38个，10亿元以上项目6个。",
        "签约亿元以上项目38个；其中10亿元以上项目6个、50亿元以上项目1个。",
    ],
)
def test_a_target_is_measured_by_the_whole_not_by_a_part_nor_by_a_digit_in_common(result: str) -> None:
    colour, reason = light("Q1-3", "引进亿元以上项目50个", result)
    # 38 of 50 is 76% at 75% of the year; the 6 projects of 10亿元 and more would be 12%, red.
    assert colour == "green"
    assert reason.startswith("签约亿元以上项目38个，为全年目标50个的76%，时序进度75%")


def test_a_part_measures_the_target_when_the_whole_does_not_name_it() -> None:
    colour, reason = light("Q1-3", "引进亿元以上项目50个", "共签约项目90个，其中亿元以上项目30个。")
    assert (colour, reason.split("，")[0]) == ("red", "亿元以上项目30个")


EXPORTS = "前三季度进出口总额1865亿元，增长7.2%，其中出口1440亿元，增长4.1%。"


def test_a_rate_target_on_a_part_is_measured_by_that_part() -> None:
    colour, reason = light("Q1-3", "进出口总额增长5%以上，其中出口增长6%", EXPORTS)
    # 进出口总额 7.2% meets 5%; 出口 4.1% is 1.9 points under 6%: the worse decides.
    assert colour == "yellow"
    assert reason == "出口增长4.1%，目标其中出口增长6%"


def test_a_rate_target_on_the_whole_is_not_measured_by_its_part() -> None:
    assert light("Q1-3", "进出口总额增长5%以上", EXPORTS) == ("green", "进出口总额增长7.2%，目标进出口总额增长5%以上")


@pytest.mark.parametrize(("growth", "expected"), [("6.7", "green"), ("6.2", "yellow"), ("4", "red")])
def test_the_firm_number_after_a_stretch_one_is_the_goals_own(growth: str, expected: str) -> None:
    """力争…7%，确保6.5%: 确保 says how firm the promise is; the 6.5% is of the goal's GDP."""
    colour, reason = light("H1", "力争GDP增速达到7%，确保6.5%", f"上半年GDP同比增长{growth}%。")
    assert colour == expected
    assert reason.startswith(f"GDP增长{growth}%，目标确保6.5%")


def test_a_rank_in_a_city_scope_is_judged_in_that_scope_only() -> None:
    result = "前三季度GDP增长6.2%，增速列嘉兴第2位。"
    assert light("Q1-3", "GDP增速争创嘉兴前三", result) == ("green", "GDP嘉兴第2，目标嘉兴前三")
    # Second in 嘉兴 says nothing about the province.
    assert light("Q1-3", "GDP增速保持全省前五", result)[0] == "none"


def test_a_rank_among_a_counted_scope_is_within_the_scope() -> None:
    colour, reason = light("Q1-3", "争创全省前三", "前三季度GDP增速位列全省11个设区市第2。")
    assert (colour, reason) == ("green", "GDP增速全省11个设区市第2，目标全省前三")


def test_a_ceiling_about_a_value_gives_no_share_done() -> None:
    """控制在3%左右 is a ceiling: 2.1% is under it, not "70% done" behind 75% of the year."""
    colour, reason = light("Q1-3", "居民消费价格涨幅控制在3%左右", "1-9月居民消费价格指数（CPI）同比上涨2.1%。")
    assert colour == "green" and "70%" not in reason


@pytest.mark.parametrize(("built", "expected"), [("820座", "green"), ("820处", "green"), ("500个", "red")])
def test_things_counted_one_by_one_are_counted_whatever_the_measure_word(built: str, expected: str) -> None:
    colour, reason = light("H1", "新增5G基站1500个", f"上半年新建5G基站{built}。")
    assert colour == expected and reason.startswith(f"新建5G基站{built}，为全年目标1500个的")


def test_a_target_to_finish_is_not_measured_by_what_was_started() -> None:
    colour, reason = light("H1", "完成老旧小区改造120个", "上半年开工改造老旧小区86个，其中完工32个。")
    # 32 of 120 finished is 27% at 50% of the year; the 86 started would have made it green.
    assert colour == "red" and "32个，为全年目标120个的26.67%" in reason


def test_a_target_to_start_is_measured_by_what_was_started() -> None:
    assert light("H1", "新开工项目30个", "上半年新开工项目18个。") == (
        "green",
        "新开工项目18个，为全年目标30个的60%，时序进度50%",
    )


def test_a_unit_written_another_way_is_the_same_unit() -> None:
    colour, reason = light("H1", "建设标准厂房50万平方米", "上半年新建标准厂房28.5万㎡。")
    assert (colour, reason) == ("green", "新建标准厂房28.5万㎡，为全年目标50万平方米的57%，时序进度50%")


def test_a_count_is_not_an_amount_of_money() -> None:
    """个 stands in for 座 or 处, not for 元: a figure in another unit still measures nothing."""
    assert light("H1", "新增5G基站1500个", "上半年5G基站投资820万元。")[0] == "none"


def test_a_share_above_a_floor_is_held_to_the_floor() -> None:
    """保持在75%以上: the 以上 after the number makes it a floor, not a value to stay about."""
    (target,) = parse_goal_targets("民生支出占一般公共预算支出比重保持在75%以上")
    assert (target.kind, target.value, target.direction) == ("rate", 75.0, "at_least")
    assert light("H1", "民生支出占一般公共预算支出比重保持在75%以上", "民生支出占一般公共预算支出的比重为80.5%。")[
        0
    ] == ("green")


# --- ceilings on levels, reductions ------------------------------------------------------------------


@pytest.mark.parametrize("period", ["Q1", "H1", "FY"])
@pytest.mark.parametrize(
    ("title", "result", "expected"),
    [
        ("PM2.5平均浓度控制在30微克/立方米以下", "PM2.5平均浓度为27.5微克/立方米，同比下降5.2%。", "green"),
        ("PM2.5平均浓度控制在30微克/立方米以下", "PM2.5平均浓度为32微克/立方米。", "yellow"),
        ("PM2.5平均浓度控制在30微克/立方米以下", "PM2.5平均浓度为36微克/立方米。", "red"),
        ("万元GDP用水量控制在25立方米以内", "万元GDP用水量为22立方米。", "green"),
    ],
)
def test_a_ceiling_on_a_level_holds_at_any_time_of_the_year(
    period: str, title: str, result: str, expected: str
) -> None:
    """A concentration is not a quarter of its ceiling after a quarter: it is compared as it is."""
    colour, reason = light(period, title, result)
    assert colour == expected
    assert "上限" in reason and "时序进度" not in reason


@pytest.mark.parametrize(
    ("value", "expected"), [("1.63", "green"), ("1.65", "green"), ("1.71", "yellow"), ("1.9", "red")]
)
def test_a_ceiling_on_a_ratio_without_unit_is_a_level(value: str, expected: str) -> None:
    colour, reason = light("H1", "城乡居民收入倍差缩小到1.65以内", f"上半年城乡居民收入倍差为{value}。")
    assert colour == expected
    assert reason.startswith(f"城乡居民收入倍差{value}，") and "上限1.65" in reason


@pytest.mark.parametrize(("value", "expected"), [("1.58", "green"), ("1.62", "yellow")])
def test_a_ratio_narrowed_to_a_value_is_a_ceiling(value: str, expected: str) -> None:
    """缩小至1.6 without 以内 still bounds it from above (1.58 was "below a floor of 1.6", yellow)."""
    colour, reason = light("FY", "城乡居民收入比缩小至1.6", f"城乡居民收入比为{value}。")
    assert colour == expected and "上限1.6" in reason


def test_a_ceiling_on_a_balance_is_a_level() -> None:
    """A debt balance does not start again in January: 480 of 500 at 上半年 is within it (it was
    read as 96% used at 50% of the year, red)."""
    colour, reason = light("H1", "政府债务余额控制在500亿元以内", "政府债务余额480亿元。")
    assert (colour, reason) == ("green", "政府债务余额480亿元，未超过上限500亿元（为上限的96%）")


@pytest.mark.parametrize("period", ["Q1", "H1", "Q1-3"])
@pytest.mark.parametrize(
    ("title", "result", "expected"),
    [
        ("耕地保有量保持在200万亩以上", "耕地保有量201.3万亩。", "green"),
        ("耕地保有量保持在200万亩以上", "耕地保有量198万亩。", "yellow"),
        ("人均公园绿地面积保持在15平方米以上", "人均公园绿地面积15.2平方米。", "green"),
        ("人均公园绿地面积达到15平方米以上", "人均公园绿地面积12平方米。", "red"),
        ("城市建成区路网密度达到8公里以上", "建成区路网密度7.5公里。", "yellow"),
    ],
)
def test_a_floor_on_a_level_holds_at_any_time_of_the_year(period: str, title: str, result: str, expected: str) -> None:
    """A stock or an average is not a quarter of its floor after a quarter: 12 of 15平方米 was
    80% of the target at 50% of the year, green."""
    colour, reason = light(period, title, result)
    assert colour == expected, reason
    assert "下限" in reason and "时序进度" not in reason


@pytest.mark.parametrize(
    ("title", "result", "expected"),
    [
        # money per head adds up over the year: half of it by 上半年 is on time
        ("城乡居民人均可支配收入达到6万元", "城乡居民人均可支配收入3.2万元。", "green"),
        # a balance to reach by December grows towards it
        ("本外币贷款余额突破1万亿元", "本外币贷款余额9800亿元。", "green"),
        # a count of units is a count, not a use per unit
        ("创建文明单位20个", "创建文明单位12个。", "green"),
    ],
)
def test_a_floor_on_a_running_total_is_read_against_time_progress(title: str, result: str, expected: str) -> None:
    colour, reason = light("H1", title, result)
    assert colour == expected, reason
    assert "时序进度50%" in reason


@pytest.mark.parametrize(
    ("title", "result"),
    [
        ("能源消费总量控制在1200万吨以内", "一季度能源消费总量500万吨。"),
        ("“三公”经费控制在300万元以内", "一季度“三公”经费支出200万元。"),
    ],
)
def test_a_ceiling_on_a_running_total_is_still_read_against_time_progress(title: str, result: str) -> None:
    colour, reason = light("Q1", title, result)
    assert colour == "red" and "时序进度25%" in reason


@pytest.mark.parametrize("period", ["Q1-3", "FY"])
@pytest.mark.parametrize(("done", "expected"), [("3.5", "green"), ("3", "green"), ("1.5", "yellow"), ("0.5", "red")])
def test_a_reduction_target_is_met_by_a_decrease_at_least_as_large(period: str, done: str, expected: str) -> None:
    colour, reason = light(period, "单位GDP能耗下降3%以上", f"单位GDP能耗同比下降{done}%。")
    assert colour == expected
    assert reason.startswith(f"单位GDP能耗下降{done}%，目标单位GDP能耗下降3%以上")


def test_a_level_under_its_ceiling_is_not_a_share_done() -> None:
    """4.6% under a 5% ceiling is kept, not "92% done" (which at 全年 would be 基本完成)."""
    colour, reason = light("FY", "城镇调查失业率控制在5%以内", "城镇调查失业率为4.6%。")
    assert colour == "green"
    assert "92%" not in reason


# --- status -------------------------------------------------------------------------------------------


def test_a_narrative_at_risk_or_not_met_is_red_whatever_its_figures():
    got, reason = light("H1", "兑现惠企资金20亿元", "兑现惠企资金12亿元，但全年完成难度较大。")
    assert got == "red"
    assert "兑现惠企资金12亿元" in reason and "难度较大" in reason  # names the figures and the status
    assert light("FY", "兑现惠企资金20亿元", "兑现惠企资金21亿元，另一项目未完成。")[0] == "red"


def test_pending_is_yellow():
    got, reason = light("FY", "创建国家卫生城市", "各项创建工作已完成，等待国家验收。")
    assert got == "yellow" and "待验收" in reason


def test_a_forecast_is_green_before_the_full_year_and_yellow_at_it():
    assert light("Q1-3", "创建国家卫生城市", "有望年内创建成功。")[0] == "green"
    assert light("FY", "创建国家卫生城市", "有望年内创建成功。")[0] == "yellow"


def test_several_measures_take_the_worst_light():
    got, reason = light("H1", "兑现惠企资金20亿元，增加值增长8.5%", "兑现惠企资金12亿元，规上工业增加值同比增长5%。")
    assert got == "red"  # the amount is green (60% at 50%), the rate red (3.5 points below)
    assert "增长5%" in reason and "兑现惠企资金12亿元" not in reason  # the reason names the deciding measure


def test_people_counted_as_ren_measure_a_target_in_ming() -> None:
    assert light("H1", "引进大学生2万名", "新引进大学生1.1万人。") == (
        "green",
        "新引进大学生1.1万人，为全年目标2万名的55%，时序进度50%",
    )


@pytest.mark.parametrize(
    ("title", "result", "reason"),
    [
        ("出口增长5%", "出口总额同比下降2.1%。", "出口总额下降2.1%，目标出口增长5%"),
        ("单位GDP能耗下降3%以上", "单位GDP能耗同比上升0.5%。", "单位GDP能耗增长0.5%，目标单位GDP能耗下降3%以上"),
    ],
)
def test_a_growth_is_named_in_the_direction_it_went(title: str, result: str, reason: str) -> None:
    assert light("Q1-3", title, result) == ("red", reason)


@pytest.mark.parametrize(
    ("title", "result", "expected"),
    [
        # applied for is not recognised: 320 申报 are not 160% of 新增200家
        ("新增国家高新技术企业200家", "申报国家高新技术企业320家。", ("none", NO_MEASURE_REASON)),
        (
            "新增国家高新技术企业200家",
            "申报国家高新技术企业320家，认定183家。",
            ("green", "认定国家高新技术企业183家，为全年目标200家的91.5%，时序进度75%"),
        ),
        (
            "新增省级研发中心20家",
            "推荐申报省级研发中心25家，已获批12家。",
            ("red", "获批省级研发中心12家，为全年目标20家的60%，时序进度75%"),
        ),
        # a target to apply is measured by what was applied for
        (
            "申报国家级专精特新企业30家",
            "申报国家级专精特新企业18家。",
            ("red", "申报国家级专精特新企业18家，为全年目标30家的60%，时序进度75%"),
        ),
    ],
)
def test_a_target_to_have_recognised_is_not_measured_by_what_was_applied_for(title, result, expected) -> None:
    assert light("Q1-3", title, result) == expected


def test_a_figure_measured_by_its_rate_is_not_also_a_share_done() -> None:
    """0.6 of a 0.5-point rise is measured as a rate; it is not "120% done" beside it."""
    assert light("H1", "森林覆盖率提高0.5个百分点", "森林覆盖率较上年提高0.6个百分点。") == (
        "green",
        "森林覆盖率较上年提高0.6个百分点，目标森林覆盖率提高0.5个百分点",
    )


@pytest.mark.parametrize(
    ("title", "result", "reason_start", "h1", "q1_3"),
    [
        # the plan said again before the result: 61.67%
        (
            "完成交通投资30亿元",
            "计划完成投资30亿元，实际完成18.5亿元。",
            "完成投资18.5亿元，为全年目标30亿元的61.67%",
            "green",
            "red",
        ),
        (
            "完成交通投资30亿元",
            "年度计划投资30亿元，已完成18.5亿元。",
            "完成年度计划投资18.5亿元，为全年目标30亿元的61.67%",
            "green",
            "red",
        ),
        # the total said again before what was done of it: 66.67%, 41.67%
        (
            "推进12项重点改革任务",
            "12项重点任务已完成8项。",
            "完成重点任务8项，为全年目标12项的66.67%",
            "green",
            "yellow",
        ),
        (
            "推进12项重点改革任务",
            "12项重点改革任务中，已完成5项，其余7项正在推进。",
            "完成重点改革任务5项，为全年目标12项的41.67%",
            "yellow",
            "red",
        ),
    ],
)
def test_a_target_said_again_is_not_the_result(title, result, reason_start, h1, q1_3) -> None:
    """计划完成投资30亿元 was 100% of 30亿元 (green at any time), 12项重点任务 100% of 12项."""
    for period, expected in (("H1", h1), ("Q1-3", q1_3)):
        colour, reason = light(period, title, result)
        assert (colour, reason.startswith(reason_start)) == (expected, True), (period, reason)


def test_a_count_target_is_of_the_thing_the_title_writes_after_it() -> None:
    """推进12项 | 重点改革任务: the 7 其余正在推进 share 推进 with the target's verb, not what it counts."""
    colour, reason = light("H1", "推进12项重点改革任务", "已完成重点改革任务5项，其余7项正在推进。")
    assert reason.startswith("完成重点改革任务5项，为全年目标12项的41.67%"), reason


# --- the narrative against the time elapsed (rule 8) ------------------------------------------------

NO_TARGET = "推进数字化改革"


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        # ahead of it or at it
        ("各项工作总体快于序时进度。", "green"),
        ("改革推进略高于时序进度。", "green"),
        ("投资超序时进度2.5个百分点。", "green"),
        ("完成情况较时序进度快0.6个百分点。", "green"),
        ("推进不低于序时进度。", "green"),
        ("推进没有落后于时间进度。", "green"),
        ("各项工作达到序时进度要求。", "green"),
        ("工作与序时进度持平。", "green"),
        ("时间过半、任务过半。", "green"),
        # the year's target met already
        ("已完成全年目标任务。", "green"),
        ("已提前完成年度任务。", "green"),
        ("已提前3个月完成全年目标。", "green"),
        # slightly below, or below without a size
        ("推进略低于序时进度。", "yellow"),
        ("推进稍慢于时序进度。", "yellow"),
        ("推进略滞后于时序进度。", "yellow"),
        ("推进基本符合序时进度。", "yellow"),
        ("工作与序时进度基本持平。", "yellow"),
        ("推进未达到序时进度要求。", "yellow"),
        ("推进未达序时进度。", "yellow"),
        ("推进不及时间进度。", "yellow"),
        ("时间过半，任务未过半。", "yellow"),
        # below by a stated number of points: the amount rule's band of 10
        ("推进比序时进度慢3个百分点。", "yellow"),
        ("推进序时进度滞后3个百分点。", "yellow"),
        ("工程略有进度滞后。", "yellow"),  # slightly behind its own plan
        ("工程进度稍有滞后。", "yellow"),
        ("推进低于序时进度10个百分点。", "yellow"),
        ("推进滞后于时序进度10.5个百分点。", "red"),
        ("推进落后序时进度12个百分点。", "red"),
        # behind
        ("推进滞后于时序进度。", "red"),
        ("推进明显低于序时进度。", "red"),
        ("推进严重滞后于序时进度。", "red"),
    ],
)
def test_what_the_narrative_says_of_the_time_elapsed(result, expected):
    colour, reason = light("H1", NO_TARGET, result)
    assert colour == expected, reason


@pytest.mark.parametrize(
    ("result", "quote"),
    [
        ("全年目标基本完成。", "基本完成"),
        ("部分完成年度任务。", "部分完成"),
        ("大部分项目已完成。", "大部分项目已完成"),
        ("基本完成，个别项目因疫情延期。", "基本完成"),
    ],
)
def test_a_full_year_done_in_part_is_basically_done_not_done(result, quote):
    """It was green as 完成目标 (nothing measurable, narrative "achieved")."""
    assert light("FY", NO_TARGET, result) == ("yellow", f"叙述称「{quote}」")


@pytest.mark.parametrize("result", ["项目基本完成。", "大部分项目已完成。"])
def test_done_in_part_before_the_full_year_is_no_lag(result):
    assert light("H1", NO_TARGET, result)[0] == "none"


def test_the_narrative_quote_is_the_reason_when_nothing_else_measures():
    assert light("Q1-3", NO_TARGET, "推进低于序时进度12个百分点。") == (
        "red",
        "叙述称「低于序时进度12个百分点」，时序进度75%",
    )


def test_a_department_saying_it_is_behind_is_not_shown_on_track_by_a_figure():
    # 52.5% of the target at 上半年 is green by the share; the department's own words are worse
    colour, reason = light("H1", "完成政府性投资80亿元", "完成投资42亿元，略低于序时进度。")
    assert colour == "yellow" and reason == "叙述称「略低于序时进度」，时序进度50%"


def test_words_agreeing_with_a_figure_leave_the_figure_as_the_reason():
    colour, reason = light("H1", "完成政府性投资80亿元", "完成投资42亿元，超序时进度2.5个百分点。")
    assert colour == "green" and reason == "完成投资42亿元，为全年目标80亿元的52.5%，时序进度50%"


@pytest.mark.parametrize(
    "result",
    [
        "已完成序时进度的95%。",  # a share of the time elapsed, not a standing against it
        "按序时进度完成各项任务。",  # how the work is planned
        "序时进度为50%。",
        "已完成全年目标六成。",  # a share in words, not the year's target met
        "已完成年度任务的一半。",
        "确保完成全年目标任务。",  # a commitment
        "力争提前完成全年任务。",
    ],
)
def test_mentions_of_the_time_elapsed_that_state_no_standing(result):
    assert light("H1", NO_TARGET, result)[0] == "none"


# --- nothing measurable -------------------------------------------------------------------------------


def test_nothing_measurable_is_none_never_green_in_a_running_period():
    assert light("H1", "深化国资国企改革", "改革各项工作顺利推进，已完成全部试点。")[0] == "none"


def test_at_full_year_a_goal_reported_done_without_a_measurable_target_is_green_naming_its_status():
    got, reason = light("FY", "深化国资国企改革", "改革各项工作顺利推进，已完成全部试点。")
    assert got == "green" and "已完成" in reason
    got, reason = light("FY", "深化国资国企改革", "超额完成年度改革任务。")
    assert got == "green" and "超额完成" in reason


# --- thresholds come from the CSV ------------------------------------------------------------------------


def test_changing_the_csv_changes_the_lights(tmp_path):
    path = tmp_path / "light_thresholds.csv"
    path.write_text(
        "key,value,说明\namount_yellow_gap,20,\nrate_yellow_gap,2,\nrate_about_tolerance,0.5,\n"
        "fy_green_share,100,\nfy_yellow_share,90,\n",
        encoding="utf-8",
    )
    wider = read_light_thresholds(path)
    assert light("H1", "兑现惠企资金20亿元", "兑现惠企资金7.9亿元。")[0] == "red"
    assert light("H1", "兑现惠企资金20亿元", "兑现惠企资金7.9亿元。", wider)[0] == "yellow"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("key,value\nunknown,1\n", "未知的阈值"),
        ("key,value\namount_yellow_gap,十\n", "应为数字"),
        ("key,value\namount_yellow_gap,10\n", "缺少阈值"),
    ],
)
def test_a_broken_thresholds_file_is_named(tmp_path, content, message):
    path = tmp_path / "light_thresholds.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_light_thresholds(path)


# --- the bundled 2022 data ------------------------------------------------------------------------------


def test_the_bundled_2022_goals_have_lights_with_reasons():
    data = read_dataset(ROOT / "data")
    goals = data.goals
    assert set(goals.get_column("light")) <= {"green", "yellow", "red", "none"}
    assert goals.get_column("light_reason").str.len_chars().min() > 0
    industry = goals.filter((pl.col("dept_id") == "economy_it") & pl.col("title").str.contains("8.5%")).row(
        0, named=True
    )
    assert industry["light"] == "red"
    assert "目标规上工业增加值全年同比增长8.5%" in industry["light_reason"]
    assert "难度较大" in industry["light_reason"]


# --- a goal-level target: typed in the import's 目标值 column, naming no figure ------------------------


def file_light(period: str, title: str, result: str, cell: str) -> tuple[str, str]:
    """The light of an imported goal whose 目标值 cell is ``cell`` (parsed as the import does)."""
    from kpi.pipeline.ingest import parse_target_cell

    targets, problem = parse_target_cell(cell)
    assert problem is None
    figures = [asdict(f) for f in extract_figures(result, title)]
    status, reason = infer_status(result, [f["completion_pct"] for f in figures], period)
    return decide_light(
        period=period,
        status=status,
        status_reason=reason,
        result=result,
        targets=parse_goal_targets(title) + targets,
        figures=figures,
        thresholds=THRESHOLDS,
        title=title,
    )


@pytest.mark.parametrize(
    ("title", "result", "cell", "expected", "words"),
    [
        # The title names the measure: the figure it names is compared with the typed target.
        (
            "推进民生实事项目",
            "民生实事项目完成投资3亿元，其他工作有序推进。",
            "20亿元",
            "red",
            ["3亿元", "20亿元", "15%"],
        ),
        ("推进民生实事项目", "民生实事项目完成投资9.5亿元。", "20亿元", "yellow", ["9.5亿元", "47.5%"]),
        ("规上工业增加值稳步增长", "规上工业增加值增长6.1%。", "8.5%", "red", ["6.1%", "8.5%"]),
        ("规上工业增加值稳步增长", "规上工业增加值增长8.6%。", "8.5%", "green", ["8.6%"]),
        # The title names nothing the narrative's figure is called, but that is its only figure of the unit.
        ("抓好重点工作", "累计完成投资12亿元。", "20亿元", "green", ["12亿元", "60%", "只有这一个同单位的数字"]),
    ],
)
def test_a_goal_level_target_is_compared_with_the_goal_main_figure(title, result, cell, expected, words):
    got, reason = file_light("H1", title, result, cell)
    assert got == expected, reason
    assert all(w in reason for w in words), reason


@pytest.mark.parametrize(
    ("result", "why"),
    [
        ("各项工作有序推进。", "完成情况中没有单位为元的数字"),
        ("完成设备投资3亿元，完成技改投资5亿元。", "完成情况中有2个同类数字"),
    ],
)
def test_a_goal_level_target_no_figure_measures_says_why(result, why):
    got, reason = file_light("H1", "抓好重点工作", result, "20亿元")
    assert got == "none"
    assert reason.startswith("目标20亿元未能对照：") and why in reason, reason


def test_an_unmeasured_goal_level_target_is_named_beside_the_light_others_decide():
    # The rate target decides (green); the typed amount that nothing measures is still named.
    got, reason = file_light(
        "H1", "规上工业增加值同比增长8.5%", "规上工业增加值增长9%，完成设备投资3亿元，技改投资5亿元。", "20亿元"
    )
    assert got == "green"
    assert "规上工业增加值增长9%" in reason and "另：目标20亿元未能对照" in reason, reason
