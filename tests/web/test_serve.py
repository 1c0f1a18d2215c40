"""``python -m kpi.serve`` turns Nagle's algorithm off on the connections Streamlit accepts, and
loads the data before the first visitor asks for them.

The asyncio servers run on a thread of their own: in the full suite, Playwright keeps a loop
running in this one."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from streamlit.web.server.starlette import starlette_server

from kpi.contract.storage import read_dataset, write_dataset
from kpi.web import queries, tables
from kpi.web.i18n import t
from kpi.web.serve import send_without_delay
from tests.support.apptest import metric_values
from tests.support.protocol import run_in_thread


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


# --- The data loaded while the server starts (queries.preload, run by kpi.serve) -------------------


@pytest.fixture
def published(seed_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_dataset(read_dataset(seed_files), tmp_path)
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    return tmp_path


def test_the_first_page_reads_the_tables_loaded_before_it(published: Path, make_app, goals: pl.DataFrame) -> None:
    version = queries.preload()
    assert version is not None and Path(version) == (published / "current").resolve()
    # Damage the goals in place behind the loaded tables, keeping the file's inode, size and time
    # (what the cache key is made of): loading the files again now fails…
    goals_file = Path(version) / "goals.parquet"
    before = goals_file.stat()
    with goals_file.open("r+b") as file:
        file.seek(before.st_size // 4)
        file.write(bytes(before.st_size // 2))
    os.utime(goals_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(tables.Unreadable):
        tables.load(Path(version))
    # …so the page can only show its figures from what the preload loaded.
    app = make_app()
    assert not app.exception and not app.error
    assert app.title[0].value == t("page_overview")
    assert metric_values(app)[t("tile_goals")] == str(goals.height)


def test_nothing_to_preload_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))  # no version published
    assert queries.preload() is None


def test_a_damaged_file_is_left_to_the_first_page(published: Path, make_app) -> None:
    goals_file = (published / "current" / "goals.parquet").resolve()
    goals_file.write_bytes(goals_file.read_bytes()[: goals_file.stat().st_size // 2])
    assert queries.preload() is None
    # The page says what is wrong, as it does without a preload.
    app = make_app()
    assert not app.exception
    assert "goals.parquet" in " ".join(e.value for e in app.error)
