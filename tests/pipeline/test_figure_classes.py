"""The failure classes of figure extraction on other places' reports, each in several phrasings.

Phrasings are written after the wording of other cities' and districts' progress tables (not copied
from the evaluation texts), in full- and half-width punctuation.
"""

import pytest

from kpi.pipeline.figures import Figure, extract_figures, title_target


def figures(text: str, title: str = "") -> list[Figure]:
    return extract_figures(text, title)


def values(text: str) -> list[str]:
    return [f.value_text for f in figures(text)]


def half_width(text: str) -> str:
    return text.replace("，", ",").replace("。", ".").replace("；", ";").replace("（", "(").replace("）", ")")


def both_widths(*texts: str) -> list[str]:
    return [form for text in texts for form in (text, half_width(text))]


def both_widths_of_cases(*cases: tuple) -> list[tuple]:
    """Each (text, expected…) case in full- and half-width punctuation."""
    return [form for case in cases for form in (case, (half_width(case[0]), *case[1:]))]


# 1. Numbers that are not results ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    both_widths(
        "深入推进“百县千项”工程，落实两张清单，完成投资12.5亿元。",
        "推行三张清单管理，完成投资12.5亿元。",
        "深化用工、人事、分配三项制度改革，完成投资12.5亿元。",
        "健全四项机制，完成投资12.5亿元。",
    ),
)
def test_numbers_inside_programme_names_are_not_figures(text: str) -> None:
    assert values(text) == ["12.5亿元"]


@pytest.mark.parametrize(
    "text",
    both_widths(
        "深入贯彻中央八项规定精神，召开专题会议3次。",
        "持续落实党中央八项规定及其实施细则精神，召开专题会议3次。",
        "全力推进省委十项重大工程，召开专题会议3次。",
        "对照市委五大行动部署，召开专题会议3次。",
        "贯彻国务院十条措施，召开专题会议3次。",
    ),
)
def test_numbers_inside_a_policy_named_after_its_issuer_are_not_figures(text: str) -> None:
    # 中央八项规定 is a name: a count of "eight" here would be read as done, and light a goal.
    assert values(text) == ["3次"]


def test_a_count_after_the_issuer_and_a_verb_is_still_a_figure() -> None:
    assert values("市政府新建三个服务中心，召开专题会议3次。") == ["三个", "3次"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("全市50亿元以上项目12个，完成投资88亿元。", ["12个", "88亿元"]),
        ("新开工10亿元以上产业项目8个。", ["8个"]),
        ("引进亿元以上项目23个,其中10亿元以上的项目5个.", ["23个", "5个"]),
        ("增速在8%以上的县区有5个。", ["5个"]),
        ("增幅达10%以上的乡镇共7个。", ["7个"]),
    ],
)
def test_size_classes_and_thresholds_are_not_figures(text: str, kept: list[str]) -> None:
    assert values(text) == kept


def test_a_share_above_a_threshold_is_still_a_figure() -> None:
    assert values("85%以上的行政村实现集体经济增收。") == ["85%"]


@pytest.mark.parametrize(
    "text",
    both_widths(
        "全市工业增加值增长9.5%，完成省下达增长9%的任务。",
        "规上工业增加值增长9.5%，完成市下达的增长9%目标任务。",
        "工业增加值增长9.5%，超额完成省定增长9%的目标。",
    ),
)
def test_a_target_quoted_in_the_result_is_not_a_figure(text: str) -> None:
    found = figures(text)
    assert [(f.value_text, f.growth_pct) for f in found] == [("9.5%", 9.5)]


@pytest.mark.parametrize(
    "text",
    [
        "第二轮土地承包到期后再延长30年试点有序推进。",
        "土地承包期再延长30年。",
        "试点期限为3年。",
        "合同有效期延长5年，完成签约12家。",
    ],
)
def test_policy_terms_are_not_figures(text: str) -> None:
    assert all(f.unit != "年" for f in figures(text))


# 2. Completion rates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    both_widths(
        "签约项目15个，投资完成率达到132%。",
        "签约项目15个，计划投资完成率132%。",
        "新开工项目15个，投资完成进度达132%。",
    ),
)
def test_a_completion_rate_naming_another_measure_is_its_own_figure(text: str) -> None:
    found = figures(text)
    projects = next(f for f in found if f.value_text == "15个")
    assert projects.completion_pct is None and projects.target is None
    rate = next(f for f in found if f.value_text == "132%")
    assert rate.completion_pct == 132 and "投资" in rate.name


@pytest.mark.parametrize(
    "text",
    both_widths(
        "完成固定资产投资88亿元，完成比例达118%。",
        "累计完成投资88亿元，投资进度118%。",
        "完成投资88亿元，完成率为118%。",
    ),
)
def test_completion_wordings_attach_to_the_figure_they_measure(text: str) -> None:
    found = figures(text)
    assert [(f.value_text, f.completion_pct) for f in found] == [("88亿元", 118)]


def test_a_completion_ratio_above_100_makes_the_goal_exceeded() -> None:
    from kpi.pipeline.status import infer_status

    text = "完成固定资产投资88亿元，完成比例达118%。"
    assert infer_status(text, [f.completion_pct for f in figures(text)])[0] == "exceeded"


