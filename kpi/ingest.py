"""Import a table of goals and results (.xlsx or .csv) into the dataset, safely.

    python -m kpi.ingest FILE [--data-dir DIR] [--dry-run]
    python -m kpi.ingest --restore TIMESTAMP [--data-dir DIR]

One row per goal: 年度, 部门, 序号, 目标任务, 完成情况, optional 状态 and 主题
(English headers year, department, seq, goal, result, status, themes also work).

The import runs in two stages. ``plan_import`` reads the file, checks every
row and lists every problem at once (row, column, what is wrong); when there
is none, it merges the rows into the current dataset by (year, department,
seq), analysing new or changed goals with the seed build's own rules
(``kpi.build.analyse_goal``). ``apply_import`` then backs the current files up
under ``DIR/history/<timestamp>/`` and writes the new ones with
``kpi.storage.write_dataset`` (temporary files, validation, rename). A plan
with problems, or one that changes nothing, writes nothing at all.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl

from kpi.build import CURATION_DIR, SOURCE_YEAR, analyse_goal, frames, goal_id_for, themes_frame
from kpi.curation import Curation, CurationError, Theme, load_curation
from kpi.i18n import STATUS_LABELS
from kpi.schema import STATUSES, TABLES, ContractError, Dataset, validate
from kpi.storage import data_dir, read_dataset, table_path, write_dataset
from kpi.themes import parse_theme_list

STATUS_LABELS_ZH = STATUS_LABELS["zh"]  # files are written and read in Chinese

HISTORY_DIR = "history"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%S"
TIMESTAMP = re.compile(r"^\d{8}T\d{6}(\d{6})?$")
DATA_SHEET = "目标完成情况"
INSTRUCTIONS_SHEET = "说明"
NEW_DEPARTMENT_SECTOR = "待分类"
# A goal whose words match no theme keyword, in a department without a default
# theme, is filed here and the import report says so.
FALLBACK_THEME = "economy"
YEAR_RANGE = (2000, 2100)
HEADER_SEARCH_ROWS = 10
STATUS_FROM_FILE = "导入文件指定"


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # Chinese header, as in the template
    alias: str  # English alias
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("year", "年度", "year", True),
    Column("department", "部门", "department", True),
    Column("seq", "序号", "seq", True),
    Column("title", "目标任务", "goal", True),
    Column("result", "完成情况", "result", True),
    Column("status", "状态", "status", False),
    Column("themes", "主题", "themes", False),
)
HEADER_OF = {c.field: c.header for c in COLUMNS}
_HEADER_LOOKUP = {name: c.field for c in COLUMNS for name in (c.header, c.alias)}
STATUS_BY_LABEL = {label: code for code, label in STATUS_LABELS_ZH.items()}


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file. ``row`` is the spreadsheet row (the header is row 1)."""

    row: int  # 0 for the file as a whole
    column: str  # Chinese column header, or "" when it is about the whole row or file
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else ""
        if self.column:
            where += f"「{self.column}」" if where else f"列「{self.column}」"
        return f"{where}：{self.message}" if where else self.message


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


ACTION_LABELS = {"added": "新增", "updated": "更新", "unchanged": "未变"}


@dataclass
class ImportPlan:
    file_name: str
    directory: Path
    fingerprint: str  # of the data files the plan was computed against
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the file was read
    warnings: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    new_departments: list[dict] = field(default_factory=list)
    indicators_extracted: int = 0  # figures of the added and updated goals
    indicators_replaced: int = 0  # old figures of updated goals that they replace
    dataset: Dataset | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def has_changes(self) -> bool:
        return self.ok and (self.count("added") > 0 or self.count("updated") > 0 or bool(self.new_departments))


@dataclass(frozen=True)
class ImportResult:
    written: bool
    history_entry: str | None  # timestamp of the backup of what was replaced


@dataclass(frozen=True)
class RestoreResult:
    timestamp: str
    history_entry: str | None
    counts: dict[str, int]


def _problem_order(problem: Problem) -> tuple[int, int]:
    columns = [c.header for c in COLUMNS]
    return problem.row, columns.index(problem.column) if problem.column in columns else len(columns)


