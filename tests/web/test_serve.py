"""``python -m kpi.serve`` turns Nagle's algorithm off on the connections Streamlit accepts, and
loads and checks the data while the server starts, before any browser asks.

The asyncio servers run on a thread of their own: in the full suite, Playwright keeps a loop
running in this one."""

from __future__ import annotations

import asyncio
import os
import queue
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.web.server.starlette import starlette_server

from kpi.contract.storage import current_version, read_dataset, write_dataset
from kpi.web import charts, queries
from kpi.web.serve import send_without_delay, warm_up
from tests.support.protocol import run_in_thread
from tests.support.server import ROOT, Server


async def accepted_nodelay(bind: Callable[[str, int, int], socket.socket]) -> int:
    """TCP_NODELAY of the connection an asyncio server (as uvicorn runs one) accepts on ``bind``'s socket."""
    listening = bind("127.0.0.1", 0, 8)
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(connected, sock=listening)
    async with server:
        _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        value = await asyncio.wait_for(seen, 10)
        writer.close()
    return value


def test_streamlits_own_socket_leaves_nagle_on_and_ours_turns_it_off() -> None:
    original = starlette_server._bind_socket
    try:
        if not getattr(original, "_kpi_nodelay", False):
            # Why the fix exists: Streamlit's socket has proto 0, so asyncio skips TCP_NODELAY.
            # Should this fail after an upgrade, Streamlit fixed it and send_without_delay can go.
            assert run_in_thread(accepted_nodelay(original)) == 0
        assert send_without_delay() is True
        assert starlette_server._bind_socket is not original or getattr(original, "_kpi_nodelay", False)
        assert run_in_thread(accepted_nodelay(starlette_server._bind_socket)) == 1
        # Idempotent: a second call does not wrap the wrapper.
        patched = starlette_server._bind_socket
        assert send_without_delay() is True
        assert starlette_server._bind_socket is patched
    finally:
        starlette_server._bind_socket = original


def _log_when(server: Server, words: str, timeout_s: float = 60) -> str:
    """The server's log once it holds ``words`` (no page is opened meanwhile)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = server.log_path.read_text(encoding="utf-8", errors="replace")
        if words in text:
            return text
        assert server.process.poll() is None, text
        time.sleep(0.1)
    raise AssertionError(f"{words!r} not in the log: {server.log_path.read_text(errors='replace')}")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    write_dataset(read_dataset(ROOT / "data"), directory)  # the bundled data, in a directory of its own
    return directory


def test_the_server_loads_and_checks_the_data_before_any_browser_asks(data: Path, tmp_path: Path) -> None:
    with Server(data_dir=data, log=tmp_path / "server.log") as server:
        log = _log_when(server, "数据已载入并检查")
        assert f"版本 {current_version(data).name}" in log


def test_the_server_says_at_start_what_is_wrong_with_the_data(data: Path, tmp_path: Path) -> None:
    (current_version(data) / "goals.parquet").unlink()
    with Server(data_dir=data, log=tmp_path / "server.log") as server:
        log = _log_when(server, "数据有问题")
        assert "goals.parquet（目标表）：文件不存在" in log
        server.wait_healthy()  # and it serves the error page, as before


def test_the_warm_up_says_nothing_when_no_server_runs(data: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    queries.clear_caches()
    serving: queue.SimpleQueue = queue.SimpleQueue()
    thread = warm_up(serving)
    serving.put(False)
    thread.join(timeout=60)
    assert not thread.is_alive() and "数据" not in capfd.readouterr().err
    queries.clear_caches()


def test_the_warm_up_says_nothing_until_the_server_runs(
    data: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """``--help`` or a wrong option: the loading started, but no server runs, so nothing is said."""
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    queries.clear_caches()
    serving: queue.SimpleQueue = queue.SimpleQueue()
    thread = warm_up(serving)
    # The first page run takes over the tables the thread loads (waiting while it loads them).
    assert queries.data_problems() == []
    charts.warm_templates()
    thread.join(timeout=3)  # the thread's imports and templates, then it waits for the server
    assert thread.is_alive()
    assert "数据" not in capfd.readouterr().err
    serving.put(True)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert f"数据已载入并检查：版本 {current_version(data).name}" in capfd.readouterr().err
    queries.clear_caches()


def test_help_and_a_wrong_option_say_nothing_of_the_data(data: Path) -> None:
    for options in (["--help"], ["--server.port", "abc"]):
        result = subprocess.run(
            [sys.executable, "-m", "kpi.serve", *options],
            cwd=ROOT,
            env={**os.environ, "KPI_DATA_DIR": str(data)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "数据" not in result.stdout + result.stderr, result.stderr
        # 0 for --help, 2 for the wrong option; never killed by a signal (SIGABRT: a process that
        # ended while DuckDB was loading on a daemon thread).
        assert result.returncode == (0 if options == ["--help"] else 2), result.stderr
