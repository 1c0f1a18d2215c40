"""Shared fixtures: the bundled Parquet data read independently with Polars, and AppTest.

Helpers that are not fixtures live in ``tests/support/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.schema import TABLES
from kpi.contract.storage import data_dir, table_path, write_dataset
from kpi.pipeline.build import CURATION_DIR, RAW_FILE, build_dataset
from kpi.pipeline.curation import load_curation
from kpi.web import admin, auth, queries
from tests.support.apptest import APP


@pytest.fixture(scope="session")
def data_directory() -> Path:
    directory = data_dir()
    problems = queries.data_problems(directory)
    if problems:
        pytest.fail(f"数据目录 {directory} 不可用：{problems}；先运行数据构建（python -m kpi.build）")
    return directory


@pytest.fixture(scope="session")
def tables(data_directory: Path) -> dict[str, pl.DataFrame]:
    """Every table read straight from Parquet with Polars: the independent path for expected values."""
    return {name: pl.read_parquet(table_path(data_directory, name)) for name in TABLES}


@pytest.fixture(scope="session")
def year(tables: dict[str, pl.DataFrame]) -> int:
    return int(tables["goals"].get_column("year").max())


@pytest.fixture(scope="session")
def goals(tables: dict[str, pl.DataFrame], year: int) -> pl.DataFrame:
    """Goals of the latest year joined with their department."""
    return (
        tables["goals"]
        .filter(pl.col("year") == year)
        .join(tables["departments"].select("dept_id", "sector", "sort_order", dept_name="name"), on="dept_id")
    )


@pytest.fixture(scope="session")
def indicators(tables: dict[str, pl.DataFrame], goals: pl.DataFrame) -> pl.DataFrame:
    return tables["indicators"].join(goals.select("goal_id"), on="goal_id", how="semi")


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Each test starts from a cold query cache (tests may point KPI_DATA_DIR elsewhere) and
    with no failed logins counted against it."""
    queries.clear_caches()
    auth.VIEWER.throttle.reset()
    admin.throttle().reset()


@pytest.fixture
def make_app() -> Callable[..., AppTest]:
    """An AppTest of app.py opened with the given query parameters and page, already run."""

    def _make(params: dict[str, str | list[str]] | None = None, page: str | None = None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=60)
        for key, value in (params or {}).items():
            app.query_params[key] = value
        app.run()
        if page:
            app.switch_page(f"pages/{page}_page.py").run()
        return app

    return _make


@pytest.fixture(scope="session")
def seed_files(tmp_path_factory) -> Path:
    """A freshly built seed dataset in a temporary directory, for tests that change data."""
    directory = tmp_path_factory.mktemp("seed")
    write_dataset(build_dataset(RAW_FILE.read_text(encoding="utf-8"), load_curation(CURATION_DIR)), directory)
    return directory


# --- a data directory in a bucket: a local S3-compatible server (moto's server mode) ----------------


@pytest.fixture(scope="session")
def s3_server():
    """One moto server on 127.0.0.1 for the whole run (tests/support/s3.py)."""
    from tests.support.s3 import running_s3

    with running_s3() as server:
        yield server


@pytest.fixture
def bucket_dir(s3_server, monkeypatch):
    """``s3://<a new empty bucket>/huzhou``, with the server's endpoint and credentials in the environment."""
    from kpi.contract.storage import location

    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "KPI_S3_ADDRESSING"):
        monkeypatch.delenv(name, raising=False)
    return location(f"s3://{s3_server.new_bucket()}/huzhou")
