"""Infer a goal's status from its narrative, by documented rules.

Rules, first match wins (the most cautious reading comes first, so that a
narrative that reports progress *and* a problem is flagged, not celebrated):

1. ``not_met``   — a negation before what a goal is done by: 未完成 / 未达到 / 未能完成 / 未实现 /
   未能成功创建 / 未通过验收 / 没有完成 / 未能如期完成 / 未获批 / 未入选 / 未达标 (the goal itself was
   not met; 未发生 and 未出现 are not). "Not yet" (尚未完成, 还未通过) is a goal missed at 全年
   only: in a running period it is work under way. 未达到序时进度 is a running period behind
   the time elapsed, which the lights weigh, not a goal missed.
2. ``at_risk``   — 难度较大 / 增长乏力 / 进度滞后 / 滞后于 / 落后于序时进度 / 进展缓慢 / 存在较大差距;
   not 略滞后于 (slightly behind) nor 没有落后于 (not behind), and not behind the time elapsed by
   a stated number of points (滞后于序时进度3个百分点): the lights weigh those
   (``kpi.pipeline.lights``, rule 8).
3. ``pending``   — waiting for the decision that makes it done: 等待 / 待 / 尚待 / 有待, then within
   15 characters 验收, 结果, 批复, 审批, 认定, 命名, 公布, 评审, 评定, 授牌, 复核 (not 待遇, 接待 …).
4. ``exceeded``  — 超额完成, 提前…完成 (within 8 characters), or any figure of the goal
   with a completion rate above 100%; not what is meant or expected (力争提前完成, 有望超额完成,
   计划于10月底前提前完成: an intent word before it in the same clause).
5. ``on_track``  — the outcome is expected, not yet reported: 有望, or 预计 followed
   within 8 characters by 完成 / 实现 / 蝉联 / 达标 / 获评 (a forecast of a single
   figure, such as 预计提升3个百分点, does not by itself make a goal on track).
6. ``achieved``  — otherwise.

Curated overrides (``data/curation/status_overrides.csv``) replace the rule's
answer where it is wrong, each with a one-line reason that is kept with the goal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kpi.contract.vocab import FULL_YEAR
from kpi.pipeline.periods import TIME_ELAPSED_WORDS, TIME_PROGRESS

# A distance from the time elapsed in points (低于序时进度3个百分点), which the lights weigh by their
# thresholds.
POINTS_GAP = r"\s*(?:约|近)?\s*\d+(?:\.\d+)?\s*个?百分点"
# Not done: a negation, an adverb of how, and what a goal is done by (未能成功创建, 未通过验收,
# 没有完成, 未能如期完成). Not 未发生 / 未出现 (nothing went wrong). "Not yet" (尚未, 还未 …) is
# a goal missed only at 全年: in a running period it is work under way.
_NOT_YET = r"尚未|还未|暂未|仍未|至今未|目前未"
_NOT_DONE = (
    rf"(?P<neg>{_NOT_YET}|未能|没能|没有|未)(?:如期|按期|按时|全面|成功|顺利|完全)?"
    r"(?:完成|达到|实现|创建成功|创建|通过|获批|入选|建成|达标|成功)"
)
_WAITING = r"(?:等待|尚待|有待|(?<![接对期招看交款虐优善])待(?![遇业岗]))"
_UNQUALIFIED = r"(?<![略稍微不未没])(?<!没有)(?<!略有)(?<!稍有)"  # nor negated: 没有落后于序时进度 is on time

_RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "not_met",
        re.compile(rf"{_NOT_DONE}(?!{TIME_PROGRESS})"),
        "叙述称目标未完成",
    ),
    (
        "at_risk",
        re.compile(
            rf"{_UNQUALIFIED}(?:滞后|落后)于?{TIME_PROGRESS}(?!{POINTS_GAP})|{TIME_PROGRESS}(?:滞后|落后)(?!{POINTS_GAP})"
            # 项目进度滞后3个百分点 (against its plan, not the time elapsed) is behind, whatever the size
            rf"|{_UNQUALIFIED}(?<!{TIME_ELAPSED_WORDS})进度滞后"
        ),
        "叙述称进度滞后",
    ),
    (
        "at_risk",
        re.compile(rf"难度较大|增长乏力|进展缓慢|存在较大差距|{_UNQUALIFIED}滞后于(?!{TIME_PROGRESS}{POINTS_GAP})"),
        "叙述称完成难度较大或增长乏力",
    ),
    # Waiting for the decision that makes it done: 等待国家局验收, 待省里批复, 等待结果
    # (not 待遇 / 待业, nor 接待, 对待, 期待 …).
    ("pending", re.compile(rf"{_WAITING}[^。；]{{0,15}}?验收"), "叙述称正在等待验收"),
    (
        "pending",
        re.compile(rf"{_WAITING}[^。；]{{0,15}}?(?:结果|批复|审批|认定|命名|公布|评审|评定|授牌|复核|审定|核定)"),
        "叙述称正在等待结果",
    ),
    ("exceeded", re.compile(r"超额完成|提前.{0,8}完成"), "叙述称超额或提前完成"),
    ("on_track", re.compile(r"有望|预计.{0,8}(?:完成|实现|蝉联|达标|获评)"), "叙述称有望或预计完成"),
]


# What is meant or expected, not done: 力争提前完成 is a commitment, 有望提前完成 a forecast.
# (将 alone is also 把: 将全年任务提前完成 is done; 计划 alone is also a plan's name.)
_INTENT_RE = re.compile(r"力争|确保|争取|努力|预计|有望|可望|将于|将在|将会|即将|拟|计划(?:于|在|到)|争创")


def _counts(status: str, found: re.Match, result: str, period: str) -> bool:
    if status == "not_met":
        return period == FULL_YEAR or not re.fullmatch(_NOT_YET, found["neg"])
    if status == "exceeded":  # not when the clause says it is meant or expected
        clause = re.split(r"[，。；：！？,;\n]", result[: found.start()])[-1]
        return not _INTENT_RE.search(clause)
    return True


def infer_status(
    result: str, completion_rates: Iterable[float | None] = (), period: str = FULL_YEAR
) -> tuple[str, str]:
    """Return (status code, reason in Chinese quoting the phrase that decided it). ``period``:
    the report's (a "not yet" is a goal missed at 全年 only)."""
    over = [c for c in completion_rates if c is not None and c > 100]
    for status, pattern, reason in _RULES:
        match = next((found for found in pattern.finditer(result) if _counts(status, found, result, period)), None)
        if status == "exceeded" and not match and over:
            return status, f"有指标完成率超过100%（{max(over):g}%）"
        if match:
            return status, f"{reason}：「{match.group(0)}」"
    return "achieved", "叙述报告了已取得的成果，未见风险、待验收或预期表述"
