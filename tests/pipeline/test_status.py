"""Status rules: each rule, precedence, and the completion-rate signal."""

import pytest

from kpi.pipeline.status import infer_status
from kpi.pipeline.themes import assign_themes, parse_theme_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新增国家专精特新“小巨人”44家，超额完成目标。", "exceeded"),
        ("累计为企业减负235.4亿元，提前3个月完成目标。", "exceeded"),
        ("全年提前完成年度任务。", "exceeded"),
        ("完成各项验收前准备工作，等待国家档案局验收。", "pending"),
        ("项目已完工，待省级部门验收。", "pending"),
        ("实施技改，有望完成全年目标。", "on_track"),
        ("乡村振兴实绩考核预计蝉联优秀。", "on_track"),
        ("受疫情影响，完成人代会目标难度较大。", "at_risk"),
        ("产能未释放，导致全年增长乏力。", "at_risk"),
        ("项目进度滞后于计划。", "at_risk"),
        ("受多重因素影响，全年目标未完成。", "not_met"),
        ("新建城市绿道57.6公里，城镇危房实现清零。", "achieved"),
        # a forecast of one figure alone does not make a goal "on track"
        ("获考核优秀，中等收入群体比例预计提升3个百分点左右。", "achieved"),
        # 未发生 (nothing happened) is good news, not 未完成
        ("全年未发生地质灾害，无人员伤亡。", "achieved"),
    ],
)
def test_rules(text, expected):
    status, reason = infer_status(text)
    assert status == expected, reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # behind the time elapsed, in the words reports use for it: at risk
        ("改革推进滞后于序时进度。", "at_risk"),
        ("建设进度落后于时间进度。", "at_risk"),
        ("项目推进落后时序进度。", "at_risk"),
        ("项目进度滞后2个月。", "at_risk"),  # months, not points: still behind
        ("项目进度滞后3个百分点。", "at_risk"),  # against its own plan, not the time elapsed
        ("时序进度滞后。", "at_risk"),
        ("序时进度滞后3个百分点。", "achieved"),  # behind the time elapsed by a size: the lights weigh it
        ("工程略有进度滞后。", "achieved"),
        # slightly behind, not behind, or behind by a stated number of points: the lights weigh it
        ("改革推进略滞后于时序进度。", "achieved"),
        ("建设进度稍落后于序时进度。", "achieved"),
        ("改革推进没有落后于序时进度。", "achieved"),
        ("投资完成率滞后于序时进度3.5个百分点。", "achieved"),
        ("投资落后序时进度约2个百分点。", "achieved"),
        # short of the time elapsed is a running period behind it, not a goal missed
        ("数字化改革推进未达到序时进度要求。", "achieved"),
        ("一季度未能达到时序进度。", "achieved"),
        ("全年目标未达到。", "not_met"),
    ],
)
def test_time_progress_wordings(text, expected):
    status, reason = infer_status(text)
    assert status == expected, reason


@pytest.mark.parametrize(
    "text",
    [
        "创建工作未能成功创建。",
        "项目未通过省级验收。",
        "没有完成年度任务。",
        "受资金影响未能如期完成。",
        "申报未获批。",
        "未入选第二批名单。",
        "水质未达标。",
        "年度目标未实现。",
    ],
)
def test_what_a_goal_is_done_by_negated_is_not_met(text):
    assert infer_status(text)[0] == "not_met"
    assert infer_status(text, period="H1")[0] == "not_met"


@pytest.mark.parametrize("text", ["项目尚未完成。", "主体已完工，尚未完成验收。", "还未通过验收。", "目前未建成投用。"])
def test_not_yet_is_a_goal_missed_only_at_the_full_year(text):
    assert infer_status(text, period="FY")[0] == "not_met"
    for period in ("Q1", "H1", "Q1-3", "M1-10"):
        assert infer_status(text, period=period)[0] == "achieved", period


