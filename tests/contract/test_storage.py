"""Versioned, atomically published writes; one writer at a time; clear errors reading a broken directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from kpi.contract import health, storage
from kpi.contract.schema import ContractError
from kpi.contract.storage import read_dataset, table_path, write_dataset
from tests.support.datasets import tiny_dataset, tiny_variant

ROOT = Path(__file__).resolve().parents[2]


def tree(directory: Path) -> dict[str, bytes | str]:
    """Every entry under ``directory`` (links as their target), except the lock file."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_symlink():
            entries[key] = "-> " + os.readlink(path)
        elif path.is_file() and path.name != storage.LOCK_FILE:
            entries[key] = path.read_bytes()
    return entries


def test_round_trip_writes_a_version_and_points_current_at_it(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    back = read_dataset(tmp_path)
    assert back.indicators.row(0, named=True)["value_text"] == "66个"
    [version] = storage.versions(tmp_path)
    assert os.readlink(tmp_path / "current") == f"versions/{version}"
    assert sorted(p.name for p in (tmp_path / "versions" / version).iterdir()) == [
        "departments.parquet",
        "goal_targets.parquet",
        "goals.parquet",
        "indicators.parquet",
        "manifest.json",
        "periods.parquet",
        "themes.parquet",
    ]
    # Outside tools read the current version as plain Parquet files.
    assert pl.read_parquet(tmp_path / "current" / "goals.parquet").height == 1


def test_writing_the_same_data_again_adds_no_version(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    before = tree(tmp_path)
    write_dataset(tiny_dataset(), tmp_path)
    assert tree(tmp_path) == before


def test_a_crash_before_publishing_leaves_old_data_intact(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    before = tree(tmp_path)

    def crash():
        raise OSError("磁盘已满")

    with pytest.raises(OSError):
        write_dataset(tiny_variant(2), tmp_path, before_replace=crash)
    assert tree(tmp_path) == before  # byte for byte, and no staging directory left


def test_invalid_data_is_never_written(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    before = tree(tmp_path)
    bad = tiny_dataset()
    bad = replace(bad, goals=bad.goals.with_columns(status=pl.lit("unknown")))
    with pytest.raises(ContractError):
        write_dataset(bad, tmp_path)
    assert tree(tmp_path) == before


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
    version = storage.current_version(tmp_path)
    assert version.stat().st_mode & 0o777 == 0o755
    for path in version.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path.name


def test_symlinks_in_the_data_directory_are_refused(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.parquet"
    goals = table_path(tmp_path, "goals")
    outside.write_bytes(goals.read_bytes())
    goals.unlink()
    goals.symlink_to(outside)
    with pytest.raises(ContractError, match="符号链接"):
        read_dataset(tmp_path)
    assert any("符号链接" in p for p in health.dataset_problems(tmp_path))
    # current itself must name a version inside the directory
    (tmp_path / "current").unlink()
    (tmp_path / "current").symlink_to(tmp_path / "versions" / storage.versions(tmp_path)[0])
    with pytest.raises(ContractError, match="不允许的位置"):
        read_dataset(tmp_path)


def test_a_flat_directory_is_read_and_migrated_on_the_first_write(tmp_path):
    for name, frame in tiny_dataset().tables().items():
        frame.write_parquet(tmp_path / f"{name}.parquet")
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert read_dataset(tmp_path).goals.height == 1
    assert health.dataset_problems(tmp_path) == []
    write_dataset(tiny_variant(2), tmp_path)
    assert read_dataset(tmp_path).departments["dept_id"].to_list() == ["dept_2"]
    assert not any(tmp_path.glob("*.parquet"))  # the flat files are gone
    [kept] = [v for v in storage.versions(tmp_path) if v != storage.current_version_id(tmp_path)]
    assert {p.name: p.read_bytes() for p in storage.version_path(tmp_path, kept).iterdir()} == old


def test_a_symlinked_backup_of_the_old_layout_is_not_followed(tmp_path):
    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    for name, frame in tiny_variant(9).tables().items():
        frame.write_parquet(data / f"{name}.parquet")
        frame.write_parquet(outside / f"{name}.parquet")
    (data / "history").mkdir()
    (data / "history" / "20200101T000000").symlink_to(outside)
    write_dataset(tiny_variant(2), data)
    assert "20200101T000000" not in storage.versions(data)  # not taken in as a version
    assert sorted(p.name for p in outside.iterdir()) == sorted(f"{n}.parquet" for n in tiny_variant(9).tables())


def test_only_the_newest_versions_are_kept_and_never_the_current_one(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_KEEP_VERSIONS", "3")
    for n in range(5):
        write_dataset(tiny_variant(n), tmp_path)
    kept = storage.versions(tmp_path)
    assert len(kept) == 3
    assert read_dataset(tmp_path).departments["dept_id"].to_list() == ["dept_4"]
    # Publish the oldest kept one again, keeping only the newest: the current one survives too.
    storage.publish_version(tmp_path, existing=kept[-1], keep=1)
    assert storage.versions(tmp_path) == [kept[0], kept[-1]]
    assert read_dataset(tmp_path).departments["dept_id"].to_list() == ["dept_2"]


def test_a_reader_never_sees_a_mix_of_two_versions(tmp_path):
    """Readers resolve current once; a reader thread during 60 publications only ever reads whole versions."""
    write_dataset(tiny_variant(0), tmp_path)
    stop = threading.Event()
    seen: list[str] = []
    errors: list[str] = []

    def reader():
        while not stop.is_set():
            try:
                data = read_dataset(tmp_path)  # validate(): departments, goals and figures must agree
            except Exception as exc:
                errors.append(repr(exc))
            else:
                seen.append(data.departments["dept_id"][0])

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(1, 61):
            write_dataset(tiny_variant(n % 2), tmp_path, keep=2)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(seen) > 10 and set(seen) <= {"dept_0", "dept_1"}


def test_a_second_writer_waits_then_is_refused_in_chinese(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    holding, release = threading.Event(), threading.Event()

    def first():
        with storage.writer_lock(tmp_path):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(30)
    try:
        with (
            pytest.raises(storage.WriterBusyError, match="另一个导入或恢复正在写入数据"),
            storage.writer_lock(tmp_path, timeout=0.2),
        ):
            pass
    finally:
        release.set()
        thread.join()
    write_dataset(tiny_variant(2), tmp_path)  # free again
    assert read_dataset(tmp_path).departments["dept_id"].to_list() == ["dept_2"]


# --- a real process killed with SIGKILL after every step of a write ----------------------------------------

_KILLED_WRITER = """
import os, signal, sys
import polars as pl
from kpi.contract.schema import TABLES, Dataset
from kpi.contract.storage import write_dataset
target = sys.argv[2]
tables = {name: pl.read_parquet(os.path.join(sys.argv[3], name + ".parquet")) for name in TABLES}
def step(name):
    if name == target:
        os.kill(os.getpid(), signal.SIGKILL)
write_dataset(Dataset(**tables), sys.argv[1], on_step=step)
"""


@pytest.mark.parametrize("step", storage.WRITE_STEPS)
def test_a_write_killed_after_any_step_leaves_one_whole_version_current(step, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # Start from the flat layout, so the migration is crossed too.
    for name, frame in tiny_variant(0).tables().items():
        frame.write_parquet(data / f"{name}.parquet")
    new = tmp_path / "new"
    new.mkdir()
    for name, frame in tiny_variant(1).tables().items():
        frame.write_parquet(new / f"{name}.parquet")
    process = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(data), step, str(new)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    current = read_dataset(data).departments["dept_id"].to_list()
    published = storage.WRITE_STEPS.index(step) >= storage.WRITE_STEPS.index("published")
    assert current == (["dept_1"] if published else ["dept_0"])
    assert health.dataset_problems(data) == []
    # The next write succeeds and leaves nothing of the crash behind.
    write_dataset(tiny_variant(2), data)
    assert read_dataset(data).departments["dept_id"].to_list() == ["dept_2"]
    leftovers = [p.name for p in data.rglob("*") if p.name.startswith((storage.STAGING_PREFIX, storage.LINK_PREFIX))]
    assert leftovers == []
    assert not any(data.glob("*.parquet"))


def test_a_server_start_removes_what_a_crash_left_unless_a_writer_is_at_work(tmp_path):
    write_dataset(tiny_dataset(), tmp_path)
    before = tree(tmp_path)
    (tmp_path / "versions" / f"{storage.STAGING_PREFIX}crashed").mkdir()
    (tmp_path / f"{storage.LINK_PREFIX}crashed").symlink_to("versions/nowhere")
    with storage.writer_lock(tmp_path):
        held = threading.Thread(target=lambda: storage.clean_up_at_start(tmp_path))
        held.start()
        held.join()  # another thread: the lock is busy, nothing is touched
    assert (tmp_path / "versions" / f"{storage.STAGING_PREFIX}crashed").exists()
    assert sorted(storage.clean_up_at_start(tmp_path)) == [
        f"{storage.LINK_PREFIX}crashed",
        f"{storage.STAGING_PREFIX}crashed",
    ]
    assert tree(tmp_path) == before


def test_a_version_from_before_report_periods_is_read_with_one_full_year_period_per_year(tmp_path):
    dataset = tiny_dataset()
    old_goals = dataset.goals.drop("period", "goal_key", "light", "light_reason")
    for name, frame in {**dataset.tables(), "goals": old_goals}.items():
        if name not in ("periods", "goal_targets"):
            frame.write_parquet(tmp_path / f"{name}.parquet")
    read = read_dataset(tmp_path)
    years = sorted(set(dataset.goals["year"].to_list()))
    assert read.periods.select("year", "period", "time_progress_pct").rows() == [(y, "FY", 100.0) for y in years]
    assert read.goal_targets.height == 0
    assert set(read.goals["period"].to_list()) == {"FY"}
    # the dashboard reads the files themselves: it names what is missing and how to fill it in
    problems = health.dataset_problems(tmp_path)
    assert any("periods.parquet（期间表）：文件不存在" in p and "kpi.build" in p for p in problems)
    write_dataset(read, tmp_path)  # the first write completes the version
    assert health.dataset_problems(tmp_path) == []
    assert read_dataset(tmp_path).periods.height == len(years)


def test_a_dataset_without_goal_targets_is_healthy_but_one_without_periods_is_not(tmp_path):
    dataset = tiny_dataset()
    write_dataset(replace(dataset, goal_targets=dataset.goal_targets.clear()), tmp_path)
    assert health.dataset_problems(tmp_path) == []
    path = table_path(tmp_path, "periods")
    pl.read_parquet(path).clear().write_parquet(path)
    assert health.dataset_problems(tmp_path) == ["periods.parquet（期间表）：没有任何数据行"]


def test_each_year_is_written_together_in_its_own_row_groups(tmp_path):
    """Departments generated one after another interleave the years; the files hold each year's
    rows together (in their order), so a one-year query skips the other years' row groups."""
    import pyarrow.parquet as pq

    from kpi.pipeline.synth import generate

    dataset = generate(departments=3, years=3, seed=1)
    assert not dataset.goals.get_column("year").is_sorted()  # as generated: interleaved
    write_dataset(dataset, tmp_path)
    for name in ("goals", "indicators"):
        written = pl.read_parquet(tmp_path / "current" / f"{name}.parquet")
        assert written.get_column("year").is_sorted()
        original = getattr(dataset, name)
        for year in original.get_column("year").unique():
            assert written.filter(pl.col("year") == year).equals(original.filter(pl.col("year") == year))
    # the row-group statistics DuckDB reads say which year a group holds
    stats = (
        pq.ParquetFile(tmp_path / "current" / "goals.parquet")
        .metadata.row_group(0)
        .column(dataset.goals.columns.index("year"))
    )
    assert stats.statistics.has_min_max


# --- the manifest: which files the publisher validated ------------------------------------------------


def test_the_manifest_records_each_validated_file(tmp_path):
    import hashlib
    import json

    write_dataset(tiny_dataset(), tmp_path)
    version = tmp_path / "current"
    recorded = json.loads((version / storage.MANIFEST).read_text(encoding="utf-8"))["tables"]
    assert set(recorded) == set(storage.TABLES)
    for name, entry in recorded.items():
        path = version / f"{name}.parquet"
        assert entry == {
            "bytes": path.stat().st_size,
            "mtime_ns": path.stat().st_mtime_ns,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    assert (version / storage.MANIFEST).stat().st_mode & 0o777 == storage.PUBLISHED_MODE
    assert health.validated_when_published(version.resolve())


def test_a_copy_of_the_validated_files_is_still_validated(tmp_path):
    """A copy or a checkout moves the files' times: their digests still say they are the same."""
    write_dataset(tiny_dataset(), tmp_path / "a")
    version = (tmp_path / "a" / "current").resolve()
    for path in version.iterdir():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert health.validated_when_published(version)


def replace_file(version: Path, name: str, frame: pl.DataFrame) -> None:
    path = version / f"{name}.parquet"
    os.chmod(path, 0o644)
    frame.write_parquet(path)


def test_files_changed_or_mixed_since_publishing_are_not_validated(tmp_path):
    write_dataset(tiny_dataset(), tmp_path / "a")
    write_dataset(tiny_variant(2), tmp_path / "b")
    a, b = (tmp_path / "a" / "current").resolve(), (tmp_path / "b" / "current").resolve()
    assert health.validated_when_published(a) and health.validated_when_published(b)
    # the goals of b beside the figures of a: each file whole, the two not of one version
    replace_file(a, "goals", pl.read_parquet(b / "goals.parquet"))
    assert not health.validated_when_published(a)
    # the same bytes written again: a new time, the same digest
    goals_b = (b / "goals.parquet").read_bytes()
    os.chmod(b / "goals.parquet", 0o644)
    (b / "goals.parquet").write_bytes(goals_b)
    assert health.validated_when_published(b)
    # one byte of a page flipped, the size kept
    damaged = bytearray(goals_b)
    damaged[len(damaged) // 2] ^= 0xFF
    (b / "goals.parquet").write_bytes(bytes(damaged))
    assert not health.validated_when_published(b)


@pytest.mark.parametrize(
    "manifest",
    [None, b"", b"{not json", b"[]", b'{"tables": {}}', b'{"tables": {"goals": "big"}}', "\u7a7a".encode()],
)
def test_a_version_without_a_readable_manifest_is_not_validated(tmp_path, manifest):
    write_dataset(tiny_dataset(), tmp_path)
    version = (tmp_path / "current").resolve()
    path = version / storage.MANIFEST
    os.chmod(path, 0o644)
    if manifest is None:
        path.unlink()
    else:
        path.write_bytes(manifest)
    assert not health.validated_when_published(version)
