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

A data directory may also be a prefix in an S3-compatible bucket, ``s3://bucket/prefix``
(``KPI_DATA_DIR``, ``--data-dir``, ``--out``): every function here takes either kind (a
``Location``: ``Path`` or ``kpi.contract.bucket.BucketPath``), so the pipeline and the web
app use one abstraction. The same layout, with objects::

    PREFIX/current                      an object holding "versions/<id>", written last
    PREFIX/versions/<id>/<table>.parquet
    PREFIX/versions/<id>/manifest.json  written after the tables: a version without it is
                                        not complete (never listed, removed by the next writer)
    PREFIX/.write.lock                  created only if absent (If-None-Match: *), with an expiry

Readers GET ``current`` once; a writer's steps (``WRITE_STEPS``) are the same, the pointer
PUT being the one that changes what readers see (see ``_publish_to_bucket`` and
``_bucket_lock``).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from kpi.contract import bucket
from kpi.contract.bucket import BucketPath, StoreError
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
DEFAULT_LOCK_TTL = 600.0  # seconds after which a bucket's lock object left by a crashed writer may be taken over
# Written into versions/<id>/ after its tables were validated as read back: each table's size and
# SHA-256, and on disk its modification time. In a bucket it marks the version complete (no
# manifest, no version); on disk (the rename does that) it tells a reader that the files are the
# ones validated, so the tables' agreement need not be checked again (``kpi.contract.health``).
MANIFEST = "manifest.json"

# A data directory: a local directory, or a prefix in an S3-compatible bucket (kpi.contract.bucket).
Location = Path | BucketPath

# The named moments of a write, in order; ``on_step`` is called after each (tests kill the
# process there). "published" is the atomic step: before it the old version is current.
WRITE_STEPS: tuple[str, ...] = ("cleaned", "staged", "renamed", "linked", "published", "migrated", "pruned")


class WriterBusyError(OSError):
    """Another writer holds the data directory's lock (message in Chinese)."""


def data_dir() -> Location:
    """The directory the dashboard reads: ``KPI_DATA_DIR`` (a directory, or ``s3://bucket/prefix``)
    or the bundled ``data/``. A malformed bucket address is a ContractError in Chinese."""
    configured = os.environ.get("KPI_DATA_DIR", "").strip()
    if bucket.is_url(configured):
        return location(configured)
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DATA_DIR


def location(value: str | os.PathLike | Location) -> Location:
    """A data directory named by a path or an ``s3://bucket/prefix`` address (as given on a command
    line, in ``KPI_DATA_DIR`` or passed to a child process as text)."""
    if isinstance(value, BucketPath):
        return value
    if bucket.is_url(value):
        try:
            return bucket.parse(str(value))
        except ValueError as exc:
            raise ContractError(str(exc)) from None
    return Path(value)


def command_location(value: str) -> Location:
    """A data directory given on a command line: a bucket address, or a path made absolute."""
    where = location(value)
    return where if isinstance(where, BucketPath) else where.expanduser().resolve()


def lock_ttl() -> float:
    try:
        return max(1.0, float(os.environ.get("KPI_LOCK_TTL", DEFAULT_LOCK_TTL)))
    except ValueError:
        return DEFAULT_LOCK_TTL


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


def current_version(directory: Location | None = None) -> Location:
    """The directory holding the tables in force: ``DIR/versions/<id>`` that ``current`` names,
    or ``DIR`` itself for a directory in the layout before versions. Resolve once per reader.

    In a bucket ``current`` is a small object holding ``versions/<id>``: one GET."""
    directory = location(directory) if directory is not None else data_dir()
    if isinstance(directory, BucketPath):
        return _bucket_current_version(directory)
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


def _is_version_path(path: BucketPath) -> bool:
    return path.parent.name == VERSIONS_DIR and bool(VERSION_ID.match(path.name))


def _bucket_current_version(directory: BucketPath) -> BucketPath:
    if _is_version_path(directory):  # a version itself: no pointer to look up
        return directory
    try:
        text = (directory / CURRENT).read_bytes().decode("utf-8", errors="replace").strip()
    except FileNotFoundError:
        return directory  # nothing published yet
    parts = text.split("/")
    if len(parts) != 2 or parts[0] != VERSIONS_DIR or not VERSION_ID.match(parts[1]):
        raise ContractError(f"数据目录中的 {CURRENT} 指向不允许的位置（应为 {VERSIONS_DIR}/<版本号>）")
    return directory / VERSIONS_DIR / parts[1]


def current_version_id(directory: Location | None = None) -> str | None:
    """The id of the version in force; None for the layout before versions."""
    version = current_version(directory)
    return version.name if version.parent.name == VERSIONS_DIR else None


