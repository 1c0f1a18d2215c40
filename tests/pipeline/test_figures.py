import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.pipeline.figures import Figure, extract_figures, title_target

SOURCE = Path(__file__).resolve().parents[2] / "data" / "raw" / "huzhou-2022-department-goals.txt"


def by_text(figs: list[Figure], value_text: str) -> Figure:
    found = [f for f in figs if f.value_text == value_text]
    assert len(found) == 1, (value_text, [f.value_text for f in figs])
    return found[0]


def texts(text: str) -> list[str]:
    return [f.value_text for f in extract_figures(text)]


def check_spans(text: str, figs: list[Figure]) -> None:
    for f in figs:
        assert text[f.start : f.end] == f.quote
        assert f.value_text in f.quote or f.unit == "位次"
        assert f.name and len(f.name) <= 30


# ---------------------------------------------------------------- quantities and lists


def test_list_gives_one_figure_per_quantity():
    text = "新建成省级美丽庭院示范村8个、市级示范带10条、市级样本户1000户、乡镇级及以上美丽庭院4.35万余户。"
    figs = extract_figures(text)
    assert [(f.name, f.value, f.unit) for f in figs] == [
        ("新建成省级美丽庭院示范村", 8, "个"),
        ("市级示范带", 10, "条"),
        ("市级样本户", 1000, "户"),
        ("乡镇级及以上美丽庭院", 43500, "户"),
    ]
    assert figs[3].value_text == "4.35万余户" and figs[3].qualifier == "余"
    check_spans(text, figs)


@pytest.mark.parametrize(
    ("text", "value_text", "value", "unit", "qualifier"),
    [
        ("开展职工技能竞赛110多场", "110多场", 110, "场", "多"),
        ("完成农业农村有效投资超88亿元", "88亿元", 8.8e9, "元", "超"),
        ("住房保障覆盖率预计达到30%以上", "30%", 30, "%", "以上"),
        ("总投资约6147万元", "6147万元", 61_470_000, "元", "约"),
        ("中等收入群体比例预计提升3个百分点左右", "3个百分点", 3, "个百分点", "左右"),
        ("省局抽查企业（项目）数据差错率低于1.1%", "1.1%", 1.1, "%", "低于"),
        ("全市红十字系统筹集款物2442.15余万元", "2442.15余万元", 24_421_500, "元", "余"),
        ("服务惠及职工5.4万余人", "5.4万余人", 54_000, "人", "余"),
        ("累计突破100例", "100例", 100, "例", "突破"),
        ("线下线上观展超120万人次", "120万人次", 1_200_000, "人次", "超"),
        ("拉动有效投资超千亿", "千亿", 1e11, "", "超"),
        ("全市粮食总产量10.6亿斤", "10.6亿斤", 1.06e9, "斤", None),
        ("获批企业境外债35.04亿美元", "35.04亿美元", 3.504e9, "美元", None),
        ("新建5G基站1,231个", "1,231个", 1231, "个", None),
        ("完成投资１２亿元", "１２亿元", 1.2e9, "元", None),
        ("建成两个省级示范区", "两个", 2, "个", None),
        ("新增三项国家标准", "三项", 3, "项", None),
        ("筹集保障性租赁住房2.89万套（间）", "2.89万套（间）", 28_900, "套（间）", None),
        ("达到前三年均数的2倍多", "2倍", 2, "倍", "多"),
        ("PM2.5平均浓度28微克/立方米", "28微克/立方米", 28, "微克/立方米", None),
        ("兑付时间平均缩短23天", "23天", 23, "天", None),
    ],
)
def test_quantities_and_qualifiers(text, value_text, value, unit, qualifier):
    figs = extract_figures(text)
    f = by_text(figs, value_text)
    assert f.value == pytest.approx(value)
    assert (f.unit, f.qualifier) == (unit, qualifier)
    check_spans(text, figs)


def test_bare_ratio_has_empty_unit():
    f = by_text(extract_figures("前三季度城乡居民收入倍差缩小至1.55"), "1.55")
    assert (f.name, f.value, f.unit) == ("城乡居民收入倍差", 1.55, "")


def test_verb_number_noun_names_use_the_noun_after_the_unit():
    f = by_text(extract_figures("全年完成134849件档案的开放审核工作"), "134849件")
    assert f.name == "完成档案的开放审核工作"
    f = by_text(extract_figures("组织3154名一线职工参加疗休养"), "3154名")
    assert f.name == "组织一线职工"


