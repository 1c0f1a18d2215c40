"""The Parquet contract of `data/`: column names, types, enums and the checks
every writer (seed build, importer, synthetic generator) runs before a file
is allowed to replace the previous one.

Validation errors are raised as `ContractError` with a Chinese message that
names the table, the row and the column, so staff can fix the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from kpi.contract.vocab import (
    FULL_YEAR,
    LIGHT_THRESHOLD_KEYS,
    LIGHTS,
    PERIOD_CODES,
    PERIOD_LABELS_ZH,
    STATUSES,
    TARGET_DIRECTIONS,
    TARGET_KINDS,
    time_progress_pct,
)

# How a target is known: written in the source, value minus a stated excess, worked back
# from a completion rate (approximate), or given in data/curation/indicator_overrides.csv.
TARGET_BASES: tuple[str, ...] = ("stated", "excess", "completion", "curated")
# How sure the extraction is of a figure: "low" ones are shown marked 待核 and kept out of charts,
# tiles and counts until staff confirm them (data/curation/indicator_overrides.csv).
CONFIDENCES: tuple[str, ...] = ("high", "low")

DEPARTMENTS_SCHEMA: dict[str, pl.DataType] = {
    "dept_id": pl.String(),
    "name": pl.String(),
    "full_name": pl.String(),
    "sector": pl.String(),
    "sort_order": pl.Int32(),
}

# How a goal target is known: parsed from the goal text, given in the import file's
# 目标值 column, or added/corrected in data/curation/target_overrides.csv.
GOAL_TARGET_BASES: tuple[str, ...] = ("parsed", "file", "curated")

PERIODS_SCHEMA: dict[str, pl.DataType] = {
    "period_id": pl.String(),
    "year": pl.Int32(),
    "period": pl.String(),
    "label": pl.String(),
    "end_date": pl.Date(),
    "time_progress_pct": pl.Float64(),
    "source_title": pl.String(),
    "as_of": pl.String(),
    # The light thresholds (light_thresholds.csv) this period's lights were decided with, so the
    # legend states the numbers in force for these data; null in a version written before they
    # were recorded (the legend then says they are not known).
    **{key: pl.Float64() for key in LIGHT_THRESHOLD_KEYS},
}

GOALS_SCHEMA: dict[str, pl.DataType] = {
    "goal_id": pl.String(),
    "year": pl.Int32(),
    "period": pl.String(),
    "goal_key": pl.String(),
    "dept_id": pl.String(),
    "seq": pl.Int32(),
    "title": pl.String(),
    "result": pl.String(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "themes": pl.List(pl.String()),
    "light": pl.String(),
    "light_reason": pl.String(),
}

GOAL_TARGETS_SCHEMA: dict[str, pl.DataType] = {
    "target_id": pl.String(),
    "goal_id": pl.String(),
    "kind": pl.String(),
    "direction": pl.String(),
    "value": pl.Float64(),
    "value_high": pl.Float64(),
    "unit": pl.String(),
    "value_text": pl.String(),
    "rank_scope": pl.String(),
    "stretch": pl.Boolean(),
    "basis": pl.String(),
    "quote": pl.String(),
}

INDICATORS_SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.String(),
    "goal_id": pl.String(),
    "dept_id": pl.String(),
    "year": pl.Int32(),
    "name": pl.String(),
    "value": pl.Float64(),
    "unit": pl.String(),
    "value_text": pl.String(),
    "qualifier": pl.String(),
    "target": pl.Float64(),
    "target_text": pl.String(),
    "target_basis": pl.String(),
    "completion_pct": pl.Float64(),
    "growth_pct": pl.Float64(),
    "rank": pl.Int32(),
    "rank_scope": pl.String(),
    "rank_is_top_n": pl.Boolean(),
    # True when the source states the figure as a forecast (预计, 有望): not an achieved result.
    "is_forecast": pl.Boolean(),
    "higher_is_better": pl.Boolean(),
    "quote": pl.String(),
    "confidence": pl.String(),
    "confidence_reason": pl.String(),
}

THEMES_SCHEMA: dict[str, pl.DataType] = {
    "theme_id": pl.String(),
    "name": pl.String(),
    "name_en": pl.String(),
    "keywords": pl.List(pl.String()),
}

TABLES: dict[str, dict[str, pl.DataType]] = {
    "departments": DEPARTMENTS_SCHEMA,
    "goals": GOALS_SCHEMA,
    "indicators": INDICATORS_SCHEMA,
    "themes": THEMES_SCHEMA,
    "periods": PERIODS_SCHEMA,
    "goal_targets": GOAL_TARGETS_SCHEMA,
}

TABLE_LABELS = {
    "departments": "部门表",
    "goals": "目标表",
    "indicators": "指标表",
    "themes": "主题表",
    "periods": "期间表",
    "goal_targets": "目标值表",
}

# Columns that may be null; every other column must be filled on every row.
NULLABLE: dict[str, set[str]] = {
    "departments": set(),
    "goals": set(),
    "indicators": {
        "qualifier",
        "target",
        "target_text",
        "target_basis",
        "completion_pct",
        "growth_pct",
        "rank",
        "rank_scope",
        "confidence_reason",
    },
    "themes": set(),
    "periods": set(LIGHT_THRESHOLD_KEYS),
    "goal_targets": {"value", "value_high", "value_text", "rank_scope"},
}

# Columns that must not be null but may hold an empty string (a bare ratio has no unit,
# a milestone no unit, a report period without a published source no title).
EMPTY_ALLOWED: dict[str, set[str]] = {"indicators": {"unit"}, "goal_targets": {"unit"}}

PRIMARY_KEYS = {
    "departments": "dept_id",
    "goals": "goal_id",
    "indicators": "indicator_id",
    "themes": "theme_id",
    "periods": "period_id",
    "goal_targets": "target_id",
}


class ContractError(ValueError):
    """A dataset does not satisfy the Parquet contract (message in Chinese)."""


@dataclass(frozen=True)
class Dataset:
    departments: pl.DataFrame
    goals: pl.DataFrame
    indicators: pl.DataFrame
    themes: pl.DataFrame
    periods: pl.DataFrame
    goal_targets: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        return {
            "departments": self.departments,
            "goals": self.goals,
            "indicators": self.indicators,
            "themes": self.themes,
            "periods": self.periods,
            "goal_targets": self.goal_targets,
        }


def goal_key_for(year: int, dept_id: str, seq: int) -> str:
    """The key linking one goal across the report periods of its year."""
    return f"{year}-{dept_id}-{seq}"


def goal_id_for(year: int, dept_id: str, seq: int, period: str = FULL_YEAR) -> str:
    """``{year}-{dept_id}-{seq}`` for 全年 (as before periods existed), else ``{year}-{period}-{dept_id}-{seq}``."""
    if period == FULL_YEAR:
        return goal_key_for(year, dept_id, seq)
    return f"{year}-{period}-{dept_id}-{seq}"


def period_id_for(year: int, period: str) -> str:
    return f"{year}-{period}"


def _upgrade_goals(frame: pl.DataFrame) -> pl.DataFrame:
    """Goals written before report periods existed are 全年 goals without a light yet."""
    if "period" not in frame.columns:
        frame = frame.with_columns(pl.lit(FULL_YEAR).alias("period"))
    if "goal_key" not in frame.columns and {"year", "dept_id", "seq"} <= set(frame.columns):
        frame = frame.with_columns(
            pl.format("{}-{}-{}", pl.col("year"), pl.col("dept_id"), pl.col("seq")).alias("goal_key")
        )
    if "light" not in frame.columns:
        frame = frame.with_columns(pl.lit("none").alias("light"))
    if "light_reason" not in frame.columns:
        frame = frame.with_columns(pl.lit("旧版数据，尚未判断进度").alias("light_reason"))
    return frame


# Tables a version written before report periods existed lacks; read_dataset fills them in.
DERIVED_WHEN_MISSING = ("periods", "goal_targets")


def derived_table(name: str, goals: pl.DataFrame) -> pl.DataFrame:
    """The table an old version lacks: no goal targets, and one 全年 period per year of its goals
    (every goal of such a version is a 全年 goal)."""
    if name == "goal_targets":
        return pl.DataFrame(schema=GOAL_TARGETS_SCHEMA)
    if name != "periods":
        raise ValueError(f"table {name!r} is not derived")
    years = sorted(set(goals.get_column("year").to_list())) if "year" in goals.columns else []
    rows = [
        {
            "period_id": period_id_for(year, FULL_YEAR),
            "year": year,
            "period": FULL_YEAR,
            "label": PERIOD_LABELS_ZH[FULL_YEAR],
            "end_date": date(year, 12, 31),
            "time_progress_pct": time_progress_pct(FULL_YEAR),
            "source_title": f"{year}年{PERIOD_LABELS_ZH[FULL_YEAR]}目标任务完成情况",
            "as_of": f"{year}-12",
            **dict.fromkeys(LIGHT_THRESHOLD_KEYS),  # lights of such a version: not decided yet
        }
        for year in years
        if year is not None
    ]
    return pl.DataFrame(rows, schema=PERIODS_SCHEMA)


def conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Select the contract's columns in contract order, cast to contract types.

    A missing column or an impossible cast is a ContractError, not a traceback.
    """
    schema = TABLES[name]
    label = TABLE_LABELS[name]
    if name == "goals":
        frame = _upgrade_goals(frame)
    if name == "periods":
        # Written before the thresholds were recorded with the data: not known.
        frame = frame.with_columns(
            pl.lit(None, pl.Float64).alias(k) for k in LIGHT_THRESHOLD_KEYS if k not in frame.columns
        )
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ContractError(f"{label}缺少列：{'、'.join(missing)}")
    columns = []
    for column, dtype in schema.items():
        try:
            columns.append(frame.get_column(column).cast(dtype, strict=True))
        except Exception as exc:  # polars raises several exception types for casts
            raise ContractError(
                f"{label}的列「{column}」类型应为 {dtype}，实际为 {frame.schema[column]}（{type(exc).__name__}）"
            ) from None
    return pl.DataFrame(columns)


