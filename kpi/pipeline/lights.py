"""Lights (三色预警): every goal row's ``light`` and ``light_reason``, by these rules.

Inputs: the goal's period (its time progress, 时序进度 = months ÷ 12), its narrative
status, its targets (``kpi.pipeline.targets``) and its figures (``kpi.pipeline.figures``).
Thresholds come from ``data/curation/light_thresholds.csv`` (the legend shows them).

1. **Status.** A narrative at risk (难度较大 …) or not met (未完成 …) is red, whatever its figures.
2. **Amount targets** (突破4000亿元, 完成年初预算的X%): share = actual ÷ target, or the share
   the text states (完成年初预算的51.6%, 完成年度目标51.2%); every figure of the narrative
   with a completion rate (its own target, stated or implied) is such a measure too. Green at or above the time
   progress, yellow up to ``amount_yellow_gap`` points below it, red further below. For a
   ceiling (控制在…以内) the share must stay at or under the time progress, the other way round;
   a ceiling on a level, which the year does not add up (no unit: a ratio or an index such as a
   倍差 of 1.65; a unit per something, 浓度, 平均,
   单位/万元GDP …), is not prorated: green at or under it, yellow up to ``amount_yellow_gap``
   percent over, red beyond; a floor on a level (人均公园绿地面积15平方米以上, 耕地保有量200万亩以上)
   likewise: green at or over it, yellow up to ``amount_yellow_gap`` percent under, red below.
   A ceiling gives no completion rate (4.6% under 5% is not 92% done).
   A figure measures a target when the extractor paired them (the title's target is the
   figure's) or its name shares two telling characters (letters, not digits) with the
   target's words, a figure after 其中 (a part) only when no whole one does or the target
   asks for a part (其中出口增长6%). A count in 座, 处, 家 … measures a target in 个; a figure of
   what was started (开工) does not measure a target to finish (完成, 建成, 完工), nor what was
   applied for (申报, 推荐) a target to have recognised (新增, 认定, 获批); otherwise
   the target is not measured (unsure is kept out). A target whose words name nothing (20亿元
   typed in the import's 目标值 column) is the goal's: its figure is the one the goal's title
   names, else the narrative's only figure of its unit; when none can be told, the reason
   names the target and why (never silently dropped). A stated completion rate is the share
   of a target only when the target it implies is that one (within 2%).
3. **Rate targets** (增长8.5%): the rate itself is compared, growth is not prorated. Green at
   or above the target (for 左右, up to ``rate_about_tolerance`` below still counts; a range
   4.5-5.0% counts from its low end), yellow up to ``rate_yellow_gap`` points below, red
   further below; for ``at_most`` (控制在3%以内) the other way round. A reduction (下降3%以上)
   is met by a decrease at least as large, the decrease compared as a growth. Of the related
   figures, the one whose name has the fewest characters the target lacks (出口, not 进出口总额,
   for 出口增长6%); 确保 / 力争 say how firm a number is, not what it measures. A relative target
   (与经济增长基本同步) has no number and is not measured.
4. **Rank targets** (全省前五): green when the stated rank is within it, red when outside,
   not measured while no rank is stated. 排名有进位: green when the narrative reports a rise
   (进位, 上升N位), red when it reports a fall (退位, 下降N位).
5. **Status without figures.** Pending acceptance (待验收) is yellow; a forecast (有望, 预计…完成)
   is green before 全年 and yellow at 全年 (a forecast is not a result).
6. **全年.** Time progress is 100: share ≥ ``fy_green_share`` green (完成目标), from
   ``fy_yellow_share`` yellow (基本完成), below it red (未完成); rate and rank rules as above.
7. **Several measures:** the worst light wins; the reason names the measures that decided it.
   **Nothing measurable:** ``none`` (无量化进度), never green — except at 全年, where a goal
   none of whose targets could be measured and whose narrative reports it done (超额完成 /
   已完成) is green (完成目标), the reason naming that status.

8. **The narrative against the time elapsed** (序时进度, 时序进度, 时间进度) is a measure too:
   ahead of it or at it (快于, 高于, 超, 达到, 符合, 不低于, 时间过半任务过半) green; slightly below
   (略低于, 稍慢于, 基本达到, 接近) or below without a size (低于, 未达到) yellow; behind (滞后于,
   落后于) red, as the status rule says; below by a stated number of points (低于序时进度3个百分点)
   yellow up to ``amount_yellow_gap`` points, red beyond, as a share would be; the year's target
   said to be met already (已完成全年目标任务, 已提前完成年度任务) green; slightly behind its own plan
   (进度略有滞后) yellow; at 全年, done in part (基本完成,
   部分完成, 大部分已完成) yellow (基本完成), as a share of 90–100% would be. With the figures
   the worst light wins, so a department saying it is behind is never shown on track.

A stretch target (力争) is judged only when the goal states no baseline of its kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kpi.contract.vocab import (
    FULL_YEAR,
    LIGHT_SEVERITY,
    STATUS_LABELS_ZH,
    read_light_thresholds,
    time_progress_pct,
)
from kpi.pipeline.numbers import format_cn
from kpi.pipeline.periods import TIME_PROGRESS
from kpi.pipeline.status import POINTS_GAP
from kpi.pipeline.targets import GoalTarget, baseline_targets

THRESHOLDS_FILE = "light_thresholds.csv"
_GROWTH_WORDS_RE = re.compile(r"增长|增速|增幅|涨幅|提高|提升|下降|降低")
_RANK_UP_RE = re.compile(r"进位|(?:上升|前进|提升|前移)\s*\d+\s*(?:位|个位次)")
_RANK_DOWN_RE = re.compile(r"退位|(?:下降|后退|后移)\s*\d+\s*(?:位|个位次)")


@dataclass(frozen=True)
class Measure:
    light: str
    reason: str
    share: float | None = None  # percent of target, for the progress view
    said: bool = False  # the narrative's own words (rule 8), named only when no figure agrees
    figure: tuple[str, str] | None = None  # (name, value as written) of the figure measured


def load_thresholds(curation_dir: Path) -> dict[str, float]:
    return read_light_thresholds(Path(curation_dir) / THRESHOLDS_FILE)


NO_MEASURE_REASON = "目标任务或完成情况中没有可对照的量化目标和数字"


def _pct(x: float) -> str:
    """51.6 → 51.6%, 100.0 → 100%, 23.95 → 23.95% (two decimals at most)."""
    return f"{x:.2f}".rstrip("0").rstrip(".") + "%"


def percent_text(column):
    """``_pct`` as a Polars expression (for generated data computed column-wise)."""
    return column.round(2).cast(str).str.replace(r"\.0+$", "").str.replace(r"(\.\d*?)0+$", "$1") + "%"


def _share_light(share: float, progress: float, is_full_year: bool, thresholds: Mapping[str, float]) -> str:
    if is_full_year:
        if share >= thresholds["fy_green_share"]:
            return "green"
        return "yellow" if share >= thresholds["fy_yellow_share"] else "red"
    if share >= progress:
        return "green"
    return "yellow" if share >= progress - thresholds["amount_yellow_gap"] else "red"


# Characters too common in figure names to tie a figure to a target by themselves.
_COMMON_CHARS = set("增长速同比完成实现年全的率目标累计值总额数量亿万元个家")


def _telling(text: str) -> set[str]:
    """The characters of a name that tell what it counts: letters only, none of the common
    words. Not digits: a value is not a name (10亿元以上项目 is no closer to 50个 than 38个 is)."""
    return {c for c in text if c.isalpha()} - _COMMON_CHARS


def _overlap(a: str, b: str) -> int:
    return len(_telling(a) & _telling(b))


def _is_breakdown(figure: Mapping) -> bool:
    """A part of the figure before it (其中10亿元以上项目6个)."""
    return str(figure.get("quote") or "").lstrip().startswith("其中")


def _closeness(figure: Mapping, words: str, by_indicator: bool = False) -> tuple[bool, int, int]:
    """Sort key, closest first, among the figures related to a target's ``words``: a part
    (其中…) after the wholes unless the target asks for a part itself (其中出口增长6%), then
    the most telling characters in common. ``by_indicator`` (a rate, which names an indicator
    rather than an action): then the fewest the target does not have, as 出口 is closer to
    出口增长6% than 进出口总额 is (签约 in 签约亿元以上项目 says what was done, not a different count)."""
    name, asked = _telling(figure["name"]), _telling(words)
    extra = len(name - asked) if by_indicator else 0
    return (_is_breakdown(figure) and "其中" not in words, -len(name & asked), extra)


def _related(figure: Mapping, words: str) -> bool:
    """The figure measures what the target names: two telling characters in common
    (规上工业增加值 ~ 规上工业增加值增长8.5%; GDP is not 居民消费价格指数涨幅)."""
    return _overlap(figure["name"], words) >= 2


# Words of a target that say how much, not of what: with these (and digits, units and
# punctuation) left out, a target typed as 20亿元, 8.5% or 全省前五 names nothing.
_AMOUNT_WORDS = set("以上下内不低于少突破超过左右控制在达到力争进入排名位次前第省国市一二三四五六七八九十百千")
NAMELESS_NOTE = "目标值未写明指标，按目标任务的名称对照"
SOLE_FIGURE_NOTE = "目标值未写明指标，完成情况中只有这一个同单位的数字，按它对照"


# How firmly a number is promised, not what it measures (力争GDP增长7%，确保6.5%).
_COMMITMENT_RE = re.compile(r"确保|力争|争取|努力|保持|保底")


def names_nothing(target: GoalTarget) -> bool:
    """The target's own words name no measure (20亿元 typed in the import's 目标值 column, the
    确保6.5% after 力争GDP增长7%): it is the goal's target, to be compared with the figure the
    goal's title names."""
    own = {c for c in _COMMITMENT_RE.sub("", target.quote) if c.isalpha()} - _COMMON_CHARS - _AMOUNT_WORDS
    return len(own) < 2


