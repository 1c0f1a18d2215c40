"""Report periods: reading a period as people write it, and the period rows of a dataset.

Reports name their period in many ways. ``parse_period`` reads every form seen in
Zhejiang's progress tables and turns it into the contract's code (``kpi.contract.vocab``):

- quarters: 一季度 / 第一季度 / 1季度 / Q1, 上半年 / 半年 / 半年度 / 二季度末, 前三季度 / 前三季 /
  三季度 / 1-3季度;
- month tallies: 1-6月, 1—6月, 1－6月, 1～6月, 1至6月, 1-6月份, 一至六月, 前6个月, 截至6月底 /
  截至6月末 / 截止6月, 6月底 / 6月末, 1月 (a single 1月 is the first month);
- a label with its months in brackets, 上半年（1-6月）, when both name the same period;
- the whole year: 全年, 年度, 全年度, 年终, 1-12月 — and an empty cell (no period means 全年).

A tally ending on a quarter is that quarter (1-6月 → H1), so the same report written
either way lands in one period.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date

from kpi.contract.schema import period_id_for
from kpi.contract.vocab import (
    FULL_YEAR,
    LIGHT_THRESHOLD_KEYS,
    PERIOD_CODES,
    PERIOD_LABELS_ZH,
    period_code,
    period_months,
    time_progress_pct,
)
from kpi.pipeline.numbers import parse_cn_number

# The time elapsed, as reports name it (序时进度, 时序进度, 时间进度). The words before 进度 are all two
# characters, so that they also serve in a lookbehind (投资进度 is work done, 序时进度 is not).
TIME_ELAPSED_WORDS = r"序时|时序|时间"
TIME_PROGRESS = rf"(?:年度)?(?:{TIME_ELAPSED_WORDS})进度"

_MONTH = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_DASH = r"\s*(?:[-‐‑‒–—―−－﹣~～〜至到]+)\s*"
_FULL_YEAR_RE = re.compile(r"^(?:全年|全年度|年度|年终|年底|年末|全年完成情况|年度完成情况)$")
_QUARTER_RE = re.compile(r"^(?:第?([一二三四1-4])季度|Q([1-4]))$", re.IGNORECASE)
_FIRST_QUARTERS_RE = re.compile(
    r"^(?:前([一二三1-3])(?:个)?季度?|1" + _DASH + r"([1-4])季度|一" + _DASH + r"([一二三四])季度)$"
)
_FIRST_MONTHS_RE = re.compile(rf"^前{_MONTH}个?月(?:份)?$")
# A label and its months side by side: 上半年（1-6月）, 前三季度(1—9月).
_BRACKETED_RE = re.compile(r"^(?P<outer>[^（(]+)[（(](?P<inner>[^）)]+)[）)]$")
_HALF_RE = re.compile(r"^(?:上半年|半年|半年度|上半年度|年中)$")
_TALLY_RE = re.compile(rf"^{_MONTH}{_DASH}{_MONTH}月(?:份)?(?:底|末)?$")
_UNTIL_RE = re.compile(rf"^(?:截至|截止|截止到|截至到|至)?{_MONTH}月(?:份)?(?:底|末|末底)?$")
# Words around a period in a column or a title that do not change it.
_NOISE_RE = re.compile(r"\s|[（）()【】\[\]]|完成情况|进展情况|工作进展|进度|重点工作|目标任务|情况|累计|的")


def _month_number(text: str) -> int | None:
    value = int(text) if text.isdigit() else parse_cn_number(text)
    return int(value) if value is not None and 1 <= value <= 12 else None


def _quarter_number(text: str) -> int:
    return int(text) if text.isdigit() else "一二三四".index(text) + 1


def parse_period(text: str | None) -> str | None:
    """The period code of a label (``上半年`` → ``H1``, ``1—10月`` → ``M1-10``); empty → ``FY``;
    None when the text is not a period of the year's running total."""
    raw = (text or "").strip()
    if not raw:
        return FULL_YEAR
    if raw in PERIOD_CODES:
        return raw
    bracketed = _BRACKETED_RE.match(raw)
    if bracketed:
        # Both halves must name the same period: 上半年（1-9月） is a contradiction, not a period.
        outer, inner = parse_period(bracketed["outer"]), parse_period(bracketed["inner"])
        return outer if outer is not None and outer == inner else None
    cleaned = _NOISE_RE.sub("", raw)
    cleaned = re.sub(r"^\d{4}年(?:度)?", "", cleaned) or "全年"
    # 截至上半年, 三季度末, 截至一季度底, 截至年底: the same running total as the label alone.
    until = re.sub(r"^(?:截至到|截止到|截至|截止)", "", cleaned)
    if _FULL_YEAR_RE.match(until):
        return FULL_YEAR
    label = re.sub(r"(?:末|底)$", "", until)
    if _HALF_RE.match(label):
        return "H1"
    match = _QUARTER_RE.match(label)
    if match:
        quarter = _quarter_number(match.group(1) or match.group(2))
        # 三季度 alone is how many tables title the 前三季度 report (a running total, not one quarter).
        return period_code(quarter * 3)
    match = _FIRST_QUARTERS_RE.match(label)
    if match:
        quarter = _quarter_number(next(g for g in match.groups() if g))
        return period_code(quarter * 3)
    match = _TALLY_RE.match(cleaned)
    if match:
        first, last = _month_number(match.group(1)), _month_number(match.group(2))
        if first != 1 or last is None:
            return None  # 4-6月 is one quarter, not a running total of the year
        return period_code(last)
    match = _UNTIL_RE.match(cleaned) or _FIRST_MONTHS_RE.match(cleaned)  # 截至6月底, 前6个月
    if match:
        last = _month_number(match.group(1))
        return period_code(last) if last is not None else None
    return None


PERIOD_FORMS_ZH = "一季度、上半年、前三季度、1-N月（如 1-10月）、截至N月底、全年；留空为全年"


def period_end_date(year: int, code: str) -> date:
    month = period_months(code)
    return date(year, month, calendar.monthrange(year, month)[1])


def period_row(
    year: int, code: str, source_title: str, as_of: str, thresholds: Mapping[str, float] | None = None
) -> dict:
    """One row of periods.parquet; ``thresholds``: those the period's lights are decided with."""
    return {
        "period_id": period_id_for(year, code),
        "year": year,
        "period": code,
        "label": PERIOD_LABELS_ZH[code],
        "end_date": period_end_date(year, code),
        "time_progress_pct": time_progress_pct(code),
        "source_title": source_title,
        "as_of": as_of,
        **{key: (thresholds or {}).get(key) for key in LIGHT_THRESHOLD_KEYS},
    }


def default_source_title(year: int, code: str) -> str:
    """Caption for a period imported without a named source document."""
    return f"{year}年{PERIOD_LABELS_ZH[code]}目标任务完成情况（导入）"


def period_order(code: str) -> int:
    return period_months(code)
