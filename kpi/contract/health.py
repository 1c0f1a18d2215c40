"""Health checks of a data directory: what keeps the dashboard from reading it, in Chinese.

Both checks look at one version: the one ``current`` names when it is resolved
(``kpi.contract.storage.current_version``), or a version directory given itself.
``dataset_problems()`` is the check run before every page (once per version of the
files): each file present and not a symlink, a readable Parquet footer, the
contract's columns and types, at least one row (but in goal_targets), and that the tables agree with each
other (every goal's department and themes exist, every figure's goal exists and its
quote is in that goal's narrative) — reading only those key columns (the dashboard runs the
same SQL on the tables it has loaded for its queries, instead of reading them twice). With
``deep=True`` it also decodes every row, to name the broken file after a query
failed on files the cheap check passed. ``file_signature()`` is the files' identity
(version directory, inode, size, modification time), which the query layer keys its
caches on. ``validated_when_published()`` tells the dashboard that a version's files are
those its publisher validated (the agreement included), so it need not check it again.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from kpi.contract import bucket
from kpi.contract.bucket import BucketPath
from kpi.contract.schema import DERIVED_WHEN_MISSING, TABLE_LABELS, TABLES, ContractError
from kpi.contract.storage import (
    MANIFEST,
    Location,
    current_version,
    data_dir,
    file_sha256,
    link_problem,
    parquet_shape,
    read_frame,
    scan_frame,
)

FileSignature = tuple[tuple[int, int, int] | None, ...]


def file_signature(version: Location) -> FileSignature:
    """(inode, size, mtime) of each table file of a version directory, None where missing:
    changes whenever a file does. In a bucket (no inodes): (0, size, mtime), from one listing."""
    if isinstance(version, BucketPath):
        listed = {entry.name: (0, entry.size, entry.mtime_ns) for entry in bucket.list_dir(version)}
        return tuple(listed.get(f"{name}.parquet") for name in TABLES)
    signature = []
    for name in TABLES:
        try:
            stat = (Path(version) / f"{name}.parquet").lstat()
        except OSError:
            signature.append(None)
        else:
            signature.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def resolve(directory: Location | None = None) -> tuple[Location | None, list[str]]:
    """The version directory in force, or None and the reason it cannot be read (also a bucket
    that cannot be reached: ``bucket.StoreError``)."""
    try:
        version = current_version(directory or data_dir())
    except (ContractError, bucket.StoreError) as exc:
        return None, [str(exc)]
    problem = link_problem(version)
    return (None, [f"数据版本 {version.name}：{problem}"]) if problem else (version, [])


# Tables the dashboard cannot show anything without. Goal targets may be empty (no goal of the
# data states a target); every goal belongs to a period, so periods has rows whenever goals do.
ROWS_REQUIRED = frozenset({"departments", "goals", "indicators", "themes", "periods"})

# Contract types a Parquet file may use instead: any integer width where Int32 is expected.
_INTEGER_TYPES = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)
_TYPE_WORDS = {
    "Int32": "整数",
    "Float64": "小数",
    "String": "文本",
    "Boolean": "是/否",
    "List(String)": "文本列表",
}


def _type_word(dtype: pl.DataType) -> str:
    return f"{_TYPE_WORDS.get(str(dtype), str(dtype))}（{dtype}）"


def _type_fits(actual: pl.DataType, expected: pl.DataType) -> bool:
    if actual == expected:
        return True
    return expected == pl.Int32 and any(actual == candidate for candidate in _INTEGER_TYPES)


def file_problems(path: Location, name: str, deep: bool) -> list[str]:
    where = f"{path.name}（{TABLE_LABELS[name]}）"
    linked = link_problem(path)
    if linked:
        return [f"{where}：{linked}"]
    try:
        present = path.is_file()
    except bucket.StoreError as exc:
        return [f"{where}：{exc}"]
    if not present:
        if name in DERIVED_WHEN_MISSING:
            return [f"{where}：文件不存在（报告期间出现之前的旧版数据；重新导入或运行 python -m kpi.build 即可补齐）"]
        return [f"{where}：文件不存在"]
    try:
        rows, schema = parquet_shape(path)
        if deep:
            read_frame(path)
    except bucket.StoreError as exc:
        return [f"{where}：{exc}"]
    except Exception as exc:  # pyarrow, polars and the OS raise many kinds for a damaged file
        return [f"{where}：文件已损坏或不完整，无法作为 Parquet 读取（{type(exc).__name__}）"]
    problems = []
    expected = TABLES[name]
    missing = [column for column in expected if column not in schema]
    if missing:
        problems.append(f"{where}：缺少列 {'、'.join(missing)}")
    for column, dtype in expected.items():
        if column in schema and not _type_fits(schema[column], dtype):
            actual = _type_word(schema[column])
            problems.append(f"{where}：列「{column}」应为{_type_word(dtype)}，实际为{actual}")
    if rows == 0 and name in ROWS_REQUIRED:
        problems.append(f"{where}：没有任何数据行")
    return problems


def dataset_problems(directory: Location, deep: bool = False) -> list[str]:
    """One line per problem, naming the file; empty when all is well. ``directory`` is a data
    directory (its current version is checked) or a version directory."""
    version, problems = resolve(directory)
    if version is None:
        return problems
    return version_file_problems(version, deep) or consistency_problems(version)


def version_file_problems(version: Location, deep: bool = False) -> list[str]:
    """The per-file part of ``dataset_problems`` for one version directory."""
    return [problem for name in TABLES for problem in file_problems(version / f"{name}.parquet", name, deep)]


_EXAMPLES = 3

# The key columns the agreement between the tables is checked on.
CONSISTENCY_COLUMNS: dict[str, tuple[str, ...]] = {
    "departments": ("dept_id",),
    "themes": ("theme_id",),
    "goals": ("goal_id", "dept_id", "year", "result", "themes"),
    "indicators": ("indicator_id", "goal_id", "year", "quote"),
}

# Each check: how many rows disagree, and the first few of them (by id) to name. Fixed SQL over
# the relations departments, themes, goals and indicators.
_ORPHAN_GOALS_SQL = """
    SELECT count(*), list(goal_id ORDER BY goal_id)[1:$examples] FROM goals g
    WHERE NOT EXISTS (SELECT 1 FROM departments d WHERE d.dept_id = g.dept_id)