@pytest.mark.parametrize("text", ["全年未发生重大安全事故。", "未出现规模性返贫。", "实现清零，未发生反弹。"])
def test_nothing_going_wrong_is_not_a_goal_missed(text):
    assert infer_status(text)[0] == "achieved"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("力争提前完成全年任务。", "achieved"),
        ("确保超额完成年度目标。", "achieved"),
        ("计划于10月底前提前完成。", "achieved"),
        ("有望提前完成全年目标。", "on_track"),
        # done: 将 as 把, 计划 as a plan's name, 目标 before the verb
        ("将全年任务提前完成。", "exceeded"),
        ("全年计划投资10亿元，已超额完成。", "exceeded"),
        ("全年目标超额完成。", "exceeded"),
    ],
)
def test_what_is_meant_or_expected_is_not_exceeded(text, expected):
    assert infer_status(text, period="H1")[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "国家森林城市复查工作已完成迎检，等待结果。",
        "项目已上报，待省里批复。",
        "材料已报送，尚待国家部委认定。",
        "创建工作有待省级命名。",
        "已完工，待竣工验收。",
    ],
)
def test_waiting_for_the_decision_is_pending(text):
    assert infer_status(text)[0] == "pending"


@pytest.mark.parametrize("text", ["提高教师待遇，结果良好。", "接待游客120万人次，评审通过。", "期待公布。"])
def test_other_words_with_dai_are_not_waiting(text):
    assert infer_status(text)[0] == "achieved"


def test_a_lag_is_quoted_as_a_lag():
    status, reason = infer_status("建设进度落后于时间进度。")
    assert status == "at_risk" and reason == "叙述称进度滞后：「落后于时间进度」"


def test_problems_take_precedence_over_progress():
    text = "8-11月规上工业增加值累计回升1.3%，居全省第4位。但完成人代会目标难度较大，有望年底好转。"
    assert infer_status(text)[0] == "at_risk"
    assert infer_status("已超额完成建设任务，等待国家局验收。")[0] == "pending"


def test_completion_above_100_percent_means_exceeded():
    status, reason = infer_status("筹集保障性租赁住房2.89万套，有望全省第1。", [125.7, None])
    assert status == "exceeded" and "125.7%" in reason
    assert infer_status("完成改造66个。", [100.0])[0] == "achieved"


def test_reason_quotes_the_deciding_phrase():
    assert "「等待国家档案局验收」" in infer_status("等待国家档案局验收。")[1]


KEYWORDS = {"digital": ["数字化", "数字"], "rural": ["乡村", "农村"], "culture": ["文艺", "书画"]}


def test_themes_need_title_or_two_mentions():
    assert assign_themes("推进档案数字化改革", "上线平台。", KEYWORDS, ["culture"]) == ["digital"]
    # one passing mention in the narrative is not enough
    assert assign_themes("文艺惠民", "送文艺进农村文化礼堂。", KEYWORDS, ["digital"]) == ["culture"]
    assert assign_themes("深化改革", "乡村振兴与农村发展。", KEYWORDS, ["culture"]) == ["rural"]


def test_a_goal_without_keywords_gets_the_department_default():
    assert assign_themes("全力争取", "赴省局60余次。", KEYWORDS, ["digital"]) == ["digital"]


def test_theme_lists_accept_chinese_and_ascii_separators():
    assert parse_theme_list("数字化改革、共同富裕,rural，culture") == ["数字化改革", "共同富裕", "rural", "culture"]
    assert parse_theme_list("") == [] and parse_theme_list(None) == []


def test_a_keyword_inside_a_longer_match_counts_once():
    keywords = {"rural": ["农村", "乡村", "村"], "digital": ["数字化", "数字"]}
    assert assign_themes("城市更新", "新增管道燃气农村居民1.13万户。", keywords, ["digital"]) == ["digital"]
    assert assign_themes("城市更新", "农村公路与美丽乡村村庄。", keywords, ["digital"]) == ["rural"]
    # a short keyword in the title still counts when a longer one is only in the narrative
    assert assign_themes("数字档案馆创建", "数字化改革示范区。", keywords, ["rural"]) == ["digital"]
