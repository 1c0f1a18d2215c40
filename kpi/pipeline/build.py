"""Build the Parquet dataset from ``data/raw/`` and ``data/curation/``.

    python -m kpi.build            # writes data/*.parquet
    python -m kpi.build --check    # exit 1 when data/ differs from a fresh build

Deterministic: the same inputs give the same tables, row for row.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from kpi.contract.schema import TABLES, ContractError, Dataset, goal_id_for, goal_key_for, validate
from kpi.contract.storage import DEFAULT_DATA_DIR, location, read_dataset, write_dataset
from kpi.contract.vocab import FULL_YEAR, LIGHT_THRESHOLD_KEYS
from kpi.pipeline.cli import ChineseArgumentParser
from kpi.pipeline.curation import (
    Curation,
    CurationError,
    IndicatorOverride,
    TargetOverride,
    check_line_ends,
    load_curation,
)
from kpi.pipeline.figures import Figure, extract_figures
from kpi.pipeline.lights import decide_light
from kpi.pipeline.periods import default_source_title, period_row
from kpi.pipeline.source import SourceError, parse_source
from kpi.pipeline.status import infer_status
from kpi.pipeline.targets import GoalTarget, parse_goal_targets, target_value
from kpi.pipeline.themes import assign_themes

RAW_FILE = DEFAULT_DATA_DIR / "raw" / "huzhou-2022-department-goals.txt"
CURATION_DIR = DEFAULT_DATA_DIR / "curation"
SOURCE_YEAR = 2022


__all__ = ["analyse_goal", "build_dataset", "frames", "goal_id_for", "goal_key_for", "themes_frame"]


def apply_target_overrides(
    targets: list[GoalTarget], overrides: Sequence[TargetOverride], title: str
) -> list[GoalTarget]:
    """Curated fixes of the targets read from a goal text; each is checked against the text."""
    targets = list(targets)
    for override in overrides:
        if override.quote not in title:
            raise CurationError(f"{override.where}：引文「{override.quote}」不在目标任务「{title}」中")
        if override.action in ("correct", "drop"):
            matches = [i for i, t in enumerate(targets) if override.quote in t.quote or t.quote in override.quote]
            if len(matches) != 1:
                raise CurationError(
                    f"{override.where}：「{override.quote}」应恰好对应该目标的一个目标值，实际对应 {len(matches)} 个"
                )
            del targets[matches[0]]
        if override.action in ("add", "correct"):
            try:
                value, unit, scope = target_value(override.kind, override.value_text, override.quote)
            except ValueError as exc:
                raise CurationError(f"{override.where}：{exc}") from None
            targets.append(
                GoalTarget(
                    override.kind,
                    override.direction,
                    value,
                    unit,
                    override.value_text or None,
                    override.quote,
                    rank_scope=scope,
                    basis="curated",
                )
            )
    return targets


def target_rows(goal_id: str, targets: Sequence[GoalTarget]) -> list[dict]:
    return [{"target_id": f"{goal_id}-t{n:02d}", "goal_id": goal_id, **t.row()} for n, t in enumerate(targets, start=1)]


def targets_of_rows(rows: Sequence[dict]) -> list[GoalTarget]:
    return [
        GoalTarget(
            r["kind"],
            r["direction"],
            r["value"],
            r["unit"],
            r["value_text"],
            r["quote"],
            value_high=r["value_high"],
            rank_scope=r["rank_scope"],
            stretch=r["stretch"],
            basis=r["basis"],
        )
        for r in rows
    ]


def relight(goal: dict, indicators: Sequence[dict], targets: Sequence[dict], curation: Curation) -> dict:
    """The goal row with its light decided afresh (after a status or target change).

    待核 figures decide no light; when the goal has some and gets no light, the reason says so."""
    unsure = sum(1 for i in indicators if i.get("confidence", "high") != "high")
    light, reason = decide_light(
        title=goal["title"],
        period=goal["period"],
        status=goal["status"],
        status_reason=goal["status_reason"],
        result=goal["result"],
        targets=targets_of_rows(targets),
        figures=[i for i in indicators if i.get("confidence", "high") == "high"],  # 待核 figures decide no light
        thresholds=curation.light_thresholds,
    )
    if unsure and light == "none":
        reason = f"{reason}（另有 {unsure} 个待核指标未计入，核对后再判断）"
    return {**goal, "light": light, "light_reason": reason}


def apply_indicator_overrides(
    figures: list[Figure], overrides: Sequence[IndicatorOverride], result: str = ""
) -> list[Figure]:
    """Apply curated fixes; each must name exactly one extracted figure by its value_text.

    A curated figure is one a person checked: it is no longer 待核 (confidence high)."""
    figures = list(figures)
    dropped: set[int] = set()
    for override in overrides:
        matches = [i for i, f in enumerate(figures) if f.value_text == override.value_text]
        if len(matches) != 1:
            raise CurationError(
                f"{override.where}：「{override.value_text}」应恰好对应该目标的一个指标，实际对应 {len(matches)} 个"
            )
        index = matches[0]
        figure = figures[index]
        figure = replace(figure, confidence="high", confidence_reason=None)
        figures[index] = figure
        if override.field == "drop":
            dropped.add(index)
        elif override.field == "confirm":
            pass
        elif override.field == "value":
            figures[index] = corrected_value(figure, override, result)
        elif override.field == "name":
            if not override.value:
                raise CurationError(f"{override.where}：改名时 value 列应为新名称")
            figures[index] = replace(figure, name=override.value)
        elif override.field == "higher_is_better":
            if override.value not in ("true", "false"):
                raise CurationError(f"{override.where}：higher_is_better 应为 true 或 false")
            figures[index] = replace(figure, higher_is_better=override.value == "true")
        elif override.field == "target_text" and not override.value:
            # An empty target says the rules paired the figure with a target it does not measure.
            figures[index] = replace(figure, target=None, target_text=None, target_basis=None, completion_pct=None)
        elif override.field == "target_text":
            parsed = extract_figures(override.value)
            if len(parsed) != 1 or parsed[0].unit != figure.unit:
                raise CurationError(
                    f"{override.where}：目标「{override.value}」应为一个与「{figure.value_text}」同单位的数量"
                )
            target = parsed[0].value
            figures[index] = replace(
                figure,
                target=target,
                target_text=override.value,
                target_basis="curated",
                completion_pct=round(figure.value / target * 100, 2) if target else None,
            )
    return [f for i, f in enumerate(figures) if i not in dropped]


def corrected_value(figure: Figure, override: IndicatorOverride, result: str) -> Figure:
    """The figure with the value a person read from the text (override.value, as written there)."""
    parsed = extract_figures(override.value)
    if len(parsed) != 1 or override.value not in result:
        raise CurationError(
            f"{override.where}：更正值「{override.value}」应为完成情况原文中写出的一个数量（如 5.1690万剂次）"
        )
    new = parsed[0]
    completion = figure.completion_pct
    if figure.target is not None and figure.target_basis != "completion" and new.unit == figure.unit:
        completion = round(new.value / figure.target * 100, 2) if figure.target else None
    keep_target = new.unit == figure.unit and figure.target_basis != "completion"
    if figure.unit == "%" and new.unit == "%":  # a rate-only figure: its value is the rate
        if figure.growth_pct == figure.value:
            figure = replace(figure, growth_pct=new.value)
        if figure.completion_pct == figure.value:
            completion = new.value
    return replace(
        figure,
        value=new.value,
        unit=new.unit,
        value_text=override.value,
        qualifier=new.qualifier,
        target=figure.target if keep_target else None,
        target_text=figure.target_text if keep_target else None,
        target_basis=figure.target_basis if keep_target else None,
        completion_pct=completion if keep_target else (figure.completion_pct if new.unit == figure.unit else None),
    )


def analyse_goal(
    *,
    year: int,
    dept_id: str,
    seq: int,
    title: str,
    result: str,
    curation: Curation,
    default_themes: Sequence[str],
    status: tuple[str, str] | None = None,
    themes: Sequence[str] | None = None,
    overrides: Sequence[IndicatorOverride] = (),
    period: str = FULL_YEAR,
    target_overrides: Sequence[TargetOverride] = (),
    extra_targets: Sequence[GoalTarget] = (),
) -> tuple[dict, list[dict], list[dict]]:
    """One goal's row, its indicator rows and its target rows: figures, targets, status,
    themes and light by the shared rules.

    ``status`` and ``themes`` are given when a person decided them (a curated
    override, or a filled-in column of an imported file); otherwise inferred.
    ``extra_targets`` are targets typed into an import file's 目标值 column.
    """
    goal_id = goal_id_for(year, dept_id, seq, period)
    figures = apply_indicator_overrides(extract_figures(result, title), overrides, result)
    targets = apply_target_overrides(parse_goal_targets(title), target_overrides, title) + list(extra_targets)
    status_code, status_reason = status or infer_status(
        result,
        [f.completion_pct for f in figures if f.confidence == "high"],  # 待核 figures decide no status
        period,
    )
    keywords = {t.theme_id: t.keywords for t in curation.themes.values()}
    goal = {
        "goal_id": goal_id,
        "year": year,
        "period": period,
        "goal_key": goal_key_for(year, dept_id, seq),
        "dept_id": dept_id,
        "seq": seq,
        "title": title,
        "result": result,
        "status": status_code,
        "status_reason": status_reason,
        "themes": list(themes) if themes else assign_themes(title, result, keywords, default_themes),
    }
    indicators = [
        {
            "indicator_id": f"{goal_id}-{n:02d}",
            "goal_id": goal_id,
            "dept_id": dept_id,
            "year": year,
            "name": f.name,
            "value": f.value,
            "unit": f.unit,
            "value_text": f.value_text,
            "qualifier": f.qualifier,
            "target": f.target,
            "target_text": f.target_text,
            "target_basis": f.target_basis,
            "completion_pct": f.completion_pct,
            "growth_pct": f.growth_pct,
            "rank": f.rank,
            "rank_scope": f.rank_scope,
            "rank_is_top_n": f.rank_is_top_n,
            "is_forecast": f.is_forecast,
            "higher_is_better": f.higher_is_better,
            "quote": f.quote,
            "confidence": f.confidence,
            "confidence_reason": f.confidence_reason,
        }
        for n, f in enumerate(figures, start=1)
    ]
    targets_table = target_rows(goal_id, targets)
    goal = relight(goal, indicators, targets_table, curation)
    return goal, indicators, targets_table


def themes_frame(curation: Curation) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"theme_id": t.theme_id, "name": t.name, "name_en": t.name_en, "keywords": list(t.keywords)}
            for t in curation.themes.values()
        ],
        schema=TABLES["themes"],
    )


def frames(
    departments: list[dict],
    goals: list[dict],
    indicators: list[dict],
    themes: pl.DataFrame,
    periods: list[dict] | None = None,
    goal_targets: list[dict] | None = None,
) -> Dataset:
    return Dataset(
        departments=pl.DataFrame(departments, schema=TABLES["departments"]),
        goals=pl.DataFrame(goals, schema=TABLES["goals"]),
        indicators=pl.DataFrame(indicators, schema=TABLES["indicators"]),
        themes=themes,
        periods=pl.DataFrame(periods or [], schema=TABLES["periods"]),
        goal_targets=pl.DataFrame(goal_targets or [], schema=TABLES["goal_targets"]),
    )


def period_rows(goals: Sequence[dict], curation: Curation, known: Sequence[dict] = ()) -> list[dict]:
    """One row per (year, period) the goals use: the row already stored, else the curated
    source (periods.csv), else a caption naming the import — sorted by year and period. Every
    row records the light thresholds in force (``curation.light_thresholds``): the caller has
    decided every goal's light with them (``relight_stale`` for the goals it kept)."""
    rows = {(r["year"], r["period"]): r for r in known}
    for year, period in sorted({(g["year"], g["period"]) for g in goals}):
        if (year, period) in rows:
            continue
        source = curation.period_sources.get((year, period))
        if source is not None:
            rows[(year, period)] = period_row(year, period, source.source_title, source.as_of)
        else:
            row = period_row(year, period, default_source_title(year, period), "")
            rows[(year, period)] = {**row, "as_of": row["end_date"].strftime("%Y-%m")}
    used = {(g["year"], g["period"]) for g in goals}
    return [
        {**rows[k], **thresholds_row(curation.light_thresholds)}
        for k in sorted(rows, key=lambda k: (k[0], rows[k]["end_date"]))
        if k in used
    ]


