"""A data directory in an S3-compatible bucket, against a real local S3 server (moto's server mode,
started by the tests on 127.0.0.1): versions and the pointer written last, reads of one version,
a writer killed before the pointer write, two writers, restore, an unreachable store.

What is in the bucket is checked with boto3's own listing and GETs, not through the code under test.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

from kpi.contract import bucket, health, storage
from kpi.contract.schema import TABLES, ContractError
from kpi.contract.storage import read_dataset, write_dataset
from kpi.pipeline import history
from tests.support.datasets import tiny_variant

ROOT = Path(__file__).resolve().parents[2]


def pointer(s3_server, where: bucket.BucketPath) -> str:
    return s3_server.read(where.bucket, f"{where.key}/current").decode().strip()


def version_keys(s3_server, where: bucket.BucketPath) -> dict[str, list[str]]:
    """version id → its object names, from boto3's listing."""
    found: dict[str, list[str]] = {}
    for key in s3_server.keys(where.bucket, f"{where.key}/versions/"):
        if key.endswith("/"):
            continue  # an empty "directory" marker PyArrow leaves when it deletes a directory's last object
        version, name = key.removeprefix(f"{where.key}/versions/").split("/", 1)
        found.setdefault(version, []).append(name)
    return found


def test_a_write_puts_a_whole_version_then_the_pointer(s3_server, bucket_dir):
    published = storage.publish_version(bucket_dir, dataset=tiny_variant(1))
    assert published.previous is None
    assert pointer(s3_server, bucket_dir) == f"versions/{published.version}"
    assert version_keys(s3_server, bucket_dir) == {
        published.version: sorted([f"{name}.parquet" for name in TABLES] + ["manifest.json"])
    }
    # Each table object, fetched with boto3 and read with Polars, is the table written.
    for name, frame in tiny_variant(1).tables().items():
        blob = s3_server.read(bucket_dir.bucket, f"{bucket_dir.key}/versions/{published.version}/{name}.parquet")
        assert pl.read_parquet(io.BytesIO(blob)).equals(frame), name
    # The manifest names every table with its size and digest, as a completion mark.
    manifest = json.loads(
        s3_server.read(bucket_dir.bucket, f"{bucket_dir.key}/versions/{published.version}/manifest.json")
    )
    assert set(manifest["tables"]) == set(TABLES)
    # No lock object is left once the write is over.
    assert f"{bucket_dir.key}/.write.lock" not in s3_server.keys(bucket_dir.bucket)


def test_a_reader_reads_the_version_the_pointer_names(s3_server, bucket_dir):
    first = storage.publish_version(bucket_dir, dataset=tiny_variant(1))
    second = storage.publish_version(bucket_dir, dataset=tiny_variant(2))
    assert second.previous == first.version
    assert storage.current_version_id(bucket_dir) == second.version
    assert read_dataset(bucket_dir).departments["dept_id"].to_list() == ["dept_2"]
    assert health.dataset_problems(bucket_dir) == []
    # A version is read on its own, whatever the pointer says since.
    old = storage.version_path(bucket_dir, first.version)
    assert read_dataset(old).departments["dept_id"].to_list() == ["dept_1"]
    assert storage.versions(bucket_dir) == [second.version, first.version]
    assert history.history_entries(bucket_dir) == [first.version]


def test_writing_the_same_tables_again_adds_no_version(s3_server, bucket_dir):
    first = storage.publish_version(bucket_dir, dataset=tiny_variant(1))
    again = storage.publish_version(bucket_dir, dataset=tiny_variant(1))
    assert again.version == again.previous == first.version
    assert list(version_keys(s3_server, bucket_dir)) == [first.version]


def test_restore_publishes_a_kept_version_again(s3_server, bucket_dir):
    first = storage.publish_version(bucket_dir, dataset=tiny_variant(1))
    second = storage.publish_version(bucket_dir, dataset=tiny_variant(2))
    result = history.restore(first.version, bucket_dir)
    assert result.history_entry == second.version
    assert pointer(s3_server, bucket_dir) == f"versions/{first.version}"
    assert read_dataset(bucket_dir).departments["dept_id"].to_list() == ["dept_1"]
    assert set(version_keys(s3_server, bucket_dir)) == {first.version, second.version}  # nothing removed
    with pytest.raises(history.HistoryError, match="没有时间戳为「20000101T000000」的历史版本"):
        history.restore("20000101T000000", bucket_dir)