@pytest.mark.parametrize(
    "text", ["东港客运码头工程累计完成地下室主体结构工程量的20%。", "万丈塘提升改造工程完成工程量的39%。"]
)
def test_share_of_works_done_is_a_completion(text: str) -> None:
    (found,) = figures(text)
    assert found.completion_pct == found.value and found.unit == "%" and "工程" in found.name


@pytest.mark.parametrize("text", both_widths("投资进度44.12%。", "工程进度完成60%。", "总体进度已完成78%。"))
def test_progress_of_the_work_is_a_completion(text: str) -> None:
    (found,) = figures(text)
    assert found.completion_pct == found.value


@pytest.mark.parametrize("text", both_widths("序时进度为50%。", "时序进度75%。", "时间进度为58.3%。"))
def test_the_time_elapsed_is_not_the_work_done(text: str) -> None:
    assert figures(text) == []


@pytest.mark.parametrize(
    ("text", "kept"),
    both_widths_of_cases(
        ("完成水利投资23.5亿元，占年度计划的58.8%，较序时进度快8.8个百分点。", ["完成水利投资"]),
        ("新增市场主体6000户，低于序时进度10个百分点。", ["新增市场主体"]),
    ),
)
def test_a_distance_from_the_time_elapsed_is_not_a_figure(text: str, kept: list[str]) -> None:
    """The lights read it from the narrative (rule 8); as a figure it was named 较序时进度快."""
    assert [found.name for found in figures(text)] == kept


@pytest.mark.parametrize(
    ("text", "name", "growth"),
    both_widths_of_cases(
        ("上半年规上工业增加值同比增12.3%。", "规上工业增加值", 12.3),
        ("利润总额同比降3.1%。", "利润总额", -3.1),
        ("社会消费品零售总额比上年同期增6.5%。", "社会消费品零售总额", 6.5),
        ("出口较去年同期增1.5倍。", "出口", 150.0),
    ),
)
def test_a_growth_written_short_after_what_it_is_compared_with(text: str, name: str, growth: float) -> None:
    (found,) = figures(text)
    assert (found.name, found.growth_pct) == (name, growth)


def test_a_short_increase_without_a_comparison_is_not_a_growth() -> None:
    """增12% alone says not what it grew from: not read as a growth (unsure is kept out)."""
    assert all(found.growth_pct is None for found in figures("新增就业1.2万人，增12%。"))


@pytest.mark.parametrize(
    ("text", "names"),
    both_widths_of_cases(
        ("老旧小区改造已开工50个，完工38个。", ["老旧小区改造已开工", "完工老旧小区改造"]),
        ("35个省市县长项目已开工16个。", ["省市县长项目", "开工省市县长项目"]),
        ("签约项目40个，开工25个。", ["签约项目", "开工项目"]),
        ("推荐申报省级研发中心25家，已获批12家。", ["推荐申报省级研发中心", "获批省级研发中心"]),
        ("申报国家高新技术企业320家，认定183家。", ["申报国家高新技术企业", "认定国家高新技术企业"]),
        ("储备项目60个，落地36个。", ["储备项目", "落地项目"]),
        ("完成投资56亿元，其中到位38亿元。", ["完成投资", "到位投资"]),
    ),
)
def test_a_later_stage_is_named_after_what_it_counts_not_the_earlier_stage(text: str, names: list[str]) -> None:
    assert [found.name for found in figures(text)] == names


@pytest.mark.parametrize(
    ("text", "name", "rank"),
    both_widths_of_cases(
        ("GDP增速排名较一季度前移3位，居全省第6。", "GDP增速", 6),
        ("GDP增速排名较一季度上升3位，居全省第6。", "GDP增速", 6),
        ("营商环境评价排名比上年后移2位，列全省第9。", "营商环境评价", 9),
    ),
)
def test_a_rank_after_how_it_moved_is_named_after_what_moved(text: str, name: str, rank: int) -> None:
    """The move (前移3位) is part of the rank, not a figure of 3位, nor part of the name."""
    (found,) = figures(text)
    assert (found.name, found.rank, found.confidence) == (name, rank, "high")


@pytest.mark.parametrize(
    ("text", "name", "unit", "written"),
    both_widths_of_cases(
        ("减税降费58.6亿元，惠及企业3.2万户次。", "惠及企业", "户次", "3.2万户次"),
        ("服务企业1.2万家次。", "服务企业", "家次", "1.2万家次"),
        ("能源消费总量1150万吨标准煤。", "能源消费总量", "吨标准煤", "1150万吨标准煤"),
        ("新增光伏装机120兆瓦。", "新增光伏装机", "兆瓦", "120兆瓦"),
    ),
)
def test_compound_units_are_kept_whole(text: str, name: str, unit: str, written: str) -> None:
    """户次 is not 户 with 次 left in the name (惠及企业次)."""
    found = figures(text)[-1]
    assert (found.name, found.unit, found.value_text) == (name, unit, written)


@pytest.mark.parametrize(
    ("text", "name"),
    both_widths_of_cases(
        ("全市一般公共预算收入完成79.73亿元，同比增长3.3%。", "一般公共预算收入"),
        ("固定资产投资完成156.2亿元。", "固定资产投资"),
        ("民生支出累计完成236.51亿元。", "民生支出"),
        ("完成投资56亿元。", "完成投资"),  # the verb before the sum is the name's only word of what
        ("老旧小区改造完成66个。", "老旧小区改造完成"),  # a count done keeps its stage
    ),
)
def test_a_sum_completed_is_named_after_the_sum(text: str, name: str) -> None:
    assert figures(text)[0].name == name


