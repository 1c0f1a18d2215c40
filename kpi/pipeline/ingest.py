"""Import a table of goals and results (.xlsx or .csv) into the dataset, safely.

    python -m kpi.ingest FILE [--data-dir DIR] [--dry-run]
    python -m kpi.ingest --restore TIMESTAMP [--data-dir DIR]

One row per goal and report period: 年度, 部门, 序号, 目标任务, 完成情况, optional 期间
(empty = 全年), 目标值, 状态 and 主题 (English headers year, department, period, seq, goal,
target, result, status, themes also work). One file may hold several periods.

The import runs in two stages. ``plan_import`` reads the file
(``kpi.pipeline.spreadsheet``), checks every row and lists every problem at once
(row, column, what is wrong); when there is none, it merges the rows into the current dataset by (year, department,
period, seq), analysing new or changed goals with the seed build's own rules
(``kpi.pipeline.build.analyse_goal``). ``apply_import`` then backs the current files up
under ``DIR/history/<timestamp>/`` (``kpi.pipeline.history``) and writes the new ones with
``kpi.contract.storage.write_dataset`` (temporary files, validation, rename). A plan
with problems, or one that changes nothing, writes nothing at all.
"""

from __future__ import annotations

import difflib
import hashlib
import pickle
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from kpi.contract.schema import TABLES, ContractError, Dataset, goal_id_for, validate
from kpi.contract.storage import (
    Location,
    WriterBusyError,
    command_location,
    data_dir,
    fingerprint,
    location,
    read_dataset,
    table_path,
    writer_lock,
)
from kpi.contract.vocab import FULL_YEAR, PERIOD_LABELS_ZH, STATUS_LABELS_ZH, STATUSES
from kpi.pipeline.build import (
    SOURCE_YEAR,
    analyse_goal,
    frames,
    period_rows,
    relight,
    relight_stale,
    stale_periods,
    themes_frame,
)
from kpi.pipeline.cli import ChineseArgumentParser
from kpi.pipeline.curation import Curation, CurationError, Theme, load_curation
from kpi.pipeline.history import HistoryError, entry_path, restore, write_with_history
from kpi.pipeline.periods import PERIOD_FORMS_ZH, parse_period
from kpi.pipeline.review import curation_dir as configured_curation_dir
from kpi.pipeline.spreadsheet import (
    COLUMNS,
    HEADER_OF,
    IngestError,
    Problem,
    Table,
    clean,
    join_lines,
    normalise_name,
    problem_order,
    read_table,
)
from kpi.pipeline.targets import GoalTarget, target_value
from kpi.pipeline.themes import parse_theme_list

NEW_DEPARTMENT_SECTOR = "待分类"
# A goal whose words match no theme keyword, in a department without a default
# theme, is filed here and the import report says so.
FALLBACK_THEME = "economy"
YEAR_RANGE = (2000, 2100)
STATUS_FROM_FILE = "导入文件指定"
STATUS_BY_LABEL = {label: code for code, label in STATUS_LABELS_ZH.items()}
NAME_FIELDS = ("year", "department", "seq", "status", "themes")
LOOKALIKE_CUTOFF = 0.75  # difflib ratio from which a new department name looks like an existing one


@dataclass(frozen=True)
class FileRow:
    """A row of the file that passed every check."""

    row: int
    year: int
    department: str
    dept_id: str
    seq: int
    title: str
    result: str
    status: str | None  # status code when the 状态 column is filled
    themes: tuple[str, ...] | None  # theme ids when the 主题 column is filled
    period: str = FULL_YEAR
    targets: tuple[GoalTarget, ...] = ()  # from the 目标值 column


@dataclass(frozen=True)
class Change:
    action: str  # added / updated / unchanged
    row: int
    year: int
    department: str
    seq: int
    title: str
    status: str
    themes: tuple[str, ...]
    indicators: int  # figures of this goal after the import
    changed: tuple[str, ...] = ()  # Chinese names of the changed fields (updates only)
    period: str = FULL_YEAR
    light: str = "none"
    targets: int = 0  # targets of this goal after the import


ACTION_LABELS = {"added": "新增", "updated": "更新", "unchanged": "未变"}
LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": "无量化进度"}


