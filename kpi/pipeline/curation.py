"""Load the hand-curated CSV files in ``data/curation/`` and check each row against the source.

Curation only names things or fixes what rules cannot know; every row must
point at something that exists (a department of the source, a line ending of
the text, a figure of a goal), or the build stops and names the file and row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from kpi.contract.schema import STATUSES
from kpi.contract.vocab import FULL_YEAR, TARGET_DIRECTIONS, TARGET_KINDS, read_light_thresholds
from kpi.pipeline.periods import parse_period
from kpi.pipeline.source import NarrativeBreaks

SLUG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# name / target_text / higher_is_better / drop fix what rules cannot know; confirm says a person
# checked a figure the rules were unsure of (待核) against the text; value corrects the figure as
# written (value = the right figure, e.g. 5.1690万剂次, which must occur in the goal's result).
INDICATOR_FIELDS = ("name", "target_text", "higher_is_better", "drop", "confirm", "value")
TARGET_ACTIONS = ("add", "correct", "drop")


class CurationError(ValueError):
    """A curated file is wrong (message in Chinese, with file and row)."""


@dataclass(frozen=True)
class DepartmentInfo:
    name: str
    dept_id: str
    full_name: str
    sector: str
    default_themes: tuple[str, ...]


@dataclass(frozen=True)
class Theme:
    theme_id: str
    name: str
    name_en: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class StatusOverride:
    status: str
    reason: str


@dataclass(frozen=True)
class IndicatorOverride:
    value_text: str
    field: str
    value: str
    reason: str
    where: str  # file and row, for messages


@dataclass(frozen=True)
class TargetOverride:
    """Add, correct or drop one target of a goal's text (``target_overrides.csv``).

    ``quote`` names the target: for ``correct`` and ``drop`` the quote of exactly one
    parsed target; for ``add`` and ``correct`` the words of the goal text that state it
    (checked against the text). ``value_text`` (e.g. 20亿元, 8.5%, 前五) is the target's
    number as written, inside the quote; empty for a milestone.
    """

    action: str
    quote: str
    kind: str
    direction: str
    value_text: str
    reason: str
    where: str


@dataclass(frozen=True)
class PeriodSource:
    """The source document of one report period: its title and the date it speaks for."""

    year: int
    period: str
    source_title: str
    as_of: str


@dataclass(frozen=True)
class Curation:
    departments: dict[str, DepartmentInfo]
    themes: dict[str, Theme]
    narrative_breaks: NarrativeBreaks
    status_overrides: dict[tuple[str, int], StatusOverride]
    indicator_overrides: dict[tuple[str, int], list[IndicatorOverride]]
    target_overrides: dict[tuple[str, int], list[TargetOverride]] = field(default_factory=dict)
    light_thresholds: dict[str, float] = field(default_factory=dict)
    period_sources: dict[tuple[int, str], PeriodSource] = field(default_factory=dict)
    # Rows with a 年度 (year column): decisions of the review queue on imported goals, by
    # (year, period, dept, seq); an empty period column is 全年.
    dated_overrides: dict[tuple[int, str, str, int], list[IndicatorOverride]] = field(default_factory=dict)

    def overrides_for(
        self, year: int, dept_name: str, seq: int, seed_year: int, period: str = FULL_YEAR
    ) -> list[IndicatorOverride]:
        """The curated fixes of one goal of one period: undated rows are about the seed year's
        全年 source; a dated row applies to its own year and period only (each period's
        narrative is another text)."""
        undated = self.indicator_overrides.get((dept_name, seq), []) if (year, period) == (seed_year, FULL_YEAR) else []
        return [*undated, *self.dated_overrides.get((year, period, dept_name, seq), [])]


def _read(path: Path, required: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """Rows as (where, row) with where = 「file 第N行」 (the header is line 1)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise CurationError(f"{path.name}：缺少列 {'、'.join(missing)}")
            return [
                (f"{path.name} 第{n}行", {k: (v or "").strip() for k, v in row.items() if k})
                for n, row in enumerate(reader, start=2)
            ]
    except FileNotFoundError:
        raise CurationError(f"找不到整理文件 {path}") from None
    except UnicodeDecodeError:
        raise CurationError(f"{path.name}：不是 UTF-8 编码") from None