@pytest.mark.parametrize(
    "text",
    both_widths(
        "目标值：1.5万户，完成值：0.9万户。", "年度目标1.5万户，实际完成0.9万户。", "目标1.5万户，完成0.9万户。"
    ),
)
def test_a_target_and_its_result_side_by_side_are_one_figure_of_the_goal(text: str) -> None:
    """As a form writes them: the result is of what the title names, the first value its target
    (they were two 待核 figures named 目标值)."""
    (found,) = figures(text, "新增市场主体1.5万户")
    assert (found.name, found.value, found.target, found.completion_pct, found.confidence) == (
        "新增市场主体",
        9000.0,
        15000.0,
        60.0,
        "high",
    )


def test_a_target_and_a_result_in_two_sentences_are_not_paired() -> None:
    found = figures("目标值1.5万户。完成值0.9万户。", "新增市场主体1.5万户")
    assert [f.value for f in found] == [15000.0, 9000.0] and all(f.target is None for f in found)


# 3. Goal-title targets -----------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["推进二期工程建设", "完成第三批项目验收", "启动三期扩建，完成首批迁建"])
def test_ordinals_in_titles_are_not_targets(title: str) -> None:
    assert title_target(title) == []


@pytest.mark.parametrize("title", ["各项指标均增长8%以上", "主要经济指标增速均达到8%以上", "各类投资均增长8%"])
def test_a_floor_for_every_figure_is_not_the_target_of_one(title: str) -> None:
    found = figures("固定资产投资增长8.5%，工业投资增长9%。", title)
    assert all(f.target is None and f.completion_pct is None for f in found)


# 4. Lists ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    both_widths(
        "工业、服务业、农业增加值增速分别居全市第2、第1和第4。",
        "工业、服务业、农业增加值增速分别居全市第2、第1、第4。",
    ),
)
def test_rank_lists_pair_in_order_and_name_each_item(text: str) -> None:
    found = figures(text)
    assert [(f.name, f.rank) for f in found] == [
        ("工业增加值增速", 2),
        ("服务业增加值增速", 1),
        ("农业增加值增速", 4),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "公路、港口、物流投资分别增长31%、12%和9%。",
        "公路、港口、物流投资分别增长31%,12%和9%.",
        "公路、港口、物流投资分别增长31%，12%，9%。",
    ],
)
def test_growth_lists_pair_in_order_and_name_each_item(text: str) -> None:
    found = figures(text)
    assert [(f.name, f.growth_pct) for f in found] == [("公路投资", 31), ("港口投资", 12), ("物流投资", 9)]
    assert all(f.confidence == "high" for f in found)


def test_a_list_that_does_not_pair_is_low_confidence() -> None:
    found = figures("公路、港口投资分别增长31%、12%和9%。")
    assert len(found) == 3
    assert any(f.confidence == "low" and f.confidence_reason for f in found)


# 5. Rank wording ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rank", "scope"),
    [
        ("GDP增速排名进位至全省第5位。", 5, "全省"),
        ("地区生产总值增速全省排名上升至第8位。", 8, "全省"),
        ("财政总收入稳居全市首位。", 1, "全市"),
        ("财政总收入位居全省榜首。", 1, "全省"),
        ("工业投资增速,排名全市第二.", 2, "全市"),
    ],
)
def test_rank_wordings(text: str, rank: int, scope: str) -> None:
    ranked = [f for f in figures(text) if f.rank is not None]
    assert [(f.rank, f.rank_scope) for f in ranked] == [(rank, scope)]


@pytest.mark.parametrize("text", ["数字经济核心产业增加值居全省前列。", "增速位居全市前列,保持领先."])
def test_rank_without_a_number_is_not_a_rank(text: str) -> None:
    assert all(f.rank is None for f in figures(text))


@pytest.mark.parametrize(
    "text",
    both_widths(
        "全市实现一般公共预算收入182.44亿元，增长14.8%。预计我市一般公共预算增幅处于全省第三。",
        "一般公共预算收入182.44亿元，增长14.8%。一般公共预算收入增速继续保持全省第三。",
    ),
)
def test_a_rank_in_the_next_sentence_belongs_to_the_same_figure(text: str) -> None:
    (found,) = figures(text)
    assert (found.value_text, found.growth_pct, found.rank, found.rank_scope) == ("182.44亿元", 14.8, 3, "全省")


def test_a_bracketed_rank_does_not_keep_the_growth_from_its_figure() -> None:
    for text in both_widths("城镇居民人均可支配收入40726元（全省第3），增长12.5%。"):
        (found,) = figures(text)
        assert (found.rank, found.growth_pct) == (3, 12.5)


@pytest.mark.parametrize(
    ("text", "scope"),
    both_widths_of_cases(
        ("前三季度GDP增速位列全省11个设区市第2。", "全省11个设区市"),
        ("GDP增速居全市5个县区第1。", "全市5个县区"),
        ("GDP增速居全省十一个设区市第3位。", "全省十一个设区市"),
    ),
)
def test_the_count_of_places_ranked_is_part_of_the_scope(text: str, scope: str) -> None:
    (found,) = figures(text)
    assert (found.name, found.rank_scope) == ("GDP增速", scope)


