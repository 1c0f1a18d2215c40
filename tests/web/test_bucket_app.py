"""The dashboard and the 数据管理 page reading a data directory in a bucket (``KPI_DATA_DIR=s3://…``),
through Streamlit's AppTest, against a real local S3 server (moto's server mode on 127.0.0.1).

Expected values come from the bundled Parquet files read with Polars (the ``goals`` and
``indicators`` fixtures), not from the bucket.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract import storage
from kpi.contract.storage import read_dataset
from kpi.pipeline import history
from kpi.web import admin
from kpi.web.i18n import t
from tests.support.apptest import APP, expected_tiles, metric_values, shown_tiles
from tests.support.datasets import csv_upload, tiny_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("overview", "rankings", "targets", "departments", "goals")
PASSWORD = "Huzhou-管理-2023"
ROWS_2023 = [
    ["2023", "市经信局", "1", "规上工业增加值同比增长8%", "全年规上工业增加值同比增长8.6%，增速居全省第2位。", "", ""],
]


@pytest.fixture
def bucket_data(bucket_dir, data_directory, monkeypatch, tmp_path):
    """The bundled data published into a new bucket; the dashboard pointed at it; no secrets file."""
    storage.publish_version(bucket_dir, dataset=read_dataset(data_directory))
    monkeypatch.setenv("KPI_DATA_DIR", str(bucket_dir))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(admin.PASSWORD_ENV, raising=False)
    return bucket_dir


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    if page:
        at.switch_page(f"pages/{page}_page.py").run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_from_the_bucket(bucket_data, page):
    at = app(page)
    assert not at.exception
    assert at.title[0].value == t(f"page_{page}")
    captions = " ".join(c.value for c in at.caption)
    assert "湖州市2022年度市直部门目标任务完成情况" in captions


def test_the_overview_tiles_from_the_bucket_are_those_of_the_data(bucket_data, goals, indicators):
    at = app()
    assert not at.exception
    assert metric_values(at) == shown_tiles(expected_tiles(goals, indicators))


def test_a_page_run_reads_the_pointer_once(bucket_data, s3_server):
    at = app()  # the first run loads the tables; the next runs show what a viewer's rerun costs
    pointer = f"GET /{bucket_data.bucket}/{bucket_data.key}/current "
    before = s3_server.log.read_text(errors="replace").count(pointer)
    at.run()
    assert not at.exception
    assert s3_server.log.read_text(errors="replace").count(pointer) - before == 1


def test_a_version_published_meanwhile_is_shown_on_the_next_run(bucket_data, goals):
    at = app()
    assert metric_values(at)[t("tile_goals")] == str(goals.height)
    storage.publish_version(bucket_data, dataset=tiny_dataset())  # one department, one goal
    at.run()
    assert not at.exception
    assert metric_values(at)[t("tile_goals")] == "1"


# --- the admin page: an import into the bucket, then the restore it offers -----------------------------


def test_an_import_on_the_admin_page_publishes_into_the_bucket_and_its_restore_command_goes_back(
    bucket_data, s3_server, monkeypatch
):
    before = storage.current_version_id(bucket_data)
    monkeypatch.setenv(admin.PASSWORD_ENV, PASSWORD)
    at = AppTest.from_file(str(ROOT / "pages" / "admin_page.py"), default_timeout=60).run()
    at.text_input[0].input(PASSWORD)
    at.form_submit_button[0].click().run()
    at.file_uploader[0].set_value(csv_upload(ROWS_2023)).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["新增目标"] == "1"
    assert storage.current_version_id(bucket_data) == before  # the preview writes nothing
    [confirm] = [b for b in at.button if b.label == "确认导入"]
    confirm.click().run()
    assert not at.exception
    success = "\n".join(str(e.value) for e in at.success)
    assert f"python -m kpi.ingest --restore {before}" in success
    pointer = s3_server.read(bucket_data.bucket, f"{bucket_data.key}/current").decode().strip()
    assert pointer != f"versions/{before}"
    assert set(read_dataset(bucket_data).goals["year"]) == {2022, 2023}
    assert history.history_entries(bucket_data) == [before]

    # The command the page names, run as staff would, against the bucket.
    restored = subprocess.run(
        [sys.executable, "-m", "kpi.ingest", "--restore", before],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert restored.returncode == 0, restored.stderr
    assert f"已恢复到 {before} 的版本" in restored.stdout
    assert s3_server.read(bucket_data.bucket, f"{bucket_data.key}/current").decode().strip() == f"versions/{before}"
    dashboard = app()
    assert dashboard.selectbox(key="year").options == ["2022"]


def test_an_unreachable_bucket_shows_the_data_error_page_in_chinese(monkeypatch, tmp_path):
    from tests.support.server import free_port

    monkeypatch.setenv("KPI_DATA_DIR", "s3://kpi-data/huzhou")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    at = app()
    assert not at.exception
    shown = "\n".join(str(e.value) for e in at.error)
    assert "无法访问数据所在的对象存储：无法连接（请检查地址和网络）" in shown
    assert "127.0.0.1" not in shown and "kpi-data" not in shown


def test_the_bucket_may_be_configured_in_streamlit_secrets(bucket_data, s3_server, monkeypatch):
    from kpi.web.bucket_secrets import SECTION_KEYS

    storage.publish_version(bucket_data, dataset=tiny_dataset())  # one goal: not the bundled data
    for variable in SECTION_KEYS.values():  # unset here; undone after the test whatever apply() sets
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["s3"] = {
        "data_dir": str(bucket_data),
        "endpoint_url": s3_server.endpoint,
        "access_key_id": s3_server.env()["AWS_ACCESS_KEY_ID"],
        "secret_access_key": s3_server.env()["AWS_SECRET_ACCESS_KEY"],
        "region": s3_server.env()["AWS_REGION"],
    }
    at.run()
    assert not at.exception
    assert metric_values(at)[t("tile_goals")] == "1"
    assert os.environ["KPI_DATA_DIR"] == str(bucket_data)