def table_path(directory: Location, name: str) -> Location:
    """Where table ``name`` of the version in force in ``directory`` is (``directory`` may
    also be a version directory itself)."""
    return current_version(location(directory)) / f"{name}.parquet"


def link_problem(path: Location) -> str | None:
    """Why ``path`` (a table file or a version directory) must not be read: it is a symlink
    (objects in a bucket are never links)."""
    if isinstance(path, BucketPath):
        return None
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return f"{path.name} 是符号链接，出于安全原因不予读取"
    return None


# Reading one table file, wherever it is: local files through Polars (as before), objects in a
# bucket through PyArrow's S3FileSystem (a random-access file: a footer or some columns are
# fetched by range).


def read_frame(path: Location, columns: list[str] | None = None) -> pl.DataFrame:
    if isinstance(path, BucketPath):
        with path.open_input_file() as source:
            return pl.from_arrow(pq.read_table(source, columns=columns))
    return pl.read_parquet(path, columns=columns)


def scan_frame(path: Location, columns: tuple[str, ...]) -> pl.LazyFrame:
    if isinstance(path, BucketPath):
        return read_frame(path, list(columns)).lazy()
    return pl.scan_parquet(path).select(columns)


def read_arrow(path: Location) -> pa.Table:
    if isinstance(path, BucketPath):
        with path.open_input_file() as source:
            return pq.read_table(source)
    return pq.read_table(path)


def parquet_shape(path: Location) -> tuple[int, pl.Schema]:
    """Rows and Polars schema from a Parquet file's footer (the rows are not read)."""
    if isinstance(path, BucketPath):
        with path.open_input_file() as source:
            metadata = pq.read_metadata(source)
        return metadata.num_rows, pl.from_arrow(metadata.schema.to_arrow_schema().empty_table()).schema
    return pq.read_metadata(path).num_rows, pl.read_parquet_schema(path)


def read_dataset(directory: Location | None = None) -> Dataset:
    """Read and validate all tables of one version; a missing, unreadable or linked file is a
    ContractError in Chinese."""
    version = current_version(location(directory) if directory is not None else None)
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
            frames[name] = read_frame(path)
        except StoreError:
            raise
        except Exception as exc:  # corrupt or truncated files raise various errors
            raise ContractError(
                f"文件 {path.name}（{TABLE_LABELS[name]}）无法读取，可能已损坏：{type(exc).__name__}"
            ) from None
    for name in DERIVED_WHEN_MISSING:
        if name not in frames:
            frames[name] = derived_table(name, frames["goals"])
    return validate(Dataset(**frames))


def versions(directory: Location) -> list[str]:
    """Ids of the complete versions in ``directory``, newest first (links are not versions; in a
    bucket, a version is complete once its manifest is written)."""
    directory = location(directory)
    if isinstance(directory, BucketPath):
        complete, _ = _bucket_versions(directory)
        return sorted(complete, reverse=True)
    root = directory / VERSIONS_DIR
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if VERSION_ID.match(p.name) and not p.is_symlink() and p.is_dir()]
    return sorted(found, reverse=True)


def _bucket_versions(directory: BucketPath) -> tuple[list[str], list[str]]:
    """(complete version ids, the other entries under ``versions/``: what a crashed write left)."""
    keys = bucket.list_files(directory / VERSIONS_DIR)  # one listing, "<id>/<file>" each
    entries = {key.split("/", 1)[0] for key in keys}
    done = {key.split("/", 1)[0] for key in keys if key.count("/") == 1 and key.endswith(f"/{MANIFEST}")}
    complete = sorted(e for e in entries if e in done and VERSION_ID.match(e))
    return complete, sorted(entries - set(complete))


def version_path(directory: Location, version_id: str) -> Location:
    return location(directory) / VERSIONS_DIR / version_id


def fingerprint(directory: Location) -> str:
    """Digest of the tables in force (a missing file counts), to detect changes between plan and apply."""
    version = current_version(location(directory))
    digest = hashlib.sha256()
    if isinstance(version, BucketPath):  # the objects' identity, not their bytes: no download
        sizes = {entry.name: (entry.size, entry.mtime_ns) for entry in bucket.list_dir(version)}
        digest.update(str(version).encode())
        for name in TABLES:
            digest.update(f"{name}:{sizes.get(f'{name}.parquet', '<missing>')}".encode())
        return digest.hexdigest()
    for name in TABLES:
        path = version / f"{name}.parquet"
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


# --- one writer at a time -------------------------------------------------------------------------------

_held = threading.local()


