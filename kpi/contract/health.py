"""Health checks of a data directory: what keeps the dashboard from reading it, in Chinese.

``dataset_problems()`` is the cheap check run before every page: each file
present, a readable Parquet footer, the contract's columns and types, at least
one row, all without reading the rows; with ``deep=True`` it also decodes every
row, to name the broken file after a query failed on files the cheap check
passed. ``file_signature()`` is the files' identity (inode, size, modification
time), which the query layer keys its caches on.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from kpi.contract.schema import TABLE_LABELS, TABLES
from kpi.contract.storage import data_dir, table_path

FileSignature = tuple[tuple[int, int, int] | None, ...]


def file_signature(directory: Path | None = None) -> FileSignature:
    """(inode, size, mtime) of each table file, None where missing: changes whenever a file does."""
    directory = directory or data_dir()
    signature = []
    for name in TABLES:
        try:
            stat = table_path(directory, name).stat()
        except OSError:
            signature.append(None)
        else:
            signature.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


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


def file_problems(path: Path, name: str, deep: bool) -> list[str]:
    where = f"{path.name}（{TABLE_LABELS[name]}）"
    if not path.is_file():
        return [f"{where}：文件不存在"]
    try:
        rows = pq.read_metadata(path).num_rows
        schema = pl.read_parquet_schema(path)
        if deep:
            pl.read_parquet(path)
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
    if rows == 0:
        problems.append(f"{where}：没有任何数据行")
    return problems


def dataset_problems(directory: Path, deep: bool = False) -> list[str]:
    """One line per problem, naming the file; empty when all is well."""
    return [problem for name in TABLES for problem in file_problems(table_path(directory, name), name, deep)]