"""
_UNKNOWN_THEMES_SQL = """
    WITH used AS (SELECT DISTINCT goal_id FROM (SELECT goal_id, unnest(themes) AS theme FROM goals) t
                  WHERE theme IS NOT NULL AND NOT EXISTS (SELECT 1 FROM themes th WHERE th.theme_id = t.theme))
    SELECT count(*), list(goal_id ORDER BY goal_id)[1:$examples] FROM used
"""
# A figure whose goal is missing, and one whose quote is not in its goal's narrative, in one join,
# one year at a time (a figure belongs to a goal of its own year: the contract checks it when the
# data are written): the join holds a year's narratives, not all of them beside the tables the
# dashboard has loaded (a province's ten years: ≈ 190 MB less at the peak). Written a year
# after another, DuckDB reads only that year's row groups.
_FIGURE_YEARS_SQL = "SELECT DISTINCT year FROM indicators ORDER BY year"
_FIGURES_SQL = """
    WITH joined AS (
        SELECT i.indicator_id, g.result IS NULL AS orphan,
               g.result IS NOT NULL AND length(i.quote) > 0 AND NOT contains(g.result, i.quote) AS lost
        FROM (SELECT indicator_id, goal_id, quote FROM indicators WHERE year IS NOT DISTINCT FROM $year) i
        LEFT JOIN (SELECT goal_id, result FROM goals WHERE year IS NOT DISTINCT FROM $year) g
            ON g.goal_id = i.goal_id
    )
    SELECT count(*) FILTER (WHERE orphan), list(indicator_id ORDER BY indicator_id) FILTER (WHERE orphan)[1:$examples],
           count(*) FILTER (WHERE lost), list(indicator_id ORDER BY indicator_id) FILTER (WHERE lost)[1:$examples]
    FROM joined
