"""Wall tokens made on the 数据管理 page (issue 15): created, listed and revoked without a restart.

Beside the tokens of the configuration (``KPI_WALL_TOKENS`` / secrets ``wall_tokens``, read by
kpi/web/auth.py), staff create a named token on the admin page. The token itself is shown once,
with the wall's full link; the server keeps only its SHA-256 digest, in one small JSON file:
``KPI_WALL_TOKEN_FILE``, by default ``wall_tokens.json`` in the data directory (``KPI_DATA_DIR``,
the one directory the service may write) — beside ``current``, outside every published data
version, so no import, restore or prune touches it.

- Writes (create, revoke) hold an exclusive ``fcntl.flock`` on ``.<file name>.lock`` beside the
  file (two admins at once: the second waits up to ``LOCK_TIMEOUT_S``, then gets a Chinese
  message), re-read the file under the lock, and replace it atomically (a temporary file in the
  same directory, fsync, ``os.replace``, mode 0600).
- The wall reads the file on every run (cached on its inode, size and mtime), so a revoked token
  is refused on the wall's next tick.
- A file that cannot be read or does not hold what it should is refused as a whole: the wall
  accepts none of its tokens (fail closed — a revocation must never be lost to a read error;
  the configuration's tokens keep working), and the admin page says so in Chinese and writes
  nothing over it until it is repaired or removed (``reset`` removes it: every token made on the
  page is then revoked).
- "Last used" is kept in memory (one server process), so a wall's tick never writes to disk.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kpi.contract.storage import data_dir, flock_within

TOKEN_FILE_ENV = "KPI_WALL_TOKEN_FILE"
DEFAULT_FILE_NAME = "wall_tokens.json"
FORMAT_VERSION = 1
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters of 64 symbols (256 bits)
NAME_MAX_CHARS = 80
MAX_TOKENS = 200
FILE_MAX_BYTES = 256 * 1024
LOCK_TIMEOUT_S = 10.0
FILE_MODE = 0o600
_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
_CREATED_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")

_log = logging.getLogger(__name__)


class TokenFileError(Exception):
    """The token file cannot be read or written (message in Chinese, for staff)."""


@dataclass(frozen=True)
class StoredToken:
    token_id: str  # 16 hex characters, shown on the admin page to tell tokens apart
    name: str
    created: str  # local time, ISO seconds
    digest: str  # hex SHA-256 of the token


def token_file() -> Path:
    """``KPI_WALL_TOKEN_FILE``, else ``wall_tokens.json`` in the data directory (a local one: with
    a bucket the setting is required, ``TokenFileError`` otherwise)."""
    configured = os.environ.get(TOKEN_FILE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    directory = data_dir()
    if not isinstance(directory, Path):
        # A bucket holds data versions only; the tokens need a file the replicas share.
        raise TokenFileError(
            f"数据目录在对象存储中，本页创建的大屏令牌需要用 {TOKEN_FILE_ENV} 指定一个服务器上的文件"
            "（多台服务器时为共享路径）；未设置前不接受本页创建的令牌。"
        )
    return directory / DEFAULT_FILE_NAME


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- reading ------------------------------------------------------------------------------------


def _problem(path: Path, why: str) -> TokenFileError:
    return TokenFileError(
        f"大屏令牌文件 {path.name} 无法使用（{why}）。在修复或删除该文件之前，本页创建的大屏令牌一律不被接受"
        f"（KPI_WALL_TOKENS 等配置中的令牌不受影响）。文件位置由 {TOKEN_FILE_ENV} 设置。"
    )


def _parse(path: Path, raw: bytes) -> tuple[StoredToken, ...]:
    if len(raw) > FILE_MAX_BYTES:
        raise _problem(path, f"超过 {FILE_MAX_BYTES // 1024} KB")
    try:
        content = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _problem(path, "不是有效的 JSON") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT_VERSION:
        raise _problem(path, f"缺少 format: {FORMAT_VERSION}")
    entries = content.get("tokens")
    if not isinstance(entries, list) or len(entries) > MAX_TOKENS:
        raise _problem(path, f"tokens 应为不超过 {MAX_TOKENS} 项的列表")
    tokens = []
    for number, entry in enumerate(entries, start=1):
        fields = entry if isinstance(entry, dict) else {}
        token_id, name, created, digest = (fields.get(k) for k in ("id", "name", "created", "sha256"))
        valid = (
            isinstance(token_id, str)
            and _ID_RE.match(token_id)
            and isinstance(name, str)
            and name == clean_name(name)
            and 0 < len(name) <= NAME_MAX_CHARS
            and isinstance(created, str)
            and _CREATED_RE.match(created)
            and isinstance(digest, str)
            and _DIGEST_RE.match(digest)
        )
        if not valid:
            raise _problem(path, f"第 {number} 个令牌的 id、name、created 或 sha256 不正确")
        tokens.append(StoredToken(token_id, name, created, digest))
    if len({t.token_id for t in tokens}) != len(tokens) or len({t.digest for t in tokens}) != len(tokens):
        raise _problem(path, "有重复的令牌")
    return tuple(tokens)


def load(path: Path | None = None) -> tuple[StoredToken, ...]:
    """The stored tokens, oldest first; none when the file does not exist. ``TokenFileError``
    when it cannot be read or is not what this module writes."""
    path = path or token_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise _problem(path, f"读取失败：{exc.strerror or type(exc).__name__}") from None
    return _parse(path, raw)


_cache: dict[str, tuple[tuple, tuple[StoredToken, ...] | None]] = {}
_cache_lock = threading.Lock()
_reported: set[tuple] = set()


def accepted(path: Path | None = None) -> tuple[StoredToken, ...]:
    """The tokens the wall accepts from the file now: none when the file is unreadable (logged
    once per state of the file). Re-read whenever the file's inode, size or mtime changes."""
    if path is None:
        try:
            path = token_file()
        except TokenFileError:
            return ()  # no file can be named (a bucket without the setting): none accepted
    try:
        info = path.stat()
    except FileNotFoundError:
        return ()
    except OSError:
        signature = ("unreadable",)
    else:
        signature = (info.st_ino, info.st_size, info.st_mtime_ns)
    key = str(path)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1] or ()
    try:
        tokens: tuple[StoredToken, ...] | None = load(path)
    except TokenFileError as exc:
        tokens = None
        if (key, signature) not in _reported:
            _reported.add((key, signature))
            _log.error("wall token file refused, none of its tokens accepted: %s", exc)
    with _cache_lock:
        _cache[key] = (signature, tokens)
    return tokens or ()