# What a count target counts, written after it: 推进12项 | 重点改革任务 (up to the next clause or number).
_COUNTED_AFTER_RE = re.compile(r"[^，。；、,;（(\d]{1,12}")


def _words(target: GoalTarget, title: str) -> str:
    """What a figure must name to measure the target: the target's words and, for a count, the
    noun the title writes after it (推进12项重点改革任务: the 重点改革任务 are counted); when they name
    nothing, the goal's title (目标任务) — the goal-level target is about what the goal names."""
    if names_nothing(target):
        return f"{target.quote} {title}"
    at = title.find(target.quote) if target.quote else -1
    if at < 0 or not target.quote.endswith(target.unit or "\0"):
        return target.quote
    after = _COUNTED_AFTER_RE.match(title, at + len(target.quote))
    return target.quote + (after.group(0) if after else "")


def why_unmeasured(target: GoalTarget, figures: Sequence[Mapping], title: str) -> str:
    """Why a target the goal states could not be compared with a figure, in one Chinese clause."""
    if target.kind == "rank":
        return "完成情况中没有写明排名"
    unit = target.unit or "无单位"
    if target.kind == "rate":
        same = [f for f in figures if f["growth_pct"] is not None or (f["unit"] == target.unit and f["rank"] is None)]
    else:
        same = [f for f in figures if f["unit"] == target.unit]
    if not same:
        return f"完成情况中没有单位为{unit}的数字" if target.kind == "amount" else "完成情况中没有可对照的比率或增速"
    return f"完成情况中有{len(same)}个同类数字，名称都与「{_words(target, title).strip()}」不符，无法确定对照哪一个"