"""


def _examples(count: int, examples: list[str] | None) -> str:
    return "、".join(examples or []) + ("等" if count > _EXAMPLES else "")


def validated_when_published(version: Location) -> bool:
    """True when every table file of a version directory is, byte for byte, the file its publisher
    validated before publishing (``kpi.contract.storage.MANIFEST``): the same size and
    modification time, or, where the time moved (a copy, a checkout), the same SHA-256. A file
    changed or replaced since, a version written without a manifest (before it existed, or by
    hand) or a manifest that cannot be read: False, and the agreement is checked. In a bucket:
    False (its manifest records no time, and the check reads what was loaded anyway)."""
    if isinstance(version, BucketPath):
        return False
    try:
        recorded = json.loads((Path(version) / MANIFEST).read_text(encoding="utf-8"))["tables"]
        for name in TABLES:
            path = Path(version) / f"{name}.parquet"
            entry, stat = recorded[name], path.lstat()
            if path.is_symlink() or stat.st_size != entry["bytes"]:
                return False
            if stat.st_mtime_ns != entry["mtime_ns"] and file_sha256(path) != entry["sha256"]:
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def consistency_problems(version: Location, tables: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """Whether the tables of one version agree: references that point nowhere, quotes that are
    not in their narrative (a mix of two versions shows up here). ``tables``: a DuckDB connection
    that already holds this version's tables under their names (the dashboard's); without one,
    only the key columns are read from the files."""
    try:
        if tables is None:
            # Registered frames are seen by this connection only, not by its cursors.
            cursor = duckdb.connect(":memory:")
            for name, columns in CONSISTENCY_COLUMNS.items():
                cursor.register(name, scan_frame(version / f"{name}.parquet", columns).collect())
        else:
            cursor = tables.cursor()
        try:
            params = {"examples": _EXAMPLES}
            orphan_goals, orphan_goal_ids = cursor.execute(_ORPHAN_GOALS_SQL, params).fetchone()
            unknown_themes, unknown_theme_ids = cursor.execute(_UNKNOWN_THEMES_SQL, params).fetchone()
            orphan_figures, lost_quotes, orphan_ids, lost_ids = 0, 0, [], []
            for (year,) in cursor.execute(_FIGURE_YEARS_SQL).fetchall():
                orphans, orphan_part, lost, lost_part = cursor.execute(_FIGURES_SQL, params | {"year": year}).fetchone()
                orphan_figures, lost_quotes = orphan_figures + orphans, lost_quotes + lost
                orphan_ids = sorted(orphan_ids + (orphan_part or []))[:_EXAMPLES]
                lost_ids = sorted(lost_ids + (lost_part or []))[:_EXAMPLES]
        finally:
            cursor.close()
    except bucket.StoreError as exc:
        return [str(exc)]
    except Exception as exc:  # damaged rows: the deep check names the file
        return [f"数据文件无法一致地读取（{type(exc).__name__}）"]
    problems = []
    if orphan_goals:
        problems.append(
            f"goals.parquet（目标表）：{orphan_goals} 条目标的部门不在部门表中（{_examples(orphan_goals, orphan_goal_ids)}）"
        )
    if unknown_themes:
        problems.append(
            f"goals.parquet（目标表）：{unknown_themes} 条目标的主题不在主题表中"
            f"（{_examples(unknown_themes, unknown_theme_ids)}）"
        )
    if orphan_figures:
        problems.append(
            f"indicators.parquet（指标表）：{orphan_figures} 条指标所属的目标不在目标表中"
            f"（{_examples(orphan_figures, orphan_ids)}）"
        )
    if lost_quotes:
        problems.append(
            f"indicators.parquet（指标表）：{lost_quotes} 条指标的引文在所属目标的完成情况中找不到"
            f"（{_examples(lost_quotes, lost_ids)}）"
        )
    return problems