# ---------------------------------------------------------------- what is skipped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-11月，完成固定资产投资1774.6亿元", ["1774.6亿元"]),
        ("8-11月规上工业增加值累计回升1.3%", ["1.3%"]),
        ("截至11月，累计为企业减负235.4亿元", ["235.4亿元"]),
        ("前三季度城乡居民收入倍差缩小至1.55", ["1.55"]),
        ("获评2022中国最具幸福感地级市", []),
        ("编撰《数说湖州2017-2021》，展示五年经济社会发展成就", []),
        ("出台《湖州市促进残疾人就业行动方案（2022—2025年）》", []),
        ("高于浙江省政府“十四五”规划2025年目标值9.8个百分点", ["9.8个百分点"]),
        ("举办学习贯彻党的二十大精神暨会员培训班", []),
        ("实施“2+8”平台综合实力五年倍增行动", []),
        ("实施2+8平台建设", []),
        ("全面实施“1211”攻坚行动", []),
        ("出台巾帼助企纾困“三送九条”", []),
        ("有望实现全省五连优", []),
        ("实现总产“六连增”", []),
        ("城乡交通一体化水平达到5A级", []),
        ("运营全国首艘2000吨级新能源船", []),
        ("长兴经开区入选第二批全省高能级战略平台培育名单", []),
        ("打造首批文艺创作基地20个", ["20个"]),
        ("建立四级网格391个", ["391个"]),
        ("全市“三星”和“四星”镇街占比达87.7%和37%", ["87.7%", "37%"]),
        ("省市县三级产改试点企业能级工资集体协商开展率达到100%、90%、88%", ["100%", "90%", "88%"]),
        ("10-50万元、20-60万元中等收入群体比例预计提升3个百分点左右", ["3个百分点"]),
        ("举办第三届“赵孟頫杯”全国书法篆刻展等展赛20余场", ["20余场"]),
        ("聚焦“六个新湖州”，迭代集中财力办大事政策体系", []),
        ("2年内立项项目开工率89.2%", ["89.2%"]),
        ("近三年累计投入12.5亿元", ["12.5亿元"]),
        ("全市生活垃圾总量连续四年负增长", []),
        ("五四村入选省首批艺术乡建示范村", []),
        ("在全省率先出台标准，实现一站式服务，统一个标准", []),
        ("提前3个月完成目标", ["3个月"]),
        ("“十四五”期间新增就业10万人", ["10万人"]),
        ("PM2.5浓度下降", []),
    ],
)
def test_labels_dates_and_ordinals_are_skipped(text, expected):
    assert texts(text) == expected


# ---------------------------------------------------------------- completion and implied targets


def test_excess_is_folded_into_the_target():
    text = "提升建设规范化残疾儿童定点康复机构 5家，超额完成2家，完成率167%，全省排名第4，为838名残疾儿童提供康复服务。"
    figs = extract_figures(text)
    assert [f.value_text for f in figs] == ["5家", "838名"]  # 超额完成2家 is not a figure
    f = figs[0]
    assert (f.value, f.target, f.target_text, f.completion_pct) == (5, 3, "3家", 167)
    assert f.target_basis == "excess"
    assert (f.rank, f.rank_scope, f.rank_is_top_n) == (4, "全省", False)
    assert f.quote == "提升建设规范化残疾儿童定点康复机构 5家，超额完成2家，完成率167%，全省排名第4"
    check_spans(text, figs)


def test_more_than_planned_sets_target():
    text = "全年完成134849件档案的开放审核工作，比原定计划多完成14849件，完成年度目标112.37%。"
    figs = extract_figures(text)
    assert len(figs) == 1
    f = figs[0]
    assert (f.value, f.unit, f.target, f.completion_pct) == (134849, "件", 120000, 112.37)
    assert f.target_text == "12万件"