# A figure that is the plan, not the result: 计划完成投资30亿元, 目标值1.5万户, 年度预算….
_PLAN_NAME_RE = re.compile(r"^(?:年度|全年|今年)?(?:计划|目标|预算(?!内))")
_RESULT_STAGE_RE = re.compile(r"完成|建成|完工|竣工|实现|办结|落地|到位")


def _restated(target: GoalTarget, figures: Sequence[Mapping]) -> list[Mapping]:
    """The figures that repeat the target before the result (计划完成投资30亿元，实际完成18.5亿元;
    12项重点任务已完成8项): the plan, or a total equal to the target beside a smaller figure of
    what was done, of the same unit. They are not what was done."""
    same_unit = [f for f in figures if _same_unit(f["unit"], target.unit)]
    done = [f for f in same_unit if _RESULT_STAGE_RE.search(str(f["name"]))]

    def restates(figure: Mapping) -> bool:
        name = str(figure["name"])
        if _PLAN_NAME_RE.match(name):
            return True
        if target.value is None or abs(figure["value"] - target.value) > 1e-9 or _RESULT_STAGE_RE.search(name):
            return False
        return any(0 <= other["value"] < figure["value"] for other in done)

    return [f for f in same_unit if restates(f)]


def _amount_measure(
    target: GoalTarget, figures: Sequence[Mapping], progress: float, is_full_year: bool, thresholds, title: str = ""
) -> Measure | None:
    words = _words(target, title)
    restated = [id(f) for f in _restated(target, figures)]
    same_unit = [
        f
        for f in figures
        if _same_unit(f["unit"], target.unit) and not _earlier_stage(f, words) and id(f) not in restated
    ]
    if not same_unit:
        return None
    # The figure the extractor already paired with this target, else the closest by name.
    paired = [f for f in same_unit if f["target"] is not None and abs(f["target"] - target.value) < 1e-6]
    related = sorted((f for f in same_unit if _related(f, words)), key=lambda f: _closeness(f, words))
    note = NAMELESS_NOTE if names_nothing(target) and not paired else ""
    if not paired and not related and names_nothing(target) and len(same_unit) == 1:
        related, note = same_unit, SOLE_FIGURE_NOTE  # a goal-level target and the goal's only such figure
    if not paired and not related:
        return None  # no figure of the narrative measures this target: unsure, so not measured
    figure = (paired or related)[0]
    implied = figure["target"]
    if (
        figure["completion_pct"] is not None
        and figure.get("target_basis") == "completion"
        # The stated rate is of this target only when the target it implies is this one (a
        # rate of 年初预算 says nothing about a 20亿元 typed in the 目标值 column).
        and (not target.value or (implied is not None and abs(implied - target.value) <= 0.02 * abs(target.value)))
    ):
        share = figure["completion_pct"]
    elif target.value:
        share = figure["value"] / target.value * 100
    else:
        return None
    target_text = target.value_text or format_cn(target.value, target.unit)
    progress_text = f"时序进度{_pct(progress)}"
    level = is_level(target)
    if target.direction == "at_most":
        # A ceiling: the used share may grow with the year but not beyond it. A ceiling on a level
        # (a concentration, a use per 万元 of GDP) holds at any time of the year, as it is.
        limit = 100.0 if is_full_year or level else progress
        if share <= limit:
            light = "green"
        elif share <= limit + thresholds["amount_yellow_gap"]:
            light = "yellow"
        else:
            light = "red"
    else:
        # A floor on a level (人均公园绿地面积15平方米以上, 耕地保有量) is to be held now, not by December.
        light = _share_light(share, 100.0 if level else progress, is_full_year, thresholds)
    if level and target.direction == "at_most":
        side = "未超过" if share <= 100 else "超过"
        reason = f"{figure['name']}{figure['value_text']}，{side}上限{target_text}（为上限的{_pct(share)}）"
    elif level:
        side = "达到" if share >= 100 else "低于"
        bound = "下限" if target.direction == "at_least" else "目标"
        reason = f"{figure['name']}{figure['value_text']}，{side}{bound}{target_text}（为{bound}的{_pct(share)}）"
    else:
        reason = f"{figure['name']}{figure['value_text']}，为全年目标{target_text}的{_pct(share)}，{progress_text}"
    return Measure(light, reason + (f"（{note}）" if note else ""), share, figure=_figure_key(figure))


