"""The data's tables in DuckDB, loaded once per version of the files and checked as they load.

No Streamlit here: the server starts loading (``preload``) before it imports Streamlit, on a
thread of its own, so that DuckDB reads the files while Streamlit starts (DuckDB does not hold
Python's lock while it reads). ``kpi.web.queries`` keeps what ``load`` returns as its one
connection; the first page run takes a preloaded version (``take``) instead of loading it again.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass

import duckdb

from kpi.contract import health
from kpi.contract.schema import TABLES
from kpi.contract.storage import BucketPath, Location, data_dir, read_arrow

# The tables the dashboard queries, loaded into memory. goal_targets is not shown as such
# (its figures reach the screen through the lights and the indicators): at a province's scale
# it is a million rows the dashboard would hold for nothing.
QUERIED_TABLES: tuple[str, ...] = tuple(name for name in TABLES if name != "goal_targets")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """One version's tables (``connection``; None when they could not be read, ``error`` says why)
    and the problems found in them (empty when they can be shown)."""

    connection: duckdb.DuckDBPyConnection | None
    problems: tuple[str, ...]
    error: Exception | None = None


def version_key(version: str, signature: health.FileSignature) -> str:
    """What identifies a version's files: its directory and the files' inode, size and time."""
    return f"{version}|{signature}"


def load(version: Location) -> Loaded:
    """Load the queried tables of a version into an in-memory DuckDB and check that they agree."""
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
        return Loaded(None, tuple(deep or [f"数据文件无法一致地读取（{type(exc).__name__}）"]), exc)
    # Whether the tables agree is checked on the tables as loaded for the queries: the files are
    # read once, not once by Polars for the check and again by DuckDB.
    return Loaded(con, tuple(health.consistency_problems(version, con)))


# At most one preloaded version, by version_key, until a page run takes it.
_preloaded: dict[str, Future[Loaded]] = {}
_lock = threading.Lock()


def preload(directory: Location | None = None) -> tuple[str, list[str]]:
    """Load and check the version in force now (in this thread) and keep it for ``take``: the
    version's name and its problems (empty when it can be shown)."""
    version, problems = health.resolve(directory or data_dir())
    if version is None:
        return "", problems
    problems = health.version_file_problems(version)
    if problems:
        return version.name, problems
    key = version_key(str(version), health.file_signature(version))
    future: Future[Loaded] = Future()
    with _lock:
        _preloaded.clear()
        _preloaded[key] = future
    try:
        loaded = load(version)
    except BaseException as exc:  # a caller waiting in take() gets the error, not a hang
        future.set_exception(exc)
        raise
    future.set_result(loaded)
    return version.name, list(loaded.problems)


def take(key: str) -> Loaded | None:
    """The preloaded tables of the version ``key`` names (waiting while they load), once; None
    when no such version was preloaded."""
    with _lock:
        future = _preloaded.pop(key, None)
    return future.result() if future is not None else None


def forget() -> None:
    with _lock:
        _preloaded.clear()
