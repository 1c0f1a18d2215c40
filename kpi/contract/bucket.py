"""Objects in an S3-compatible bucket (AWS S3, MinIO, Aliyun OSS): what a data directory
``s3://bucket/prefix`` is made of (the layout itself is ``kpi.contract.storage``'s).

Reading, listing, plain writes and deletes go through PyArrow's ``S3FileSystem``
(``pyarrow.fs``, part of the stack); nothing is downloaded at run time. The two
writes that must be conditional — the writer's lock object, created only if absent
(``If-None-Match: *``), and the pointer ``current``, replaced only if unchanged
(``If-Match: <ETag>``) — go through boto3, since PyArrow's output streams cannot send
those headers (their ``metadata`` only knows Content-Type, ACL and the like).

Settings, from the environment (Streamlit secrets reach it: see ``kpi.web.bucket_secrets``):

``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``
    the store's address (``https://oss-cn-hangzhou.aliyuncs.com``, ``http://127.0.0.1:9000``);
    empty: AWS S3 itself.
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``
    credentials (empty: the SDK's usual chain: ``~/.aws``, an instance role).
``AWS_REGION`` or ``AWS_DEFAULT_REGION``
    the region (default ``us-east-1``, what MinIO expects).
``KPI_S3_ADDRESSING``
    ``virtual`` (``bucket.host/key``) or ``path`` (``host/bucket/key``). Default: virtual for
    AWS and Aliyun OSS (which requires it), path for any other endpoint (MinIO).

Every failure to reach or use the store is a ``StoreError`` (an ``OSError``) whose message
is one Chinese sentence without the store's address or credentials.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

SCHEME = "s3://"
_BUCKET_NAME = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"


class StoreError(OSError):
    """The object store could not be reached or refused a request (message in Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.strerror = message

    def __str__(self) -> str:
        return self.strerror or ""


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(SCHEME)


@dataclass(frozen=True)
class BucketPath:
    """An object key, or a "directory" (a key prefix), in a bucket: ``s3://bucket/key``.

    Behaves like the few ``pathlib.Path`` members the data code uses (``/``, ``name``,
    ``parent``, ``exists``, ``is_file``, ``read_bytes``), so that code reads a version in a
    bucket as it reads one on disk. Holds only strings: it pickles to a child process."""

    bucket: str
    key: str = ""

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}" if self.key else f"{SCHEME}{self.bucket}"

    def __truediv__(self, part: str) -> BucketPath:
        part = str(part).strip("/")
        return BucketPath(self.bucket, f"{self.key}/{part}" if self.key else part)

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def parent(self) -> BucketPath:
        return BucketPath(self.bucket, self.key.rsplit("/", 1)[0] if "/" in self.key else "")

    @property
    def arrow_path(self) -> str:
        """The path PyArrow's S3FileSystem takes: ``bucket/key``."""
        return f"{self.bucket}/{self.key}" if self.key else self.bucket

    def is_file(self) -> bool:
        from pyarrow import fs

        return _call(lambda: filesystem().get_file_info(self.arrow_path)).type == fs.FileType.File

    def exists(self) -> bool:
        from pyarrow import fs

        return _call(lambda: filesystem().get_file_info(self.arrow_path)).type != fs.FileType.NotFound

    def read_bytes(self) -> bytes:
        def read() -> bytes:
            with filesystem().open_input_stream(self.arrow_path) as stream:
                return stream.read()

        return _call(read)

    def write_bytes(self, data: bytes) -> None:
        def write() -> None:
            with filesystem().open_output_stream(self.arrow_path) as stream:
                stream.write(data)

        _call(write)

    def open_input_file(self):
        """A random-access PyArrow file (Parquet readers fetch the footer and the columns they need)."""
        return _call(lambda: filesystem().open_input_file(self.arrow_path))