class IngestError(Exception):
    """The file cannot be read at all; carries the problems (Chinese)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class StaleDataError(Exception):
    """The data files changed between planning an import and applying it."""


class HistoryError(ValueError):
    """No such history entry (message in Chinese)."""


# --- reading the file ------------------------------------------------------------------------


def _file_problem(message: str) -> IngestError:
    return IngestError([Problem(0, "", message)])


def _decode_csv(content: bytes) -> tuple[str, str | None]:
    """Text of a CSV file and a note when it was not UTF-8.

    UTF-8 with or without BOM is read as is. Older Excel saves CSV as GBK; if
    the bytes are valid GB18030 (GBK's superset) they are read as such and the
    note says so. Anything else is refused.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_problem("文件是 UTF-16 编码（Excel「Unicode 文本」）。请在 Excel 中「另存为 → CSV UTF-8（逗号分隔）」后再导入。")
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise _file_problem(
            "无法识别文件编码：既不是 UTF-8，也不是 GBK。请在 Excel 中「另存为 → CSV UTF-8（逗号分隔）」后再导入。"
        ) from None
    return text, "文件是 GBK 编码（旧版 Excel 保存的 CSV），已按 GBK 读取。建议以后另存为「CSV UTF-8」。"


def _csv_rows(content: bytes) -> tuple[list[list[str | None]], list[str]]:
    if content.startswith(b"PK\x03\x04"):
        raise _file_problem("文件扩展名是 .csv，内容却是 Excel 工作簿。请把扩展名改为 .xlsx 后再导入。")
    text, note = _decode_csv(content)
    # Comma as saved by Excel; tab or semicolon when another program or locale wrote the file.
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = max((",", "\t", ";"), key=lambda d: max((_recognised(line.split(d)) for line in lines), default=0))
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise _file_problem(f"CSV 格式错误，无法读取：{exc}。请用 Excel 打开后另存为「CSV UTF-8」。") from None
    notes = [note] if note else []
    if note and not any(_recognised(r) >= 2 for r in rows[:HEADER_SEARCH_ROWS]):
        raise _file_problem(
            "文件不是 UTF-8 编码，按 GBK 读取后也找不到表头。请在 Excel 中「另存为 → CSV UTF-8（逗号分隔）」后再导入。"
        )
    return rows, notes


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2023 as a number
    return str(value)


def _xlsx_rows(content: bytes) -> tuple[list[list[str | None]], list[str]]:
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_problem("文件是旧版 .xls 格式或已设置打开密码。请在 Excel 中取消密码并「另存为 → Excel 工作簿（.xlsx）」。")
    try:
        # openpyxl directly rather than pl.read_excel: Polars reads only the Excel table
        # when a sheet has one (rows typed below it would be lost) and trims leading blank
        # rows; here every cell is read and row numbers are the ones Excel shows.
        workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors on a broken file
        raise _file_problem(f"无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式（{type(exc).__name__}）。") from None
    names = workbook.sheetnames
    candidates = [n for n in names if n != INSTRUCTIONS_SHEET]
    if DATA_SHEET in candidates:
        name = DATA_SHEET
    elif len(candidates) == 1:
        name = candidates[0]
    else:
        listed = "、".join(f"「{n}」" for n in names) or "无"
        raise _file_problem(
            f"找不到工作表「{DATA_SHEET}」（工作簿中的工作表：{listed}）。请把要导入的数据放在名为「{DATA_SHEET}」的工作表中。"
        )
    rows = [[_cell_text(v) for v in row] for row in workbook[name].iter_rows(min_row=1, min_col=1, values_only=True)]
    return rows, [f"读取工作表「{name}」。"]


def _normalise_header(cell: str | None) -> str:
    return "".join((cell or "").split()).strip("*＊").lower()


def _recognised(cells: Sequence[str | None]) -> int:
    return sum(1 for c in cells if _HEADER_LOOKUP.get(_normalise_header(c)) is not None)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _clean(cell: str | None) -> str:
    return (cell or "").strip()


_LINE_BREAK = re.compile(r"(.)[ \t\u3000]*[\r\n]+[ \t\u3000]*(?=(.))")


def _join_pair(match: re.Match[str]) -> str:
    before, after = match.group(1), match.group(2)
    latin = before.isascii() and after.isascii() and before.isalnum() and after.isalnum()
    return before + (" " if latin else "")


def _join_lines(text: str) -> str:
    """Remove line breaks typed inside a cell (the seed data has none); keep a space between Latin words."""
    return _LINE_BREAK.sub(_join_pair, text.strip())


@dataclass
class _Table:
    header_row: int  # spreadsheet row number of the header
    columns: dict[str, int]  # field -> 0-based column index
    rows: list[tuple[int, list[str | None]]]  # (row number, cells)


def read_table(content: bytes, file_name: str) -> tuple[_Table, list[str], list[Problem], list[Problem]]:
    """Locate the header and the data rows: (table, notes, warnings, problems).

    Raises IngestError when the file cannot be used at all.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xls":
        raise _file_problem("旧版 .xls 格式不受支持。请在 Excel 中「另存为 → Excel 工作簿（.xlsx）」后再导入。")
    if suffix not in (".xlsx", ".csv"):
        raise _file_problem(f"不支持的文件类型「{suffix or '无扩展名'}」：请使用 .xlsx 或 .csv（UTF-8）文件。")
    if not content.strip():
        raise _file_problem("文件是空的。")
    cells, notes = _xlsx_rows(content) if suffix == ".xlsx" else _csv_rows(content)
    header_index = next(
        (i for i, row in enumerate(cells[:HEADER_SEARCH_ROWS]) if _recognised(row) >= 2),
        None,
    )
    if header_index is None:
        expected = "、".join(f"「{c.header}」" for c in COLUMNS)
        raise _file_problem(f"找不到表头：前{HEADER_SEARCH_ROWS}行中没有 {expected} 等列名。请使用模板中的表头。")
    header_row = header_index + 1
    problems: list[Problem] = []
    warnings: list[Problem] = []
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells[header_index]):
        key = _HEADER_LOOKUP.get(_normalise_header(cell))
        if key is None:
            if _clean(cell):
                ignored.append(f"「{_clean(cell)}」（{column_letter(index)}列）")
            continue
        if key in columns:
            problems.append(
                Problem(
                    header_row,
                    HEADER_OF[key],
                    f"此列出现了两次（{column_letter(columns[key])}列和{column_letter(index)}列），请删除其中一列",
                )
            )
            continue
        columns[key] = index
    for column in COLUMNS:
        if column.required and column.field not in columns:
            problems.append(Problem(header_row, column.header, f"缺少必填列（英文列名 {column.alias}）"))
    if ignored:
        warnings.append(Problem(header_row, "", f"已忽略无法识别的列：{'、'.join(ignored)}"))
    width = len(cells[header_index])
    rows: list[tuple[int, list[str | None]]] = []
    for index in range(header_index + 1, len(cells)):
        row = cells[index]
        if not any(_clean(c) for c in row):
            continue  # blank rows between or after the data are normal in Excel
        extra = [c for c in row[width:] if _clean(c)]
        if extra:
            problems.append(
                Problem(
                    index + 1,
                    "",
                    f"单元格比表头多 {len(row) - width} 个，可能是文字中有未加引号的英文逗号；请用 Excel 另存为 CSV，或改用 .xlsx",
                )
            )
            continue
        rows.append((index + 1, row + [None] * (width - len(row))))
    if not rows and not problems:
        problems.append(Problem(0, "", "文件中没有数据行（只有表头）。"))
    return _Table(header_row, columns, rows), notes, warnings, problems


# --- checking the rows ----------------------------------------------------------------------


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


def check_rows(table: _Table, themes: pl.DataFrame, departments: _Departments) -> tuple[list[FileRow], list[Problem]]:
    problems: list[Problem] = []
    valid: list[FileRow] = []
    theme_ids = _theme_lookup(themes)
    theme_names = "、".join(themes.get_column("name").to_list())
    seen: dict[tuple[int, str, int], int] = {}
    for number, cells in table.rows:
        values = {key: _clean(cells[index]) for key, index in table.columns.items()}
        before = len(problems)

        def problem(key: str, message: str) -> None:
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
        themes_given: tuple[str, ...] | None = None
        if values.get("themes"):
            parts = parse_theme_list(values["themes"])
            unknown = [p for p in parts if p.lower() not in theme_ids]
            if unknown:
                problem("themes", f"未知的主题 {'、'.join(f'「{u}」' for u in unknown)}，可选主题：{theme_names}；或留空由系统判断")
            else:
                themes_given = tuple(dict.fromkeys(theme_ids[p.lower()] for p in parts))
        department = values.get("department", "")
        if department and year is not None and seq is not None:
            key = (year, departments.dept_id(department), seq)
            if key in seen:
                problems.append(
                    Problem(number, "", f"年度 {year}、部门 {department}、序号 {seq} 与第{seen[key]}行重复（同一目标只能出现一次）")
                )
            else:
                seen[key] = number
        if len(problems) > before:
            continue
        dept_id = departments.dept_id(department)
        # A title copied from the report may keep its number (「2.加大…」); 「2.5万套…」 is not a number prefix.
        seq_prefix = re.compile(rf"^{seq}\s*[.．、](?!\d)\s*")
        title = seq_prefix.sub("", _join_lines(values["title"]))
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
                result=_join_lines(values["result"]),
                status=status,
                themes=themes_given,
            )
        )
    return valid, problems


# --- the current data ----------------------------------------------------------------------------


def fingerprint(directory: Path) -> str:
    """Digest of the four data files (a missing file counts), to detect changes between plan and apply."""
    digest = hashlib.sha256()
    for name in TABLES:
        path = table_path(directory, name)
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def _current_dataset(directory: Path, curation: Curation) -> Dataset:
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
    content: bytes, file_name: str, directory: Path | None = None, curation_dir: Path = CURATION_DIR
) -> ImportPlan:
    """Read, check and merge the file against the data in ``directory``; writes nothing."""
    directory = Path(directory) if directory is not None else data_dir()
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
    plan.problems.sort(key=_problem_order)
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
    position = {(g["year"], g["dept_id"], g["seq"]): i for i, g in enumerate(goals)}
    indicators: dict[str, list[dict]] = {}
    for indicator in current.indicators.iter_rows(named=True):
        indicators.setdefault(indicator["goal_id"], []).append(indicator)
    theme_names = dict(current.themes.select("theme_id", "name").iter_rows())
    fallback = FALLBACK_THEME if FALLBACK_THEME in theme_names else next(iter(theme_names), FALLBACK_THEME)
    next_order = max((d["sort_order"] for d in dept_rows), default=0) + 1
    known_ids = {d["dept_id"] for d in dept_rows}

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
        key = (row.year, row.dept_id, row.seq)
        goal_id = goal_id_for(*key)
        existing = goals[position[key]] if key in position else None
        text_same = existing is not None and existing["title"] == row.title and existing["result"] == row.result
        status_same = row.status is None or (existing is not None and row.status == existing["status"])
        themes_same = row.themes is None or (existing is not None and set(row.themes) == set(existing["themes"]))
        if existing is not None and text_same and status_same and themes_same:
            plan.changes.append(_change("unchanged", row, existing, len(indicators.get(goal_id, []))))
            continue

        status = (row.status, f"{STATUS_FROM_FILE}：{STATUS_LABELS_ZH[row.status]}") if row.status else None
        if text_same:
            # Same words: keep the figures (and any curated fix of them); only status or themes change.
            goal = dict(existing)
            if row.status:
                goal["status"], goal["status_reason"] = status
            if row.themes:
                goal["themes"] = list(row.themes)
            goal_indicators = indicators.get(goal_id, [])
        else:
            goal, goal_indicators = _analyse(plan, row, curation, status)
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
            plan.changes.append(_change("added", row, goal, len(goal_indicators)))
        else:
            goals[position[key]] = goal
            if not text_same:
                plan.indicators_replaced += len(indicators.get(goal_id, []))
            changed = tuple(
                label
                for label, differs in (
                    ("目标任务", existing["title"] != goal["title"]),
                    ("完成情况", existing["result"] != goal["result"]),
                    ("状态", existing["status"] != goal["status"]),
                    ("主题", set(existing["themes"]) != set(goal["themes"])),
                )
                if differs
            )
            plan.changes.append(_change("updated", row, goal, len(goal_indicators), changed))
        indicators[goal_id] = goal_indicators

    ordered_indicators = [i for g in goals for i in indicators.get(g["goal_id"], [])]
    plan.dataset = frames(dept_rows, goals, ordered_indicators, current.themes)


def _analyse(
    plan: ImportPlan, row: FileRow, curation: Curation, status: tuple[str, str] | None
) -> tuple[dict, list[dict]]:
    """Figures, status and themes of a new or rewritten goal, by the seed build's rules."""
    info = curation.departments.get(row.department)
    default_themes = info.default_themes if info else ()
    # Curated figure fixes were written for the seed year's sentences; they apply while those figures remain.
    overrides = curation.indicator_overrides.get((row.department, row.seq), ()) if row.year == SOURCE_YEAR else ()
    arguments = dict(
        year=row.year,
        dept_id=row.dept_id,
        seq=row.seq,
        title=row.title,
        result=row.result,
        curation=curation,
        default_themes=default_themes,
        status=status,
        themes=row.themes,
    )
    try:
        return analyse_goal(**arguments, overrides=overrides)
    except CurationError:
        plan.warnings.append(
            Problem(row.row, HEADER_OF["result"], "完成情况已改写，data/curation 中针对原文指标的人工校订不再适用，已按规则重新提取")
        )
        return analyse_goal(**arguments)


def _change(action: str, row: FileRow, goal: dict, indicators: int, changed: tuple[str, ...] = ()) -> Change:
    return Change(
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


# --- writing and history -------------------------------------------------------------------------


def history_entries(directory: Path | None = None) -> list[str]:
    """Timestamps of the kept versions, newest first."""
    root = Path(directory if directory is not None else data_dir()) / HISTORY_DIR
    if not root.is_dir():
        return []
    return sorted((p.name for p in root.iterdir() if p.is_dir() and TIMESTAMP.match(p.name)), reverse=True)


def _snapshot(directory: Path) -> str | None:
    """Copy the current data files to ``history/<timestamp>/``; None when there is nothing to keep.

    The copy is made in a hidden directory and renamed, so an entry is either complete or absent.
    """
    present = [table_path(directory, name) for name in TABLES if table_path(directory, name).exists()]
    if not present:
        return None
    root = directory / HISTORY_DIR
    root.mkdir(exist_ok=True)
    now = datetime.now()
    stamp = now.strftime(TIMESTAMP_FORMAT)
    if (root / stamp).exists():
        stamp = now.strftime(TIMESTAMP_FORMAT + "%f")
    staging = root / f".{stamp}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for path in present:
            shutil.copy2(path, staging / path.name)
            with open(staging / path.name, "rb") as copied:
                os.fsync(copied.fileno())
        os.replace(staging, root / stamp)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # e.g. a full disk while copying: no half entry
        raise
    return stamp


def _write_with_history(
    dataset: Dataset, directory: Path, before_replace: Callable[[], None] | None
) -> str | None:
    """Back up, then write atomically. If the write fails before touching the data, the backup is removed
    again (it equals the data), so the directory is left exactly as it was."""
    had_history = (directory / HISTORY_DIR).exists()
    before = fingerprint(directory)
    stamp: str | None = None
    try:
        stamp = _snapshot(directory)
        write_dataset(dataset, directory, before_replace=before_replace)
    except BaseException:
        # Keep the backup if the data did change (a failure between two renames): it is then the way back.
        if fingerprint(directory) == before:
            if stamp is not None:
                shutil.rmtree(directory / HISTORY_DIR / stamp, ignore_errors=True)
            if not had_history:
                shutil.rmtree(directory / HISTORY_DIR, ignore_errors=True)
        raise
    return stamp


def apply_import(plan: ImportPlan, before_replace: Callable[[], None] | None = None) -> ImportResult:
    """Write a checked plan. Nothing is written when it has problems or changes nothing."""
    if not plan.ok or plan.dataset is None:
        raise ValueError("导入计划有问题，不能写入")
    if not plan.has_changes:
        return ImportResult(written=False, history_entry=None)
    if fingerprint(plan.directory) != plan.fingerprint:
        raise StaleDataError("预览之后数据已被修改（可能有人同时导入或恢复了数据）。请重新上传文件，核对新的预览后再导入。")
    stamp = _write_with_history(plan.dataset, plan.directory, before_replace)
    return ImportResult(written=True, history_entry=stamp)


def restore(
    timestamp: str, directory: Path | None = None, before_replace: Callable[[], None] | None = None
) -> RestoreResult:
    """Put a kept version back (validated, atomically), keeping what it replaces as a new history entry."""
    directory = Path(directory) if directory is not None else data_dir()
    entries = history_entries(directory)
    if not TIMESTAMP.match(timestamp) or timestamp not in entries:
        available = "、".join(entries[:10]) or "无"
        raise HistoryError(f"没有时间戳为「{timestamp}」的历史版本。可恢复的版本（最新在前）：{available}")
    dataset = read_dataset(directory / HISTORY_DIR / timestamp)
    stamp = _write_with_history(dataset, directory, before_replace)
    return RestoreResult(timestamp, stamp, {name: frame.height for name, frame in dataset.tables().items()})


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
            "部门": [c.department for c in changes],
            "序号": [c.seq for c in changes],
            "目标任务": [c.title for c in changes],
            "状态": [STATUS_LABELS_ZH[c.status] for c in changes],
            "主题": ["、".join(theme_names.get(t, t) for t in c.themes) for c in changes],
            "指标数": [c.indicators for c in changes],
            "改动": ["、".join(c.changed) for c in changes],
        },
        schema={
            "操作": pl.String,
            "行号": pl.Int64,
            "年度": pl.Int64,
            "部门": pl.String,
            "序号": pl.Int64,
            "目标任务": pl.String,
            "状态": pl.String,
            "主题": pl.String,
            "指标数": pl.Int64,
            "改动": pl.String,
        },
    )


