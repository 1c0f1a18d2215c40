"""Chinese/Arabic numbers, multipliers (万, 亿 …), units, and display formatting.

Values are kept in base units (2.89万套 → 28900.0); formatting turns them back
into the way Chinese reports write them (28900 套 → "2.89万套").
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

MULTIPLIERS: dict[str, int] = {
    "万亿": 10**12,
    "千亿": 10**11,
    "百亿": 10**10,
    "十亿": 10**9,
    "亿": 10**8,
    "千万": 10**7,
    "百万": 10**6,
    "十万": 10**5,
    "万": 10**4,
    "千": 10**3,
    "百": 10**2,
}

# Counts of visits or services (惠及企业3.2万户次), and standard coal, which reports write with 万.
VISIT_UNITS: tuple[str, ...] = ("户次", "家次", "件次", "车次", "架次", "批次")
ENERGY_UNITS: tuple[str, ...] = ("吨标准煤", "吨标煤")

# Longest-first so that 个百分点 wins over 个, 人次 over 人, 平方公里 over 公里.
UNITS: list[str] = sorted(
    {
        "个百分点",
        "微克/立方米",
        "毫克/立方米",
        "平方公里",
        "平方米",
        "立方米",
        "千瓦时",
        "千瓦",
        "公里",
        "公顷",
        "公斤",
        "千克",
        "平米",
        "㎡",
        "㎞",
        "标箱",
        "人次",
        "人份",
        "剂次",
        "场次",
        *VISIT_UNITS,
        "班次",
        "艘次",
        "台次",
        *ENERGY_UNITS,
        "兆瓦",
        "个月",
        "小时",
        "套（间）",
        "%",
        "‰",
        "元",
        "美元",
        "港元",
        "欧元",
        "斤",
        "亩",
        "米",
        "吨",
        "套",
        "间",
        "户",
        "家",
        "人",
        "名",
        "位",
        "场",
        "个",
        "条",
        "件",
        "项",
        "台",
        "座",
        "幢",
        "栋",
        "篇",
        "期",
        "次",
        "例",
        "份",
        "张",
        "对",
        "所",
        "辆",
        "艘",
        "处",
        "批",
        "天",
        "周",
        "年",
        "倍",
        "种",
        "部",
        "册",
        "棵",
        "株",
        "头",
        "只",
        "片",
        "块",
        "支",
        "队",
    },
    key=lambda u: (-len(u), u),
)

# Units that Chinese reports usually write with 万/亿 once the value is large.
SCALED_UNITS: frozenset[str] = frozenset(
    {
        "",
        "元",
        "美元",
        "港元",
        "欧元",
        "人",
        "人次",
        "人份",
        "剂次",
        *VISIT_UNITS,
        *ENERGY_UNITS,
        "户",
        "套",
        "间",
        "亩",
        "平方米",
        "平米",
        "㎡",
        "立方米",
        "吨",
        "标箱",
        "件",
        "斤",
        "公斤",
        "千克",
        "千瓦",
        "千瓦时",
        "公顷",
        "株",
        "棵",
        "份",
        "册",
    }
)

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_ARABIC_RE = re.compile(r"([+-]?\d+(?:\.\d+)?)(万亿|千亿|百亿|十亿|千万|百万|十万|万|亿|千|百)?")
_HINT_MULT_RE = re.compile(r"\d(?:\.\d+)?\s*[余多]?(万亿|千万|百万|万|亿)")


def scale_value(number: float, multiplier: str) -> float:
    """number × multiplier ("" = 1), exact in decimal so 2.89万 is 28900.0, not 28900.000000000004."""
    if not multiplier:
        return float(number)
    if multiplier not in MULTIPLIERS:
        raise ValueError(f"unknown multiplier {multiplier!r}")
    return float(Decimal(repr(float(number))) * MULTIPLIERS[multiplier])


def _cn_small_number(s: str) -> int | None:
    """A numeral below 万 (十一, 一百二十, 一百零五, 千). Two bare digits in a row (十四五) are rejected."""
    if not s:
        return 0
    total, digit, last_unit, zero = 0, None, None, False
    for ch in s:
        if ch in "零〇":
            if digit is not None:
                return None
            zero = True
        elif ch in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            unit = _CN_SMALL[ch]
            if last_unit is not None and unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit, zero = None, unit, False
        else:
            return None
    if digit is not None:
        # 一百二 is colloquial for 120, but 一百零二 is 102
        total += digit * last_unit // 10 if last_unit and last_unit >= 100 and not zero else digit
    return total


def _cn_number(s: str) -> float | None:
    for big, factor in (("亿", 10**8), ("万", 10**4)):
        if big in s:
            left, _, right = s.partition(big)
            high = _cn_number(left) if left else 1
            if high is None:
                return None
            if len(right) == 1 and right in _CN_DIGITS and right not in "零〇":
                low = _CN_DIGITS[right] * factor // 10  # 一万二 = 12000
            else:
                low = _cn_number(right) if right else 0
            return None if low is None else high * factor + low
    value = _cn_small_number(s)
    return None if value is None else float(value)


def parse_cn_number(text: str) -> float | None:
    """Arabic ("4.35", "1,231", "１２", "2.89万") or Chinese ("十一", "两", "千", "二〇二二") → float, else None."""
    if not text:
        return None
    s = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    m = _ARABIC_RE.fullmatch(s)
    if m:
        return scale_value(float(m[1]), m[2] or "")
    if not s or any(ch not in _CN_DIGITS and ch not in _CN_SMALL and ch not in "万亿" for ch in s):
        return None
    if all(ch in _CN_DIGITS for ch in s) and len(s) > 1:
        # digit-by-digit years (二〇二二) only; 五四 is a name, not 54
        if "〇" not in s and "零" not in s:
            return None
        return float("".join(str(_CN_DIGITS[ch]) for ch in s))
    value = _cn_number(s)
    return None if value is None else float(value)


def _fmt(x: float, max_decimals: int = 4) -> str:
    s = f"{round(x, max_decimals):.{max_decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def format_pct(x: float) -> str:
    """A percentage already in percent (112.37 → "112.37%"), at most 2 decimals."""
    return f"{_fmt(x, 2)}%"


def format_cn(value: float, unit: str, style_hint: str | None = None) -> str:
    """Write a base-unit value as a Chinese source would (23540000000, "元" → "235.4亿元").

    With style_hint (the text as originally written), reuse its scale: "134849件" stays unscaled,
    "2.89万套" keeps 万. Without it, 亿 from 1e8 and 万 from 1e4, only for commonly scaled units.
    """
    if unit in ("%", "％"):
        return format_pct(value)
    base = unit.split("（")[0]
    if style_hint is not None:
        m = _HINT_MULT_RE.search(unicodedata.normalize("NFKC", style_hint))
        mult = m[1] if m else ""
    elif base in SCALED_UNITS and abs(value) >= 1e8:
        mult = "亿"
    elif base in SCALED_UNITS and abs(value) >= 1e4:
        mult = "万"
    else:
        mult = ""
    number = float(Decimal(repr(float(value))) / MULTIPLIERS[mult]) if mult else value
    return f"{_fmt(number)}{mult}{unit}"