# A bound on one of these is a level, not a running total like 能源消费总量, 新增债务 or 新增就业.
_LEVEL_WORDS = r"浓度|强度|密度|指数|系数|倍差|均价|价格|比例|比重|占比|保有量|存量"
# A ceiling also bounds a use per something (单位GDP能耗, 每万元), an average and a balance (债务余额).
# A floor on them may be a running total: 人均可支配收入 adds up over the year, a 贷款余额 to reach
# by December grows towards it, 创建文明单位20个 is a count; an average is a level there only when
# it is not money (人均公园绿地面积, 人均预期寿命).
_CEILING_LEVEL_RE = re.compile(
    rf"{_LEVEL_WORDS}|平均|人均|单位|万元(?:GDP|生产总值|地区生产总值|工业增加值|增加值)|每|余额"
)
_FLOOR_LEVEL_RE = re.compile(_LEVEL_WORDS)
_AVERAGE_RE = re.compile(r"人均|平均")


def is_level(target: GoalTarget) -> bool:
    """The target bounds a level (27.5微克/立方米, 22立方米 per 万元 of GDP, a 倍差 of 1.65, a stock
    such as 耕地保有量), which the year does not add up: no unit (a ratio or an index: things
    counted have one), a unit per something, or a word that says so in the target."""
    if not target.unit or "/" in target.unit:
        return True
    if target.direction == "at_most":
        return bool(_CEILING_LEVEL_RE.search(target.quote))
    money = "元" in target.unit
    return bool(_FLOOR_LEVEL_RE.search(target.quote) or (_AVERAGE_RE.search(target.quote) and not money))


