"""``python -m kpi.store copy SRC DEST`` and ``python -m kpi.ingest --data-dir s3://…`` as staff run
them (real subprocesses), against a real local S3 server (moto's server mode on 127.0.0.1).

Tables are compared with the source read straight from its Parquet files with Polars; the
bucket's content is read with boto3.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from kpi.contract import storage
from kpi.contract.schema import TABLES
from kpi.contract.storage import table_path
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
ENGLISH_OR_TRACE = ("Traceback", "Error:", "error:", "usage:")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **(env or {})},
    )


def source_tables(directory: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(table_path(directory, name)) for name in TABLES}


def test_copy_a_directory_into_a_bucket_and_back(data_directory, bucket_dir, s3_server, tmp_path):
    expected = source_tables(data_directory)
    up = run("kpi.store", "copy", str(data_directory), str(bucket_dir))
    assert up.returncode == 0, up.stderr
    version = storage.current_version_id(bucket_dir)
    assert f"复制为 {bucket_dir} 的版本 {version}" in up.stdout
    assert f"目标 {expected['goals'].height} 条" in up.stdout
    for name, frame in expected.items():
        blob = s3_server.read(bucket_dir.bucket, f"{bucket_dir.key}/versions/{version}/{name}.parquet")
        assert pl.read_parquet(io.BytesIO(blob)).equals(frame), name

    again = run("kpi.store", "copy", str(data_directory), str(bucket_dir))
    assert again.returncode == 0, again.stderr
    assert "已与" in again.stdout and "相同，未写入" in again.stdout
    assert storage.versions(bucket_dir) == [version]

    back = tmp_path / "back"
    down = run("kpi.store", "copy", str(bucket_dir), str(back))
    assert down.returncode == 0, down.stderr
    assert (back / "current").is_symlink()
    assert source_tables(back).keys() == expected.keys()
    for name, frame in source_tables(back).items():
        assert frame.equals(expected[name]), name


def test_an_import_with_the_command_goes_into_the_bucket(data_directory, bucket_dir, tmp_path):
    run("kpi.store", "copy", str(data_directory), str(bucket_dir)).check_returncode()
    before = storage.current_version_id(bucket_dir)
    upload = tmp_path / "目标完成情况2023.csv"
    upload.write_text(
        "年度,部门,序号,目标任务,完成情况\n2023,市经信局,1,规上工业增加值同比增长8%,全年规上工业增加值同比增长8.6%，增速居全省第2位。\n",
        encoding="utf-8",
    )
    dry = run("kpi.ingest", str(upload), "--data-dir", str(bucket_dir), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert storage.current_version_id(bucket_dir) == before
    done = run("kpi.ingest", str(upload), "--data-dir", str(bucket_dir))
    assert done.returncode == 0, done.stderr
    assert f"python -m kpi.ingest --restore {before}" in done.stdout
    assert storage.current_version_id(bucket_dir) != before
    goals = storage.read_dataset(bucket_dir).goals
    assert goals.filter(pl.col("year") == 2023)["title"].to_list() == ["规上工业增加值同比增长8%"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("copy",), "缺少必需的参数：SRC, DEST"),
        (("copy", "data"), "缺少必需的参数：DEST"),
        (("move", "a", "b"), "参数 命令 的值 'move' 无效"),
        ((), "请指定命令"),
        (("copy", "data", "s3://Not_A_Bucket/x"), "存储桶名「Not_A_Bucket」无效"),
        (("copy", "data", "data"), "源和目标是同一个数据目录"),
    ],
)
def test_bad_arguments_are_refused_in_chinese_with_exit_2(args, expected):
    result = run("kpi.store", *args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert not any(word in result.stderr for word in ENGLISH_OR_TRACE), result.stderr


def test_an_unreachable_store_is_refused_in_chinese_with_exit_2(data_directory, tmp_path):
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
    }
    for args in (
        ("copy", str(data_directory), "s3://kpi-data/huzhou"),
        ("copy", "s3://kpi-data/huzhou", str(tmp_path / "out")),
    ):
        result = run("kpi.store", *args, env=env)
        assert result.returncode == 2, result.stderr
        assert "复制失败，未写入任何数据：无法访问数据所在的对象存储：无法连接（请检查地址和网络）" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_copying_from_a_place_without_data_writes_nothing(bucket_dir, tmp_path, s3_server):
    result = run("kpi.store", "copy", str(bucket_dir), str(tmp_path / "out"))
    assert result.returncode == 2
    assert "数据目录中缺少文件 departments.parquet（部门表）" in result.stderr
    assert not (tmp_path / "out").exists()
    result = run("kpi.store", "copy", str(tmp_path / "nothing"), str(bucket_dir))
    assert result.returncode == 2
    assert s3_server.keys(bucket_dir.bucket) == []


def test_the_build_writes_into_a_bucket_and_checks_it(data_directory, bucket_dir, s3_server):
    built = run("kpi.build", "--out", str(bucket_dir))
    assert built.returncode == 0, built.stderr
    version = storage.current_version_id(bucket_dir)
    for name, frame in source_tables(data_directory).items():
        blob = s3_server.read(bucket_dir.bucket, f"{bucket_dir.key}/versions/{version}/{name}.parquet")
        assert pl.read_parquet(io.BytesIO(blob)).equals(frame), name
    checked = run("kpi.build", "--check", "--out", str(bucket_dir))
    assert checked.returncode == 0, checked.stderr
    assert "数据与源文件一致" in checked.stdout
