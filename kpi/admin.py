"""The admin password that guards the 数据管理 page.

The page exists only when a password is configured: the ``KPI_ADMIN_PASSWORD``
environment variable, else ``admin_password`` in Streamlit secrets. A missing
or unreadable secrets file simply means "not configured". Passwords are
compared in constant time; a session stays unlocked only while the configured
password is the one it was unlocked with.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import MutableMapping
from typing import Any

import streamlit as st

PASSWORD_ENV = "KPI_ADMIN_PASSWORD"
SECRET_KEY = "admin_password"
_SESSION_KEY = "_kpi_admin_unlocked"


def configured_password() -> str | None:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    try:
        # Looked up on the module at call time: AppTest swaps st.secrets per run.
        from_secrets = st.secrets.get(SECRET_KEY)
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no (or an unreadable) secrets.toml
        return None
    return str(from_secrets) if from_secrets else None


def admin_enabled() -> bool:
    return configured_password() is not None


def password_matches(candidate: str | None) -> bool:
    expected = configured_password()
    if expected is None or candidate is None:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), expected.encode("utf-8"))


def _token(password: str) -> str:
    return hashlib.sha256(("kpi-admin:" + password).encode("utf-8")).hexdigest()


def unlock(session: MutableMapping[str, Any], candidate: str | None) -> bool:
    """Check a password typed on the page; remember success in the session."""
    if not password_matches(candidate):
        session.pop(_SESSION_KEY, None)
        return False
    session[_SESSION_KEY] = _token(configured_password() or "")
    return True


def is_unlocked(session: MutableMapping[str, Any]) -> bool:
    expected = configured_password()
    token = session.get(_SESSION_KEY)
    if expected is None or not isinstance(token, str):
        return False
    return hmac.compare_digest(token, _token(expected))


def lock(session: MutableMapping[str, Any]) -> None:
    session.pop(_SESSION_KEY, None)


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
}