# Measure words for things counted one by one: a target of 1500个 5G基站 is met by 820座 of them
# (the names must still agree, as for any figure).
_COUNT_WORDS = {"个", "座", "处", "台", "所", "家", "条", "项", "宗", "套", "间", "栋", "幢", "只", "辆", "艘", "户"}


# One unit written several ways (the source's spelling is kept with the figure).
_SAME_UNITS = ({"平方米", "平米", "㎡"}, {"公里", "㎞"}, {"人", "名"}, {"吨标准煤", "吨标煤"})


def _same_unit(figure_unit: str, target_unit: str) -> bool:
    if figure_unit == target_unit or any({figure_unit, target_unit} <= same for same in _SAME_UNITS):
        return True
    return "个" in (figure_unit, target_unit) and {figure_unit, target_unit} <= _COUNT_WORDS


# Stages: a target to finish (完成老旧小区改造120个) is not measured by what was started, nor a
# target to have recognised or approved (新增国家高新技术企业200家) by what was applied for.
_STAGES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"开工|启动|在建|动工"), re.compile(r"完成|建成|完工|竣工|投用|投运|交付")),
    (
        re.compile(r"申报|申请|报送|推荐|储备|培育库|入库"),
        re.compile(r"新增|认定|获批|批复|入选|获评|命名|创成|通过|授牌"),
    ),
)


def _earlier_stage(figure: Mapping, words: str) -> bool:
    """The figure counts an earlier stage than the target asks for: the 86 开工 of 开工改造老旧小区86个
    against 完成改造120个 (the 32 完工 among them measure it), the 320 申报 against 新增…200家."""
    name = str(figure["name"])
    return any(
        later.search(words) and not earlier.search(words) and earlier.search(name) and not later.search(name)
        for earlier, later in _STAGES
    )


def _figure_key(figure: Mapping) -> tuple[str, str]:
    return (str(figure["name"]), str(figure["value_text"]))


_ENDS_IN_VERB_RE = re.compile(r"(?:提高|提升|增加|增长|上升|下降|降低|减少|回落|缩小|扩大)$")


def _stated_share_measure(figure: Mapping, progress: float, is_full_year: bool, thresholds) -> Measure:
    share = figure["completion_pct"]
    light = _share_light(share, progress, is_full_year, thresholds)
    return Measure(
        light,
        f"{figure['name']}{figure['value_text']}，完成全年目标的{_pct(share)}，时序进度{_pct(progress)}",
        share,
        figure=_figure_key(figure),
    )


def _rate_actual(target: GoalTarget, figures: Sequence[Mapping], title: str = "") -> tuple[Mapping | None, str]:
    words = _words(target, title)
    growth = bool(_GROWTH_WORDS_RE.search(words))
    with_growth = [f for f in figures if f["growth_pct"] is not None]
    percents = [f for f in figures if f["unit"] == target.unit and f["rank"] is None]
    candidates = (with_growth or percents) if growth else (percents or with_growth)
    pool = [f for f in candidates if _related(f, words) or (f["target"] is not None and f["target"] == target.value)]
    note = NAMELESS_NOTE if names_nothing(target) else ""
    if not pool and names_nothing(target) and len(candidates) == 1:
        pool, note = candidates, SOLE_FIGURE_NOTE  # a goal-level target and the goal's only such figure
    if not pool:
        return None, ""
    return sorted(pool, key=lambda f: _closeness(f, words, by_indicator=True))[0], note


