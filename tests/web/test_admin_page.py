"""The 数据管理 page in Streamlit's AppTest: the password gate, validation report, preview, import.

Every test points KPI_DATA_DIR at a copy of a freshly built seed dataset in tmp_path.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.storage import read_dataset, write_dataset
from kpi.pipeline import history, ingest, template
from kpi.web import admin
from tests.support.datasets import csv_upload

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "pages" / "admin_page.py"
APP = ROOT / "app.py"
PASSWORD = "Huzhou-管理-2023"
ROWS_2023 = [
    ["2023", "市经信局", "1", "规上工业增加值同比增长8%", "全年规上工业增加值同比增长8.6%，增速居全省第2位。", "", ""],
    ["2023", "市建设局", "1", "住房保障惠民", "全市共筹集保障性租赁住房1.2万套（间），完成年度目标的120%。", "", ""],
]


def tree(directory: Path) -> dict[str, bytes | str]:
    entries: dict[str, bytes | str] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            entries[str(path.relative_to(directory))] = "-> " + os.readlink(path)
        elif path.is_file() and path.name != ".write.lock":
            entries[str(path.relative_to(directory))] = path.read_bytes()
    return entries


@pytest.fixture
def data(tmp_path, seed_files, monkeypatch):
    directory = tmp_path / "data"
    write_dataset(read_dataset(seed_files), directory)
    monkeypatch.setenv("KPI_DATA_DIR", str(directory))
    # No secrets.toml where Streamlit looks (the project's and the user's .streamlit/).
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(admin.PASSWORD_ENV, raising=False)
    return directory


def page() -> AppTest:
    return AppTest.from_file(str(PAGE), default_timeout=60)


def unlocked_page(monkeypatch) -> AppTest:
    monkeypatch.setenv(admin.PASSWORD_ENV, PASSWORD)
    at = page().run()
    at.text_input[0].input(PASSWORD)
    at.form_submit_button[0].click().run()
    assert not at.exception
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


# --- the gate ----------------------------------------------------------------------------------


def test_without_a_password_the_page_offers_nothing(data):
    assert admin.configured_password() is None  # and no crash although no secrets file exists
    at = page().run()
    assert not at.exception
    assert "数据管理功能未启用" in texts(at.info)
    assert len(at.text_input) == 0 and len(at.file_uploader) == 0 and len(at.download_button) == 0


def test_a_password_in_secrets_asks_for_it_and_refuses_a_wrong_one(data):
    at = page()
    at.secrets["admin_password"] = PASSWORD
    at.run()
    assert at.text_input[0].label == "管理员密码"
    assert len(at.file_uploader) == 0
    at.text_input[0].input(PASSWORD + "x")
    at.form_submit_button[0].click().run()
    assert "密码不正确" in texts(at.error)
    assert len(at.file_uploader) == 0
    at.text_input[0].input(PASSWORD)
    at.form_submit_button[0].click().run()
    assert not at.exception
    assert len(at.file_uploader) == 1
    assert all(box.label != admin.TEXT["password"] for box in at.text_input)  # the login form is gone


def test_the_environment_variable_wins_over_secrets(data, monkeypatch):
    monkeypatch.setenv(admin.PASSWORD_ENV, PASSWORD)
    at = page()
    at.secrets["admin_password"] = "另一个密码"
    at.run()
    at.text_input[0].input("另一个密码")
    at.form_submit_button[0].click().run()
    assert "密码不正确" in texts(at.error)
    at.text_input[0].input(PASSWORD)
    at.form_submit_button[0].click().run()
    assert len(at.file_uploader) == 1


def test_password_check_is_exact(data, monkeypatch):
    monkeypatch.setenv(admin.PASSWORD_ENV, PASSWORD)
    assert admin.password_matches(PASSWORD)
    for wrong in ("", PASSWORD[:-1], PASSWORD + " ", PASSWORD.upper(), None):
        assert not admin.password_matches(wrong)


def test_a_session_is_locked_again_when_the_password_changes(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    monkeypatch.setenv(admin.PASSWORD_ENV, "新的密码")
    at.run()
    assert len(at.file_uploader) == 0
    assert at.text_input[0].label == "管理员密码"


def test_logging_out_locks_the_page(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    [logout] = [b for b in at.button if b.label == "退出管理"]
    logout.click().run()
    assert len(at.file_uploader) == 0 and at.text_input[0].label == "管理员密码"


# --- template, validation report, preview, import ------------------------------------------------------


def test_the_templates_can_be_downloaded(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    assert [b.label for b in at.download_button] == [template.XLSX_NAME, template.CSV_NAME]


def test_a_broken_file_shows_every_problem_and_changes_nothing(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    before = tree(data)
    broken = [
        ["2023", "", "1", "目标", "完成情况。", "", ""],
        ["二〇二三", "市财政局", "1", "目标", "完成。", "做完了", ""],
    ]
    at.file_uploader[0].set_value(csv_upload(broken)).run()
    assert not at.exception
    assert "文件有 3 个问题，未导入任何数据" in texts(at.error)
    report = at.dataframe[0].value
    assert list(zip(report["行号"], report["列"], strict=True)) == [(2, "部门"), (3, "年度"), (3, "状态")]
    assert not [b for b in at.button if b.label == "确认导入"]
    assert tree(data) == before


def test_the_plan_is_made_once_per_file_in_a_process_of_its_own(data, monkeypatch):
    """Reruns of the page reuse the plan of the uploaded file; another file or new data get a new one."""
    at = unlocked_page(monkeypatch)
    upload = csv_upload(ROWS_2023)
    at.file_uploader[0].set_value(upload).run()
    key = admin.plan_key(upload[1], upload[0], data)
    first = admin._plans[key]
    at.run()
    at.run()
    assert admin._plans[key] is first and first.result().count("added") == 2
    assert admin.plan_key(csv_upload(ROWS_2023[:1])[1], upload[0], data) != key
    # The plan came from a child process: a pickled copy, made against the same data.
    assert first.result().directory == data and first.result().fingerprint == ingest.fingerprint(data)


def test_a_row_bomb_on_the_admin_page_is_refused_naming_the_limit(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    rows = [["2023", "市财政局", "1", "目标", "完成情况。", "", ""]] * 25_000
    at.file_uploader[0].set_value(csv_upload(rows)).run()
    assert not at.exception
    assert "超过 20,000 行" in at.dataframe[0].value["问题"][0]
    assert not [b for b in at.button if b.label == "确认导入"]


def test_an_unreadable_workbook_gets_a_message_not_a_traceback(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    at.file_uploader[0].set_value(("目标.xlsx", b"PK\x03\x04 broken", template.XLSX_MIME)).run()
    assert not at.exception
    assert "文件有 1 个问题" in texts(at.error)
    assert "无法读取 Excel 文件" in at.dataframe[0].value["问题"][0]


def test_preview_then_confirm_imports_and_keeps_a_backup(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    before = tree(data)
    at.file_uploader[0].set_value(csv_upload(ROWS_2023)).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"新增目标": "2", "更新目标": "0", "未变目标": "0", "提取指标": "2"}
    preview = at.dataframe[0].value
    assert list(preview["操作"]) == ["新增", "新增"]
    assert list(preview["部门"]) == ["市经信局", "市建设局"]
    assert tree(data) == before  # the preview writes nothing

    [confirm] = [b for b in at.button if b.label == "确认导入"]
    confirm.click().run()
    assert not at.exception
    [stamp] = history.history_entries(data)
    success = texts(at.success)
    assert "导入完成：新增目标 2 条，更新 0 条，未变 0 条；提取指标 2 条" in success
    assert f"python -m kpi.ingest --restore {stamp}" in success
    assert at.file_uploader[0].value is None  # a fresh uploader for the next file
    written = read_dataset(data)
    assert set(written.goals["year"]) == {2022, 2023}
    assert {p.name: p.read_bytes() for p in history.entry_path(data, stamp).iterdir()} == {
        Path(name).name: content for name, content in before.items() if name.startswith("versions/")
    }


def test_a_file_identical_to_the_data_offers_no_import(data, monkeypatch):
    at = unlocked_page(monkeypatch)
    content = (template.TEMPLATE_DIR / template.XLSX_NAME).read_bytes()
    at.file_uploader[0].set_value((template.XLSX_NAME, content, template.XLSX_MIME)).run()
    assert "文件内容与现有数据一致，无需导入" in texts(at.info)
    assert not [b for b in at.button if b.label == "确认导入"]


def test_after_an_import_the_dashboard_offers_the_new_year_without_a_restart(data, monkeypatch):
    dashboard = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not dashboard.exception
    assert dashboard.selectbox(key="year").options == ["2022"]  # cached from here on

    at = unlocked_page(monkeypatch)
    at.file_uploader[0].set_value(csv_upload(ROWS_2023)).run()
    [confirm] = [b for b in at.button if b.label == "确认导入"]
    confirm.click().run()
    assert not at.exception

    dashboard.run()
    assert not dashboard.exception
    assert dashboard.selectbox(key="year").options == ["2023", "2022"]


def test_the_preview_frame_lists_changed_goals_first(data):
    frame = ingest.changes_frame(
        ingest.plan_import(
            csv_upload(
                [
                    ["2022", "市妇联", "1", "美丽庭院扩面提质", "新建成省级美丽庭院示范村9个。", "", ""],
                    ROWS_2023[0],
                ]
            )[1],
            "goals.csv",
            data,
        )
    )
    assert frame.select("操作", "行号", "改动").rows() == [("新增", 3, ""), ("更新", 2, "完成情况")]


# --- the 待核 review queue -----------------------------------------------------------------------


def test_the_review_queue_records_a_decision_in_the_curation_files(data, monkeypatch, tmp_path):
    curation = tmp_path / "curation"
    shutil.copytree(ROOT / "data" / "curation", curation)
    monkeypatch.setenv("KPI_CURATION_DIR", str(curation))
    unsure = [["2024", "市统计局", "2", "地区生产总值 | 8%左右", "9.7 | 853.2亿元 | 完成 | 2"]]
    plan = ingest.plan_import(csv_upload(unsure)[1], "进度.csv", data, curation)
    assert plan.ok, plan.problems
    ingest.apply_import(plan)

    at = unlocked_page(monkeypatch)
    assert "待核指标（1 个）" in texts(at.subheader)
    assert "853.2亿元" in at.selectbox(key="review_pick").format_func(at.selectbox(key="review_pick").value)
    assert "<mark>853.2亿元</mark>" in "".join(block.value for block in at.get("html"))
    assert "待核原因" in texts(at.warning)
    at.radio[0].set_value("rename")
    at.text_input[0].input("地区生产总值（全年）")
    at.text_input[1].input("表格行：指标名称在目标列")
    at.form_submit_button[0].click().run()
    assert not at.exception
    assert "已记录" in texts(at.success)
    assert "待核指标（0 个）" in texts(at.subheader)
    rows = list(csv.DictReader((curation / "indicator_overrides.csv").open(encoding="utf-8")))
    assert (rows[-1]["value_text"], rows[-1]["field"], rows[-1]["value"], rows[-1]["year"]) == (
        "853.2亿元",
        "name",
        "地区生产总值（全年）",
        "2024",
    )
    figures = read_dataset(data).indicators.to_dicts()
    assert [(f["name"], f["confidence"]) for f in figures if f["value_text"] == "853.2亿元"] == [
        ("地区生产总值（全年）", "high")
    ]


def test_a_review_decision_without_a_reason_is_refused(data, monkeypatch, tmp_path):
    curation = tmp_path / "curation"
    shutil.copytree(ROOT / "data" / "curation", curation)
    monkeypatch.setenv("KPI_CURATION_DIR", str(curation))
    plan = ingest.plan_import(
        csv_upload([["2024", "市统计局", "2", "地区生产总值 | 8%左右", "9.7 | 853.2亿元 | 完成 | 2"]])[1],
        "进度.csv",
        data,
        curation,
    )
    ingest.apply_import(plan)
    before = tree(data)
    at = unlocked_page(monkeypatch)
    at.radio[0].set_value("confirm")
    at.form_submit_button[0].click().run()
    assert "请写明理由" in texts(at.error)
    assert tree(data) == before
    assert (curation / "indicator_overrides.csv").read_bytes() == (
        ROOT / "data/curation/indicator_overrides.csv"
    ).read_bytes()