def test_pruning_keeps_the_newest_versions_and_never_the_current_one(s3_server, bucket_dir):
    ids = [storage.publish_version(bucket_dir, dataset=tiny_variant(n), keep=2).version for n in range(4)]
    assert sorted(version_keys(s3_server, bucket_dir)) == ids[2:]
    history.restore(ids[2], bucket_dir)
    storage.publish_version(bucket_dir, dataset=tiny_variant(9), keep=1)
    assert len(version_keys(s3_server, bucket_dir)) == 1


def test_an_empty_prefix_reads_as_no_data_in_chinese(bucket_dir):
    problems = health.dataset_problems(bucket_dir)
    assert any("departments.parquet（部门表）：文件不存在" in p for p in problems)
    with pytest.raises(ContractError, match="数据目录中缺少文件 departments.parquet"):
        read_dataset(bucket_dir)


def test_a_pointer_to_anywhere_else_is_refused(s3_server, bucket_dir):
    storage.publish_version(bucket_dir, dataset=tiny_variant(1))
    s3_server.client().put_object(Bucket=bucket_dir.bucket, Key=f"{bucket_dir.key}/current", Body=b"../../etc")
    with pytest.raises(ContractError, match="current 指向不允许的位置"):
        read_dataset(bucket_dir)
    assert any("current 指向不允许的位置" in p for p in health.dataset_problems(bucket_dir))


# --- a real writer process killed with SIGKILL after every step -----------------------------------------

_KILLED_WRITER = """
import os, signal, sys
from kpi.contract.storage import location, publish_version, read_dataset
target = sys.argv[2]
def step(name):
    if name == target:
        os.kill(os.getpid(), signal.SIGKILL)
publish_version(location(sys.argv[1]), dataset=read_dataset(sys.argv[3]), on_step=step)
"""


@pytest.mark.parametrize("step", storage.WRITE_STEPS)
def test_a_writer_killed_after_any_step_leaves_one_whole_version_current(
    step, s3_server, bucket_dir, tmp_path, monkeypatch
):
    first = storage.publish_version(bucket_dir, dataset=tiny_variant(0))
    new = tmp_path / "new"
    write_dataset(tiny_variant(1), new)
    process = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(bucket_dir), step, str(new)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    published = storage.WRITE_STEPS.index(step) >= storage.WRITE_STEPS.index("published")
    assert read_dataset(bucket_dir).departments["dept_id"].to_list() == (["dept_1"] if published else ["dept_0"])
    assert (pointer(s3_server, bucket_dir) == f"versions/{first.version}") is not published
    assert health.dataset_problems(bucket_dir) == []
    # A version the killed writer did not finish is never listed, so never restored.
    complete = [v for v, names in version_keys(s3_server, bucket_dir).items() if "manifest.json" in names]
    assert sorted(storage.versions(bucket_dir)) == sorted(complete)
    # The killed writer's lock object is still there: the next writer waits for its expiry,
    # takes it over, writes, and removes what the crash left.
    assert f"{bucket_dir.key}/.write.lock" in s3_server.keys(bucket_dir.bucket)
    monkeypatch.setenv("KPI_LOCK_TTL", "1")
    storage.publish_version(bucket_dir, dataset=tiny_variant(2))
    assert read_dataset(bucket_dir).departments["dept_id"].to_list() == ["dept_2"]
    assert all("manifest.json" in names for names in version_keys(s3_server, bucket_dir).values())
    assert f"{bucket_dir.key}/.write.lock" not in s3_server.keys(bucket_dir.bucket)


# --- two writers ----------------------------------------------------------------------------------------