@dataclass
class ImportPlan:
    file_name: str
    directory: Location
    fingerprint: str  # of the data files the plan was computed against
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the file was read
    warnings: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    new_departments: list[dict] = field(default_factory=list)
    indicators_extracted: int = 0  # figures of the added and updated goals
    indicators_replaced: int = 0  # old figures of updated goals that they replace
    # Periods whose stored lights were decided with other thresholds than light_thresholds.csv:
    # every goal of them is lit again, and how many of those kept goals changed light.
    stale_periods: int = 0
    relit_changed: int = 0
    dataset: Dataset | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def has_changes(self) -> bool:
        return self.ok and (
            self.count("added") > 0 or self.count("updated") > 0 or bool(self.new_departments) or self.stale_periods > 0
        )


@dataclass(frozen=True)
class ImportResult:
    written: bool
    history_entry: str | None  # timestamp of the backup of what was replaced


class StaleDataError(Exception):
    """The data files changed between planning an import and applying it."""


# --- checking the rows ----------------------------------------------------------------------


def parse_target_cell(text: str) -> tuple[list[GoalTarget], str | None]:
    """Targets typed into the 目标值 column (20亿元；8.5%；全省前五), or a Chinese problem."""
    targets = []
    for part in [p.strip() for p in re.split(r"[；;、\n]", text) if p.strip()]:
        kind = "rank" if re.search(r"[前第]", part) else "rate" if re.search(r"%|个百分点", part) else "amount"
        direction = "top_n" if kind == "rank" else "at_most" if re.search(r"以内|以下|不超过", part) else "at_least"
        number = re.sub(
            r"^(?:全省|全国|全市)?(?:不低于|不少于|达到|突破|超过|增长|控制在)?|(?:以上|以内|以下|左右)$", "", part
        )
        if kind == "rank":
            number = part
        try:
            value, unit, scope = target_value(kind, number, part)
        except ValueError as exc:
            return [], f"无法识别的目标值「{part}」：{exc}"
        if re.search(r"左右", part):
            direction = "about"
        targets.append(GoalTarget(kind, direction, value, unit, number, part, rank_scope=scope, basis="file"))
    return targets, None


def _parse_int(text: str) -> int | None:
    match = re.fullmatch(r"\+?(\d+)(?:\.0*)?", text)
    return int(match.group(1)) if match else None


def _theme_lookup(themes: pl.DataFrame) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for row in themes.iter_rows(named=True):
        for name in (row["theme_id"], row["name"], row["name_en"]):
            if name:
                lookup[name.strip().lower()] = row["theme_id"]
    return lookup


class _Departments:
    """Resolve a department name in the file to a dept_id, without changing anything.

    Order: a name in the dataset, a full name in the dataset, a name in
    ``data/curation/departments.csv``, else a new stable id from the name.
    """

    def __init__(self, departments: pl.DataFrame, curation: Curation):
        rows = departments.sort("sort_order").iter_rows(named=True)
        self.known = {r["name"]: r for r in rows}
        self.by_full_name = {r["full_name"]: r for r in self.known.values()}
        self.curation = curation

    def dept_id(self, name: str) -> str:
        for table in (self.known, self.by_full_name):
            if name in table:
                return table[name]["dept_id"]
        info = self.curation.departments.get(name)
        if info is not None:
            return info.dept_id
        return new_dept_id(name)


def new_dept_id(name: str) -> str:
    """Stable ASCII id for a department first seen in an import."""
    return "dept_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


