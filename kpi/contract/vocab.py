"""Vocabularies the pipeline and the web app share: status codes, report periods, lights and
goal-target kinds with their Chinese labels, and the light thresholds file's reader.

Import files are written and read in Chinese, and the dashboard shows the same words,
so the labels live in the contract rather than in either side.
"""

from __future__ import annotations

import csv
from pathlib import Path

STATUSES: tuple[str, ...] = ("exceeded", "achieved", "on_track", "pending", "at_risk", "not_met")

STATUS_LABELS_ZH: dict[str, str] = {
    "exceeded": "超额完成",
    "achieved": "已完成",
    "on_track": "有望完成",
    "pending": "待验收",
    "at_risk": "难度较大",
    "not_met": "未完成",
}
assert tuple(STATUS_LABELS_ZH) == STATUSES

# --- report periods ------------------------------------------------------------------------
# A period is how far into the year a report reaches: FY 全年, Q1 一季度, H1 上半年,
# Q1-3 前三季度, and M1-N for a 1–N月 tally (N = 1…11). A tally that ends on a quarter
# (1-3月, 1-6月, 1-9月) is the quarter's code; 1-12月 is FY. No period means 全年.
FULL_YEAR = "FY"
_QUARTER_CODES = {3: "Q1", 6: "H1", 9: "Q1-3", 12: FULL_YEAR}
PERIOD_CODES: tuple[str, ...] = tuple(_QUARTER_CODES.get(m, f"M1-{m}") for m in range(1, 13))
PERIOD_LABELS_ZH: dict[str, str] = {
    code: {"Q1": "一季度", "H1": "上半年", "Q1-3": "前三季度", FULL_YEAR: "全年"}.get(
        code, f"1-{m}月" if m > 1 else "1月"
    )
    for m, code in enumerate(PERIOD_CODES, start=1)
}


def period_months(code: str) -> int:
    """Months of the year a period covers (Q1 3, H1 6, M1-10 10, FY 12); ValueError if unknown."""
    if code not in PERIOD_CODES:
        raise ValueError(f"unknown period code {code!r}")
    return PERIOD_CODES.index(code) + 1


def period_code(months: int) -> str:
    """The code of the period of the first ``months`` months (1…12)."""
    return PERIOD_CODES[months - 1]


def time_progress_pct(code: str) -> float:
    """Share of the year elapsed at the end of the period (时序进度): months ÷ 12, one decimal."""
    return round(period_months(code) / 12 * 100, 1)


# --- lights (三色预警) ------------------------------------------------------------------------
# Decided by kpi.pipeline.lights; thresholds in data/curation/light_thresholds.csv.
LIGHTS: tuple[str, ...] = ("green", "yellow", "red", "none")
LIGHT_LABELS_ZH: dict[str, str] = {
    "green": "达到时序进度",
    "yellow": "略低于时序进度",
    "red": "滞后于时序进度",
    "none": "无量化进度",
}
# At 全年 time progress is 100%: the lights read as the year's outcome.
LIGHT_LABELS_FY_ZH: dict[str, str] = {
    "green": "完成目标",
    "yellow": "基本完成",
    "red": "未完成",
    "none": "无量化进度",
}
# Worst first: a goal with several measures takes the worst of them.
LIGHT_SEVERITY: dict[str, int] = {"red": 3, "yellow": 2, "green": 1, "none": 0}
# Behind time progress, mildest first: how 较上期变化 calls a change worse or better. Between
# green and none (nothing measurable) a change is neither: the reader sees both lights.
BEHIND_LIGHTS: tuple[str, ...] = ("yellow", "red")

# --- goal targets (目标任务) -----------------------------------------------------------------
TARGET_KINDS: tuple[str, ...] = ("amount", "rate", "rank", "milestone")
TARGET_DIRECTIONS: tuple[str, ...] = ("at_least", "at_most", "about", "top_n", "improve", "done")
TARGET_KIND_LABELS_ZH = {"amount": "数量", "rate": "增速/比率", "rank": "排名", "milestone": "节点任务"}


# --- light thresholds --------------------------------------------------------------------------
# The numbers of the light rules live in data/curation/light_thresholds.csv (key,value,说明);
# the pipeline decides lights with them and the dashboard's legend states them.
LIGHT_THRESHOLD_KEYS: tuple[str, ...] = (
    "amount_yellow_gap",
    "rate_yellow_gap",
    "rate_about_tolerance",
    "fy_green_share",
    "fy_yellow_share",
)


def read_light_thresholds(path: str | Path) -> dict[str, float]:
    """The thresholds of ``light_thresholds.csv``; ValueError (Chinese) naming the row when wrong."""
    path = Path(path)
    values: dict[str, float] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            key = (row.get("key") or "").strip()
            if key not in LIGHT_THRESHOLD_KEYS:
                raise ValueError(
                    f"{path.name} 第{number}行：未知的阈值「{key}」（应为 {'/'.join(LIGHT_THRESHOLD_KEYS)}）"
                )
            try:
                values[key] = float((row.get("value") or "").strip())
            except ValueError:
                raise ValueError(f"{path.name} 第{number}行：阈值「{key}」应为数字") from None
    missing = [k for k in LIGHT_THRESHOLD_KEYS if k not in values]
    if missing:
        raise ValueError(f"{path.name}：缺少阈值 {'、'.join(missing)}")
    return values