def _need(where: str, row: dict[str, str], *columns: str) -> None:
    for column in columns:
        if not row.get(column):
            raise CurationError(f"{where}：列「{column}」不能为空")


def load_curation(directory: Path) -> Curation:
    themes: dict[str, Theme] = {}
    for where, row in _read(directory / "themes.csv", ("theme_id", "name", "name_en", "keywords")):
        _need(where, row, "theme_id", "name", "name_en", "keywords")
        if not SLUG.match(row["theme_id"]) or row["theme_id"] in themes:
            raise CurationError(f"{where}：theme_id「{row['theme_id']}」应为唯一的小写英文标识")
        keywords = tuple(k.strip() for k in row["keywords"].split("|") if k.strip())
        themes[row["theme_id"]] = Theme(row["theme_id"], row["name"], row["name_en"], keywords)

    departments: dict[str, DepartmentInfo] = {}
    seen_ids: set[str] = set()
    for where, row in _read(
        directory / "departments.csv", ("name", "dept_id", "full_name", "sector", "default_themes")
    ):
        _need(where, row, "name", "dept_id", "full_name", "sector", "default_themes")
        if not SLUG.match(row["dept_id"]) or row["dept_id"] in seen_ids:
            raise CurationError(f"{where}：dept_id「{row['dept_id']}」应为唯一的小写英文标识")
        defaults = tuple(t.strip() for t in row["default_themes"].split("|") if t.strip())
        unknown = [t for t in defaults if t not in themes]
        if unknown:
            raise CurationError(f"{where}：默认主题 {unknown} 不在 themes.csv 中")
        seen_ids.add(row["dept_id"])
        departments[row["name"]] = DepartmentInfo(
            row["name"], row["dept_id"], row["full_name"], row["sector"], defaults
        )

    joins: set[str] = set()
    breaks: set[str] = set()
    for where, row in _read(directory / "narrative_breaks.csv", ("kind", "line_end", "reason")):
        _need(where, row, "kind", "line_end", "reason")
        if row["kind"] not in ("join", "break"):
            raise CurationError(f"{where}：kind 应为 join 或 break，实际为「{row['kind']}」")
        (joins if row["kind"] == "join" else breaks).add(row["line_end"])

    status_overrides: dict[tuple[str, int], StatusOverride] = {}
    for where, row in _read(directory / "status_overrides.csv", ("dept_name", "seq", "status", "reason")):
        _need(where, row, "dept_name", "seq", "status", "reason")
        if row["status"] not in STATUSES:
            raise CurationError(f"{where}：状态「{row['status']}」无效，应为 {'/'.join(STATUSES)}")
        status_overrides[(row["dept_name"], _int(where, row["seq"]))] = StatusOverride(row["status"], row["reason"])

    indicator_overrides: dict[tuple[str, int], list[IndicatorOverride]] = {}
    dated_overrides: dict[tuple[int, str, str, int], list[IndicatorOverride]] = {}
    for where, row in _read(
        directory / "indicator_overrides.csv", ("dept_name", "seq", "value_text", "field", "value", "reason")
    ):
        _need(where, row, "dept_name", "seq", "value_text", "field", "reason")
        if row["field"] not in INDICATOR_FIELDS:
            raise CurationError(f"{where}：field「{row['field']}」无效，应为 {'/'.join(INDICATOR_FIELDS)}")
        override = IndicatorOverride(row["value_text"], row["field"], row["value"], row["reason"], where)
        period = parse_period(row.get("period") or "")
        if period is None:
            raise CurationError(f"{where}：无法识别的期间「{row['period']}」")
        if row.get("year"):
            dated_key = (_int(where, row["year"], "年度"), period, row["dept_name"], _int(where, row["seq"]))
            dated_overrides.setdefault(dated_key, []).append(override)
        elif period != FULL_YEAR:
            raise CurationError(f"{where}：写明期间（period）的校订也须写明年度（year）")
        else:
            indicator_overrides.setdefault((row["dept_name"], _int(where, row["seq"])), []).append(override)

    target_overrides: dict[tuple[str, int], list[TargetOverride]] = {}
    for where, row in _read(
        directory / "target_overrides.csv",
        ("dept_name", "seq", "action", "quote", "kind", "direction", "value_text", "reason"),
    ):
        _need(where, row, "dept_name", "seq", "action", "quote", "reason")
        if row["action"] not in TARGET_ACTIONS:
            raise CurationError(f"{where}：action「{row['action']}」无效，应为 {'/'.join(TARGET_ACTIONS)}")
        if row["action"] != "drop":
            _need(where, row, "kind", "direction")
            if row["kind"] not in TARGET_KINDS:
                raise CurationError(f"{where}：kind「{row['kind']}」无效，应为 {'/'.join(TARGET_KINDS)}")
            if row["direction"] not in TARGET_DIRECTIONS:
                raise CurationError(f"{where}：direction「{row['direction']}」无效，应为 {'/'.join(TARGET_DIRECTIONS)}")
            if row["kind"] in ("amount", "rate", "rank") and not row["value_text"]:
                raise CurationError(f"{where}：数量、比率或排名目标需要填写 value_text")
            if row["value_text"] and row["value_text"] not in row["quote"]:
                raise CurationError(f"{where}：value_text「{row['value_text']}」不在引文「{row['quote']}」中")
        key = (row["dept_name"], _int(where, row["seq"]))
        target_overrides.setdefault(key, []).append(
            TargetOverride(
                row["action"], row["quote"], row["kind"], row["direction"], row["value_text"], row["reason"], where
            )
        )

    try:
        thresholds = read_light_thresholds(directory / "light_thresholds.csv")
    except FileNotFoundError:
        raise CurationError(f"找不到整理文件 {directory / 'light_thresholds.csv'}") from None
    except ValueError as exc:
        raise CurationError(str(exc)) from None

    period_sources: dict[tuple[int, str], PeriodSource] = {}
    for where, row in _read(directory / "periods.csv", ("year", "period", "source_title", "as_of")):
        _need(where, row, "year", "source_title", "as_of")
        code = parse_period(row["period"]) or ""
        if not code:
            raise CurationError(f"{where}：无法识别的期间「{row['period']}」")
        year = _int(where, row["year"], "年度")
        period_sources[(year, code)] = PeriodSource(year, code or FULL_YEAR, row["source_title"], row["as_of"])

    return Curation(
        departments,
        themes,
        NarrativeBreaks(frozenset(joins), frozenset(breaks)),
        status_overrides,
        indicator_overrides,
        target_overrides,
        thresholds,
        period_sources,
        dated_overrides,
    )


def _int(where: str, text: str, label: str = "序号") -> int:
    try:
        return int(text)
    except ValueError:
        raise CurationError(f"{where}：{label}「{text}」不是整数") from None


def check_line_ends(curation: Curation, text: str) -> None:
    """Every curated line ending must end exactly one line of the source."""
    lines = [line.strip() for line in text.splitlines()]
    for kind, ends in (("join", curation.narrative_breaks.joins), ("break", curation.narrative_breaks.breaks)):
        for end in sorted(ends):
            hits = sum(1 for line in lines if line.endswith(end))
            if hits != 1:
                raise CurationError(
                    f"narrative_breaks.csv：{kind}「{end}」应恰好结束源文件中的一行，实际匹配 {hits} 行"
                )