def test_a_budgets_completion_is_of_the_amount_not_of_the_share_between() -> None:
    found = figures("上半年民生支出236.51亿元，占一般公共预算支出的77.3%，已完成年初预算的51.6%，略高于时序进度。")
    assert [(f.value_text, f.completion_pct) for f in found] == [("236.51亿元", 51.6), ("77.3%", None)]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("一般公共预算收入同比增长−2.3%。", "−2.3%"),  # minus sign
        ("一般公共预算收入增幅为－2.3%。", "－2.3%"),  # full-width, as an IME types it
        ("一般公共预算收入增速-2.3%。", "-2.3%"),
        ("一般公共预算收入增速-2.3%.", "-2.3%"),
    ],
)
def test_a_minus_before_a_growth_is_its_sign(text: str, written: str) -> None:
    """The worst misreading there is: a fall of 2.3% shown as 2.3%."""
    (found,) = figures(text)
    assert (found.name, found.growth_pct, found.value_text) == ("一般公共预算收入", -2.3, written)


@pytest.mark.parametrize("text", ["1-9月完成投资12亿元。", "增速为4.5-5.0%。", "完成2023-2025年规划任务的60%。"])
def test_a_dash_between_numbers_is_no_sign(text: str) -> None:
    assert all(f.value >= 0 for f in figures(text))


@pytest.mark.parametrize(
    ("text", "value", "unit"), [("新建厂房20.5万㎡。", 205000.0, "㎡"), ("新改建农村公路68㎞。", 68.0, "㎞")]
)
def test_a_unit_written_as_one_symbol_is_a_unit(text: str, value: float, unit: str) -> None:
    (found,) = figures(text)
    assert (found.value, found.unit) == (value, unit) and unit not in found.name


# 6. Latin acronyms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["实现 GDP 265.3亿元，增长6.1%。", "实现GDP 265.3亿元,增长6.1%.", "全市GDP265.3亿元，同比增长6.1%。"]
)
def test_an_amount_after_an_acronym_is_a_figure(text: str) -> None:
    (found,) = figures(text)
    assert (found.value, found.unit, found.growth_pct) == (26_530_000_000, "元", 6.1)
    assert "GDP" in found.name


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("PM2.5平均浓度降至28微克/立方米。", ["28微克/立方米"]),
        ("新建5G基站1200个。", ["1200个"]),
        ("R&D经费投入占比3.2%。", ["3.2%"]),
        ("PM10浓度下降5.1%。", ["5.1%"]),
    ],
)
def test_digits_of_acronyms_are_not_figures(text: str, kept: list[str]) -> None:
    assert values(text) == kept


# 7. Qualifiers between a figure and its growth -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value_text", "growth"),
    [
        ("实现营业收入52.1亿元，同口径增长8.3%。", "52.1亿元", 8.3),
        ("规上工业增加值185亿元，扣除价格因素后增长4.2%。", "185亿元", 4.2),
        ("一般公共预算收入38.6亿元,可比口径增长5.5%.", "38.6亿元", 5.5),
        ("税收收入21.3亿元，按可比价计算增长6%。", "21.3亿元", 6),
        ("社会消费品零售总额204.4亿元，剔除疫情因素后增长9.5%。", "204.4亿元", 9.5),
    ],
)
def test_a_qualified_growth_belongs_to_the_figure_before(text: str, value_text: str, growth: float) -> None:
    (found,) = figures(text)
    assert (found.value_text, found.growth_pct) == (value_text, growth)


def test_a_second_growth_of_another_basis_is_marked() -> None:
    found = figures("一般公共预算收入120.23亿元，自然口径增长3.5%，扣除留抵退税因素后增长18.3%。")
    assert (found[0].value_text, found[0].growth_pct) == ("120.23亿元", 3.5)
    assert [f.confidence for f in found[1:]] == ["low"]


# 8. Names ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "一是新增就业1.2万人；二是培训技能人才3000人次。",
        "①新增就业1.2万人；②培训技能人才3000人次。",
        "⑴新增就业1.2万人;⑵培训技能人才3000人次.",
    ],
)
def test_list_markers_are_not_part_of_names_nor_numbers(text: str) -> None:
    found = figures(text)
    assert [(f.name, f.value_text) for f in found] == [("新增就业", "1.2万人"), ("培训技能人才", "3000人次")]


@pytest.mark.parametrize(
    ("title", "name", "qualifier"),
    [
        ("居民消费价格涨幅不高于3%", "居民消费价格涨幅", "不高于"),
        ("政府债务余额不多于50亿元", "政府债务余额", "不多于"),
        ("城镇调查失业率不大于5.5%", "城镇调查失业率", "不大于"),
    ],
)
def test_a_negated_comparison_bounds_the_value_and_is_not_part_of_the_name(title, name, qualifier) -> None:
    (stated,) = title_target(title)
    assert (stated.name, stated.qualifier) == (name, qualifier)


