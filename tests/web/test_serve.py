"""``python -m kpi.serve`` turns Nagle's algorithm off on the connections Streamlit accepts.

The asyncio servers run on a thread of their own: in the full suite, Playwright keeps a loop
running in this one."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from streamlit.web.server.starlette import starlette_server

from kpi.web.serve import send_without_delay
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