def check_rows(table: Table, themes: pl.DataFrame, departments: _Departments) -> tuple[list[FileRow], list[Problem]]:
    problems: list[Problem] = []
    valid: list[FileRow] = []
    theme_ids = _theme_lookup(themes)
    theme_names = "、".join(themes.get_column("name").to_list())
    seen: dict[tuple[int, str, str, int], int] = {}
    for number, cells in table.rows:
        values = {key: clean(cells[index]) for key, index in table.columns.items()}
        for key in NAME_FIELDS:  # codes and names: NFKC, so ２０２３ is 2023 and look-alikes are one name
            if key in values:
                values[key] = normalise_name(values[key])
        before = len(problems)

        def problem(key: str, message: str, number: int = number) -> None:
            problems.append(Problem(number, HEADER_OF[key], message))

        for column in COLUMNS:
            if column.required and column.field in table.columns and not values[column.field]:
                problem(column.field, "不能为空")
        year = _parse_int(values.get("year", ""))
        if values.get("year") and year is None:
            problem("year", f"应为整数年份（如 2023），实际为「{values['year']}」")
        elif year is not None and not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            problem("year", f"年份 {year} 不在 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 之间")
        seq = _parse_int(values.get("seq", ""))
        if values.get("seq") and (seq is None or seq < 1 or seq > 9999):
            problem("seq", f"应为从 1 开始的整数，实际为「{values['seq']}」")
        status: str | None = None
        if values.get("status"):
            text = values["status"]
            status = STATUS_BY_LABEL.get(text) or (text.lower() if text.lower() in STATUSES else None)
            if status is None:
                labels = "/".join(STATUS_LABELS_ZH.values())
                problem("status", f"无法识别的状态「{text}」，应为 {labels} 之一，或留空由系统根据完成情况判断")
        period = parse_period(values.get("period", ""))
        if period is None:
            problem("period", f"无法识别的期间「{values['period']}」，应为 {PERIOD_FORMS_ZH}")
        file_targets: list[GoalTarget] = []
        if values.get("target"):
            file_targets, message = parse_target_cell(values["target"])
            if message:
                problem("target", message)
        themes_given: tuple[str, ...] | None = None
        if values.get("themes"):
            parts = parse_theme_list(values["themes"])
            unknown = [p for p in parts if p.lower() not in theme_ids]
            if unknown:
                problem(
                    "themes",
                    f"未知的主题 {'、'.join(f'「{u}」' for u in unknown)}，可选主题：{theme_names}；或留空由系统判断",
                )
            else:
                themes_given = tuple(dict.fromkeys(theme_ids[p.lower()] for p in parts))
        department = values.get("department", "")
        if department and year is not None and seq is not None and period is not None:
            key = (year, period, departments.dept_id(department), seq)
            if key in seen:
                problems.append(
                    Problem(
                        number,
                        "",
                        f"年度 {year}、期间 {PERIOD_LABELS_ZH[period]}、部门 {department}、序号 {seq} "
                        f"与第{seen[key]}行重复（同一期间的同一目标只能出现一次）",
                    )
                )
            else:
                seen[key] = number
        if len(problems) > before:
            continue
        dept_id = departments.dept_id(department)
        # A title copied from the report may keep its number (「2.加大…」); 「2.5万套…」 is not a number prefix.
        seq_prefix = re.compile(rf"^{seq}\s*[.．、](?!\d)\s*")
        title = seq_prefix.sub("", join_lines(values["title"]))
        if not title:
            problem("title", f"只有序号「{values['title']}」，没有目标内容")
            continue
        valid.append(
            FileRow(
                row=number,
                year=year,
                department=department,
                dept_id=dept_id,
                seq=seq,
                title=title,
                result=join_lines(values["result"]),
                status=status,
                themes=themes_given,
                period=period,
                targets=tuple(file_targets),
            )
        )
    return valid, problems


# --- the current data ----------------------------------------------------------------------------


def _current_dataset(directory: Location, curation: Curation) -> Dataset:
    """The dataset in ``directory``; an empty one (themes from curation) when it holds no data file yet."""
    if not any(table_path(directory, name).exists() for name in TABLES):
        return frames([], [], [], themes_frame(curation))
    return read_dataset(directory)


def _curation_for(themes: pl.DataFrame, curation: Curation) -> Curation:
    """Curation whose theme keywords are those stored with the data (what the dashboard shows)."""
    stored = {
        r["theme_id"]: Theme(r["theme_id"], r["name"], r["name_en"], tuple(r["keywords"]))
        for r in themes.iter_rows(named=True)
    }
    return replace(curation, themes=stored)


# --- planning --------------------------------------------------------------------------------------