@pytest.mark.parametrize(
    ("title", "name", "value", "qualifier"),
    [
        ("城乡居民收入倍差缩小到1.65以内", "城乡居民收入倍差", 1.65, "以内"),
        ("恩格尔系数控制在28以下", "恩格尔系数", 28.0, "以下"),
        ("数据中心PUE值降至1.3以下", "数据中心PUE值", 1.3, "以下"),
        ("城镇居民收入比保持在1.6", "城镇居民收入比", 1.6, None),
    ],
)
def test_a_number_without_unit_is_a_target_when_stated_as_one(title, name, value, qualifier) -> None:
    """A ratio or an index has no unit: 缩小到 / 控制在 / 降至 before it say it is the value."""
    (stated,) = title_target(title)
    assert (stated.name, stated.value, stated.unit, stated.qualifier) == (name, value, "", qualifier)


def test_a_figure_under_a_ceiling_gets_no_completion_rate() -> None:
    (found,) = figures("城镇调查失业率为4.6%。", "城镇调查失业率控制在5%以内")
    assert (found.target, found.completion_pct, found.higher_is_better) == (5.0, None, False)
    (found,) = figures("完成固定资产投资936亿元。", "完成固定资产投资1200亿元")
    assert found.completion_pct == 78.0


@pytest.mark.parametrize(
    ("text", "name"),
    both_widths_of_cases(
        ("今年以来共签约亿元以上项目38个。", "签约亿元以上项目"),
        ("年初以来累计新增市场主体1.2万户。", "新增市场主体"),
        ("开年以来，完成技改投资56亿元。", "完成技改投资"),
        ("本年度以来完成造林1.5万亩。", "完成造林"),
    ),
)
def test_since_when_is_not_part_of_the_name(text: str, name: str) -> None:
    """今年以来 / 年初以来 / 开年以来 say since when, like 截至9月底: not what was counted."""
    (found,) = figures(text)
    assert found.name == name


@pytest.mark.parametrize(
    ("text", "title", "name"),
    [
        ("9.7 | 853.2亿元 | 完成 | 2", "地区生产总值 | 8%左右", "地区生产总值"),
        ("25.6% | 完成", "固定资产投资 | 11%", "固定资产投资"),
        ("完成投资853.2亿元。", "地区生产总值增长8%左右", "完成投资"),
    ],
)
def test_a_result_without_words_is_named_after_the_goal(text: str, title: str, name: str) -> None:
    found = figures(text, title)
    assert found and all(f.name == name for f in found)


def test_a_bare_cell_in_a_narrative_goal_is_named_by_the_fallback_and_marked() -> None:
    (found,) = figures("853.2亿元", "加快经济发展，地区生产总值增长8%左右")
    assert found.confidence == "low" and "兜底" in (found.confidence_reason or "")


# Indicator tables imported without their header rows: "指标 | 目标" and the row's other cells.

INDICATOR_ROWS = [
    # (result cells, goal cells, value, unit, growth, rank, target)
    ("+6.5% | 1203.4亿元 | 完成 | 3", "规上工业增加值｜7%以上", 1.2034e11, "元", 6.5, 3, None),
    ("６．５ ｜ １２０３．４亿元 ｜ 完成 ｜ ３", "规上工业增加值｜7%以上", 1.2034e11, "元", 6.5, 3, None),
    ("12.3 | 完成", "社会消费品零售总额 | 8%", 12.3, "%", 12.3, None, 8.0),
    ("-3.2% | 未完成 | 11", "货物出口额 | 5%左右", -3.2, "%", -3.2, 11, 5.0),
    ("61.2% | 完成 | 1", "森林覆盖率 | 60%以上", 61.2, "%", None, 1, 60.0),
    ("45.1亿 | 12.0% | 基本完成", "一般公共预算收入 | 6%", 4.51e9, "元", 12.0, None, None),
    ("3.6万人 | 完成", "城镇新增就业 | 3万人", 36000.0, "人", None, None, None),
]


@pytest.mark.parametrize(("text", "title", "value", "unit", "growth", "rank", "target"), INDICATOR_ROWS)
def test_a_headerless_indicator_row_is_read_by_the_form_of_its_cells(
    text: str, title: str, value: float, unit: str, growth: float | None, rank: int | None, target: float | None
) -> None:
    (found,) = figures(text, title)
    name = title.replace("｜", "|").split("|")[0].strip()
    assert (found.name, found.unit, found.growth_pct, found.rank, found.target) == (name, unit, growth, rank, target)
    assert found.value == pytest.approx(value)
    assert found.quote == text.rstrip()  # the whole row is the figure's source


@pytest.mark.parametrize(("text", "title", "value", "unit", "growth", "rank", "target"), INDICATOR_ROWS)
def test_what_an_indicator_row_leaves_unsaid_is_marked(
    text: str, title: str, value: float, unit: str, growth: float | None, rank: int | None, target: float | None
) -> None:
    (found,) = figures(text, title)
    guessed_unit = "亿 |" in text or text.startswith("45.1亿")
    # A rank read from a bare integer has no header to say so, nor a scope; a unit read from the
    # indicator's name is a guess: both are checked by a person. Rates under a % target are not.
    assert (found.confidence == "low") == (rank is not None or guessed_unit)
    if rank is not None:
        assert found.rank_scope == "未注明" and "排名" in (found.confidence_reason or "")


