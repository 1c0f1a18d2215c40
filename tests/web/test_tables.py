"""The tables as the dashboard loads them (``kpi.web.tables``) are checked for agreement, every year."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from kpi.contract import health
from kpi.contract.storage import table_path
from kpi.web import queries


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


def test_files_their_publisher_validated_are_not_checked_again(tmp_path: Path) -> None:
    """The agreement is checked when a version is published (``storage.validate``), so the
    dashboard skips it for files unchanged since. Shown with a manifest that vouches for files
    that do not agree: they load without a problem, while the same files without it do not."""
    import hashlib
    import json
    import os

    from kpi.contract import storage
    from kpi.pipeline import synth
    from kpi.web import tables

    synth.write_dataset(synth.generate(4, 1, seed=3), tmp_path)
    version = (tmp_path / "current").resolve()
    assert tables.load(version).problems == ()
    path = version / "indicators.parquet"
    figures = pl.read_parquet(path)
    os.chmod(path, 0o644)
    figures.with_columns(quote=pl.lit("原文里没有的一句")).write_parquet(path)
    manifest_path = version / storage.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    (problem,) = tables.load(version).problems
    assert problem.startswith(
        f"indicators.parquet（指标表）：{figures.height} 条指标的引文在所属目标的完成情况中找不到"
    )
    manifest["tables"]["indicators"] = {
        "bytes": path.stat().st_size,
        "mtime_ns": path.stat().st_mtime_ns,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    os.chmod(manifest_path, 0o644)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert tables.load(version).problems == ()