@pytest.mark.parametrize(
    ("text", "value_text", "completion", "target"),
    [
        ("全市新增残疾人就业1231人，完成率164%", "1231人", 164, 751),
        ("新增城镇就业2.1万人，完成年度目标的105%", "2.1万人", 105, 20_000),
        ("累计建成集中连片耕地9.55万亩，目标完成率133%", "9.55万亩", 133, 71_800),
        ("一般公共预算收入236亿元，完成年初预算的102.6%", "236亿元", 102.6, 2.3e10),
        # the budget the rate completes shares no word with the figure's name: still its rate
        ("民生支出236.51亿元，已完成年初预算的51.6%", "236.51亿元", 51.6, 4.5835e10),
        ("完成造林3.2万亩，完成计划的106.7%", "3.2万亩", 106.7, 30_000),
        ("上半年实现营业收入12.3亿元，完成全年目标任务的58%", "12.3亿元", 58, 2.12e9),
    ],
)
def test_completion_implies_target_at_value_precision(text, value_text, completion, target):
    f = by_text(extract_figures(text), value_text)
    assert f.completion_pct == completion
    assert f.target == pytest.approx(target)


def test_completions_distribute_over_previous_figures():
    text = "全市共筹集保障性租赁住房2.89万套（间）、发放公租房租赁补贴7160户，分别达年度目标的125.7%、143.2%。"
    figs = extract_figures(text)
    assert [f.value_text for f in figs] == ["2.89万套（间）", "7160户"]
    a, b = figs
    # worked back from a rounded rate: approximate, and the text says so
    assert (a.value, a.completion_pct, a.target, a.target_text) == (28900, 125.7, 23000, "约2.3万套（间）")
    assert (b.value, b.completion_pct, b.target, b.target_text) == (7160, 143.2, 5000, "约5000户")
    assert a.target_basis == b.target_basis == "completion"


def test_completion_with_nothing_to_attach_becomes_a_figure():
    f = extract_figures("目标完成率133%")[0]
    assert (f.name, f.value, f.unit, f.completion_pct) == ("目标完成率", 133, "%", 133)


# ---------------------------------------------------------------- growth


@pytest.mark.parametrize(
    ("text", "value_text", "growth"),
    [
        ("1-11月，完成固定资产投资1774.6亿元，同比增长9.1%。", "1774.6亿元", 9.1),
        ("科技投入26.25亿元，增长16.4%", "26.25亿元", 16.4),
        ("财政总收入674.5亿元，还原后同比增长7.5%", "674.5亿元", 7.5),
        ("PM2.5平均浓度28微克/立方米，同比下降6.7%", "28微克/立方米", -6.7),
        ("城镇居民人均可支配收入71234元，比上年增长5.1%", "71234元", 5.1),
    ],
)
def test_growth_attaches_to_previous_figure(text, value_text, growth):
    figs = extract_figures(text)
    assert len(figs) == 1
    assert by_text(figs, value_text).growth_pct == growth


def test_growth_list_distributes_in_order():
    figs = extract_figures("全年接待游客2350万人次，实现旅游收入286.5亿元，分别增长15.2%和18.6%")
    assert [(f.value_text, f.growth_pct) for f in figs] == [("2350万人次", 15.2), ("286.5亿元", 18.6)]


def test_growth_without_level_is_its_own_figure():
    f = extract_figures("预计全市农林牧渔业增加值增长4.4%")[0]
    assert (f.name, f.value, f.unit, f.growth_pct) == ("农林牧渔业增加值", 4.4, "%", 4.4)
    f = extract_figures("8-11月规上工业增加值累计回升1.3%，幅度居全省第4位")[0]
    assert (f.name, f.growth_pct, f.rank, f.rank_scope) == ("规上工业增加值", 1.3, 4, "全省")
    f = extract_figures("单位GDP能耗下降3.5%")[0]
    assert (f.value, f.growth_pct, f.higher_is_better) == (-3.5, -3.5, False)


def test_growth_only_list_splits_the_subject():
    figs = extract_figures("铁路、水路货运量同比增长11%、5.05%")
    assert [(f.name, f.growth_pct) for f in figs] == [("铁路货运量", 11), ("水路货运量", 5.05)]
    figs = extract_figures("低收入农户、农村居民人均可支配收入分别增长12.8%、7.5%，预计排名全省前四。")
    assert [(f.name, f.growth_pct) for f in figs] == [("低收入农户", 12.8), ("农村居民人均可支配收入", 7.5)]
    assert (figs[1].rank, figs[1].rank_is_top_n) == (4, True)


def test_level_list_under_one_subject_splits_the_subject():
    figs = extract_figures("省、市重点工程立功竞赛覆盖率达到85%和61%；促成师徒结对600余对")
    assert [(f.name, f.value) for f in figs[:2]] == [("省重点工程立功竞赛覆盖率", 85), ("市重点工程立功竞赛覆盖率", 61)]
    assert "和" not in figs[0].quote


