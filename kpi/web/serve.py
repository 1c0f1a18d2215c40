"""Start the dashboard: ``python -m kpi.serve [options of streamlit run]``.

The same as ``streamlit run app.py``, except that Streamlit's legacy ``pages/``
mode is switched off before the server starts (see ``kpi.web.legacy_pages``): the
first visitor who opens a shared deep link would otherwise see a "Page not found"
dialog over the right page. It also removes what a crashed import left in the data
directory (``kpi.contract.storage.clean_up_at_start``), turns Nagle's algorithm off on
the server's connections (``send_without_delay``), and loads the data as soon as the server
listens (``preload_once_listening``).
"""

from __future__ import annotations

import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


# Click's messages for a wrong option of ``streamlit run``, in Chinese (the option named stays as typed).
_CLICK_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^No such option '?([^'.]*)'?\.?(.*)$", r"没有选项 \1\2"),
        (r"^Option '([^']*)' requires an argument\.$", r"选项 \1 需要一个值"),
        (
            r"^Invalid value for '([^']*)'(?: \(env var: '[^']*'\))?: (.*?) is not a valid (\w+)\.$",
            r"选项 \1 的值 \2 无效",
        ),
        (r"^Got unexpected extra arguments? \((.*)\)$", r"多余的参数：\1"),
    )
)


def _chinese(message: str) -> str:
    for pattern, replacement in _CLICK_MESSAGES:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


_log = logging.getLogger(__name__)


def send_without_delay() -> bool:
    """Make every connection the server accepts send at once (``TCP_NODELAY``).

    Streamlit 1.67 binds its listening socket itself, as ``socket.socket(family)``: its
    ``proto`` is 0, and asyncio sets ``TCP_NODELAY`` only on accepted sockets whose
    ``proto`` is ``IPPROTO_TCP``. Without it, the second small message of a page run waits
    for the browser's acknowledgement of the first, which the browser delays (40 ms on
    Linux, up to 200 ms on Windows): every page run took 40 ms more than its work, on
    every page and data set (measured in docs/scaling.md). The listening socket is the
    same file descriptor, re-wrapped with its real protocol number. Returns False (and
    logs) when this Streamlit has no such function, so the server still starts.
    """
    try:
        from streamlit.web.server.starlette import starlette_server
    except ImportError:
        starlette_server = None
    bind = getattr(starlette_server, "_bind_socket", None)
    if bind is None or getattr(bind, "_kpi_nodelay", False):
        if bind is None:
            _log.warning("Streamlit's _bind_socket not found: TCP_NODELAY left as Streamlit sets it")
        return bind is not None

    def bind_tcp(address: str, port: int, backlog: int) -> socket.socket:
        sock = bind(address, port, backlog)
        if sock.type != socket.SOCK_STREAM or sock.proto == socket.IPPROTO_TCP:
            return sock
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.setblocking(False)
        tcp.set_inheritable(True)
        return tcp

    bind_tcp._kpi_nodelay = True  # type: ignore[attr-defined]
    starlette_server._bind_socket = bind_tcp
    return True


def start_preload() -> threading.Thread:
    """Import the dashboard's modules and load the data in force (``queries.preload``) on a
    thread of their own, and say on the console when they are in memory.
    The first visitor then waits for the page's queries only. A failure is not fatal: the server
    starts anyway, and the first page says what is wrong with the data."""

    def preload() -> None:
        started = time.perf_counter()
        try:
            from kpi.web import queries, shell  # noqa: F401 (shell: every module a page uses)

            version = queries.preload()
        except Exception as error:  # the first page run meets it again and shows it
            _log.warning("preloading the data failed", exc_info=True)
            print(
                f"数据未能预先载入（{type(error).__name__}），打开页面时再试并说明原因。", file=sys.stderr, flush=True
            )
            return
        if version is None:
            print("数据未能预先载入，打开页面时再试并说明原因。", file=sys.stderr, flush=True)
            return
        elapsed = (time.perf_counter() - started) * 1000
        print(f"数据已载入内存：{Path(version).name}（{elapsed:,.0f} 毫秒）", file=sys.stderr, flush=True)

    thread = threading.Thread(target=preload, name="kpi-preload", daemon=True)
    thread.start()
    return thread


def preload_once_listening() -> bool:
    """Start ``start_preload`` as soon as the server listens, not before: earlier, its imports
    would hold the interpreter while Streamlit starts, and the server would answer later.
    Returns False (and logs) when this Streamlit has no such hook; the first page then loads
    the data itself, as ``streamlit run app.py`` does."""
    from streamlit.web import bootstrap

    announce = getattr(bootstrap, "_on_server_start", None)
    if announce is None:
        _log.warning("Streamlit's _on_server_start not found: the data load on the first visit")
        return False
    if getattr(announce, "_kpi_preload", False):
        return True

    def announce_and_preload(server) -> None:
        announce(server)
        start_preload()

    announce_and_preload._kpi_preload = True  # type: ignore[attr-defined]
    bootstrap._on_server_start = announce_and_preload
    return True


def main(argv: Sequence[str] | None = None) -> int:
    import click
    from streamlit.web import cli

    from kpi.contract.schema import ContractError
    from kpi.contract.storage import clean_up_at_start, data_dir
    from kpi.web.legacy_pages import leave_legacy_mode

    try:
        data_dir()  # a malformed s3:// address is said here, not on every page
    except ContractError as error:
        print(f"错误：KPI_DATA_DIR：{error}", file=sys.stderr)
        return 2
    leave_legacy_mode()
    send_without_delay()
    clean_up_at_start()  # staging directories and links a crashed import left
    preload_once_listening()
    options = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", "run", str(APP), *options]
    try:
        cli.main(prog_name="python -m kpi.serve", standalone_mode=False)
    except click.UsageError as error:
        print(f"错误：{_chinese(error.format_message())}", file=sys.stderr)
        print("可用选项与 streamlit run 相同，见 python -m kpi.serve --help", file=sys.stderr)
        return 2
    except click.Abort:
        print("已中断。", file=sys.stderr)
        return 130
    return 0