def thresholds_row(thresholds: Mapping[str, float]) -> dict[str, float | None]:
    """The threshold columns of a periods row."""
    return {key: thresholds.get(key) for key in LIGHT_THRESHOLD_KEYS}


def stale_periods(known: Sequence[dict], thresholds: Mapping[str, float]) -> set[tuple[int, str]]:
    """The (year, period) of stored periods whose lights were decided with other thresholds
    than ``thresholds`` (or with thresholds not recorded)."""
    wanted = thresholds_row(thresholds)
    return {(r["year"], r["period"]) for r in known if thresholds_row(r) != wanted}


def relight_stale(
    goals: list[dict],
    indicators: Mapping[str, Sequence[dict]],
    targets: Mapping[str, Sequence[dict]],
    known: Sequence[dict],
    curation: Curation,
    fresh: set[str],
) -> int:
    """Decide again, in place, the light of every goal of a stale period (``stale_periods``)
    that is not in ``fresh`` (lit in this run already); the number whose light changed."""
    stale = stale_periods(known, curation.light_thresholds)
    changed = 0
    for index, goal in enumerate(goals):
        if (goal["year"], goal["period"]) in stale and goal["goal_id"] not in fresh:
            relit = relight(goal, indicators.get(goal["goal_id"], []), targets.get(goal["goal_id"], []), curation)
            changed += relit["light"] != goal["light"] or relit["light_reason"] != goal["light_reason"]
            goals[index] = relit
    return changed