# ---------------------------------------------------------------- ranks


@pytest.mark.parametrize(
    ("text", "rank", "scope", "top_n"),
    [
        ("全市共建成省级新时代美丽乡村878个，覆盖率100%，全省第1。", 1, "全省", False),
        ("全年入库纳统通过率达98.98%，居全省第2。", 2, "全省", False),
        ("建设规范化康复机构5家，全省排名第4", 4, "全省", False),
        ("完成无障碍改造66个，列全省第1", 1, "全省", False),
        ("税占比达88.7%，排名全省第1", 1, "全省", False),
        ("新建示范小区77个，全省第4位", 4, "全省", False),
        ("城乡居民收入倍差缩小至1.64，排名全省前三", 3, "全省", True),
        ("数字农业项目12个，全省前二", 2, "全省", True),
        ("完成固定资产投资856.3亿元，同比增长12.1%，居全省第三位", 3, "全省", False),
        ("实现地区生产总值3850.2亿元，增长3.2%，增速居全国第十二位。", 12, "全国", False),
        ("建成示范村30个，全省前五名", 5, "全省", True),
        ("考核得分98.5，全国中等城市第1", 1, "全国中等城市", False),
        ("完成集装箱吞吐量71万标箱，全国内河港第10位", 10, "全国内河", False),
    ],
)
def test_rank_forms_attach_to_the_figure(text, rank, scope, top_n):
    figs = extract_figures(text)
    ranked = [f for f in figs if f.rank is not None]
    assert len(ranked) == 1 and ranked[0].unit != "位次"
    f = ranked[0]
    assert (f.rank, f.rank_scope, f.rank_is_top_n) == (rank, scope, top_n)
    check_spans(text, figs)


def test_ratio_with_rank():
    f = extract_figures("前三季度城乡居民收入倍差缩小至1.55、居全省第2。")[0]
    assert (f.value, f.unit, f.rank, f.rank_scope, f.higher_is_better) == (1.55, "", 2, "全省", False)


def test_two_ranks_distribute_over_two_figures():
    text = "培育核心港区3个，完成港口吞吐量1.3亿吨，完成集装箱吞吐量71万标箱，总量居全省内河第2、第1，湖州港跃居全国内河港第10位。"
    figs = extract_figures(text)
    assert by_text(figs, "3个").rank is None
    assert (by_text(figs, "1.3亿吨").rank, by_text(figs, "71万标箱").rank) == (2, 1)
    assert by_text(figs, "1.3亿吨").rank_scope == "全省内河"
    port = [f for f in figs if f.unit == "位次"]
    assert [(f.name, f.value, f.rank, f.rank_scope) for f in port] == [("湖州港", 10, 10, "全国内河")]
    check_spans(text, figs)


def test_both_ranked_with_jun():
    figs = extract_figures("列入省重大产业项目16个，争取预支土地指标2822亩，项目数和指标数均居全省第1。")
    assert [(f.value, f.rank) for f in figs] == [(16, 1), (2822, 1)]


def test_rank_only_figures():
    f = extract_figures("以破竹之势推进农业“双强”行动，获全省“赛马”激励，排名全省第1。")[0]
    assert (f.name, f.value, f.unit, f.rank, f.rank_scope) == ("以破竹之势推进农业“双强”行动", 1, "位次", 1, "全省")
    f = extract_figures("水稻耕种收综合机械化率和劳动生产率，预计排名全省前三。")[0]
    assert (f.name, f.rank, f.rank_is_top_n) == ("水稻耕种收综合机械化率和劳动生产率", 3, True)
    f = extract_figures("国家局信息录用取得新突破，获省局二等奖，市直部门排名14，前进5名。")[0]
    assert (f.rank, f.rank_scope, f.unit) == (14, "市直部门", "位次")
    assert f.quote.endswith("前进5名")  # the rank move belongs to the rank, not a figure of its own
    f = extract_figures("位列省共同富裕民众“四感”监测综合评价第1名")[0]
    assert (f.name, f.rank, f.rank_scope) == ("省共同富裕民众“四感”监测综合评价", 1, "全省")
    f = extract_figures("全市GDP增速全省排名第十一")[0]
    assert (f.name, f.rank, f.rank_scope) == ("GDP增速", 11, "全省")
    f = extract_figures("数字农业农村平均发展水平全省前二。")[0]
    assert (f.name, f.rank, f.rank_is_top_n) == ("数字农业农村平均发展水平", 2, True)


