"""Read and write the dataset's Parquet files safely.

Writes are all-or-nothing as far as a file system allows: every table is
written to a temporary file in the target directory, read back and validated,
and only when all four are good are they renamed over the old files
(``os.replace`` is atomic within one directory). A failure before the renames
leaves the old files untouched, byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from kpi.contract.schema import TABLE_LABELS, TABLES, ContractError, Dataset, validate

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
PUBLISHED_MODE = 0o644


def data_dir() -> Path:
    """The directory the dashboard reads: ``KPI_DATA_DIR`` or the bundled ``data/``."""
    configured = os.environ.get("KPI_DATA_DIR", "").strip()
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DATA_DIR


def table_path(directory: Path, name: str) -> Path:
    return Path(directory) / f"{name}.parquet"


def read_dataset(directory: Path | None = None) -> Dataset:
    """Read and validate all tables; a missing or unreadable file is a ContractError in Chinese."""
    directory = Path(directory) if directory is not None else data_dir()
    frames = {}
    for name in TABLES:
        path = table_path(directory, name)
        if not path.exists():
            raise ContractError(f"数据目录 {directory} 中缺少文件 {path.name}（{TABLE_LABELS[name]}）")
        try:
            frames[name] = pl.read_parquet(path)
        except Exception as exc:  # corrupt or truncated files raise various errors
            raise ContractError(
                f"文件 {path.name}（{TABLE_LABELS[name]}）无法读取，可能已损坏：{type(exc).__name__}"
            ) from None
    return validate(Dataset(**frames))


def write_dataset(
    dataset: Dataset,
    directory: Path,
    before_replace: Callable[[], None] | None = None,
) -> Dataset:
    """Validate, write to temporary files, validate what was written, then rename into place.

    ``before_replace`` runs after all temporary files are written and checked,
    just before the first rename; tests use it to simulate a crash there.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    dataset = validate(dataset)
    temporary: dict[str, Path] = {}
    try:
        for name, frame in dataset.tables().items():
            handle, raw = tempfile.mkstemp(prefix=f".{name}.", suffix=".parquet.tmp", dir=directory)
            os.close(handle)
            temporary[name] = Path(raw)
            # mkstemp creates 0600; the dashboard may run as another user than the importer.
            os.chmod(raw, PUBLISHED_MODE)
            frame.write_parquet(temporary[name], statistics=True)
            with open(temporary[name], "rb") as written:
                os.fsync(written.fileno())
        # Read back what is on disk: a short write or a full disk shows up here.
        validate(Dataset(**{name: pl.read_parquet(path) for name, path in temporary.items()}))
        if before_replace is not None:
            before_replace()
        for name, path in temporary.items():
            os.replace(path, table_path(directory, name))
        temporary.clear()
        _fsync_directory(directory)
    finally:
        for path in temporary.values():
            path.unlink(missing_ok=True)
    return dataset


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fingerprint(directory: Path) -> str:
    """Digest of the four data files (a missing file counts), to detect changes between plan and apply."""
    digest = hashlib.sha256()
    for name in TABLES:
        path = table_path(directory, name)
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()