def build_dataset(raw_text: str, curation: Curation, year: int = SOURCE_YEAR) -> Dataset:
    check_line_ends(curation, raw_text)
    pages = parse_source(raw_text, curation.narrative_breaks)
    departments: list[dict] = []
    goals: list[dict] = []
    indicators: list[dict] = []
    targets: list[dict] = []
    seen_goals: set[tuple[str, int]] = set()
    source_names = [name for page in pages for name in page.dept_names]
    for name in curation.departments:
        if name not in source_names:
            raise CurationError(f"departments.csv：部门「{name}」不在源文件中")
    for page in pages:
        for name in page.dept_names:
            info = curation.departments.get(name)
            if info is None:
                raise CurationError(f"源文件第{page.number}页的部门「{name}」不在 data/curation/departments.csv 中")
            departments.append(
                {
                    "dept_id": info.dept_id,
                    "name": info.name,
                    "full_name": info.full_name,
                    "sector": info.sector,
                    "sort_order": len(departments) + 1,
                }
            )
        for source_goal in page.goals:
            key = (source_goal.dept_name, source_goal.seq)
            info = curation.departments[source_goal.dept_name]
            override = curation.status_overrides.get(key)
            goal, goal_indicators, goal_targets = analyse_goal(
                year=year,
                dept_id=info.dept_id,
                seq=source_goal.seq,
                title=source_goal.title,
                result=source_goal.result,
                curation=curation,
                default_themes=info.default_themes,
                status=(override.status, f"人工校订：{override.reason}") if override else None,
                overrides=curation.overrides_for(year, source_goal.dept_name, source_goal.seq, SOURCE_YEAR),
                target_overrides=curation.target_overrides.get(key, ()),
            )
            seen_goals.add(key)
            goals.append(goal)
            indicators.extend(goal_indicators)
            targets.extend(goal_targets)
    curated = set(curation.status_overrides) | set(curation.indicator_overrides) | set(curation.target_overrides)
    unused = curated - seen_goals
    if unused:
        raise CurationError(f"整理文件中的目标 {sorted(unused)} 在源文件中不存在")
    periods = period_rows(goals, curation)
    return validate(frames(departments, goals, indicators, themes_frame(curation), periods, targets))