def _rate_measure(target: GoalTarget, figures: Sequence[Mapping], thresholds, title: str = "") -> Measure | None:
    if target.value is None:
        return None
    figure, note = _rate_actual(target, figures, title)
    if figure is None:
        return None
    actual = figure["growth_pct"] if figure["growth_pct"] is not None else figure["value"]
    goal = target.value
    gap = thresholds["rate_yellow_gap"]
    # 下降3%以上 (−3, at least): the decrease itself is compared with 3, as a growth would be.
    reduction = goal < 0 and figure["growth_pct"] is not None
    if reduction:
        actual, goal = -actual, -goal
    if target.direction == "at_most":
        light = "green" if actual <= goal else "yellow" if actual <= goal + gap else "red"
    else:
        tolerance = (
            thresholds["rate_about_tolerance"] if target.direction == "about" and target.value_high is None else 0
        )
        light = "green" if actual >= goal - tolerance else "yellow" if actual >= goal - gap else "red"
    unit = "%" if figure["growth_pct"] is not None else target.unit
    share = actual / goal * 100 if goal and target.direction != "at_most" else None
    if figure["growth_pct"] is None:  # 森林覆盖率提高0.6个百分点 says its verb itself
        stated = f"{'' if _ENDS_IN_VERB_RE.search(figure['name']) else '为'}{actual:g}{unit}"
    else:  # as the source says it: 下降2.1%, not 增长-2.1%
        fell = (actual > 0) if reduction else (actual < 0)
        stated = f"{'下降' if fell else '增长'}{abs(actual):g}%"
    target_text = target.quote if len(target.quote) <= 20 else (target.value_text or _pct(goal))
    reason = f"{figure['name']}{stated}，目标{target_text}"
    return Measure(light, reason + (f"（{note}）" if note else ""), share, figure=_figure_key(figure))


def _rank_measure(target: GoalTarget, figures: Sequence[Mapping], result: str) -> Measure | None:
    if target.direction == "improve":
        if _RANK_DOWN_RE.search(result):
            return Measure("red", f"叙述称排名下降：「{_RANK_DOWN_RE.search(result).group(0)}」，目标{target.quote}")
        if _RANK_UP_RE.search(result):
            return Measure("green", f"叙述称排名上升：「{_RANK_UP_RE.search(result).group(0)}」，目标{target.quote}")
        return None
    ranked = [
        f
        for f in figures
        if f["rank"] is not None and (not target.rank_scope or (f["rank_scope"] or "").startswith(target.rank_scope))
    ]
    # With several ranked figures, the one the target names (a single one needs no name).
    if len(ranked) > 1:
        ranked = [f for f in ranked if _overlap(f["name"], target.quote) >= 2] or ranked
    if not ranked or target.value is None:
        return None
    figure = min(ranked, key=lambda f: f["rank"])
    within = figure["rank"] <= target.value
    stated = ("前" if figure["rank_is_top_n"] else "第") + str(figure["rank"])
    return Measure(
        "green" if within else "red",
        f"{figure['name']}{figure['rank_scope']}{stated}，目标{target.rank_scope or ''}{target.value_text}",
    )