def test_rank_with_new_subject_does_not_attach():
    text = "新建示范小区77个、示范片区8个，在建设部生活垃圾分类考核评估中连续获评全国中等城市第1"
    figs = extract_figures(text)
    assert by_text(figs, "8个").rank is None
    rank_only = [f for f in figs if f.unit == "位次"][0]
    assert (rank_only.rank, rank_only.rank_scope) == (1, "全国中等城市")


@pytest.mark.parametrize(
    "text", ["应用推广走在全省前列", "全省领先", "排名进入全国前列", "开学第一课活动", "乡村振兴拼第一"]
)
def test_not_ranks(text):
    assert [f for f in extract_figures(text) if f.rank is not None] == []


def test_difference_and_restatement_are_secondary():
    figs = extract_figures("就业率达69.8%，高于浙江省政府“十四五”规划2025年目标值9.8个百分点，居全省第2。")
    assert (by_text(figs, "69.8%").rank, by_text(figs, "9.8个百分点").rank) == (2, None)
    assert by_text(figs, "9.8个百分点").name.startswith("就业率高于")
    figs = extract_figures("新增省级样板8个，累计占比达50%（22个），居全省第2。")
    assert by_text(figs, "50%").name == "新增省级样板占比" and by_text(figs, "50%").rank == 2
    assert by_text(figs, "22个").rank is None
    figs = extract_figures("空气质量优良率达到88.5%，同比提高3.2个百分点，全省排名第5")
    assert by_text(figs, "88.5%").rank == 5


# ---------------------------------------------------------------- direction


@pytest.mark.parametrize(
    ("text", "value_text", "higher"),
    [
        ("省局抽查企业（项目）数据差错率低于1.1%", "1.1%", False),
        ("城乡居民收入倍差缩小至1.64", "1.64", False),
        ("企业上缴工会经费比例降至20%", "20%", False),
        ("城镇调查失业率控制在5%以内", "5%", False),
        ("全市测算法定债务率为85%", "85%", False),
        ("兑付时间平均缩短23天", "23天", True),
        ("减免企业物流成本6.75亿元", "6.75亿元", True),
        ("网格激活率100%", "100%", True),
    ],
)
def test_higher_is_better(text, value_text, higher):
    assert by_text(extract_figures(text), value_text).higher_is_better is higher


# ---------------------------------------------------------------- titles


def test_title_targets():
    (t,) = title_target("3. 全年为企业减负\n200亿元以上")
    assert (t.name, t.value, t.unit, t.value_text, t.qualifier, t.kind) == (
        "为企业减负",
        2e10,
        "元",
        "200亿元",
        "以上",
        "level",
    )
    growth, rank = title_target("1.规上工业增加值全年同比增长8.5%，力争全省排名进入前五")
    assert (growth.name, growth.value, growth.kind) == ("规上工业增加值", 8.5, "growth")
    assert (rank.value, rank.kind, rank.rank_scope, rank.rank_is_top_n) == (5, "rank", "全省", True)
    (t,) = title_target("5.新增国家专精特新“小巨人”和省“隐形冠军”企业20家以上")
    assert (t.value, t.unit, t.qualifier, t.kind) == (20, "家", "以上", "level")
    (t,) = title_target("2.工业投资全年同比增长 10%，确保全省排名有进位")
    assert (t.name, t.value, t.kind) == ("工业投资", 10, "growth")


def test_title_fills_target():
    text = "截至11月，累计为企业减负235.4亿元，提前3个月完成目标。"
    f = by_text(extract_figures(text, "3. 全年为企业减负200亿元以上"), "235.4亿元")
    assert (f.value, f.target, f.target_text, f.completion_pct) == (2.354e10, 2e10, "200亿元", 117.7)
    assert f.target_basis == "stated"
    # without the title nothing is invented
    assert by_text(extract_figures(text), "235.4亿元").target is None


def test_title_target_is_not_forced_on_ambiguous_figures():
    text = "新增国家专精特新“小巨人”44家、省“隐形冠军”5家，超额完成目标。"
    figs = extract_figures(text, "5.新增国家专精特新“小巨人”和省“隐形冠军”企业20家以上")
    assert [f.target for f in figs] == [None, None]


