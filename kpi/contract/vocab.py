"""Vocabularies the pipeline and the web app share: status codes and their Chinese labels.

Import files are written and read in Chinese, and the dashboard shows the same words,
so the labels live in the contract rather than in either side.
"""

from __future__ import annotations

STATUSES: tuple[str, ...] = ("exceeded", "achieved", "on_track", "pending", "at_risk", "not_met")

STATUS_LABELS_ZH: dict[str, str] = {
    "exceeded": "超额完成",
    "achieved": "已完成",
    "on_track": "有望完成",
    "pending": "待验收",
    "at_risk": "难度较大",
    "not_met": "未完成",
}
assert tuple(STATUS_LABELS_ZH) == STATUSES
