"""Backups of the data before every write, and putting a backup back (``--restore``)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kpi.contract.schema import TABLES, Dataset
from kpi.contract.storage import data_dir, fingerprint, read_dataset, table_path, write_dataset

HISTORY_DIR = "history"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%S"
TIMESTAMP = re.compile(r"^\d{8}T\d{6}(\d{6})?$")


@dataclass(frozen=True)
class RestoreResult:
    timestamp: str
    history_entry: str | None
    counts: dict[str, int]


class HistoryError(ValueError):
    """No such history entry (message in Chinese)."""


def history_entries(directory: Path | None = None) -> list[str]:
    """Timestamps of the kept versions, newest first."""
    root = Path(directory if directory is not None else data_dir()) / HISTORY_DIR
    if not root.is_dir():
        return []
    return sorted((p.name for p in root.iterdir() if p.is_dir() and TIMESTAMP.match(p.name)), reverse=True)


def _snapshot(directory: Path) -> str | None:
    """Copy the current data files to ``history/<timestamp>/``; None when there is nothing to keep.

    The copy is made in a hidden directory and renamed, so an entry is either complete or absent.
    """
    present = [table_path(directory, name) for name in TABLES if table_path(directory, name).exists()]
    if not present:
        return None
    root = directory / HISTORY_DIR
    root.mkdir(exist_ok=True)
    now = datetime.now()
    stamp = now.strftime(TIMESTAMP_FORMAT)
    if (root / stamp).exists():
        stamp = now.strftime(TIMESTAMP_FORMAT + "%f")
    staging = root / f".{stamp}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for path in present:
            shutil.copy2(path, staging / path.name)
            with open(staging / path.name, "rb") as copied:
                os.fsync(copied.fileno())
        os.replace(staging, root / stamp)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # e.g. a full disk while copying: no half entry
        raise
    return stamp


def write_with_history(dataset: Dataset, directory: Path, before_replace: Callable[[], None] | None) -> str | None:
    """Back up, then write atomically. If the write fails before touching the data, the backup is removed
    again (it equals the data), so the directory is left exactly as it was."""
    had_history = (directory / HISTORY_DIR).exists()
    before = fingerprint(directory)
    stamp: str | None = None
    try:
        stamp = _snapshot(directory)
        write_dataset(dataset, directory, before_replace=before_replace)
    except BaseException:
        # Keep the backup if the data did change (a failure between two renames): it is then the way back.
        if fingerprint(directory) == before:
            if stamp is not None:
                shutil.rmtree(directory / HISTORY_DIR / stamp, ignore_errors=True)
            if not had_history:
                shutil.rmtree(directory / HISTORY_DIR, ignore_errors=True)
        raise
    return stamp


def restore(
    timestamp: str, directory: Path | None = None, before_replace: Callable[[], None] | None = None
) -> RestoreResult:
    """Put a kept version back (validated, atomically), keeping what it replaces as a new history entry."""
    directory = Path(directory) if directory is not None else data_dir()
    entries = history_entries(directory)
    if not TIMESTAMP.match(timestamp) or timestamp not in entries:
        available = "、".join(entries[:10]) or "无"
        raise HistoryError(f"没有时间戳为「{timestamp}」的历史版本。可恢复的版本（最新在前）：{available}")
    dataset = read_dataset(directory / HISTORY_DIR / timestamp)
    stamp = write_with_history(dataset, directory, before_replace)
    return RestoreResult(timestamp, stamp, {name: frame.height for name, frame in dataset.tables().items()})