# ---------------------------------------------------------------- punctuation, offsets, order


def test_half_width_punctuation_and_wrapped_lines():
    text = "提升建设规范化残疾儿童定点康复机构 5家,超额完成2家,完成率\n167%,全省排名第4;为838名残疾儿童提供康复服务."
    figs = extract_figures(text)
    f = by_text(figs, "5家")
    assert (f.target, f.completion_pct, f.rank) == (3, 167, 4)
    check_spans(text, figs)


def test_order_and_determinism():
    text = "全市新增残疾人就业1231人，完成率164%。就业率达69.8%，居全省第2。残联托养庇护机构8家、床位750张。"
    first = extract_figures(text)
    assert first == extract_figures(text)
    assert [f.value_text for f in first] == ["1231人", "69.8%", "8家", "750张"]
    assert [f.start for f in first] == sorted(f.start for f in first)


# ---------------------------------------------------------------- the real source


def _joined_source() -> str:
    return "".join(line.strip() for line in SOURCE.read_text(encoding="utf-8").splitlines())


REAL = {
    "archive": "完善了档案开放审核与公布机制，全年完成134849件档案的开放审核工作，比原定计划多完成14849件，完成年度目标112.37%。",
    "housing": "全市共筹集保障性租赁住房2.89万套（间）、发放公租房租赁补贴7160户，分别达年度目标的125.7%、143.2%，全市住房保障覆盖率预计达到30%以上，有望全省第1。",
    "burden": "截至11月，累计为企业减负235.4亿元，提前3个月完成目标。承建“一指减负”数字化应用，获国务院办公厅通报表扬。",
    "rehab": "提升建设规范化残疾儿童定点康复机构 5家，超额完成2家，完成率167%，全省排名第4，为838名残疾儿童提供康复服务。",
    "income": "获全省首次共同富裕考核优秀，位列省共同富裕民众“四感”监测综合评价第1名，获评2022中国最具幸福感地级市。前三季度城乡居民收入倍差缩小至1.55、居全省第2。10-50万元、20-60万元中等收入群体比例预计提升3个百分点左右。",
    "rural": "持续推进乡村振兴走在全省最前列，获得国务院督查激励，系全省唯一，乡村振兴实绩考核预计蝉联优秀。承办全国数字乡村建设现场会，数字农业农村平均发展水平全省前二。预计全市农林牧渔业增加值增长4.4%，城乡居民收入倍差缩小至1.64，排名全省前三。",
    "port": "培育核心港区3个，完成港口吞吐量1.3亿吨，完成集装箱吞吐量71万标箱，总量居全省内河第2、第1，湖州港跃居全国内河港第10位。",
    "stats": "加强国督问题整改，省局抽查企业（项目）数据差错率低于1.1%。出台《湖州市统计督察工作实施办法》。全年开展数据质量核查1024家，执法检查418家，湖州未被列为数据质量高风险地区。",
}


def test_real_paragraphs_come_from_the_source():
    source = _joined_source()
    for text in REAL.values():
        assert text in source


def test_real_archive():
    f = by_text(extract_figures(REAL["archive"]), "134849件")
    assert (f.value, f.unit, f.target, f.completion_pct) == (134849, "件", 120000, 112.37)


def test_real_housing():
    figs = extract_figures(REAL["housing"])
    homes, subsidy = by_text(figs, "2.89万套（间）"), by_text(figs, "7160户")
    assert (homes.value, homes.completion_pct) == (28900, 125.7)
    assert (subsidy.value, subsidy.completion_pct, subsidy.target) == (7160, 143.2, 5000)
    cover = by_text(figs, "30%")
    assert (cover.qualifier, cover.rank, cover.rank_scope) == ("以上", 1, "全省")


def test_real_burden_with_title():
    f = by_text(extract_figures(REAL["burden"], "3. 全年为企业减负\n200亿元以上"), "235.4亿元")
    assert (f.value, f.unit, f.target, f.target_text) == (2.354e10, "元", 2e10, "200亿元")


def test_real_rehab():
    f = by_text(extract_figures(REAL["rehab"]), "5家")
    assert (f.value, f.target, f.completion_pct, f.rank, f.rank_scope) == (5, 3, 167, 4, "全省")