@pytest.mark.parametrize("mark", ["(*)", "（*）", "*", "(※)"])
def test_a_footnote_mark_in_a_cell_is_kept_in_the_quote_and_marked(mark: str) -> None:
    (found,) = figures(f"73.3{mark} | 完成", "常住人口城镇化率 | 68%")
    assert (found.value, found.unit, found.growth_pct) == (73.3, "%", None)
    assert found.quote.endswith(f"73.3{mark} | 完成") and found.confidence == "low"
    assert "注记" in (found.confidence_reason or "")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # cells that are sentences: read as a narrative
        ("全区实现地区生产总值853.2亿元，同比增长9.7% | 完成", "地区生产总值 | 8%左右"),
        # a goal that is not an indicator and its target
        ("12个 | 完成", "加快推进重大项目建设"),
        # a bare integer with no verdict before it: a count or a rank, the cells do not say
        ("9.7 | 853.2亿元 | 2", "地区生产总值 | 8%左右"),
        # two amounts in one row: which is the indicator's is not clear
        ("853.2亿元 | 790.1亿元 | 完成", "地区生产总值 | 8%左右"),
    ],
)
def test_rows_that_are_not_plain_indicator_cells_are_read_as_narrative(text: str, title: str) -> None:
    assert all(f.quote != text for f in figures(text, title))  # no whole-row figure


@pytest.mark.parametrize(
    ("title", "name", "kind"),
    [
        ("地区生产总值 | 8%左右", "地区生产总值", "growth"),
        ("财政总收入｜8%以上", "财政总收入", "growth"),
        ("常住人口城镇化率 | 68%", "常住人口城镇化率", "level"),
    ],
)
def test_an_indicator_title_names_its_target_after_the_indicator(title: str, name: str, kind: str) -> None:
    (target,) = title_target(title)
    assert (target.name, target.kind, target.unit) == (name, kind, "%")


@pytest.mark.parametrize("text", ["增长4%。", "区本级完成12个。", "完成全年计划。增长4%。"])
def test_names_that_do_not_say_what_is_measured_are_low_confidence(text: str) -> None:
    found = figures(text)
    assert found and all(f.confidence == "low" and f.confidence_reason for f in found)


def test_long_names_are_not_cut_inside_brackets() -> None:
    (found,) = figures("东港（半升洞）客运码头及城市广场建设工程累计完成地下室主体结构工程量的20%。")
    assert found.name.count("（") == found.name.count("）")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("35个省市县长项目已开工16个，落地率45.7%。", "开工省市县长项目"),
        ("126个计划投资项目已实施102个。", "实施计划投资项目"),
        ("新签约项目20个,已落地12个.", "落地新签约项目"),
    ],
)
def test_a_stage_reached_by_part_of_the_items_is_named_after_them(text: str, name: str) -> None:
    assert figures(text)[1].name == name


def test_rank_names_do_not_end_in_a_verb() -> None:
    (found,) = figures("收入增幅指标预计继续处于全省前二。")
    assert (found.name, found.rank, found.rank_is_top_n) == ("收入增幅指标", 2, True)


@pytest.mark.parametrize(
    ("text", "name", "rank"),
    [
        ("工业、服务业、农业增加值分别增长5%、6%和7%，总量全市第二。", "增加值总量", 2),
        ("实现工业增加值120亿元、服务业增加值98亿元,总量全市第二.", "增加值总量", 2),
        ("全市GDP增长6.5%，总量全市第二。", "GDP总量", 2),
    ],
)
def test_a_total_ranked_after_a_list_or_a_growth_is_not_the_last_items_rank(text: str, name: str, rank: int) -> None:
    found = figures(text)
    assert all(f.rank is None for f in found[:-1])
    assert (found[-1].name, found[-1].rank, found[-1].unit) == (name, rank, "位次")


def test_total_and_growth_ranks_of_one_figure() -> None:
    found = figures("地区生产总值265.3亿元，总量全市第二，增速全市第一。")
    assert [(f.name, f.rank) for f in found] == [("地区生产总值", 2), ("地区生产总值增速", 1)]


def test_a_total_ranked_after_unrelated_counts_is_marked() -> None:
    found = figures("引进项目12个、人才300人，总量居全省第3。")
    assert found[-1].rank == 3 and found[-1].confidence == "low"


def test_an_amount_cell_without_unit_takes_yuan_from_the_goal_and_is_marked() -> None:
    (amount,) = [f for f in figures("16.2% | 96.2亿 | 完成 | 2", "财政总收入 | 8%以上") if f.value_text == "96.2亿"]
    assert (amount.name, amount.value, amount.unit, amount.confidence) == ("财政总收入", 9.62e9, "元", "low")
    (sentence,) = figures("拉动有效投资超千亿。")
    assert sentence.unit == ""  # in a sentence the writer chose not to write it: left as written


@pytest.mark.parametrize(
    ("text", "rank", "scope"),
    [
        ("完成固定资产投资96.5亿元，同比增长8.6%，列嘉兴第2位。", 2, "嘉兴"),
        ("规上工业增加值29.1亿元,增长7.9%,列嘉兴五县两区第4位.", 4, "嘉兴五县两区"),
        ("工业投资增长12%，居金华各县（市、区）第3位。", 3, "金华各县（市、区）"),
        ("GDP增速位列杭州都市圈第3位。", 3, "杭州都市圈"),
    ],
)
def test_a_rank_among_named_places(text: str, rank: int, scope: str) -> None:
    (found,) = figures(text)
    assert (found.rank, found.rank_scope) == (rank, scope)
    assert found.unit != "位"  # 第2位 is never an amount of 位