def plan_import(
    content: bytes, file_name: str, directory: Location | None = None, curation_dir: Path | None = None
) -> ImportPlan:
    """Read, check and merge the file against the data in ``directory``; writes nothing.
    ``curation_dir`` defaults to ``KPI_CURATION_DIR``, else the bundled ``data/curation``."""
    directory = location(directory) if directory is not None else data_dir()
    curation_dir = curation_dir if curation_dir is not None else configured_curation_dir()
    plan = ImportPlan(file_name=Path(file_name).name, directory=directory, fingerprint=fingerprint(directory))
    try:
        curation = load_curation(curation_dir)
        current = _current_dataset(directory, curation)
    except (CurationError, ContractError) as exc:
        plan.problems.append(Problem(0, "", f"现有数据或整理文件无法读取，未做任何改动：{exc}"))
        return plan
    try:
        table, notes, warnings, problems = read_table(content, file_name)
    except IngestError as exc:
        plan.problems.extend(exc.problems)
        return plan
    plan.notes.extend(notes)
    plan.warnings.extend(warnings)
    plan.problems.extend(problems)
    if problems and any(p.row == table.header_row or p.row == 0 for p in problems):
        return plan  # without the right columns, row checks would only repeat the same problem
    departments = _Departments(current.departments, curation)
    rows, row_problems = check_rows(table, current.themes, departments)
    plan.problems.extend(row_problems)
    plan.problems.sort(key=problem_order)
    if plan.problems:
        return plan
    try:
        _merge(plan, rows, current, _curation_for(current.themes, curation))
        plan.dataset = validate(plan.dataset) if plan.dataset is not None else None
    except ContractError as exc:
        plan.problems.append(Problem(0, "", f"合并后的数据不符合约定，未做任何改动：{exc}"))
        plan.dataset = None
    return plan


def _merge(plan: ImportPlan, rows: list[FileRow], current: Dataset, curation: Curation) -> None:
    """Upsert the rows into ``current``; fills the plan's changes, counts, warnings and dataset."""
    dept_rows = current.departments.sort("sort_order").to_dicts()
    goals = current.goals.to_dicts()
    position = {(g["year"], g["period"], g["dept_id"], g["seq"]): i for i, g in enumerate(goals)}
    indicators: dict[str, list[dict]] = {}
    for indicator in current.indicators.iter_rows(named=True):
        indicators.setdefault(indicator["goal_id"], []).append(indicator)
    targets: dict[str, list[dict]] = {}
    for target in current.goal_targets.iter_rows(named=True):
        targets.setdefault(target["goal_id"], []).append(target)
    theme_names = dict(current.themes.select("theme_id", "name").iter_rows())
    fallback = FALLBACK_THEME if FALLBACK_THEME in theme_names else next(iter(theme_names), FALLBACK_THEME)
    next_order = max((d["sort_order"] for d in dept_rows), default=0) + 1
    known_ids = {d["dept_id"] for d in dept_rows}
    fresh: set[str] = set()  # goals lit in this import

    for row in rows:
        if row.dept_id not in known_ids:
            info = curation.departments.get(row.department)
            new = {
                "dept_id": row.dept_id,
                "name": row.department,
                "full_name": info.full_name if info else row.department,
                "sector": info.sector if info else NEW_DEPARTMENT_SECTOR,
                "sort_order": next_order,
            }
            next_order += 1
            known_ids.add(row.dept_id)
            dept_rows.append(new)
            plan.new_departments.append(new)
            if info is None:
                plan.warnings.append(
                    Problem(
                        row.row,
                        HEADER_OF["department"],
                        f"「{row.department}」是新部门，将以 {row.dept_id} 新建（全称暂用此名，领域「{NEW_DEPARTMENT_SECTOR}」）。"
                        "如是笔误，请改为现有部门名称后重新上传",
                    )
                )
            known_names = [d["name"] for d in dept_rows if d["dept_id"] != row.dept_id]
            similar = difflib.get_close_matches(row.department, known_names, n=1, cutoff=LOOKALIKE_CUTOFF)
            if similar:
                plan.warnings.append(
                    Problem(
                        row.row,
                        HEADER_OF["department"],
                        f"新部门「{row.department}」与现有部门「{similar[0]}」很相似，请确认不是笔误或夹带了不可见字符",
                    )
                )
        key = (row.year, row.period, row.dept_id, row.seq)
        goal_id = goal_id_for(row.year, row.dept_id, row.seq, row.period)
        existing = goals[position[key]] if key in position else None
        stored_file_targets = [t["quote"] for t in targets.get(goal_id, []) if t["basis"] == "file"]
        text_same = (
            existing is not None
            and existing["title"] == row.title
            and existing["result"] == row.result
            and stored_file_targets == [t.quote for t in row.targets]
        )
        status_same = row.status is None or (existing is not None and row.status == existing["status"])
        themes_same = row.themes is None or (existing is not None and set(row.themes) == set(existing["themes"]))
        if existing is not None and text_same and status_same and themes_same:
            plan.changes.append(
                _change("unchanged", row, existing, len(indicators.get(goal_id, [])), targets=targets.get(goal_id, []))
            )
            continue

        status = (row.status, f"{STATUS_FROM_FILE}：{STATUS_LABELS_ZH[row.status]}") if row.status else None
        fresh.add(goal_id)
        if text_same:
            # Same words: keep the figures (and any curated fix of them); only status or themes change.
            goal = dict(existing)
            if row.status:
                goal["status"], goal["status_reason"] = status
            if row.themes:
                goal["themes"] = list(row.themes)
            goal_indicators = indicators.get(goal_id, [])
            goal_targets = targets.get(goal_id, [])
            goal = relight(goal, goal_indicators, goal_targets, curation)
        else:
            goal, goal_indicators, goal_targets = _analyse(plan, row, curation, status)
            if not goal["themes"]:
                goal["themes"] = [fallback]
                plan.warnings.append(
                    Problem(
                        row.row,
                        HEADER_OF["themes"],
                        f"未能从关键词判断主题，暂定为「{theme_names.get(fallback, fallback)}」；如不合适请在「主题」列中填写",
                    )
                )
            plan.indicators_extracted += len(goal_indicators)
        if existing is None:
            position[key] = len(goals)
            goals.append(goal)
            plan.changes.append(_change("added", row, goal, len(goal_indicators), targets=goal_targets))
        else:
            goals[position[key]] = goal
            if not text_same:
                plan.indicators_replaced += len(indicators.get(goal_id, []))
            changed = tuple(
                label
                for label, differs in (
                    ("目标任务", existing["title"] != goal["title"]),
                    ("目标值", stored_file_targets != [t.quote for t in row.targets]),
                    ("完成情况", existing["result"] != goal["result"]),
                    ("状态", existing["status"] != goal["status"]),
                    ("主题", set(existing["themes"]) != set(goal["themes"])),
                )
                if differs
            )
            plan.changes.append(_change("updated", row, goal, len(goal_indicators), changed, goal_targets))
        indicators[goal_id] = goal_indicators
        targets[goal_id] = goal_targets

    # Lights decided with other thresholds than those in force are decided again, so the
    # thresholds stored with each period are those of all its lights.
    known_periods = current.periods.to_dicts()
    plan.stale_periods = len(stale_periods(known_periods, curation.light_thresholds))
    plan.relit_changed = relight_stale(goals, indicators, targets, known_periods, curation, fresh)
    ordered_indicators = [i for g in goals for i in indicators.get(g["goal_id"], [])]
    ordered_targets = [t for g in goals for t in targets.get(g["goal_id"], [])]
    periods = period_rows(goals, curation, known_periods)
    plan.dataset = frames(dept_rows, goals, ordered_indicators, current.themes, periods, ordered_targets)