def same_data(left: Dataset, right: Dataset) -> list[str]:
    """Names of the tables that differ."""
    return [name for name, frame in left.tables().items() if not frame.equals(right.tables()[name])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = ChineseArgumentParser(prog="python -m kpi.build", description="从源文件和整理文件构建 Parquet 数据集")
    parser.add_argument("--raw", type=Path, default=RAW_FILE, help="源文本文件")
    parser.add_argument("--curation", type=Path, default=CURATION_DIR, help="人工整理 CSV 目录")
    parser.add_argument("--out", default=DEFAULT_DATA_DIR, help="输出目录，或 s3://存储桶/前缀")
    parser.add_argument("--check", action="store_true", help="只检查输出目录是否与构建结果一致，不写文件")
    args = parser.parse_args(argv)
    try:
        args.out = location(args.out)
        raw_text = args.raw.read_text(encoding="utf-8")
        dataset = build_dataset(raw_text, load_curation(args.curation))
        if args.check:
            differing = same_data(dataset, read_dataset(args.out))
            if differing:
                print(
                    f"{args.out} 中的 {'、'.join(differing)} 与构建结果不一致，请运行 python -m kpi.build",
                    file=sys.stderr,
                )
                return 1
            print("数据与源文件一致")
            return 0
        write_dataset(dataset, args.out)
    except FileNotFoundError as exc:
        print(f"找不到文件：{exc.filename}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"{args.raw}：不是 UTF-8 编码的文本", file=sys.stderr)
        return 2
    except (SourceError, CurationError, ContractError) as exc:
        print(f"构建失败：{exc}", file=sys.stderr)
        return 2
    counts = {name: frame.height for name, frame in dataset.tables().items()}
    print(
        f"已写入 {args.out}：部门 {counts['departments']} 个，目标 {counts['goals']} 个，"
        f"指标 {counts['indicators']} 条，主题 {counts['themes']} 个"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
