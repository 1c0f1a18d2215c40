"""The admin password that guards the 数据管理 page.

The page exists only when a password is configured: the ``KPI_ADMIN_PASSWORD``
environment variable, else ``admin_password`` in Streamlit secrets. The gate
itself (constant-time comparison, missing secrets file = not configured, a
session token tied to the configured password) is ``kpi.web.auth.PasswordGate``,
shared with the viewer password.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import pickle
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpi.contract import health
from kpi.web.auth import LoginThrottle, PasswordGate

if TYPE_CHECKING:  # the shell imports this module on every start; the import pipeline is the admin page's
    from kpi.pipeline import ingest

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
    """Check a password typed on the page; remember success in the session, bound to this browser.
    Raises ``LoginRefused`` after too many failures (``kpi.web.auth.LoginThrottle``)."""
    return _GATE.unlock(session, candidate)


def throttle() -> LoginThrottle:
    return _GATE.throttle


def is_unlocked(session: MutableMapping[str, Any]) -> bool:
    return _GATE.is_unlocked(session)


def lock(session: MutableMapping[str, Any]) -> None:
    _GATE.lock(session)


# --- the import plan, once per uploaded file, in a process of its own ------------------------------

PLAN_TIMEOUT_S = 120.0
_PLANS_KEPT = 8
_plans: OrderedDict[tuple, concurrent.futures.Future] = OrderedDict()
_plans_lock = threading.Lock()
# Threads that wait for the checking processes; two files are checked at a time at most.
_waiters = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="kpi-plan")
ROOT = Path(__file__).resolve().parents[2]
_WORKER = "from kpi.pipeline.ingest import plan_over_pipes; plan_over_pipes()"


class PlanFailed(Exception):
    """Checking the file did not finish (message in Chinese)."""


def _plan_in_a_process(content: bytes, file_name: str, directory: Path) -> ingest.ImportPlan:
    """Run ``plan_import`` in a child process: reading a workbook then takes that process's CPU,
    not the server's interpreter, which every viewer's script shares."""
    process = subprocess.run(
        [sys.executable, "-c", _WORKER, str(directory), file_name],
        input=content,
        capture_output=True,
        cwd=ROOT,
        timeout=PLAN_TIMEOUT_S,
        check=False,
    )
    if process.returncode != 0:
        raise PlanFailed(TEXT["plan_crashed"])
    return pickle.loads(process.stdout)  # our own child's answer


def plan_key(content: bytes, file_name: str, directory: Path) -> tuple:
    """The file (its hash and name) and the data version it is checked against."""
    version, _ = health.resolve(directory)
    version = version or directory
    return hashlib.sha256(content).hexdigest(), file_name, str(version), health.file_signature(version)


def import_plan(content: bytes, file_name: str, directory: Path) -> ingest.ImportPlan:
    """``ingest.plan_import`` of an uploaded file, computed once per file and data version (reruns of
    the page reuse it) in a process of its own, so that a large or hostile file never stalls viewers."""
    key = plan_key(content, file_name, directory)
    with _plans_lock:
        future = _plans.get(key)
        if future is None:
            future = _waiters.submit(_plan_in_a_process, content, file_name, directory)
            _plans[key] = future
            while len(_plans) > _PLANS_KEPT:
                _plans.popitem(last=False)
        _plans.move_to_end(key)
    try:
        return future.result()
    except subprocess.TimeoutExpired:
        raise PlanFailed(TEXT["plan_timeout"].format(seconds=int(PLAN_TIMEOUT_S))) from None
    except PlanFailed:
        with _plans_lock:
            _plans.pop(key, None)  # try again on the next upload
        raise


# The page is for staff and Chinese only; kept here, next to the gate, rather than in the viewers' i18n table.
TEXT: dict[str, str] = {
    "title": "数据管理",
    "disabled": "数据管理功能未启用：未配置管理员密码（环境变量 KPI_ADMIN_PASSWORD 或 Streamlit secrets 中的 admin_password）。",
    "password": "管理员密码",
    "login": "进入",
    "wrong_password": "密码不正确。",
    "refused": "管理员密码错误次数过多，已暂停登录。请在 {at}（约 {minutes} 分钟后）再试。",
    "logout": "退出管理",
    "step_template": "1. 下载模板",
    "template_help": "每行一条目标；「说明」工作表列出每一列的填法、可选状态和主题。",
    "template_missing": "模板文件缺失，请运行 python -m kpi.template 生成。",
    "step_upload": "2. 上传填好的文件",
    "upload": "选择 .xlsx 或 .csv（UTF-8）文件",
    "problems": "文件有 {n} 个问题，未导入任何数据。请改正后重新上传：",
    "step_preview": "3. 核对改动",
    "checking": "正在检查文件……",
    "plan_timeout": "检查文件超过 {seconds} 秒仍未完成，未导入任何数据。请确认文件没有异常多的行或超长的单元格。",
    "plan_crashed": "检查文件时出错（检查进程意外退出），未导入任何数据。请确认文件大小和内容正常后重新上传。",
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
    # --- wall tokens (issue 15): kpi/web/wall_admin.py ---
    "walls_title": "大屏访问令牌",
    "walls_help": "无人值守的大屏无法输入密码：为每块大屏创建一个令牌，把带令牌的链接填入大屏浏览器。令牌只能打开大屏页面（/wall），不能打开其他页面；撤销后，大屏在下一次轮换时即显示登录页，无需重启。服务器只保存令牌的摘要，令牌本身只在创建时显示一次。",
    "walls_none": "尚未在本页创建大屏令牌。",
    "walls_config": "另有 {n} 个令牌来自配置（KPI_WALL_TOKENS 或 secrets 中的 wall_tokens），只能在配置中删除并重启服务来撤销。",
    "walls_name": "大屏名称（如 三楼会议室）",
    "walls_create": "创建令牌",
    "walls_created": "已为「{name}」创建大屏令牌。请立即复制下面的链接：离开或刷新本页后令牌不再显示，也无法找回（丢失时撤销后重新创建）。",
    "walls_link_help": "链接可附加筛选条件，如 &dept=finance&rotate=30。链接即密码：请勿在聊天群中转发。",
    "walls_col_name": "名称",
    "walls_col_id": "编号",
    "walls_col_created": "创建时间",
    "walls_col_used": "最近使用",
    "walls_never_used": "本次启动以来未使用",
    "walls_pick": "要撤销的令牌",
    "walls_revoke": "撤销令牌",
    "walls_revoked": "已撤销「{name}」的大屏令牌，该大屏在下一次轮换时显示登录页。",
    "walls_reset": "删除该文件（撤销本页创建的全部令牌）",
    "walls_reset_done": "已删除大屏令牌文件，本页创建的令牌全部撤销；可重新创建。",
}