def _row_label(frame: pl.DataFrame, key: str, index: int) -> str:
    return f"第{index + 1}行（{key}={frame.get_column(key)[index]!r}）"


def _check_table(name: str, frame: pl.DataFrame) -> list[str]:
    label = TABLE_LABELS[name]
    key = PRIMARY_KEYS[name]
    problems: list[str] = []
    for column in frame.columns:
        if column in NULLABLE[name]:
            continue
        nulls = frame.get_column(column).is_null()
        if frame.schema[column] == pl.String() and column not in EMPTY_ALLOWED.get(name, set()):
            nulls = nulls | (frame.get_column(column).str.strip_chars() == "")
        for index in nulls.arg_true().to_list()[:5]:
            problems.append(f"{label}{_row_label(frame, key, index)}：列「{column}」为空")
    duplicated = frame.get_column(key).is_duplicated()
    for index in duplicated.arg_true().to_list()[:5]:
        problems.append(f"{label}{_row_label(frame, key, index)}：{key} 重复")
    return problems


def validate(dataset: Dataset) -> Dataset:
    """Conform every table and check keys, references, enums and quotes.

    Returns the conformed dataset; raises ContractError listing every problem.
    """
    tables = {name: conform(name, frame) for name, frame in dataset.tables().items()}
    problems: list[str] = []
    for name, frame in tables.items():
        problems.extend(_check_table(name, frame))

    departments, goals = tables["departments"], tables["goals"]
    indicators, themes = tables["indicators"], tables["themes"]
    dept_ids = set(departments.get_column("dept_id").to_list())
    theme_ids = set(themes.get_column("theme_id").to_list())
    goal_rows = {g["goal_id"]: g for g in goals.select("goal_id", "dept_id", "year", "result").iter_rows(named=True)}

    for index, goal in enumerate(goals.iter_rows(named=True)):
        where = f"目标表第{index + 1}行（goal_id={goal['goal_id']!r}）"
        if goal["dept_id"] not in dept_ids:
            problems.append(f"{where}：部门 {goal['dept_id']!r} 不在部门表中")
        if goal["status"] not in STATUSES:
            problems.append(f"{where}：状态 {goal['status']!r} 不是有效值（{'/'.join(STATUSES)}）")
        if goal["seq"] is not None and goal["seq"] < 1:
            problems.append(f"{where}：序号应为 ≥1 的整数")
        if goal["period"] not in PERIOD_CODES:
            problems.append(f"{where}：期间 {goal['period']!r} 不是有效值（{'/'.join(PERIOD_CODES)}）")
        if goal["light"] not in LIGHTS:
            problems.append(f"{where}：灯色 {goal['light']!r} 不是有效值（{'/'.join(LIGHTS)}）")
        if not goal["themes"]:
            problems.append(f"{where}：至少需要一个主题")
        else:
            unknown = [t for t in goal["themes"] if t not in theme_ids]
            if unknown:
                problems.append(f"{where}：主题 {unknown} 不在主题表中")
    duplicate_keys = goals.filter(pl.struct("year", "period", "dept_id", "seq").is_duplicated())
    for goal in duplicate_keys.iter_rows(named=True):
        problems.append(
            f"目标表（goal_id={goal['goal_id']!r}）：年度 {goal['year']}、期间 {goal['period']}、"
            f"部门 {goal['dept_id']}、序号 {goal['seq']} 重复"
        )
    for goal in goals.filter(pl.struct("goal_key", "period").is_duplicated()).iter_rows(named=True):
        problems.append(
            f"目标表（goal_id={goal['goal_id']!r}）：goal_key {goal['goal_key']} 在期间 {goal['period']} 重复"
        )
    problems.extend(_check_periods(tables["periods"], goals))
    problems.extend(_check_goal_targets(tables["goal_targets"], goals))

    for index, row in enumerate(indicators.iter_rows(named=True)):
        where = f"指标表第{index + 1}行（indicator_id={row['indicator_id']!r}）"
        goal = goal_rows.get(row["goal_id"])
        if goal is None:
            problems.append(f"{where}：目标 {row['goal_id']!r} 不在目标表中")
            continue
        if row["dept_id"] != goal["dept_id"] or row["year"] != goal["year"]:
            problems.append(f"{where}：部门或年度与所属目标不一致")
        if row["quote"] and row["quote"] not in goal["result"]:
            problems.append(f"{where}：引文「{row['quote']}」在目标的完成情况中找不到")
        if (row["target"] is None) != (row["target_basis"] is None):
            problems.append(f"{where}：目标值与目标来源（target_basis）应同时为空或同时填写")
        elif row["target_basis"] is not None and row["target_basis"] not in TARGET_BASES:
            problems.append(f"{where}：目标来源 {row['target_basis']!r} 不是有效值（{'/'.join(TARGET_BASES)}）")
        if row["confidence"] not in CONFIDENCES:
            problems.append(f"{where}：可信度 {row['confidence']!r} 不是有效值（{'/'.join(CONFIDENCES)}）")
        elif row["confidence"] == "low" and not row["confidence_reason"]:
            problems.append(f"{where}：待核指标应注明原因（confidence_reason）")
        if row["rank"] is not None and row["rank"] < 1:
            problems.append(f"{where}：排名应为 ≥1 的整数")
        if row["rank"] is not None and not row["rank_scope"]:
            problems.append(f"{where}：有排名但缺少排名范围（rank_scope）")

    if problems:
        shown = problems[:30]
        more = f"\n……另有 {len(problems) - 30} 个问题" if len(problems) > 30 else ""
        raise ContractError("数据不符合约定：\n" + "\n".join(f"- {p}" for p in shown) + more)
    return Dataset(**tables)