def problems_frame(problems: Sequence[Problem]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "行号": [p.row or None for p in problems],
            "列": [p.column for p in problems],
            "问题": [p.message for p in problems],
        },
        schema={"行号": pl.Int64, "列": pl.String, "问题": pl.String},
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
        detail = f"指标 {change.indicators} 条，状态 {STATUS_LABELS_ZH[change.status]}"
        if change.changed:
            detail = f"改动：{'、'.join(change.changed)}；" + detail
        lines.append(
            f"  {ACTION_LABELS[change.action]} 第{change.row}行 {change.year}年 {change.department} {change.seq}."
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
                f"导入前的数据已备份到 {plan.directory / HISTORY_DIR / result.history_entry}；"
                f"如需撤销：python -m kpi.ingest --restore {result.history_entry}"
            )
    return "\n".join(lines)


# --- command line ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kpi.ingest",
        description="导入目标完成情况表（.xlsx 或 UTF-8 .csv），或恢复历史版本",
    )
    parser.add_argument("file", nargs="?", type=Path, help="要导入的 .xlsx 或 .csv 文件")
    parser.add_argument("--data-dir", type=Path, default=None, help="数据目录（默认为 KPI_DATA_DIR 或 data/）")
    parser.add_argument("--dry-run", action="store_true", help="只检查并显示将要发生的改动，不写入")
    parser.add_argument("--restore", metavar="TIMESTAMP", help="恢复 history/ 下的某个历史版本")
    args = parser.parse_args(argv)
    directory = args.data_dir.resolve() if args.data_dir else data_dir()

    if args.restore:
        if args.file or args.dry_run:
            print("--restore 不能与导入文件或 --dry-run 同时使用", file=sys.stderr)
            return 2
        try:
            result = restore(args.restore, directory)
        except (HistoryError, ContractError) as exc:
            print(f"恢复失败，数据未改动：{exc}", file=sys.stderr)
            return 2
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
    except (OSError, ContractError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"写入失败（{reason}），原数据未改动。", file=sys.stderr)
        return 1
    print(format_report(plan, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