def test_real_income_gap():
    figs = extract_figures(REAL["income"])
    gap = by_text(figs, "1.55")
    assert (gap.unit, gap.rank, gap.rank_scope, gap.higher_is_better) == ("", 2, "全省", False)
    assert [f.value_text for f in figs] == ["第1名", "1.55", "3个百分点"]  # 2022, 10-50万元 … are labels


def test_real_rural_top_three():
    figs = extract_figures(REAL["rural"])
    gap = by_text(figs, "1.64")
    assert (gap.rank, gap.rank_scope, gap.rank_is_top_n) == (3, "全省", True)
    assert by_text(figs, "前二").rank_is_top_n
    assert by_text(figs, "4.4%").growth_pct == 4.4


def test_real_port():
    figs = extract_figures(REAL["port"])
    port = by_text(figs, "第10位")
    assert (port.name, port.rank, port.rank_scope, port.unit) == ("湖州港", 10, "全国内河", "位次")


def test_real_error_rate():
    f = by_text(extract_figures(REAL["stats"]), "1.1%")
    assert (f.qualifier, f.higher_is_better) == ("低于", False)
    assert "差错率" in f.name


def _narratives() -> list[str]:
    """Rough split for a sanity test: blank-line blocks whose lines are long (narratives, not titles)."""
    out = []
    for block in re.split(r"\n\s*\n", SOURCE.read_text(encoding="utf-8")):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and max(len(line) for line in lines) >= 25:
            out.append("".join(lines))
    return out


def test_whole_source_sanity():
    narratives = _narratives()
    assert len(narratives) > 40
    total = 0
    for text in narratives:
        figs = extract_figures(text)
        total += len(figs)
        check_spans(text, figs)
        for f in figs:
            assert f.rank is None or (f.rank >= 1 and f.rank_scope)
            assert f.completion_pct is None or f.completion_pct > 0
    assert total >= 150


def test_whole_source_unjoined_blocks_keep_quotes_verbatim():
    # the wrapped text as it sits in the file: quotes must still be exact substrings
    for block in re.split(r"\n\s*\n", SOURCE.read_text(encoding="utf-8")):
        check_spans(block, extract_figures(block))


def test_whole_source_every_arabic_number_is_a_figure_or_a_label():
    # numbers outside every quote must be dates, years, ranges or labels (“…”, 《…》, 5A级, 2000吨级)
    label = re.compile(r"“[^”]*”|《[^》]*》|\d+[-—]\d+月?|\d{4}(?:年|中国)|\d+月|\d+A级|\d+吨级|第二|二十")
    for text in _narratives():
        covered = [(f.start, f.end) for f in extract_figures(text)]
        skipped = [m.span() for m in label.finditer(text)]
        for m in re.finditer(r"\d+(?:\.\d+)?", text):
            if not any(a <= m.start() < b for a, b in covered + skipped):
                raise AssertionError(f"unaccounted {m.group()!r} in …{text[max(0, m.start() - 15) : m.end() + 10]}…")


def test_list_items_share_verb_and_noun():
    figs = extract_figures("处置15.59万平方米、201幢危房，城镇危房实现清零")
    assert [(f.name, f.value) for f in figs] == [("处置危房", 155900), ("处置危房", 201)]


_ALPHABET = "0123456789１２.,，。；、（）()%％万亿千百十一二两三五第前全省居排名位超约余多以上左右增长下降完成率年目标的家个人元亩户“”《》-— \n分别达到均"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_never_crashes_and_quotes_are_verbatim(text):
    for f in extract_figures(text, text[:8]):
        assert text[f.start : f.end] == f.quote and f.quote
        # 30 characters, or up to 34 kept whole rather than cut inside a word (figures._fit).
        assert f.name and len(f.name) <= 34
        assert f.rank is None or f.rank_scope
    title_target(text)


# ---------------------------------------------------------------- forecasts


@pytest.mark.parametrize(
    ("text", "value_text", "forecast"),
    [
        ("全市住房保障覆盖率预计达到30%以上，有望全省第1。", "30%", True),
        ("交通共富指数预计全省第1。", "第1", True),
        ("农村居民人均可支配收入增长7.5%，预计排名全省前四。", "7.5%", True),
        ("税占比达88.7%，居全省第1。", "88.7%", False),
        ("列入省重大产业项目16个，争取预支土地指标2822亩。", "2822亩", False),
    ],
)
def test_forecasts_are_marked(text: str, value_text: str, forecast: bool) -> None:
    assert by_text(extract_figures(text), value_text).is_forecast is forecast
