"""The review queue: figures the extraction was unsure of (待核), and staff decisions on them.

The queue is every figure of the data with confidence ``low`` — after an import, the new
ones it brought plus any not reviewed yet — newest year first, each with the sentence that
states it. A decision (confirm, rename, correct the value as written, drop) becomes a row of
``data/curation/indicator_overrides.csv`` — reviewed like code, checked against the text like
every curated row (the figure must be found by its value as written; a corrected value must be
written in the goal's result) — and is re-applied by every rebuild and re-import
(``kpi.pipeline.build.analyse_goal``). Rows for imported goals carry their year in ``year``
and, for a goal of a report period other than 全年, the period's code in ``period`` (each
period's narrative is another text). The goal's targets are kept; its status and light are
decided again from the figures as decided.

``decide`` checks the decision on the goal first: when it does not apply, nothing is written.
Otherwise it appends the row and rewrites the goal's figures in the data (backup first, as an
import does), so the dashboard shows the decision at once.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from kpi.contract.schema import validate
from kpi.contract.storage import WriterBusyError, read_dataset, writer_lock
from kpi.contract.vocab import FULL_YEAR, LIGHT_THRESHOLD_KEYS
from kpi.pipeline.build import CURATION_DIR, SOURCE_YEAR, analyse_goal, relight
from kpi.pipeline.curation import CurationError, IndicatorOverride, load_curation
from kpi.pipeline.history import write_with_history

OVERRIDES_FILE = "indicator_overrides.csv"
OVERRIDE_COLUMNS = ("dept_name", "seq", "value_text", "field", "value", "reason", "year", "period")
CURATION_ENV = "KPI_CURATION_DIR"
# Decision → the field of indicator_overrides.csv that records it.
ACTIONS: dict[str, str] = {"confirm": "confirm", "rename": "name", "value": "value", "drop": "drop"}
# A status decided by a person (an imported file's 状态 column, a curated override) is kept.
_KEPT_STATUS_RE = re.compile(r"^(?:导入文件指定|人工校订)")


class ReviewError(ValueError):
    """A decision that cannot be applied (message in Chinese)."""


@dataclass(frozen=True)
class QueueItem:
    indicator_id: str
    goal_id: str
    year: int
    period: str
    dept_name: str
    seq: int
    title: str
    result: str
    name: str
    value_text: str
    quote: str
    reason: str

    @property
    def sentence(self) -> str:
        """The sentence of the result that holds the quote."""
        start = self.result.find(self.quote)
        if start < 0:
            return self.quote
        left = max(self.result.rfind(mark, 0, start) for mark in "。；！？\n")
        ends = [i for i in (self.result.find(mark, start + len(self.quote)) for mark in "。；！？\n") if i >= 0]
        return self.result[left + 1 : (min(ends) + 1 if ends else len(self.result))].strip()


def curation_dir() -> Path:
    """The curation files decisions go to: ``KPI_CURATION_DIR`` or the bundled ``data/curation``."""
    configured = os.environ.get(CURATION_ENV, "").strip()
    return Path(configured).expanduser().resolve() if configured else CURATION_DIR


def review_queue(directory: Path) -> list[QueueItem]:
    dataset = read_dataset(directory)
    low = dataset.indicators.filter(pl.col("confidence") == "low")
    if low.height == 0:
        return []
    goals = {g["goal_id"]: g for g in dataset.goals.iter_rows(named=True)}
    names = dict(dataset.departments.select("dept_id", "name").iter_rows())
    items = []
    for row in low.iter_rows(named=True):
        goal = goals[row["goal_id"]]
        items.append(
            QueueItem(
                indicator_id=row["indicator_id"],
                goal_id=row["goal_id"],
                year=goal["year"],
                period=goal["period"],
                dept_name=names.get(goal["dept_id"], goal["dept_id"]),
                seq=goal["seq"],
                title=goal["title"],
                result=goal["result"],
                name=row["name"],
                value_text=row["value_text"],
                quote=row["quote"],
                reason=row["confidence_reason"] or "",
            )
        )
    return sorted(items, key=lambda item: (-item.year, item.goal_id, item.indicator_id))


def _override_row(item: QueueItem, action: str, value: str, reason: str) -> dict[str, str]:
    if action not in ACTIONS:
        raise ReviewError(f"未知的处理方式「{action}」")
    value = value.strip()
    reason = " ".join(reason.split())
    if action in ("rename", "value") and not value:
        raise ReviewError("改名或更正数值时，请填写新的名称或原文中的数值")
    if not reason:
        raise ReviewError("请写明理由（将与决定一起保存在整理文件中）")
    return {
        "dept_name": item.dept_name,
        "seq": str(item.seq),
        "value_text": item.value_text,
        "field": ACTIONS[action],
        "value": value if action in ("rename", "value") else "",
        "reason": reason,
        "year": "" if (item.year, item.period) == (SOURCE_YEAR, FULL_YEAR) else str(item.year),
        "period": "" if item.period == FULL_YEAR else item.period,
    }


def _append(path: Path, row: dict[str, str]) -> None:
    """Append one row, atomically (a temporary file renamed over the old one)."""
    existing = path.read_text(encoding="utf-8-sig") if path.exists() else ""
    reader = csv.DictReader(io.StringIO(existing))
    rows = list(reader)
    columns = list(reader.fieldnames or OVERRIDE_COLUMNS)
    columns += [c for c in OVERRIDE_COLUMNS if c not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows([{c: r.get(c) or "" for c in columns} for r in [*rows, row]])
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(temporary, path)


def decide(
    directory: Path, indicator_id: str, action: str, value: str = "", reason: str = "", curation: Path | None = None
) -> str:
    """Apply one decision to the data and record it in the curation files; returns a Chinese summary.

    Holds the data directory's writer lock from reading the goal to publishing it, so an
    import published meanwhile is neither lost nor overwritten by the decision."""
    try:
        with writer_lock(directory):
            return _decide(directory, indicator_id, action, value, reason, curation or curation_dir())
    except WriterBusyError as exc:
        raise ReviewError(str(exc)) from None


def _decide(directory: Path, indicator_id: str, action: str, value: str, reason: str, curation: Path) -> str:
    item = next((i for i in review_queue(directory) if i.indicator_id == indicator_id), None)
    if item is None:
        raise ReviewError("该指标已不在待核列表中（可能已被处理或数据已更新），请刷新页面")
    row = _override_row(item, action, value, reason)
    dataset = read_dataset(directory)
    goal = dataset.goals.filter(pl.col("goal_id") == item.goal_id).row(0, named=True)
    loaded = load_curation(curation)
    where = f"{OVERRIDES_FILE}（新增）"
    override = IndicatorOverride(row["value_text"], row["field"], row["value"], row["reason"], where)
    overrides = [*loaded.overrides_for(item.year, item.dept_name, item.seq, SOURCE_YEAR, item.period), override]
    status = (goal["status"], goal["status_reason"]) if _KEPT_STATUS_RE.match(goal["status_reason"]) else None
    try:
        new_goal, indicators, _ = analyse_goal(
            year=item.year,
            period=item.period,
            dept_id=goal["dept_id"],
            seq=item.seq,
            title=goal["title"],
            result=goal["result"],
            curation=loaded,
            default_themes=(),
            status=status,
            themes=goal["themes"],
            overrides=overrides,
        )
    except CurationError as exc:
        raise ReviewError(str(exc)) from None
    # The goal's targets stay as they are (from its text, target_overrides.csv or an import's
    # 目标值 column); its light is decided again, since the figures it rests on changed.
    targets = dataset.goal_targets.filter(pl.col("goal_id") == item.goal_id)
    # With the thresholds its period's other lights were decided with (stored with the data), so
    # the legend's numbers stay true for every light; the next import or build applies new ones.
    stored = dataset.periods.filter((pl.col("year") == goal["year"]) & (pl.col("period") == goal["period"]))
    thresholds = {k: stored.get_column(k)[0] for k in LIGHT_THRESHOLD_KEYS} if stored.height else {}
    if all(v is not None for v in thresholds.values()) and thresholds:
        loaded = replace(loaded, light_thresholds=thresholds)
    new_goal = relight(new_goal, indicators, targets.to_dicts(), loaded)
    goals = dataset.goals.filter(pl.col("goal_id") != item.goal_id)
    goals = pl.concat([goals, pl.DataFrame([new_goal], schema=dataset.goals.schema)]).sort(
        pl.col("goal_id").replace_strict(
            {g: i for i, g in enumerate(dataset.goals.get_column("goal_id"))}, return_dtype=pl.Int64
        )
    )
    kept = dataset.indicators.filter(pl.col("goal_id") != item.goal_id)
    new_rows = pl.DataFrame(indicators, schema=dataset.indicators.schema)
    position = dataset.indicators.get_column("goal_id").to_list().index(item.goal_id)
    merged = pl.concat([kept.head(position), new_rows, kept.slice(position)])
    updated = validate(replace(dataset, goals=goals, indicators=merged))
    _append(curation / OVERRIDES_FILE, row)
    write_with_history(updated, directory, None)
    return f"已记录：{item.dept_name} 目标{item.seq}「{item.value_text}」— {_LABELS[action]}"


_LABELS = {"confirm": "确认无误", "rename": "改名", "value": "更正数值", "drop": "删除"}