# What a narrative says of itself against the time elapsed. Words that mean the same are one
# class: ahead (快于, 超), at (达到, 符合), below (低于, 未达到), behind (滞后, 落后).
_AHEAD = r"快于|高于|超过|超出|超|领先于|领先|优于|好于"
_BELOW = r"低于|慢于|不及|落后于|落后|滞后于|滞后"
_AT = r"达到|达|符合|跟上|满足|完成|实现"
_NEGATION = r"不|未|未能|没有|没|尚未|并未"
_TIME_PROGRESS_RE = re.compile(
    rf"(?P<lead>{_NEGATION}|略微|稍微|略有|略|稍|基本上|基本|接近|严重|明显|大幅|远)?"
    rf"(?:(?P<verb>{_AHEAD}|{_BELOW}|{_AT}){TIME_PROGRESS}(?:要求)?(?!的\s*\d)"  # 完成序时进度的95%: a share
    rf"|(?:较|比)?{TIME_PROGRESS}(?:相比)?(?P<short>快|慢|高|低|超|落后|滞后|领先))"
    rf"(?P<gap>{POINTS_GAP})?"
    rf"|(?:与|和|同){TIME_PROGRESS}(?P<level_lead>基本|大体|大致)?(?:持平|同步|一致|相当)"
    r"|时间过半[、，,]?\s*任务(?P<half>未过半|不到半|过半)"
    r"|(?P<slight>(?:进度)?(?:略有|稍有|略微|稍微)(?:进度)?(?:滞后|落后))"  # against its own plan, slightly
    # the year's target already met (not 已完成全年目标任务的60%, a share)
    r"|(?P<done>已经?(?:提前|超额|全面)?(?:[\d一二三四五六七八九十]+个月)?完成了?(?:全年|年度)(?:目标)?(?:任务)?)(?![目任的\d一二三四五六七八九十半])"
)
_POINTS_RE = re.compile(r"\d+(?:\.\d+)?")


def _time_progress_light(match: re.Match, thresholds: Mapping[str, float]) -> str:
    if match["done"]:
        return "green"
    if match["slight"]:
        return "yellow"
    if match["half"]:
        return "green" if match["half"] == "过半" else "yellow"
    if not (match["verb"] or match["short"]):  # 与序时进度持平 (基本持平: yellow, as 基本达到)
        return "yellow" if match["level_lead"] else "green"
    verb = match["verb"] or match["short"]
    lead = match["lead"] or ""
    # 较序时进度快 / 慢: the short forms after 较 (超, 领先, 落后, 滞后 are in the lists already)
    ahead = bool(re.fullmatch(_AHEAD, verb)) or verb in ("快", "高")
    below = bool(re.fullmatch(_BELOW, verb)) or verb in ("慢", "低")
    negated = bool(re.fullmatch(_NEGATION, lead))
    if negated:  # 不低于 is at or above; 未达到, 未快于 are below
        return "green" if below else "yellow"
    if match["gap"] and (ahead or below):
        points = float(_POINTS_RE.search(match["gap"]).group(0))
        if ahead:
            return "green"
        return "yellow" if points <= thresholds["amount_yellow_gap"] else "red"
    if below:
        if lead in ("严重", "明显", "大幅", "远") or (verb.startswith(("滞后", "落后")) and not lead):
            return "red"
        return "yellow"
    if lead in ("基本上", "基本", "接近") and not ahead:
        return "yellow"
    return "green"


# At 全年, a year reported done in part (基本完成, 大部分完成): 基本完成, yellow, as a share of 90–100%
# would be. Not before (a project 基本完成 by June is ahead), nor 未/没有 before it (the status says).
_PARTLY_DONE_RE = re.compile(
    r"(?<![未没有])(?:基本上|基本|部分|大部分|大部|绝大部分|大多数|大多)(?:项目|任务|工作|目标|指标)?(?:已经|已|均已|均)?完成"
)


def partly_done_measures(result: str) -> list[Measure]:
    """The full year's narrative saying it is done in part (rule 8)."""
    return [Measure("yellow", f"叙述称「{match.group(0)}」", said=True) for match in _PARTLY_DONE_RE.finditer(result)]


def time_progress_measures(result: str, progress: float, thresholds: Mapping[str, float]) -> list[Measure]:
    """The narrative's own statements against the time elapsed (rule 8), one measure each."""
    return [
        Measure(
            _time_progress_light(match, thresholds),
            f"叙述称「{match.group(0)}」，时序进度{_pct(progress)}",
            said=True,
        )
        for match in _TIME_PROGRESS_RE.finditer(result)
    ]