def parse(url: str) -> BucketPath:
    """``s3://bucket/prefix`` → BucketPath; a ValueError in Chinese for anything else."""
    import re

    text = url.strip()
    if not is_url(text):
        raise ValueError(f"对象存储地址应以 {SCHEME} 开头，例如 s3://kpi-data/huzhou")
    parts = urlsplit(text)
    bucket, key = parts.netloc, parts.path.strip("/")
    if parts.query or parts.fragment or "@" in bucket:
        raise ValueError(
            "对象存储地址只能包含存储桶和前缀（s3://存储桶/前缀），凭证请用环境变量或 Streamlit secrets 配置"
        )
    if not re.match(_BUCKET_NAME, bucket):
        raise ValueError(f"存储桶名「{bucket}」无效：应为 3–63 个小写字母、数字、点或连字符")
    if any(segment in ("", ".", "..") for segment in key.split("/")) and key:
        raise ValueError("对象存储前缀中不能有空段、「.」或「..」")
    return BucketPath(bucket, key)


# --- connection settings and clients -------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    endpoint: str  # empty: AWS S3
    access_key: str
    secret_key: str = field(repr=False)  # never in a log line or a traceback's locals
    session_token: str = field(repr=False)
    region: str
    virtual_addressing: bool

    @property
    def scheme(self) -> str:
        return urlsplit(self.endpoint).scheme or "https" if self.endpoint else "https"

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc if self.endpoint else ""


def settings() -> Settings:
    env = os.environ
    endpoint = (env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "").strip().rstrip("/")
    addressing = env.get("KPI_S3_ADDRESSING", "").strip().lower()
    if addressing in ("virtual", "path"):
        virtual = addressing == "virtual"
    else:
        host = urlsplit(endpoint).hostname or ""
        virtual = not endpoint or host.endswith("aliyuncs.com")
    return Settings(
        endpoint=endpoint,
        access_key=env.get("AWS_ACCESS_KEY_ID", "").strip(),
        secret_key=env.get("AWS_SECRET_ACCESS_KEY", "").strip(),
        session_token=env.get("AWS_SESSION_TOKEN", "").strip(),
        region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1").strip(),
        virtual_addressing=virtual,
    )


_clients: dict[tuple[str, Settings], Any] = {}
_clients_lock = threading.Lock()
CONNECT_TIMEOUT_S = 3.0
REQUEST_TIMEOUT_S = 30.0


def filesystem():
    """PyArrow's S3FileSystem for the current settings (one per process and settings)."""
    current = settings()
    with _clients_lock:
        cached = _clients.get(("arrow", current))
        if cached is None:
            from pyarrow import fs

            options: dict[str, Any] = {
                "region": current.region,
                "scheme": current.scheme,
                "connect_timeout": CONNECT_TIMEOUT_S,
                "request_timeout": REQUEST_TIMEOUT_S,
                "force_virtual_addressing": current.virtual_addressing and bool(current.endpoint),
                "retry_strategy": fs.AwsStandardS3RetryStrategy(max_attempts=2),
            }
            if current.host:
                options["endpoint_override"] = current.host
            if current.access_key:
                options.update(access_key=current.access_key, secret_key=current.secret_key)
                if current.session_token:
                    options["session_token"] = current.session_token
            cached = _clients[("arrow", current)] = fs.S3FileSystem(**options)
        return cached


def client():
    """A boto3 S3 client for the current settings, for the conditional writes PyArrow cannot make."""
    current = settings()
    with _clients_lock:
        cached = _clients.get(("boto3", current))
        if cached is None:
            import boto3
            from botocore.config import Config

            config = Config(
                s3={"addressing_style": "virtual" if current.virtual_addressing else "path"},
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=REQUEST_TIMEOUT_S,
                retries={"max_attempts": 2, "mode": "standard"},
            )
            options: dict[str, Any] = {"region_name": current.region, "config": config}
            if current.endpoint:
                options["endpoint_url"] = current.endpoint
            if current.access_key:
                options.update(aws_access_key_id=current.access_key, aws_secret_access_key=current.secret_key)
                if current.session_token:
                    options["aws_session_token"] = current.session_token
            cached = _clients[("boto3", current)] = boto3.client("s3", **options)
        return cached


# --- errors in words -----------------------------------------------------------------------------------

_REASONS = (
    (("NoSuchBucket", "bucket does not exist", "BUCKET_NOT_FOUND"), "存储桶不存在"),
    (
        ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ACCESS_DENIED", "(403)", "403 Forbidden"),
        "拒绝访问（请检查凭证和权限）",
    ),
    (
        (
            "curlCode",
            "Could not connect",
            "NETWORK_CONNECTION",
            "Connection refused",
            "connect",
            "timed out",
            "Timeout",
        ),
        "无法连接（请检查地址和网络）",
    ),
)