def _analyse(
    plan: ImportPlan, row: FileRow, curation: Curation, status: tuple[str, str] | None
) -> tuple[dict, list[dict], list[dict]]:
    """Figures, targets, status, themes and light of a new or rewritten goal, by the seed build's rules."""
    info = curation.departments.get(row.department)
    default_themes = info.default_themes if info else ()
    # Curated fixes were written for the seed year's sentences; they apply while those figures remain.
    # Dated rows (the review queue's decisions on imported goals) apply to their own year.
    seed = row.year == SOURCE_YEAR and row.period == FULL_YEAR
    overrides = curation.overrides_for(row.year, row.department, row.seq, SOURCE_YEAR if seed else -1, row.period)
    target_overrides = curation.target_overrides.get((row.department, row.seq), ()) if seed else ()
    arguments = {
        "year": row.year,
        "dept_id": row.dept_id,
        "seq": row.seq,
        "title": row.title,
        "result": row.result,
        "curation": curation,
        "default_themes": default_themes,
        "status": status,
        "themes": row.themes,
        "period": row.period,
        "extra_targets": row.targets,
    }
    try:
        return analyse_goal(**arguments, overrides=overrides, target_overrides=target_overrides)
    except CurationError:
        plan.warnings.append(
            Problem(
                row.row,
                HEADER_OF["result"],
                "完成情况已改写，data/curation 中针对原文指标的人工校订不再适用，已按规则重新提取",
            )
        )
        return analyse_goal(**arguments)