def decide_light(
    *,
    period: str,
    status: str,
    status_reason: str,
    result: str,
    targets: Sequence[GoalTarget],
    figures: Sequence[Mapping],
    thresholds: Mapping[str, float],
    title: str = "",
) -> tuple[str, str]:
    """(light, one Chinese sentence naming the figures or the status that decided it).

    ``title`` is the goal's text (目标任务): a target whose own words name nothing (20亿元
    typed in the import's 目标值 column) is compared with the figure the title names; when
    no figure can be told to measure it, the reason says why (it is never silently dropped)."""
    progress = time_progress_pct(period)
    is_full_year = period == FULL_YEAR
    measures: list[Measure] = []
    unmeasured: list[str] = []
    for target in baseline_targets(list(targets)):
        measure = None
        if target.kind == "amount":
            measure = _amount_measure(target, figures, progress, is_full_year, thresholds, title)
        elif target.kind == "rate":
            measure = _rate_measure(target, figures, thresholds, title)
        elif target.kind == "rank":
            measure = _rank_measure(target, figures, result)
        if measure is not None:
            measures.append(measure)
        elif names_nothing(target) and target.kind in ("amount", "rate", "rank") and target.value is not None:
            unmeasured.append(f"目标{target.quote}未能对照：{why_unmeasured(target, figures, title)}")
    if status not in ("at_risk", "not_met"):  # those are red, the status quoting the words
        measures.extend(time_progress_measures(result, progress, thresholds))
        if is_full_year:
            measures.extend(partly_done_measures(result))
    # The target said again is not a share done either (计划完成投资30亿元 is not 100% of 30亿元).
    restated = {_figure_key(f) for target in targets if target.kind == "amount" for f in _restated(target, figures)}
    light, reason = _decide(
        status,
        status_reason,
        measures,
        progress,
        is_full_year,
        [f for f in figures if _figure_key(f) not in restated],
        thresholds,
        title,
    )
    if not unmeasured:
        return light, reason
    if light == "none":
        return light, "；".join(unmeasured)
    return light, f"{reason}；另：{'；'.join(unmeasured)}"


def _decide(status, status_reason, measures, progress, is_full_year, figures, thresholds, title) -> tuple[str, str]:
    # A share the narrative states or implies (完成年初预算的51.6%, （目标X），完成率c%) is a
    # measure even when the goal text names no amount: the budget or the plan is the target. Not
    # a figure already measured, nor one paired with the title's target at an earlier stage than
    # it asks for (申报320家 is not 160% of 新增200家).
    measured = {m.figure for m in measures}
    for figure in figures:
        if figure["completion_pct"] is None or _figure_key(figure) in measured:
            continue
        if figure.get("target_basis") == "stated" and _earlier_stage(figure, title):
            continue
        measures.append(_stated_share_measure(figure, progress, is_full_year, thresholds))

    label = STATUS_LABELS_ZH.get(status, status)
    if status in ("at_risk", "not_met"):
        detail = "；".join(m.reason for m in measures)
        return "red", (f"{detail}；" if detail else "") + f"叙述称{label}（{status_reason}）"
    if status == "pending":
        measures.append(Measure("yellow", f"叙述称{label}（{status_reason}）"))
    elif status == "on_track":
        light = "yellow" if is_full_year else "green"
        note = "全年仍为预期，尚无结果" if is_full_year else "尚在预期之中"
        measures.append(Measure(light, f"叙述称{label}，{note}（{status_reason}）"))
    if not measures:
        if is_full_year and status in ("exceeded", "achieved"):
            return "green", f"无可量化的目标，全年叙述报告{label}（{status_reason}）"
        return "none", NO_MEASURE_REASON
    worst = max(LIGHT_SEVERITY[m.light] for m in measures)
    deciding = [m for m in measures if LIGHT_SEVERITY[m.light] == worst]
    deciding = [m for m in deciding if not m.said] or deciding
    light = deciding[0].light
    return light, "；".join(m.reason for m in deciding)


def goal_share(
    targets: Sequence[GoalTarget], figures: Sequence[Mapping], period: str, thresholds, title: str = ""
) -> float | None:
    """The lowest share of target among the goal's amount measures (for sorting the progress view)."""
    progress = time_progress_pct(period)
    shares = []
    for target in baseline_targets(list(targets)):
        if target.kind == "amount":
            m = _amount_measure(target, figures, progress, period == FULL_YEAR, thresholds, title)
            if m and m.share is not None:
                shares.append(m.share)
    return min(shares) if shares else None