@contextmanager
def writer_lock(directory: Location, timeout: float | None = None) -> Iterator[None]:
    """Hold ``DIR/.write.lock`` exclusively (across processes and threads; re-entrant in the
    thread that holds it). A second writer waits up to ``timeout`` seconds
    (``KPI_LOCK_TIMEOUT``, default 30), then gets ``WriterBusyError``.

    In a bucket the lock is an object created only if absent (``If-None-Match: *``); see
    ``_bucket_lock``."""
    directory = location(directory)
    if isinstance(directory, BucketPath):
        key = str(directory)
    else:
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
    if isinstance(directory, BucketPath):
        with _bucket_lock(directory, wait):
            held[key] = 1
            try:
                yield
            finally:
                held.pop(key, None)
        return
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, PUBLISHED_MODE)
    try:
        if not flock_within(fd, wait):
            raise _busy(wait)
        held[key] = 1
        try:
            yield
        finally:
            held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _kept_version(directory: Location, existing: str | None, before_replace: Callable[[], None] | None) -> str:
    """A restore: the kept version ``existing`` (refused in Chinese when there is none such),
    after the caller's last check before the pointer moves."""
    version_id = existing or ""
    if version_id not in versions(directory):
        raise ContractError(f"没有版本号为「{version_id}」的数据版本")
    if before_replace is not None:
        before_replace()
    return version_id


def flock_within(fd: int, wait: float) -> bool:
    """Take an exclusive ``flock`` on ``fd``, waiting up to ``wait`` seconds; False if another
    process still holds it then (released with ``fcntl.LOCK_UN`` or by closing ``fd``)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _busy(wait: float) -> WriterBusyError:
    return WriterBusyError(f"另一个导入或恢复正在写入数据，等待 {wait:g} 秒后仍未结束，本次未做任何改动。请稍后再试。")


@contextmanager
def _bucket_lock(directory: BucketPath, wait: float) -> Iterator[None]:
    """The lock object ``PREFIX/.write.lock``, created with ``If-None-Match: *``: of two writers
    the store lets exactly one create it. The holder deletes it (``If-Match`` its own ETag) when
    done. One left by a writer that crashed is taken over once it is older than ``KPI_LOCK_TTL``
    seconds (default 600) by the store's clock, with ``If-Match`` its ETag, so that of two
    writers taking it over only one succeeds. The first create is checked: a store that lets a
    second ``If-None-Match: *`` create through ignores the condition and is refused."""
    lock = directory / LOCK_FILE
    ttl = lock_ttl()
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex}"
    body = json.dumps({"owner": owner, "ttl_s": ttl}).encode()
    deadline = time.monotonic() + wait
    while True:
        etag = bucket.put_if_absent(lock, body)
        if etag is not None:
            if bucket.put_if_absent(lock, body) is not None:
                bucket.delete_if_match(lock, etag)
                raise StoreError(
                    "该对象存储不支持条件写入（If-None-Match），无法保证同一时间只有一个写入，本次未做任何改动。"
                )
            break
        found = bucket.head(lock)
        if found is not None and found.age_s > ttl:
            etag = bucket.put_if_match(lock, body, found.etag)
            if etag is not None:
                break
        if time.monotonic() >= deadline:
            raise _busy(wait)
        time.sleep(0.2)
    try:
        yield
    finally:
        with suppress(StoreError):  # the store went away: the lock expires after KPI_LOCK_TTL
            bucket.delete_if_match(lock, etag)


# --- writing ------------------------------------------------------------------------------------------


def write_dataset(
    dataset: Dataset,
    directory: Location,
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
    directory: Location,
    dataset: Dataset | None = None,
    existing: str | None = None,
    before_replace: Callable[[], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    keep: int | None = None,
) -> Published:
    """Publish ``dataset`` as a new version, or the kept version ``existing`` again."""
    directory = location(directory)
    step = on_step or (lambda _name: None)
    if dataset is not None:
        dataset = validate(dataset)
    if isinstance(directory, BucketPath):
        return _publish_to_bucket(directory, dataset, existing, before_replace, step, keep)
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
                        _year_clustered(frame).write_parquet(path, statistics=True)
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
                _write_disk_manifest(staging)
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
            version_id = _kept_version(directory, existing, before_replace)
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


class PublishConflictError(WriterBusyError):
    """The pointer changed under a writer whose lock had expired and been taken over."""


def _year_clustered(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of one year together (stable: the order within a year is kept). Every page asks
    for one year, and DuckDB then skips the other years' row groups by their min/max statistics;
    departments written one after another would spread every year over every row group."""
    if "year" not in frame.columns or frame.get_column("year").is_sorted():
        return frame
    return frame.sort("year", maintain_order=True)


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    _year_clustered(frame).write_parquet(buffer, statistics=True)
    return buffer.getvalue()


