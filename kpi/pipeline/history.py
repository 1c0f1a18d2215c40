"""History of the data: the kept versions (``kpi.contract.storage``), and putting one back (``--restore``).

Every write publishes a complete new version; the version it replaces stays in
``DIR/versions/<timestamp>/`` (the newest ``KPI_KEEP_VERSIONS``, default 20, are kept).
Restoring publishes a kept version again, with the same atomic step as an import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kpi.contract.schema import Dataset
from kpi.contract.storage import (
    LEGACY_HISTORY_DIR,
    VERSION_ID,
    BucketPath,
    Location,
    current_version_id,
    data_dir,
    location,
    publish_version,
    read_dataset,
    version_path,
    versions,
    writer_lock,
)

HISTORY_DIR = "versions"  # where the kept versions are, relative to the data directory
TIMESTAMP = VERSION_ID


@dataclass(frozen=True)
class RestoreResult:
    timestamp: str
    history_entry: str | None  # the version that was current before the restore
    counts: dict[str, int]


class HistoryError(ValueError):
    """No such history entry (message in Chinese)."""


def _legacy_entries(directory: Location) -> list[str]:
    if isinstance(directory, BucketPath):
        return []  # a bucket never had the layout before versions
    root = directory / LEGACY_HISTORY_DIR
    if not root.is_dir() or root.is_symlink():
        return []
    return [p.name for p in root.iterdir() if TIMESTAMP.match(p.name) and p.is_dir() and not p.is_symlink()]


def history_entries(directory: Location | None = None) -> list[str]:
    """Timestamps of the kept versions one can go back to (all but the current one), newest first."""
    directory = location(directory) if directory is not None else data_dir()
    current = current_version_id(directory)
    entries = set(versions(directory)) | set(_legacy_entries(directory))
    return sorted((e for e in entries if e != current), reverse=True)


def entry_path(directory: Location, timestamp: str) -> Location:
    """The directory of a kept version (an old ``history/`` backup until the next write moves it)."""
    directory = location(directory)
    path = version_path(directory, timestamp)
    if not path.exists() and timestamp in _legacy_entries(directory):
        return directory / LEGACY_HISTORY_DIR / timestamp
    return path


def write_with_history(
    dataset: Dataset,
    directory: Location,
    before_replace: Callable[[], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> str | None:
    """Publish ``dataset`` as a new version; returns the id of the version it replaced (kept)."""
    return publish_version(directory, dataset=dataset, before_replace=before_replace, on_step=on_step).previous


def restore(
    timestamp: str,
    directory: Location | None = None,
    before_replace: Callable[[], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> RestoreResult:
    """Publish a kept version again (validated first); what it replaces stays a kept version."""
    directory = location(directory) if directory is not None else data_dir()
    with writer_lock(directory):
        entries = history_entries(directory)
        if not TIMESTAMP.match(timestamp) or timestamp not in entries:
            available = "、".join(entries[:10]) or "无"
            raise HistoryError(f"没有时间戳为「{timestamp}」的历史版本。可恢复的版本（最新在前）：{available}")
        dataset = read_dataset(entry_path(directory, timestamp))
        published = publish_version(directory, existing=timestamp, before_replace=before_replace, on_step=on_step)
    return RestoreResult(
        timestamp, published.previous, {name: frame.height for name, frame in dataset.tables().items()}
    )