def _check_periods(periods: pl.DataFrame, goals: pl.DataFrame) -> list[str]:
    problems: list[str] = []
    known = set()
    for index, row in enumerate(periods.iter_rows(named=True)):
        where = f"期间表第{index + 1}行（period_id={row['period_id']!r}）"
        if row["period"] not in PERIOD_CODES:
            problems.append(f"{where}：期间 {row['period']!r} 不是有效值（{'/'.join(PERIOD_CODES)}）")
            continue
        if row["period_id"] != period_id_for(row["year"], row["period"]):
            problems.append(f"{where}：period_id 应为 {period_id_for(row['year'], row['period'])}")
        if row["time_progress_pct"] != time_progress_pct(row["period"]):
            problems.append(f"{where}：时序进度应为 {time_progress_pct(row['period'])}")
        known.add((row["year"], row["period"]))
    used = goals.select("year", "period").unique().sort("year", "period").iter_rows()
    for year, period in used:
        if (year, period) not in known:
            problems.append(f"期间表：缺少目标表用到的期间 {period_id_for(year, period)}")
    return problems


def _check_goal_targets(targets: pl.DataFrame, goals: pl.DataFrame) -> list[str]:
    problems: list[str] = []
    titles = dict(goals.select("goal_id", "title").iter_rows())
    for index, row in enumerate(targets.iter_rows(named=True)):
        where = f"目标值表第{index + 1}行（target_id={row['target_id']!r}）"
        title = titles.get(row["goal_id"])
        if title is None:
            problems.append(f"{where}：目标 {row['goal_id']!r} 不在目标表中")
            continue
        if row["kind"] not in TARGET_KINDS:
            problems.append(f"{where}：类型 {row['kind']!r} 不是有效值（{'/'.join(TARGET_KINDS)}）")
        if row["direction"] not in TARGET_DIRECTIONS:
            problems.append(f"{where}：方向 {row['direction']!r} 不是有效值（{'/'.join(TARGET_DIRECTIONS)}）")
        if row["basis"] not in GOAL_TARGET_BASES:
            problems.append(f"{where}：来源 {row['basis']!r} 不是有效值（{'/'.join(GOAL_TARGET_BASES)}）")
        # A relative rate (与经济增长基本同步) has no number; an amount always has one.
        if row["kind"] == "amount" and row["value"] is None:
            problems.append(f"{where}：数量目标缺少目标值")
        # A target typed into the 目标值 column quotes that cell; every other one the goal text.
        if row["basis"] != "file" and row["quote"] not in title:
            problems.append(f"{where}：引文「{row['quote']}」在目标任务中找不到")
    return problems