# An address in an error's text (the endpoint, the object's URL): left out before the words are
# matched, so that a port such as :40312 or a prefix never reads as a status or a reason.
_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"']*")


def reason(error: BaseException) -> str:
    text = _ADDRESS.sub("", f"{type(error).__name__} {error}")
    for needles, words in _REASONS:
        if any(needle in text for needle in needles):
            return words
    return f"请求失败（{type(error).__name__}）"


def _call(action):
    """Run one request; a FileNotFoundError passes (a missing key is an answer), anything else the
    store or the network raises becomes a StoreError in Chinese."""
    try:
        return action()
    except (FileNotFoundError, StoreError):
        raise
    except Exception as exc:  # pyarrow raises OSError/ArrowException, botocore its own kinds
        raise StoreError(f"无法访问数据所在的对象存储：{reason(exc)}") from None


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


# --- the conditional writes -------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectHead:
    etag: str
    age_s: float  # seconds since it was last written, by the store's own clock


def put_if_absent(path: BucketPath, data: bytes) -> str | None:
    """Create the object only if no object has the key (``If-None-Match: *``): its ETag, or None
    when one exists."""
    return _put(path, data, IfNoneMatch="*")


def put_if_match(path: BucketPath, data: bytes, etag: str) -> str | None:
    """Replace the object only if it is still the one with ``etag`` (``If-Match``): the new
    ETag, or None when it changed or is gone."""
    return _put(path, data, IfMatch=etag)


def _put(path: BucketPath, data: bytes, **condition: str) -> str | None:
    def put() -> str | None:
        try:
            return client().put_object(Bucket=path.bucket, Key=path.key, Body=data, **condition)["ETag"]
        except Exception as exc:
            if _error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404", "412"):
                return None
            raise

    return _call(put)


def head(path: BucketPath) -> ObjectHead | None:
    """The object's ETag and age (server time minus its Last-Modified), None when absent."""

    def look() -> ObjectHead | None:
        try:
            answer = client().head_object(Bucket=path.bucket, Key=path.key)
        except Exception as exc:
            if _error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        now = email.utils.parsedate_to_datetime(date) if date else datetime.now(UTC)
        return ObjectHead(answer["ETag"], (now - answer["LastModified"]).total_seconds())

    return _call(look)


def delete_if_match(path: BucketPath, etag: str) -> bool:
    """Delete the object only if it is still the one with ``etag``; False when it is not."""

    def delete() -> bool:
        try:
            client().delete_object(Bucket=path.bucket, Key=path.key, IfMatch=etag)
        except Exception as exc:
            if _error_code(exc) in ("PreconditionFailed", "NoSuchKey", "404", "412"):
                return False
            raise
        return True

    return _call(delete)


# --- listing and removing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int
    mtime_ns: int


def list_dir(path: BucketPath) -> list[Entry]:
    """The objects and "directories" right under ``path`` (empty when there are none)."""
    from pyarrow import fs

    def listing() -> list[Entry]:
        selector = fs.FileSelector(path.arrow_path, allow_not_found=True, recursive=False)
        found = []
        for info in filesystem().get_file_info(selector):
            mtime = info.mtime_ns if info.mtime_ns is not None else 0
            found.append(Entry(info.base_name, info.type == fs.FileType.Directory, info.size or 0, mtime))
        return found

    return _call(listing)


def list_files(path: BucketPath) -> list[str]:
    """Every object under ``path``, as paths relative to it (``<id>/goals.parquet``), in one listing."""
    from pyarrow import fs

    def listing() -> list[str]:
        selector = fs.FileSelector(path.arrow_path, allow_not_found=True, recursive=True)
        start = len(path.arrow_path) + 1
        return [info.path[start:] for info in filesystem().get_file_info(selector) if info.type == fs.FileType.File]

    return _call(listing)


def delete_tree(path: BucketPath) -> None:
    """Remove every object under ``path``."""

    def delete() -> None:
        with contextlib.suppress(FileNotFoundError):
            filesystem().delete_dir(path.arrow_path)

    _call(delete)


def delete_object(path: BucketPath) -> None:
    def delete() -> None:
        with contextlib.suppress(FileNotFoundError):
            filesystem().delete_file(path.arrow_path)

    _call(delete)
