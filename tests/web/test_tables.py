"""The tables the server loads before Streamlit starts (``kpi.web.tables.preload``) are the ones the
first page run reads, and only while they are still the files in force."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kpi.contract import health
from kpi.contract.storage import current_version, read_dataset, table_path, write_dataset
from kpi.web import queries, tables
from kpi.web.queries import Filters
from tests.support.server import ROOT


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    write_dataset(read_dataset(ROOT / "data"), directory)
    monkeypatch.setenv("KPI_DATA_DIR", str(directory))
    queries.clear_caches()
    yield directory
    queries.clear_caches()


def _key(data: Path) -> str:
    version = current_version(data)
    return tables.version_key(str(version), health.file_signature(version))


def test_the_first_page_run_takes_the_preloaded_tables(data: Path) -> None:
    assert tables.preload() == (current_version(data).name, [])
    goals = read_dataset(data).goals
    assert queries.data_problems() == []
    assert tables.take(_key(data)) is None  # taken over by the page run, not loaded twice
    year = int(goals.get_column("year").max())
    assert queries.tiles(Filters(year))["goals"] == goals.filter(pl.col("year") == year).height


def test_files_changed_after_the_preload_are_read_afresh(data: Path) -> None:
    tables.preload()
    stale = _key(data)
    path = table_path(data, "goals")
    goals = pl.read_parquet(path)
    dropped = goals.get_column("dept_id")[0]
    pl.read_parquet(path).filter(pl.col("dept_id") != dropped).write_parquet(path)
    pl.read_parquet(table_path(data, "indicators")).filter(pl.col("dept_id") != dropped).write_parquet(
        table_path(data, "indicators")
    )
    assert _key(data) != stale
    assert queries.data_problems() == []
    year = int(goals.get_column("year").max())
    kept = goals.filter((pl.col("dept_id") != dropped) & (pl.col("year") == year))
    assert queries.tiles(Filters(year))["goals"] == kept.height


def test_a_preload_of_broken_files_says_what_the_page_says(data: Path) -> None:
    table_path(data, "goals").unlink()
    name, problems = tables.preload()
    assert problems == queries.data_problems() and "goals.parquet（目标表）：文件不存在" in problems[0]


def test_every_year_is_checked_for_quotes_and_goals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures are checked a year at a time: a broken figure in any year is still found,
    by the dashboard on its loaded tables and by the contract's own check alike."""
    from kpi.pipeline import synth

    directory = tmp_path / "years"
    synth.write_dataset(synth.generate(6, 3, seed=2), directory)
    monkeypatch.setenv("KPI_DATA_DIR", str(directory))
    path = table_path(directory, "indicators")
    figures = pl.read_parquet(path)
    middle = sorted(figures.get_column("year").unique().to_list())[1]
    lost = figures.filter(pl.col("year") == middle).get_column("indicator_id").sort()[0]
    orphan = figures.filter(pl.col("year") == middle).get_column("indicator_id").sort()[-1]
    figures.with_columns(
        quote=pl.when(pl.col("indicator_id") == lost).then(pl.lit("原文里没有的一句")).otherwise(pl.col("quote")),
        goal_id=pl.when(pl.col("indicator_id") == orphan).then(pl.lit("无此目标")).otherwise(pl.col("goal_id")),
    ).write_parquet(path)
    for problems in (health.dataset_problems(directory), queries.data_problems()):
        assert problems == [
            f"indicators.parquet（指标表）：1 条指标所属的目标不在目标表中（{orphan}）",
            f"indicators.parquet（指标表）：1 条指标的引文在所属目标的完成情况中找不到（{lost}）",
        ]
    queries.clear_caches()
