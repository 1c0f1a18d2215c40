"""Read and write the dataset: complete versions, published with one atomic step.

Layout of a data directory ``DIR``::

    DIR/current -> versions/<id>      a relative symlink: the version in force
    DIR/versions/<id>/<table>.parquet one directory per version, all tables, never changed
    DIR/.write.lock                   held by the one writer at a time (fcntl.flock)

A write (build, import, restore of a kept version, synthetic data) happens under
the directory's lock: every table is written into a staging directory
``versions/.staging-*`` (a unique name per writer), read back and validated, the
staging directory is renamed to ``versions/<id>``, and the version is published by
swapping ``current`` with ``os.replace`` of a temporary symlink, the one step that
changes what readers see. A crash at any moment leaves either the previous or the
new version current, never a mix; the next write removes what a crash left
(staging directories, temporary links). The newest ``KPI_KEEP_VERSIONS`` versions
(default 20) are kept; the current one is never removed.

Readers resolve ``current`` once (``current_version``) and read every table from
that one directory, so they never mix two versions. A directory without
``current`` (the layout before versions: the tables directly in ``DIR``) is still
read as it is; the first write to it migrates it: the old files (and any old
``history/<timestamp>/`` backups) become versions, then the flat files go. A
version written before report periods (no ``periods``/``goal_targets`` file) is
read with one 全年 period per year of its goals and no goal targets.

Symlinks are refused everywhere but ``current`` itself: a version or a table file
that is a link is not read, and ``current`` must point to ``versions/<id>``.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from kpi.contract.schema import (
    DERIVED_WHEN_MISSING,
    TABLE_LABELS,
    TABLES,
    ContractError,
    Dataset,
    derived_table,
    validate,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
PUBLISHED_MODE = 0o644
VERSION_DIR_MODE = 0o755

CURRENT = "current"
VERSIONS_DIR = "versions"
LEGACY_HISTORY_DIR = "history"
LOCK_FILE = ".write.lock"
STAGING_PREFIX = ".staging-"
LINK_PREFIX = ".current-"
VERSION_FORMAT = "%Y%m%dT%H%M%S"
VERSION_ID = re.compile(r"^\d{8}T\d{6}(\d{6})?$")

DEFAULT_KEEP_VERSIONS = 20
DEFAULT_LOCK_TIMEOUT = 30.0  # seconds a second writer waits for the first

# The named moments of a write, in order; ``on_step`` is called after each (tests kill the
# process there). "published" is the atomic step: before it the old version is current.
WRITE_STEPS: tuple[str, ...] = ("cleaned", "staged", "renamed", "linked", "published", "migrated", "pruned")


class WriterBusyError(OSError):
    """Another writer holds the data directory's lock (message in Chinese)."""


def data_dir() -> Path:
    """The directory the dashboard reads: ``KPI_DATA_DIR`` or the bundled ``data/``."""
    configured = os.environ.get("KPI_DATA_DIR", "").strip()
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DATA_DIR


def keep_versions() -> int:
    """How many versions a write keeps (``KPI_KEEP_VERSIONS``, at least 1; default 20)."""
    try:
        return max(1, int(os.environ.get("KPI_KEEP_VERSIONS", DEFAULT_KEEP_VERSIONS)))
    except ValueError:
        return DEFAULT_KEEP_VERSIONS


def lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("KPI_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


# --- reading ------------------------------------------------------------------------------------------


def current_version(directory: Path | None = None) -> Path:
    """The directory holding the tables in force: ``DIR/versions/<id>`` that ``current`` names,
    or ``DIR`` itself for a directory in the layout before versions. Resolve once per reader."""
    directory = Path(directory) if directory is not None else data_dir()
    link = directory / CURRENT
    if link.is_symlink():
        target = Path(os.readlink(link))
        parts = target.parts
        if len(parts) != 2 or parts[0] != VERSIONS_DIR or not VERSION_ID.match(parts[1]):
            raise ContractError(f"数据目录中的 {CURRENT} 指向不允许的位置（应为 {VERSIONS_DIR}/<版本号>）")
        return directory / VERSIONS_DIR / parts[1]
    if link.exists():
        raise ContractError(f"数据目录中的 {CURRENT} 应为指向 {VERSIONS_DIR}/<版本号> 的符号链接")
    return directory


def current_version_id(directory: Path | None = None) -> str | None:
    """The id of the version in force; None for the layout before versions."""
    version = current_version(directory)
    return version.name if version.parent.name == VERSIONS_DIR else None


def table_path(directory: Path, name: str) -> Path:
    """Where table ``name`` of the version in force in ``directory`` is (``directory`` may
    also be a version directory itself)."""
    return current_version(Path(directory)) / f"{name}.parquet"


def link_problem(path: Path) -> str | None:
    """Why ``path`` (a table file or a version directory) must not be read: it is a symlink."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return f"{path.name} 是符号链接，出于安全原因不予读取"
    return None


def read_dataset(directory: Path | None = None) -> Dataset:
    """Read and validate all tables of one version; a missing, unreadable or linked file is a
    ContractError in Chinese."""
    version = current_version(Path(directory) if directory is not None else None)
    problem = link_problem(version)
    if problem:
        raise ContractError(f"数据版本 {version.name}：{problem}")
    frames = {}
    for name in TABLES:
        path = version / f"{name}.parquet"
        problem = link_problem(path)
        if problem:
            raise ContractError(f"文件 {path.name}（{TABLE_LABELS[name]}）：{problem}")
        if not path.exists():
            if name in DERIVED_WHEN_MISSING:
                continue  # a version from before report periods: filled in below
            raise ContractError(f"数据目录中缺少文件 {path.name}（{TABLE_LABELS[name]}）")
        try:
            frames[name] = pl.read_parquet(path)
        except Exception as exc:  # corrupt or truncated files raise various errors
            raise ContractError(
                f"文件 {path.name}（{TABLE_LABELS[name]}）无法读取，可能已损坏：{type(exc).__name__}"
            ) from None
    for name in DERIVED_WHEN_MISSING:
        if name not in frames:
            frames[name] = derived_table(name, frames["goals"])
    return validate(Dataset(**frames))


def versions(directory: Path) -> list[str]:
    """Ids of the complete versions in ``directory``, newest first (links are not versions)."""
    root = Path(directory) / VERSIONS_DIR
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if VERSION_ID.match(p.name) and not p.is_symlink() and p.is_dir()]
    return sorted(found, reverse=True)


def version_path(directory: Path, version_id: str) -> Path:
    return Path(directory) / VERSIONS_DIR / version_id


def fingerprint(directory: Path) -> str:
    """Digest of the tables in force (a missing file counts), to detect changes between plan and apply."""
    version = current_version(Path(directory))
    digest = hashlib.sha256()
    for name in TABLES:
        path = version / f"{name}.parquet"
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


# --- one writer at a time -------------------------------------------------------------------------------

_held = threading.local()


@contextmanager
def writer_lock(directory: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold ``DIR/.write.lock`` exclusively (across processes and threads; re-entrant in the
    thread that holds it). A second writer waits up to ``timeout`` seconds
    (``KPI_LOCK_TIMEOUT``, default 30), then gets ``WriterBusyError``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = str(directory.resolve())
    held: dict[str, int] = _held.__dict__.setdefault("dirs", {})
    if held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    wait = lock_timeout() if timeout is None else timeout
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, PUBLISHED_MODE)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriterBusyError(
                        f"另一个导入或恢复正在写入数据，等待 {wait:g} 秒后仍未结束，本次未做任何改动。请稍后再试。"
                    ) from None
                time.sleep(0.05)
        held[key] = 1
        try:
            yield
        finally:
            held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- writing ------------------------------------------------------------------------------------------


def write_dataset(
    dataset: Dataset,
    directory: Path,
    before_replace: Callable[[], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    keep: int | None = None,
) -> Dataset:
    """Validate, write a complete new version, validate what was written, publish it as ``current``.

    ``before_replace`` runs after the version is written and checked, before anything readers
    see changes; ``on_step(step)`` after each of ``WRITE_STEPS``. Tests use both to simulate crashes.
    """
    publish_version(directory, dataset=dataset, before_replace=before_replace, on_step=on_step, keep=keep)
    return validate(dataset)


@dataclass(frozen=True)
class Published:
    version: str  # the id now current
    previous: str | None  # the id that was current before (None: there was no data)


def publish_version(
    directory: Path,
    dataset: Dataset | None = None,
    existing: str | None = None,
    before_replace: Callable[[], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    keep: int | None = None,
) -> Published:
    """Publish ``dataset`` as a new version, or the kept version ``existing`` again."""
    directory = Path(directory)
    step = on_step or (lambda _name: None)
    if dataset is not None:
        dataset = validate(dataset)
    with writer_lock(directory):
        root = directory / VERSIONS_DIR
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, VERSION_DIR_MODE)
        clean_up(directory)
        migrated = _migrate_legacy(directory)
        previous = current_version_id(directory) or migrated
        step("cleaned")
        if dataset is not None:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
            try:
                os.chmod(staging, VERSION_DIR_MODE)
                for name, frame in dataset.tables().items():
                    path = staging / f"{name}.parquet"
                    try:
                        frame.write_parquet(path, statistics=True)
                    except OSError:
                        raise
                    except Exception as exc:  # Polars reports a full disk as its own error kinds
                        raise _write_error(exc, staging) from None
                    os.chmod(path, PUBLISHED_MODE)
                    with open(path, "rb") as written:
                        os.fsync(written.fileno())
                _fsync_directory(staging)
                # Read back what is on disk: a short write or a full disk shows up here.
                validate(Dataset(**{name: pl.read_parquet(staging / f"{name}.parquet") for name in TABLES}))
                step("staged")
                if before_replace is not None:
                    before_replace()
                if previous is not None and _same_files(staging, version_path(directory, previous)):
                    # Nothing changed: publishing would only add a copy (and churn a committed data/).
                    shutil.rmtree(staging)
                    if current_version_id(directory) == previous:
                        return Published(previous, previous)
                    version_id = previous  # the flat files just migrated: publish that copy
                else:
                    version_id = _new_version_id(directory)
                    os.rename(staging, root / version_id)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            _fsync_directory(root)
        else:
            version_id = existing or ""
            if version_id not in versions(directory):
                raise ContractError(f"没有版本号为「{version_id}」的数据版本")
            if before_replace is not None:
                before_replace()
        step("renamed")
        link = directory / f"{LINK_PREFIX}{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
        os.symlink(f"{VERSIONS_DIR}/{version_id}", link)
        step("linked")
        os.replace(link, directory / CURRENT)
        _fsync_directory(directory)
        step("published")
        for name in TABLES:  # the flat files of the layout before versions, now superseded
            flat = directory / f"{name}.parquet"
            if flat.is_file() or flat.is_symlink():
                flat.unlink()
        step("migrated")
        prune(directory, keep if keep is not None else keep_versions())
        step("pruned")
    return Published(version_id, previous)


def _same_files(left: Path, right: Path) -> bool:
    for name in TABLES:
        a, b = left / f"{name}.parquet", right / f"{name}.parquet"
        if not b.is_file() or b.is_symlink() or a.read_bytes() != b.read_bytes():
            return False
    return True


def _write_error(error: Exception, where: Path) -> OSError:
    """An OSError with the operating system's reason for a failed Parquet write."""
    text = str(error)
    try:
        full = shutil.disk_usage(where).free < 1024 * 1024
    except OSError:
        full = False
    if full or "No space left" in text or "os error 28" in text:
        return OSError(errno.ENOSPC, "磁盘空间不足")
    if "Disk quota" in text or "os error 122" in text:
        return OSError(errno.EDQUOT, "超出磁盘配额")
    return OSError(errno.EIO, f"写入 Parquet 文件失败（{type(error).__name__}）")


def _new_version_id(directory: Path) -> str:
    """A timestamp later than every existing version (seconds, or microseconds when needed)."""
    existing = set(versions(directory))
    newest = max(existing, default="")
    now = datetime.now()
    for candidate in (now.strftime(VERSION_FORMAT), now.strftime(VERSION_FORMAT + "%f")):
        if candidate not in existing and candidate > newest:
            return candidate
    # The clock stands still or went back: count on from the newest id.
    base = newest if len(newest) > 15 else newest + "000000"
    return f"{base[:9]}{int(base[9:]) + 1:012d}"


def clean_up(directory: Path) -> list[str]:
    """Remove what an interrupted write left (staging directories, temporary links); call under the lock."""
    removed = []
    root = Path(directory) / VERSIONS_DIR
    if root.is_dir():
        for path in root.iterdir():
            if path.name.startswith(STAGING_PREFIX):
                if path.is_symlink() or not path.is_dir():
                    path.unlink()
                else:
                    shutil.rmtree(path)
                removed.append(path.name)
    for path in Path(directory).iterdir():
        if path.name.startswith(LINK_PREFIX) and path.is_symlink():
            path.unlink()
            removed.append(path.name)
    return removed


def clean_up_at_start(directory: Path | None = None) -> list[str]:
    """What a server start does: remove what a crashed write left, unless a writer is at work
    (then that writer cleans up). Never raises: a read-only or missing directory is left alone."""
    directory = Path(directory) if directory is not None else data_dir()
    if not (directory / VERSIONS_DIR).is_dir():
        return []
    try:
        with writer_lock(directory, timeout=0):
            return clean_up(directory)
    except OSError:
        return []


def prune(directory: Path, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` versions; never the current one."""
    current = current_version_id(directory)
    removed = []
    for version_id in versions(directory)[keep:]:
        if version_id != current:
            shutil.rmtree(version_path(directory, version_id))
            removed.append(version_id)
    return removed


def _migrate_legacy(directory: Path) -> str | None:
    """Turn the layout before versions into versions: old ``history/<timestamp>/`` backups are
    moved, the flat tables are copied into a version (removed once the next one is current)."""
    root = directory / VERSIONS_DIR
    legacy = directory / LEGACY_HISTORY_DIR
    if legacy.is_dir() and not legacy.is_symlink():
        for entry in legacy.iterdir():
            movable = VERSION_ID.match(entry.name) and entry.is_dir() and not entry.is_symlink()
            if movable and not (root / entry.name).exists():
                os.rename(entry, root / entry.name)
        shutil.rmtree(legacy, ignore_errors=True)
    if (directory / CURRENT).is_symlink():
        return None
    present = [directory / f"{name}.parquet" for name in TABLES]
    present = [p for p in present if p.is_file() and not p.is_symlink()]
    if not present:
        return None
    for version_id in versions(directory)[:1]:  # already copied by a write that then crashed
        kept = version_path(directory, version_id)
        if sorted(p.name for p in kept.iterdir()) == sorted(p.name for p in present) and all(
            (kept / p.name).read_bytes() == p.read_bytes() for p in present
        ):
            return version_id
    version_id = _new_version_id(directory)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        os.chmod(staging, VERSION_DIR_MODE)
        for path in present:
            shutil.copy2(path, staging / path.name)
            os.chmod(staging / path.name, PUBLISHED_MODE)
            with open(staging / path.name, "rb") as copied:
                os.fsync(copied.fileno())
        os.rename(staging, root / version_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_directory(root)
    return version_id


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