def _manifest(directory: BucketPath, version_id: str) -> dict[str, dict[str, object]] | None:
    try:
        return json.loads((version_path(directory, version_id) / MANIFEST).read_bytes())["tables"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None


def _publish_to_bucket(
    directory: BucketPath,
    dataset: Dataset | None,
    existing: str | None,
    before_replace: Callable[[], None] | None,
    step: Callable[[str], None],
    keep: int | None,
) -> Published:
    """The same steps as on disk, with objects: the tables go to ``versions/<id>/``, are read back
    and validated, then ``manifest.json`` (sizes and SHA-256 of the tables) marks the version
    complete, and last the pointer ``current`` is replaced — only if it is still the object read
    under the lock (``If-Match``), else created only if absent. Before the pointer write readers
    see the previous version; a version without a manifest is never listed, never restored, and
    is removed by the next writer."""
    with writer_lock(directory):
        pointer = directory / CURRENT
        pointed = bucket.head(pointer)
        clean_up(directory)
        previous = current_version_id(directory)
        step("cleaned")
        if dataset is not None:
            blobs = {name: _parquet_bytes(frame) for name, frame in dataset.tables().items()}
            tables = {name: {"bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()} for name, b in blobs.items()}
            if previous is not None and _manifest(directory, previous) == tables:
                return Published(previous, previous)  # nothing changed: no copy
            version_id = _new_version_id(directory)
            version = version_path(directory, version_id)
            try:
                for name, blob in blobs.items():
                    (version / f"{name}.parquet").write_bytes(blob)
                # Read back what the store holds: a short upload shows up here.
                validate(Dataset(**{name: read_frame(version / f"{name}.parquet") for name in TABLES}))
                step("staged")
                if before_replace is not None:
                    before_replace()
                (version / MANIFEST).write_bytes(json.dumps({"tables": tables}, indent=1).encode())
            except BaseException:
                _delete_quietly(version)
                raise
        else:
            version_id = _kept_version(directory, existing, before_replace)
        step("renamed")
        step("linked")
        body = f"{VERSIONS_DIR}/{version_id}\n".encode()
        if pointed is not None:
            written = bucket.put_if_match(pointer, body, pointed.etag)
        else:
            written = bucket.put_if_absent(pointer, body)
        if written is None:
            if dataset is not None:
                _delete_quietly(version_path(directory, version_id))
            raise PublishConflictError(
                "写入期间另一个写入发布了新的数据版本（本次写入超时，写入锁已被接管），本次未做任何改动。请刷新后重试。"
            )
        step("published")
        step("migrated")
        prune(directory, keep if keep is not None else keep_versions())
        step("pruned")
    return Published(version_id, previous)


def _delete_quietly(path: BucketPath) -> None:
    with suppress(StoreError):  # else the next writer removes a version without a manifest
        bucket.delete_tree(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_disk_manifest(version: Path) -> None:
    """Record the validated table files of a staged version (``MANIFEST``)."""
    tables = {}
    for name in TABLES:
        path = version / f"{name}.parquet"
        stat_result = path.stat()
        tables[name] = {"bytes": stat_result.st_size, "mtime_ns": stat_result.st_mtime_ns, "sha256": file_sha256(path)}
    manifest = version / MANIFEST
    with open(manifest, "w", encoding="utf-8") as file:
        json.dump({"tables": tables}, file, indent=1)
        file.flush()
        os.fsync(file.fileno())
    os.chmod(manifest, PUBLISHED_MODE)
    _fsync_directory(version)


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


def _new_version_id(directory: Location) -> str:
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


def clean_up(directory: Location) -> list[str]:
    """Remove what an interrupted write left (staging directories, temporary links; in a bucket,
    versions without a manifest); call under the lock."""
    removed = []
    if isinstance(directory, BucketPath):
        _, partial = _bucket_versions(directory)
        for name in partial:
            bucket.delete_tree(directory / VERSIONS_DIR / name)
        return partial
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


def clean_up_at_start(directory: Location | None = None) -> list[str]:
    """What a server start does: remove what a crashed write left, unless a writer is at work
    (then that writer cleans up). Never raises: a read-only or missing directory is left alone,
    and so is a bucket (its next writer cleans up: a server start takes no lock object)."""
    try:
        directory = location(directory) if directory is not None else data_dir()
    except ContractError:
        return []
    if isinstance(directory, BucketPath) or not (directory / VERSIONS_DIR).is_dir():
        return []
    try:
        with writer_lock(directory, timeout=0):
            return clean_up(directory)
    except OSError:
        return []


def prune(directory: Location, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` versions; never the current one."""
    current = current_version_id(directory)
    removed = []
    for version_id in versions(directory)[keep:]:
        if version_id != current:
            path = version_path(directory, version_id)
            if isinstance(path, BucketPath):
                # The manifest first: a prune cut short leaves a partial version, never a listed one.
                bucket.delete_object(path / MANIFEST)
                bucket.delete_tree(path)
            else:
                shutil.rmtree(path)
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