def _change(
    action: str,
    row: FileRow,
    goal: dict,
    indicators: int,
    changed: tuple[str, ...] = (),
    targets: Sequence[dict] = (),
) -> Change:
    return Change(
        period=row.period,
        light=goal["light"],
        targets=len(targets),
        action=action,
        row=row.row,
        year=row.year,
        department=row.department,
        seq=row.seq,
        title=goal["title"],
        status=goal["status"],
        themes=tuple(goal["themes"]),
        indicators=indicators,
        changed=changed,
    )


# --- writing --------------------------------------------------------------------------------------


def apply_import(
    plan: ImportPlan,
    before_replace: Callable[[], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ImportResult:
    """Write a checked plan. Nothing is written when it has problems or changes nothing.

    The data directory's lock is held from the check that the data are still those the plan
    was made against until the new version is current: a second writer waits, then is refused
    (``WriterBusyError``), and a plan made before someone else wrote is refused (``StaleDataError``).
    """
    if not plan.ok or plan.dataset is None:
        raise ValueError("导入计划有问题，不能写入")
    if not plan.has_changes:
        return ImportResult(written=False, history_entry=None)
    with writer_lock(plan.directory):
        if fingerprint(plan.directory) != plan.fingerprint:
            raise StaleDataError(
                "预览之后数据已被修改（可能有人同时导入或恢复了数据）。请重新上传文件，核对新的预览后再导入。"
            )
        stamp = write_with_history(plan.dataset, plan.directory, before_replace, on_step)
    return ImportResult(written=True, history_entry=stamp)


# --- reporting ---------------------------------------------------------------------------------


def changes_frame(plan: ImportPlan) -> pl.DataFrame:
    """The preview table (Chinese headers), changed goals first."""
    order = {"added": 0, "updated": 1, "unchanged": 2}
    changes = sorted(plan.changes, key=lambda c: (order[c.action], c.row))
    theme_names: dict[str, str] = {}
    if plan.dataset is not None:
        theme_names = dict(plan.dataset.themes.select("theme_id", "name").iter_rows())
    return pl.DataFrame(
        {
            "操作": [ACTION_LABELS[c.action] for c in changes],
            "行号": [c.row for c in changes],
            "年度": [c.year for c in changes],
            "期间": [PERIOD_LABELS_ZH[c.period] for c in changes],
            "部门": [c.department for c in changes],
            "序号": [c.seq for c in changes],
            "目标任务": [c.title for c in changes],
            "状态": [STATUS_LABELS_ZH[c.status] for c in changes],
            "主题": ["、".join(theme_names.get(t, t) for t in c.themes) for c in changes],
            "指标数": [c.indicators for c in changes],
            "目标值数": [c.targets for c in changes],
            "灯色": [LIGHT_LABELS[c.light] for c in changes],
            "改动": ["、".join(c.changed) for c in changes],
        },
        schema={
            "操作": pl.String,
            "行号": pl.Int64,
            "年度": pl.Int64,
            "期间": pl.String,
            "部门": pl.String,
            "序号": pl.Int64,
            "目标任务": pl.String,
            "状态": pl.String,
            "主题": pl.String,
            "指标数": pl.Int64,
            "目标值数": pl.Int64,
            "灯色": pl.String,
            "改动": pl.String,
        },
    )


def summary(plan: ImportPlan) -> str:
    """One line: goals added / updated / unchanged and figures extracted."""
    line = (
        f"新增目标 {plan.count('added')} 条，更新 {plan.count('updated')} 条，未变 {plan.count('unchanged')} 条；"
        f"提取指标 {plan.indicators_extracted} 条"
    )
    if plan.indicators_replaced:
        line += f"（替换更新目标原有的 {plan.indicators_replaced} 条）"
    if plan.new_departments:
        line += f"；新建部门 {len(plan.new_departments)} 个：{'、'.join(d['name'] for d in plan.new_departments)}"
    if plan.stale_periods:
        line += (
            f"；进度灯阈值（light_thresholds.csv）与数据中记录的不同：{plan.stale_periods} 个期间的全部目标按现行阈值"
            f"重新判断灯色，原有目标中 {plan.relit_changed} 条灯色或理由改变"
        )
    return line


def format_report(plan: ImportPlan, result: ImportResult | None = None, dry_run: bool = False) -> str:
    lines = [f"文件：{plan.file_name}"]
    lines.extend(plan.notes)
    if plan.problems:
        lines.append(f"发现 {len(plan.problems)} 个问题，未导入任何数据（数据目录未改动）：")
        lines.extend(f"  - {p}" for p in plan.problems)
        lines.append("请修改文件后重新导入。")
        return "\n".join(lines)
    lines.append(summary(plan))
    if plan.warnings:
        lines.append("提示：")
        lines.extend(f"  - {w}" for w in plan.warnings)
    for change in plan.changes:
        if change.action == "unchanged":
            continue
        detail = (
            f"指标 {change.indicators} 条，目标值 {change.targets} 个，状态 {STATUS_LABELS_ZH[change.status]}，"
            f"灯色 {LIGHT_LABELS[change.light]}"
        )
        if change.changed:
            detail = f"改动：{'、'.join(change.changed)}；" + detail
        lines.append(
            f"  {ACTION_LABELS[change.action]} 第{change.row}行 {change.year}年{PERIOD_LABELS_ZH[change.period]} "
            f"{change.department} {change.seq}."
            f"{change.title}（{detail}）"
        )
    if not plan.has_changes:
        lines.append("文件内容与现有数据一致，没有需要写入的改动。")
    if dry_run:
        lines.append("试运行：未写入任何文件。")
    elif result is not None and result.written:
        lines.append(f"已写入 {plan.directory}。")
        if result.history_entry:
            lines.append(
                f"导入前的数据保留为版本 {entry_path(plan.directory, result.history_entry)}；"
                f"如需撤销：python -m kpi.ingest --restore {result.history_entry}"
            )
    return "\n".join(lines)


def plan_over_pipes() -> None:
    """``plan_import`` for the admin page's checking process: arguments DIRECTORY FILE_NAME, the
    file's bytes on stdin, the pickled plan on stdout."""
    directory, file_name = sys.argv[1], sys.argv[2]
    plan = plan_import(sys.stdin.buffer.read(), file_name, location(directory))
    sys.stdout.buffer.write(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL))


# --- command line ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = ChineseArgumentParser(
        prog="python -m kpi.ingest",
        description="导入目标完成情况表（.xlsx 或 UTF-8 .csv），或恢复历史版本",
    )
    parser.add_argument("file", nargs="?", type=Path, help="要导入的 .xlsx 或 .csv 文件")
    parser.add_argument("--data-dir", default=None, help="数据目录或 s3://存储桶/前缀（默认为 KPI_DATA_DIR 或 data/）")
    parser.add_argument("--dry-run", action="store_true", help="只检查并显示将要发生的改动，不写入")
    parser.add_argument("--restore", metavar="TIMESTAMP", help="恢复 history/ 下的某个历史版本")
    args = parser.parse_args(argv)
    try:
        directory = command_location(args.data_dir) if args.data_dir else data_dir()
    except ContractError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2

    if args.restore:
        if args.file or args.dry_run:
            print("--restore 不能与导入文件或 --dry-run 同时使用", file=sys.stderr)
            return 2
        try:
            result = restore(args.restore, directory)
        except (HistoryError, ContractError) as exc:
            print(f"恢复失败，数据未改动：{exc}", file=sys.stderr)
            return 2
        except WriterBusyError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"恢复失败（写入出错：{exc.strerror or exc}），原数据未改动。", file=sys.stderr)
            return 1
        counts = result.counts
        print(
            f"已恢复到 {result.timestamp} 的版本：部门 {counts['departments']} 个，目标 {counts['goals']} 条，"
            f"指标 {counts['indicators']} 条。"
        )
        if result.history_entry:
            print(f"恢复前的数据已备份为 {result.history_entry}（可再次 --restore {result.history_entry}）。")
        return 0

    if args.file is None:
        print("请指定要导入的文件，例如：python -m kpi.ingest 目标完成情况.xlsx", file=sys.stderr)
        return 2
    try:
        content = args.file.read_bytes()
    except OSError as exc:
        reason = "找不到文件" if isinstance(exc, FileNotFoundError) else "无法读取文件"
        print(f"{reason}：{args.file}", file=sys.stderr)
        return 2
    plan = plan_import(content, args.file.name, directory)
    if not plan.ok:
        print(format_report(plan), file=sys.stderr)
        return 2
    if args.dry_run:
        print(format_report(plan, dry_run=True))
        return 0
    try:
        result = apply_import(plan)
    except StaleDataError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except WriterBusyError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (OSError, ContractError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"写入失败（{reason}），原数据未改动。", file=sys.stderr)
        return 1
    print(format_report(plan, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
