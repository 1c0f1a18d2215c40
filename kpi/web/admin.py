"""The admin password that guards the 数据管理 page.

The page exists only when a password is configured: the ``KPI_ADMIN_PASSWORD``
environment variable, else ``admin_password`` in Streamlit secrets. The gate
itself (constant-time comparison, missing secrets file = not configured, a
session token tied to the configured password) is ``kpi.web.auth.PasswordGate``,
shared with the viewer password.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from kpi.web.auth import PasswordGate

PASSWORD_ENV = "KPI_ADMIN_PASSWORD"
SECRET_KEY = "admin_password"
_GATE = PasswordGate(PASSWORD_ENV, SECRET_KEY, "_kpi_admin_unlocked", "kpi-admin")


def configured_password() -> str | None:
    return _GATE.configured_password()


def admin_enabled() -> bool:
    return _GATE.enabled()


def password_matches(candidate: str | None) -> bool:
    return _GATE.matches(candidate)


def unlock(session: MutableMapping[str, Any], candidate: str | None) -> bool:
    """Check a password typed on the page; remember success in the session."""
    return _GATE.unlock(session, candidate)


def is_unlocked(session: MutableMapping[str, Any]) -> bool:
    return _GATE.is_unlocked(session)


def lock(session: MutableMapping[str, Any]) -> None:
    _GATE.lock(session)


# The page is for staff and Chinese only; kept here, next to the gate, rather than in the viewers' i18n table.
TEXT: dict[str, str] = {
    "title": "数据管理",
    "disabled": "数据管理功能未启用：未配置管理员密码（环境变量 KPI_ADMIN_PASSWORD 或 Streamlit secrets 中的 admin_password）。",
    "password": "管理员密码",
    "login": "进入",
    "wrong_password": "密码不正确。",
    "logout": "退出管理",
    "step_template": "1. 下载模板",
    "template_help": "每行一条目标；「说明」工作表列出每一列的填法、可选状态和主题。",
    "template_missing": "模板文件缺失，请运行 python -m kpi.template 生成。",
    "step_upload": "2. 上传填好的文件",
    "upload": "选择 .xlsx 或 .csv（UTF-8）文件",
    "problems": "文件有 {n} 个问题，未导入任何数据。请改正后重新上传：",
    "step_preview": "3. 核对改动",
    "added": "新增目标",
    "updated": "更新目标",
    "unchanged": "未变目标",
    "indicators": "提取指标",
    "warnings": "请留意：",
    "nothing": "文件内容与现有数据一致，无需导入。",
    "confirm": "确认导入",
    "confirm_help": "导入前自动备份现有数据，可随时恢复。",
    "write_failed": "写入失败（{reason}），原数据未改动。",
    "done": "导入完成：{summary}。",
    "backup": "导入前的数据已备份为 {stamp}；如需撤销，请运行：python -m kpi.ingest --restore {stamp}",
    "step_review": "待核指标（{n} 个）",
    "review_empty": "没有待核指标：提取规则对现有数据中的每个指标都有把握。",
    "review_help": "规则没有把握的指标在目标的指标表中标为「待核」，不计入统计和图表。逐个核对原句后选择处理方式；决定写入 data/curation/indicator_overrides.csv，每次重建和重新导入都会应用。",
    "review_unreadable": "无法读取待核指标（{reason}）。",
    "review_pick": "待核指标",
    "review_why_low": "待核原因：{reason}",
    "review_action": "处理方式",
    "review_confirm": "确认无误",
    "review_rename": "改名",
    "review_value": "更正数值",
    "review_drop": "删除（不是指标）",
    "review_value_help": "改名时填新名称；更正数值时填原文中写出的数值（如 5.1690万剂次）；确认和删除时留空。",
    "review_reason": "理由（必填，与决定一起保存）",
    "review_submit": "保存决定",
}
