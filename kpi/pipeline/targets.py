"""Goal targets read from the goal text (目标任务), one per stated target, with its quote.

Kinds (``kpi.contract.vocab.TARGET_KINDS``):

- ``amount`` — a quantity to reach: 突破4000亿元, 减负200亿元以上, 兑现惠企资金20亿元, 新开工48个;
- ``rate`` — a growth rate or a ratio in %: 增长8.5%, 增长6%左右, 不低于5%, 控制在3%以内,
  4.5-5.0% (a range: ``value`` to ``value_high``), 与经济增长基本同步 (relative: no value);
- ``rank`` — a place to hold: 全省前五, 进入全国前十, 全省第一 (``top_n``), 排名有进位 (``improve``);
- ``milestone`` — a task to finish: 完成省定任务, 创建成功, 通过验收, 建成投用 (``done``).

Direction: ``at_most`` for 以内 / 以下 / 不超过 / 控制在 / 降至 / 缩小到; ``about`` for 左右 / 上下 / 稳定在 / 约 /
a range / 基本同步; ``at_least`` otherwise (以上 / 不低于 / 突破 / 达到 and a bare 增长7%).
A target after 力争 is a stretch target (``stretch``): shown, but the lights judge the
baseline when the goal states one.

The figures themselves are found by the narrative extractor's title reader
(``kpi.pipeline.figures.title_target``), so a number is read the same way in a title and
in a narrative; this module adds kind, direction, stretch and the quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kpi.pipeline.figures import title_target
from kpi.pipeline.numbers import parse_cn_number


@dataclass(frozen=True)
class GoalTarget:
    kind: str
    direction: str
    value: float | None
    unit: str
    value_text: str | None
    quote: str
    value_high: float | None = None
    rank_scope: str | None = None
    stretch: bool = False
    basis: str = "parsed"

    def row(self) -> dict:
        """The target's columns of goal_targets.parquet, in the contract's order (without its ids)."""
        return {
            "kind": self.kind,
            "direction": self.direction,
            "value": self.value,
            "value_high": self.value_high,
            "unit": self.unit,
            "value_text": self.value_text,
            "rank_scope": self.rank_scope,
            "stretch": self.stretch,
            "basis": self.basis,
            "quote": self.quote,
        }


_CLAUSE_END = "，。；;！？\n"
_AT_MOST_QUALS = {"以内", "以下", "不超过", "低于", "小于", "不高于"}
_ABOUT_QUALS = {"左右", "上下", "约"}
_AT_LEAST_QUALS = {"以上", "不低于", "不少于", "至少", "超过", "突破"}
_AT_MOST_LEAD_RE = re.compile(
    r"(?:控制在|控制|不高于|不超过|(?:压降|压减|压缩|缩小|缩减|降低|下降|减少|降)[至到]|(?<!不)低于)[^，。；]{0,3}$"
)
_ABOUT_LEAD_RE = re.compile(r"(?:稳定在|保持在|维持在)[^，。；]{0,3}$")
_STRETCH_RE = re.compile(r"力争")
_RANGE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*%?\s*(?:[-—–~～]+|至)\s*(\d+(?:\.\d+)?)\s*%")
_RELATIVE_RE = re.compile(r"与[^，。；]{1,10}(?:基本)?同步")
_IMPROVE_RE = re.compile(r"(?:排名|位次|排位)[^，。；]{0,6}(?:有进位|进位|前移|提升|上升)|争先进位")
_MILESTONE_RES = (
    re.compile(r"完成(?:省|市|上级|省市|省、市|国家)?(?:定|下达|交办)?的?[^，。；]{0,14}?(?:任务|指标)"),
    re.compile(r"[^，。；]{0,12}?(?:创建成功|成功创建|创成)[^，。；]{0,12}"),
    re.compile(r"通过[^，。；]{0,10}?(?:验收|评估|考核|复审|复评)"),
    re.compile(r"(?:建成投用|建成投运|全面竣工|竣工验收|投入使用|获批)"),
)
# A rank the title reader leaves out when words stand between scope and place: 全省排名进入前五.
# 前五 / 第3位; not 第一方阵 / 第一梯队, a group of unstated size rather than a place.
_PLACE = r"(?P<how>前|第)(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})(?:位|名)?(?!方阵|梯队|阵营|档|序列|层次|板块)"
_RANK_RE = re.compile(r"(?P<scope>全省|全国|全市|长三角)[^，。；\d]{0,8}?" + _PLACE)
# The same after a verb, in a scope named by its place: 争创嘉兴前三, 保持湖州第一.
_PLACE_RANK_RE = re.compile(
    r"(?:争创|进入|保持|位居|位列|跻身|稳居|力争)(?P<scope>(?!全)[\u4e00-\u9fff]{2,4}?)(?:市)?" + _PLACE
)


def _clause_start(text: str, position: int) -> int:
    start = position
    while start > 0 and text[start - 1] not in _CLAUSE_END:
        start -= 1
    return start


def _clause_end(text: str, position: int) -> int:
    end = position
    while end < len(text) and text[end] not in _CLAUSE_END:
        end += 1
    return end


def _number(text: str) -> float | None:
    return float(text) if re.fullmatch(r"\d+(?:\.\d+)?", text) else parse_cn_number(text)


# An indicator table's row: 指标（单位） | 目标值, e.g. 人均地区生产总值（万元） | 19.
_TABLE_ROW_RE = re.compile(r"^(?P<name>.+?)[（(](?P<unit>[^（）()]{1,8})[）)]\s*\|\s*(?P<num>\d+(?:\.\d+)?)\s*$")
# A count naming things, not a target: 三个“一号工程”, 十项《重大工程》.
_NAMING_COUNT_RE = re.compile(r"^[一二两三四五六七八九十]{1,2}[个项条大张]?$")


def _table_row_target(text: str) -> GoalTarget | None:
    match = _TABLE_ROW_RE.match(text)
    if not match:
        return None
    unit = match.group("unit").strip()
    number = float(match.group("num"))
    multiplier = 1
    for prefix, factor in (("万亿", 10**12), ("亿", 10**8), ("万", 10**4)):
        if unit.startswith(prefix) and len(unit) > len(prefix):
            unit, multiplier = unit[len(prefix) :], factor
            break
    kind = "rate" if unit in ("%", "个百分点") else "amount"
    return GoalTarget(
        kind, "at_least", number * multiplier, unit, match.group("num") + match.group("unit"), text.strip()
    )


def _fallback_milestone(text: str) -> GoalTarget | None:
    """A goal stating no figure, rank or named milestone is a qualitative task: done or not."""
    body = text.strip()
    if not body:
        return None
    end = _clause_end(body, 0)
    return GoalTarget("milestone", "done", None, "", None, body[: min(end, 40)] or body[:40])


def parse_goal_targets(title: str) -> list[GoalTarget]:
    """Every target the goal text states, in order of appearance; a goal stating none is one
    qualitative milestone (its first clause)."""
    row = _table_row_target(title)
    if row is not None:
        return [row]
    found = _parse(title)
    if not found:
        fallback = _fallback_milestone(title)
        return [fallback] if fallback else []
    return found


def _parse(title: str) -> list[GoalTarget]:
    text = title
    targets: list[tuple[int, GoalTarget]] = []
    taken: list[tuple[int, int]] = []

    for match in _RANGE_RE.finditer(text):
        start = _clause_start(text, match.start())
        low, high = float(match.group(1)), float(match.group(2))
        if low >= high:
            continue
        stretch = bool(_STRETCH_RE.search(text[start : match.start()]))
        quote = text[start : match.end()]
        targets.append(
            (
                match.start(),
                GoalTarget("rate", "about", low, "%", match.group(0), quote, value_high=high, stretch=stretch),
            )
        )
        taken.append((match.start(), match.end()))

    cursor = 0
    for found in title_target(text):
        position = text.find(found.value_text, cursor)
        if position < 0:
            position = text.find(found.value_text)
        if position < 0:
            continue
        end = position + len(found.value_text)
        cursor = end
        if any(a <= position < b for a, b in taken):
            continue
        if found.kind != "rank" and not found.qualifier and _NAMING_COUNT_RE.match(found.value_text):
            continue  # 三个“一号工程”, 八个专项: a count of named things, not a target
        start = _clause_start(text, position)
        lead = text[start:position]
        qualifier = found.qualifier or ""
        tail = re.match(r"以上|以下|以内|左右|上下", text[end:])
        quote_end = end + (tail.end() if tail else 0)
        quote = text[start:quote_end].strip() or found.value_text
        stretch = bool(_STRETCH_RE.search(lead))
        if found.kind == "rank":
            # 全省前五 and 保持全省第一 alike: the rank must be within the stated one.
            rank = GoalTarget(
                "rank",
                "top_n",
                found.value,
                "位次",
                found.value_text,
                quote,
                rank_scope=found.rank_scope,
                stretch=stretch,
            )
            targets.append((position, rank))
            continue
        if qualifier in _AT_MOST_QUALS or (_AT_MOST_LEAD_RE.search(lead) and qualifier not in _AT_LEAST_QUALS):
            direction = "at_most"
        elif qualifier in _AT_LEAST_QUALS:
            direction = "at_least"  # 保持在75%以上: the 以上 after the number says which way
        elif qualifier in _ABOUT_QUALS or _ABOUT_LEAD_RE.search(lead):
            direction = "about"
        else:
            direction = "at_least"
        kind = "rate" if found.unit in ("%", "个百分点") or found.kind == "growth" else "amount"
        targets.append(
            (position, GoalTarget(kind, direction, found.value, found.unit, found.value_text, quote, stretch=stretch))
        )

    ranked = {t.value for _, t in targets if t.kind == "rank"}
    places: set[int] = set()  # where a 前N / 第N was read, so that the two patterns read it once
    for match in [*_RANK_RE.finditer(text), *_PLACE_RANK_RE.finditer(text)]:
        number = _number(match.group("n"))
        if number is None or float(number) in ranked or match.start("how") in places:
            continue
        places.add(match.start("how"))
        start = _clause_start(text, match.start())
        stretch = bool(_STRETCH_RE.search(text[start : match.start()]))
        value_text = match.group(0)[match.start("how") - match.start() :]
        target = GoalTarget(
            "rank",
            "top_n",
            float(number),
            "位次",
            value_text,
            text[start : match.end()],
            rank_scope=match.group("scope"),
            stretch=stretch,
        )
        targets.append((match.start(), target))
    for match in _RELATIVE_RE.finditer(text):
        start = _clause_start(text, match.start())
        quote = text[start : match.end()]
        targets.append((match.start(), GoalTarget("rate", "about", None, "%", None, quote)))
    for match in _IMPROVE_RE.finditer(text):
        start = _clause_start(text, match.start())
        quote = text[start : match.end()]
        targets.append((match.start(), GoalTarget("rank", "improve", None, "位次", None, quote)))
    numeric_clauses = {_clause_start(text, p) for p, _ in targets}
    for pattern in _MILESTONE_RES:
        for match in pattern.finditer(text):
            start = _clause_start(text, match.start())
            if start in numeric_clauses:
                continue  # 完成投资100亿元 is the amount, not a milestone
            numeric_clauses.add(start)
            targets.append((match.start(), GoalTarget("milestone", "done", None, "", None, match.group(0))))
    targets.sort(key=lambda item: item[0])
    return [t for _, t in targets]


def baseline_targets(targets: list[GoalTarget]) -> list[GoalTarget]:
    """The targets the lights judge: a stretch target only when no baseline target of its kind is stated."""
    kinds = {(t.kind, t.unit) for t in targets if not t.stretch}
    return [t for t in targets if not t.stretch or (t.kind, t.unit) not in kinds]


def with_basis(targets: list[GoalTarget], basis: str) -> list[GoalTarget]:
    return [replace(t, basis=basis) for t in targets]


def target_value(kind: str, value_text: str, quote: str) -> tuple[float | None, str, str | None]:
    """(value in base units, unit, rank scope) of a target written by a person (curation, 目标值).

    ValueError (Chinese) when ``value_text`` does not read as a target of that kind.
    """
    text = value_text.strip()
    if kind == "milestone":
        return None, "", None
    if kind == "rank":
        match = re.search(r"[前第]\s*(\d+|[一二两三四五六七八九十]+)", text)
        number = _number(match.group(1)) if match else None
        if number is None:
            raise ValueError(f"排名目标「{text}」应写作 前N 或 第N（如 前五、第1）")
        scope = re.search(r"(全省|全国|全市|全球|长三角)", quote)
        return float(number), "位次", scope.group(1) if scope else None
    if kind == "rate":
        match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\s*(%|个百分点)", text)
        if not match:
            raise ValueError(f"比率目标「{text}」应为百分数（如 8.5%）")
        return float(match.group(1)), match.group(2), None
    found = [t for t in title_target(text) if t.kind == "level" and t.unit != "%"]
    if len(found) != 1:
        raise ValueError(f"数量目标「{text}」应为一个带单位的数量（如 20亿元、48个）")
    return found[0].value, found[0].unit, None