_HOLDING_WRITER = """
import sys
from kpi.contract.storage import location, writer_lock
with writer_lock(location(sys.argv[1])):
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_a_second_writer_waits_then_is_refused_in_chinese(s3_server, bucket_dir, monkeypatch):
    storage.publish_version(bucket_dir, dataset=tiny_variant(1))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDING_WRITER, str(bucket_dir)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setenv("KPI_LOCK_TIMEOUT", "0.5")
        with pytest.raises(storage.WriterBusyError, match="另一个导入或恢复正在写入数据，等待 0.5 秒后仍未结束"):
            storage.publish_version(bucket_dir, dataset=tiny_variant(2))
        with pytest.raises(storage.WriterBusyError):
            history.restore(storage.versions(bucket_dir)[0], bucket_dir)
        assert read_dataset(bucket_dir).departments["dept_id"].to_list() == ["dept_1"]
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    assert holder.returncode == 0
    storage.publish_version(bucket_dir, dataset=tiny_variant(2))  # free again
    assert read_dataset(bucket_dir).departments["dept_id"].to_list() == ["dept_2"]


def test_of_two_writers_at_once_exactly_one_holds_the_lock(bucket_dir, monkeypatch):
    monkeypatch.setenv("KPI_LOCK_TIMEOUT", "0")
    start, results = threading.Barrier(2), []
    inside = threading.Event()
    done = threading.Event()

    def writer():
        start.wait()
        try:
            with storage._bucket_lock(bucket_dir, 0):
                results.append("held")
                inside.set()
                done.wait(30)
        except storage.WriterBusyError:
            results.append("refused")
            done.set()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["held", "refused"]


def test_a_writer_whose_lock_was_taken_over_cannot_publish(s3_server, bucket_dir, monkeypatch):
    first = storage.publish_version(bucket_dir, dataset=tiny_variant(1))

    def meanwhile():
        # Another writer (after this one's lock expired) publishes before this one's pointer write.
        s3_server.client().put_object(
            Bucket=bucket_dir.bucket, Key=f"{bucket_dir.key}/current", Body=f"versions/{first.version}".encode()
        )

    with pytest.raises(storage.PublishConflictError, match="写入期间另一个写入发布了新的数据版本"):
        storage.publish_version(bucket_dir, dataset=tiny_variant(2), before_replace=meanwhile)
    assert read_dataset(bucket_dir).departments["dept_id"].to_list() == ["dept_1"]
    assert list(version_keys(s3_server, bucket_dir)) == [first.version]  # its own version removed


# --- a store that cannot be reached ------------------------------------------------------------------


def test_an_unreachable_store_is_said_in_chinese(monkeypatch):
    from tests.support.server import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    where = storage.location("s3://kpi-data/huzhou")
    problems = health.dataset_problems(where)
    assert problems == ["无法访问数据所在的对象存储：无法连接（请检查地址和网络）"]
    assert "127.0.0.1" not in problems[0]
    with pytest.raises(bucket.StoreError, match="无法连接"):
        storage.publish_version(where, dataset=tiny_variant(1))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://Kpi_Data/x", "存储桶名「Kpi_Data」无效"),
        ("s3://key:secret@kpi-data/x", "凭证请用环境变量或 Streamlit secrets 配置"),
        ("s3://kpi-data/a/../b", "不能有空段"),
        ("s3://kpi-data/x?endpoint_override=evil", "只能包含存储桶和前缀"),
    ],
)
def test_a_malformed_bucket_address_is_refused_in_chinese(url, message, monkeypatch):
    with pytest.raises(ContractError, match=message):
        storage.location(url)
    monkeypatch.setenv("KPI_DATA_DIR", url)
    with pytest.raises(ContractError, match=message):
        storage.data_dir()
    assert storage.clean_up_at_start() == []  # a server start says nothing, does nothing


def test_bucket_addresses_name_their_keys():
    where = storage.location("s3://kpi-data/cities/huzhou/")
    assert (where.bucket, where.key) == ("kpi-data", "cities/huzhou")
    assert str(where / "versions" / "20260101T000000") == "s3://kpi-data/cities/huzhou/versions/20260101T000000"
    assert storage.location(str(where)) == where
    assert storage.location("s3://kpi-data") == bucket.BucketPath("kpi-data", "")


def test_the_reason_is_read_from_the_error_not_from_the_address_in_it():
    from botocore.exceptions import ClientError, EndpointConnectionError

    # A port with 403 in it is not a refusal (the tests take a random free port: one with 403 made
    # the unreachable-bucket tests fail).
    assert bucket.reason(EndpointConnectionError(endpoint_url="http://127.0.0.1:40312/kpi-data/x")) == (
        "无法连接（请检查地址和网络）"
    )
    assert bucket.reason(EndpointConnectionError(endpoint_url="https://s3.example.com/AccessDenied-403/x")) == (
        "无法连接（请检查地址和网络）"
    )
    denied = ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")
    assert bucket.reason(denied) == "拒绝访问（请检查凭证和权限）"
    missing = ClientError({"Error": {"Code": "NoSuchBucket", "Message": "The bucket does not exist"}}, "GetObject")
    assert bucket.reason(missing) == "存储桶不存在"
    assert (
        bucket.reason(OSError("AWS Error ACCESS_DENIED during HeadObject operation")) == "拒绝访问（请检查凭证和权限）"
    )
    assert bucket.reason(ValueError("something else")) == "请求失败（ValueError）"
