"""Atomic writes and clear errors when reading a broken data directory."""

from dataclasses import replace

import polars as pl
import pytest

from kpi.contract.schema import ContractError
from kpi.contract.storage import read_dataset, table_path, write_dataset
from tests.support.datasets import tiny_dataset


def snapshot(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_round_trip(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    back = read_dataset(tmp_path)
    assert back.indicators.row(0, named=True)["value_text"] == "66个"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "departments.parquet",
        "goal_targets.parquet",
        "goals.parquet",
        "indicators.parquet",
        "periods.parquet",
        "themes.parquet",
    ]


def test_a_crash_before_the_renames_leaves_old_data_intact(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    before = snapshot(tmp_path)
    changed = tiny_dataset()
    changed = replace(changed, goals=changed.goals.with_columns(title=pl.lit("新标题")))

    def crash():
        raise OSError("磁盘已满")

    with pytest.raises(OSError):
        write_dataset(changed, tmp_path, before_replace=crash)
    assert snapshot(tmp_path) == before  # byte for byte, and no temporary files left


def test_invalid_data_is_never_written(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    before = snapshot(tmp_path)
    bad = tiny_dataset()
    bad = replace(bad, goals=bad.goals.with_columns(status=pl.lit("unknown")))
    with pytest.raises(ContractError):
        write_dataset(bad, tmp_path)
    assert snapshot(tmp_path) == before


def test_missing_and_corrupt_files_are_named(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    table_path(tmp_path, "goals").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(ContractError, match="goals.parquet（目标表）无法读取"):
        read_dataset(tmp_path)
    table_path(tmp_path, "goals").unlink()
    with pytest.raises(ContractError, match="缺少文件 goals.parquet"):
        read_dataset(tmp_path)


def test_truncated_file_is_named(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    path = table_path(tmp_path, "indicators")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ContractError, match="indicators.parquet"):
        read_dataset(tmp_path)


def test_written_files_are_readable_by_other_users(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path.name