def matching(candidate_digest: bytes, path: Path | None = None) -> StoredToken | None:
    """The stored token with this digest, compared in constant time against every one."""
    found = None
    for token in accepted(path):
        if hmac.compare_digest(candidate_digest, bytes.fromhex(token.digest)):
            found = token
    return found


# --- last use, in memory --------------------------------------------------------------------------

_last_used: dict[str, float] = {}


def record_use(token_id: str, when: float | None = None) -> None:
    _last_used[token_id] = time.time() if when is None else when


def last_used(token_id: str) -> float | None:
    return _last_used.get(token_id)


# --- writing ------------------------------------------------------------------------------------


def clean_name(name: object) -> str:
    """A name as kept: control and invisible characters (bidi marks, zero widths) removed,
    runs of white space as one space."""
    text = "".join(ch for ch in str(name) if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Cn"))
    return " ".join(text.split())


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        raise TokenFileError(
            f"无法写入大屏令牌文件 {path.name}（{exc.strerror or type(exc).__name__}），未做任何改动。"
        ) from None
    try:
        if not flock_within(fd, LOCK_TIMEOUT_S):
            raise TokenFileError(
                f"另一位管理员正在修改大屏令牌，等待 {LOCK_TIMEOUT_S:g} 秒后仍未结束，未做任何改动。请稍后再试。"
            )
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _write(path: Path, tokens: tuple[StoredToken, ...]) -> None:
    content = {
        "format": FORMAT_VERSION,
        "tokens": [{"id": t.token_id, "name": t.name, "created": t.created, "sha256": t.digest} for t in tokens],
    }
    data = (json.dumps(content, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        raise TokenFileError(
            f"无法写入大屏令牌文件 {path.name}（{exc.strerror or type(exc).__name__}），未做任何改动。"
        ) from None


def create(name: str, path: Path | None = None) -> tuple[StoredToken, str]:
    """A new token named ``name``: (what is stored, the token itself — to be shown once)."""
    path = path or token_file()
    name = clean_name(name)
    if not name:
        raise TokenFileError("请填写大屏名称（如 三楼会议室）。")
    if len(name) > NAME_MAX_CHARS:
        raise TokenFileError(f"大屏名称不超过 {NAME_MAX_CHARS} 个字。")
    with _locked(path):
        tokens = load(path)
        if any(t.name.casefold() == name.casefold() for t in tokens):
            raise TokenFileError(f"已有名为「{name}」的大屏令牌；请换一个名称，或先撤销原令牌。")
        if len(tokens) >= MAX_TOKENS:
            raise TokenFileError(f"大屏令牌已达 {MAX_TOKENS} 个，请先撤销不用的令牌。")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        stored = StoredToken(
            token_id=secrets.token_hex(8),
            name=name,
            created=datetime.now().isoformat(timespec="seconds"),
            digest=digest_of(token),
        )
        _write(path, (*tokens, stored))
    return stored, token


def revoke(token_id: str, path: Path | None = None) -> StoredToken:
    """Remove one stored token; the wall refuses it from its next run."""
    path = path or token_file()
    with _locked(path):
        tokens = load(path)
        gone = next((t for t in tokens if t.token_id == token_id), None)
        if gone is None:
            raise TokenFileError("该大屏令牌已不存在（可能已被另一位管理员撤销），请刷新页面。")
        _write(path, tuple(t for t in tokens if t.token_id != token_id))
    _last_used.pop(token_id, None)
    return gone


def reset(path: Path | None = None) -> None:
    """Remove the file (a damaged one too): every token made on the admin page is revoked."""
    path = path or token_file()
    with _locked(path):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise TokenFileError(
                f"无法删除大屏令牌文件 {path.name}（{exc.strerror or type(exc).__name__}）。"
            ) from None


def wall_link(page_url: str, token: str) -> str:
    """The wall's link beside the page at ``page_url`` (the admin page's address), with the token."""
    base = page_url.split("?")[0].split("#")[0].rstrip("/")
    head, _, last = base.rpartition("/")
    root = head if last == "admin" else base
    return f"{root}/wall?token={token}"