def test_a_ranking_list_after_wei_lie_stays_a_label() -> None:
    (found,) = figures("名列中国城市数字治理指数榜单第5。")
    assert (found.name, found.rank) == ("中国城市数字治理指数榜单", 5)


@pytest.mark.parametrize(
    ("text", "name", "growth"),
    [
        (
            "全市一般公共预算收入79.73亿元，同比增长3.3%；不含嘉兴港区完成67.69亿元，同比增长2.3%。",
            "一般公共预算收入（不含嘉兴港区）",
            2.3,
        ),
        (
            "一般公共预算收入37.58亿元,增长1.9%;不含港区一般公共预算收入完成31.78亿元,增长2.2%.",
            "一般公共预算收入（不含港区）",
            2.2,
        ),
        ("税收收入50亿元，扣除留抵退税因素后为55亿元，增长5%。", "税收收入（扣除留抵退税）", 5),
    ],
)
def test_a_figure_without_a_part_is_named_after_the_whole(text: str, name: str, growth: float) -> None:
    first, second = figures(text)
    assert (second.name, second.growth_pct, second.confidence) == (name, growth, "high")
    assert first.name in name


def test_a_completion_after_a_second_basis_growth_is_the_figures() -> None:
    found = figures("一般公共预算收入120.23亿元，自然口径增长3.5%，扣除留抵退税因素后增长18.3%，完成年度预算62.2%。")
    assert (found[0].value_text, found[0].growth_pct, found[0].completion_pct) == ("120.23亿元", 3.5, 62.2)


@pytest.mark.parametrize(
    "text",
    ["编制公布重大行政决策市级4项、镇（街道）8项、部门18项。", "培育国家级专精特新小巨人企业12家、省级45家。"],
)
def test_a_short_list_item_after_a_long_one_is_marked(text: str) -> None:
    first, *rest = figures(text)
    assert first.confidence == "high"
    assert rest and all(f.confidence == "low" and "共同的主语" in f.confidence_reason for f in rest)


def test_list_items_with_their_own_names_stay_sure() -> None:
    found = figures("新建成省级美丽庭院示范村8个、市级示范带10条、市级样本户1000户。")
    assert [f.confidence for f in found] == ["high"] * 3


@pytest.mark.parametrize(
    "text", ["累计完成交通投资156.3亿元，占年度计划的86.8%。", "完成交通投资156.3亿元,为年度计划的86.8%."]
)
def test_a_share_of_the_plan_completes_the_figure_and_the_title_states_the_target(text: str) -> None:
    (found,) = figures(text, "完成交通投资180亿元")
    assert (found.completion_pct, found.target_text, found.target_basis) == (86.8, "180亿元", "stated")


@pytest.mark.parametrize("text", ["一季度GDP增速9.1%，位列全省第一方阵。", "数字经济发展水平进入全国第一梯队。"])
def test_a_tier_is_not_a_rank(text: str) -> None:
    assert all(f.rank is None for f in figures(text))


@pytest.mark.parametrize(
    ("text", "name", "rank", "scope"),
    [
        ("一般公共预算收入增速全省排名由第9位进位至第4位。", "一般公共预算收入增速", 4, "全省"),
        ("GDP增速由全市第5位上升到第2位.", "GDP增速", 2, "全市"),
    ],
)
def test_a_rank_move_gives_the_rank_reached(text: str, name: str, rank: int, scope: str) -> None:
    (found,) = figures(text)
    assert (found.name, found.rank, found.rank_scope) == (name, rank, scope)


def test_a_rank_move_attaches_to_the_figure_before() -> None:
    (found,) = figures("规上工业增加值增长9%，增速由全省第12位提升至第6位。")
    assert (found.growth_pct, found.rank) == (9, 6)


def test_a_floor_for_every_place_sets_no_target() -> None:
    (found,) = figures("固定资产投资增长8.5%。", "各县区增速均达到7%以上")
    assert found.target is None


@pytest.mark.parametrize(
    ("text", "name", "qualifier"),
    [
        ("已开展至少3次院感督导。", "开展院感督导", "至少"),
        ("已开展至少3次院感督导.", "开展院感督导", "至少"),
        ("累计组织最少12场招聘会。", "组织招聘会", "最少"),
        ("全年帮扶企业多达260家，", "帮扶企业", "多达"),
    ],
)
def test_a_quantity_word_before_the_number_is_its_qualifier_not_its_name(text: str, name: str, qualifier: str) -> None:
    (found,) = figures(text)
    assert (found.name, found.qualifier) == (name, qualifier)


@pytest.mark.parametrize(
    "text",
    both_widths(
        "截至11月16日，全市新增就业1.2万人。",
        "截至11月16日新增就业1.2万人。",
        "截止2024年9月底新增就业1.2万人。",
        "截至目前新增就业1.2万人。",
    ),
)
def test_the_date_a_result_is_counted_to_is_not_part_of_its_name(text: str) -> None:
    (found,) = figures(text)
    assert found.name == "新增就业"


