"""The data's tables in DuckDB, loaded once per version of the files and checked as they load
(unless their publisher validated them and they have not changed since):
``kpi.web.queries`` keeps what ``load`` returns as its one connection."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from kpi.contract import health
from kpi.contract.schema import TABLES
from kpi.contract.storage import BucketPath, Location, read_arrow

# The tables the dashboard queries, loaded into memory. goal_targets is not shown as such
# (its figures reach the screen through the lights and the indicators): at a province's scale
# it is a million rows the dashboard would hold for nothing.
QUERIED_TABLES: tuple[str, ...] = tuple(name for name in TABLES if name != "goal_targets")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """One version's tables and the problems found in them (empty when they can be shown)."""

    connection: duckdb.DuckDBPyConnection
    problems: tuple[str, ...]


class Unreadable(Exception):
    """The version's files could not be loaded: ``problems`` in words, ``error`` as raised. An
    exception, so that nothing caches it: the next page run tries again (a bucket that did not
    answer for a moment)."""

    def __init__(self, problems: tuple[str, ...], error: Exception) -> None:
        super().__init__("；".join(problems))
        self.problems = problems
        self.error = error


def version_key(version: str, signature: health.FileSignature) -> str:
    """What identifies a version's files: its directory and the files' inode, size and time."""
    return f"{version}|{signature}"


def load(version: Location) -> Loaded:
    """Load the queried tables of a version into an in-memory DuckDB and check that they agree;
    ``Unreadable`` when they cannot be loaded."""
    try:
        con = duckdb.connect(":memory:")
        for name in QUERIED_TABLES:
            # Tables, not views: each query would otherwise decode the Parquet columns again
            # (3–4× slower on a million figures). The relation API takes the path as a value,
            # so no path is spliced into SQL.
            if isinstance(version, BucketPath):
                # A version in a bucket: read through PyArrow's S3 filesystem and handed to DuckDB
                # as Arrow (DuckDB's own S3 reader, httpfs, is an extension it would download).
                con.from_arrow(read_arrow(version / f"{name}.parquet")).create(name)
            else:
                con.read_parquet(str(version / f"{name}.parquet")).create(name)
    except Exception as exc:  # damaged rows the footer did not show: the deep check names the file
        _log.warning("loading version %s failed: %s", version, exc)
        deep = health.version_file_problems(version, deep=True)
        raise Unreadable(tuple(deep or [f"数据文件无法一致地读取（{type(exc).__name__}）"]), exc) from exc
    # Whether the tables agree is checked on the tables as loaded for the queries: the files are
    # read once, not once by Polars for the check and again by DuckDB. Files the publisher
    # validated, unchanged since, agree (≈ 0.5 s of a first page on a million figures).
    if health.validated_when_published(version):
        return Loaded(con, ())
    return Loaded(con, tuple(health.consistency_problems(version, con)))