def test_long_names_are_cut_where_a_part_ends_not_inside_a_word() -> None:
    # 34 characters: a few over the limit, kept whole
    text = "召开专题民主生活会、听取党组班子及党组成员履行“一岗双责”情况汇报1次。"
    (found,) = figures(text)
    assert found.name == "召开专题民主生活会、听取党组班子及党组成员履行“一岗双责”情况汇报"
    # far over the limit: cut after a 、 or 的, never in the middle of a word
    text = "围绕山区海岛县高质量发展的要求、城乡风貌整治提升和未来社区创建的工作部署，全面完成农村生活污水处理设施标准化运维改造项目128个。"
    (found,) = figures(text)
    assert len(found.name) <= 30 and found.name.endswith("运维改造项目")
    assert text[text.index(found.name) - 1] in "、，的和及与并：；"


@pytest.mark.parametrize(
    ("text", "value_text", "growth"),
    both_widths_of_cases(
        ("其中跨境电商进出口额3.2亿元，增长1.5倍。", "3.2亿元", 150.0),
        ("新能源汽车产量1.2万辆，同比增长2倍。", "1.2万辆", 200.0),
        ("数字服务贸易额8600万元，比上年提高0.35倍。", "8600万元", 35.0),
    ),
)
def test_a_growth_in_multiples_belongs_to_the_figure_before(text: str, value_text: str, growth: float) -> None:
    (found,) = figures(text)
    assert (found.value_text, found.growth_pct) == (value_text, growth)


def test_a_ratio_to_last_year_is_not_a_growth() -> None:
    found = figures("完成投资12亿元，是上年的2.7倍。")
    assert [f.growth_pct for f in found] == [None, None]


@pytest.mark.parametrize(
    ("text", "name"),
    both_widths_of_cases(
        ("落实项目资本金1.5亿元撬动社会资本出资建设。", "落实项目资本金"),
        ("安排财政资金2亿元带动社会投资。", "安排财政资金"),
        ("争取专项债券12亿元用于重大项目建设。", "争取专项债券"),
    ),
)
def test_a_second_predicate_after_the_figure_is_not_part_of_its_name(text: str, name: str) -> None:
    assert figures(text)[0].name == name


@pytest.mark.parametrize(
    ("text", "rank", "scope"),
    both_widths_of_cases(
        ("全区完成税收收入45.6亿元，同比增长8.2%。增速居全市第2。", 2, "全市"),
        ("实现税收收入45.6亿元，自然口径增长8.2%，同口径增长11%；两种口径增速均列全省首位。", 1, "全省"),
        ("新引进项目12个。总量居全省第3。", 3, "全省"),
    ),
)
def test_a_later_rank_of_an_aspect_only_belongs_to_the_figure_just_before(text: str, rank: int, scope: str) -> None:
    first = figures(text)[0]
    assert (first.rank, first.rank_scope) == (rank, scope)
    assert all(f.unit != "位次" for f in figures(text))  # no rank figure of its own


def test_a_later_growth_rank_needs_a_figure_with_a_growth() -> None:
    found = figures("全区完成税收收入45.6亿元。增速居全市第2。")
    assert found[0].rank is None and found[-1].rank == 2 and found[-1].confidence == "low"


@pytest.mark.parametrize("lead", ["全区", "全县", "我市", "我区", "本县"])
def test_the_place_a_report_speaks_for_is_not_part_of_a_name(lead: str) -> None:
    assert figures(f"{lead}新增就业1.2万人。")[0].name == "新增就业"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开展安全督查、业务培训各2次。", [("开展安全督查", 2, "次"), ("业务培训", 2, "次")]),
        ("新增省级、市级示范村各约10个", [("新增省级示范村", 10, "个"), ("市级示范村", 10, "个")]),
        (
            "召开专题会议、听取班子及成员履行“一岗双责”情况汇报各1次；",
            [("召开专题会议", 1, "次"), ("听取班子及成员履行“一岗双责”情况汇报", 1, "次")],
        ),
        ("改造(提升)农贸市场、(新建)菜市场各3家,", [("改造（提升）农贸市场", 3, "家"), ("（新建）菜市场", 3, "家")]),
    ],
)
def test_a_value_for_each_listed_item_is_one_figure_per_item(text: str, expected: list[tuple]) -> None:
    found = figures(text)
    assert [(f.name, f.value, f.unit) for f in found] == expected
    assert all(f.confidence == "high" for f in found)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("全年举办招商推介会和项目签约会各5场", 5),
        ("创建省级和美乡村精品村各3个。", 3),  # 和 inside a word (和美乡村): why a person checks
    ],
)
def test_items_split_at_a_conjunction_before_each_are_marked_for_a_check(text: str, value: int) -> None:
    found = figures(text)
    assert [f.value for f in found] == [value, value]
    assert {f.confidence for f in found} == {"low"}
    assert all("和/与/及" in f.confidence_reason for f in found)
    if "签约会" in text:
        assert [f.name for f in found] == ["举办招商推介会", "项目签约会"]


def test_each_without_a_list_to_split_is_marked_for_a_check() -> None:
    (found,) = figures("东西两区各建成1个驿站。")
    assert (found.value, found.unit) == (1, "个")
    (each,) = figures("两个园区各引进项目3个。")
    assert each.value == 3
