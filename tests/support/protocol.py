"""A minimal client of Streamlit's own WebSocket protocol, for tests that act as a browser
would not: presenting another session's id, sending widget values a UI would never send.

It connects the way the frontend does (the XSRF cookie from the health check, then
``/_stcore/stream`` with the subprotocols ``streamlit, <token>[, <existing session id>]``)
and reads one script run's messages until ``script_finished``. bench/load_sessions.py
measures load with the same protocol; this module only what tests need.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from google.protobuf import text_format
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

TIMEOUT_S = 60
NO_TOKEN = "PLACEHOLDER_AUTH_TOKEN"


def xsrf_cookie(base: str) -> str | None:
    """A fresh browser's ``_streamlit_xsrf=...`` cookie, as the health check sets it."""
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=TIMEOUT_S) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0]
            if pair.startswith("_streamlit_xsrf="):
                return pair
    return None


async def open_socket(base: str, cookie: str | None, session_id: str | None = None) -> ClientConnection:
    token = cookie.split("=", 1)[1] if cookie else NO_TOKEN
    protocols = [Subprotocol("streamlit"), Subprotocol(token)]
    if session_id:
        protocols.append(Subprotocol(session_id))
    return await connect(
        "ws" + base.removeprefix("http") + "/_stcore/stream",
        subprotocols=protocols,
        additional_headers={"Cookie": cookie} if cookie else None,
        origin=Origin(f"{urlsplit(base).scheme}://{urlsplit(base).netloc}"),
        open_timeout=TIMEOUT_S,
        ping_interval=None,
        max_size=None,
    )


@dataclass
class Run:
    """What one script run drew: the session id, widgets by label, and every element as text."""

    session_id: str = ""
    widgets: dict[str, str] = field(default_factory=dict)  # label -> widget id
    text: list[str] = field(default_factory=list)

    def shows(self, words: str) -> bool:
        return any(words in element for element in self.text)


async def run_script(
    socket: ClientConnection, base: str, widgets: list[WidgetState] | None = None, query: str = ""
) -> Run:
    """Ask for a run of the app (with these widget values) and read it until it finished
    (following an ``st.rerun()`` into the next run)."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query
    state.widget_states.widgets.extend(widgets or [])
    state.context_info.url = f"{base}/?{query}"
    state.context_info.timezone = "Asia/Shanghai"
    state.context_info.locale = "zh-CN"
    await socket.send(message.SerializeToString())
    run = Run()
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            forward = ForwardMsg.FromString(await socket.recv(decode=False))
            kind = forward.WhichOneof("type")
            if kind == "new_session":
                run.session_id = forward.new_session.initialize.session_id
            elif kind == "delta" and forward.delta.HasField("new_element"):
                element = forward.delta.new_element
                run.text.append(text_format.MessageToString(element, as_utf8=True))
                inner = getattr(element, element.WhichOneof("type") or "", None)
                if inner is not None and hasattr(inner, "id") and hasattr(inner, "label"):
                    run.widgets[inner.label] = inner.id
            elif kind == "script_finished" and forward.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ):
                return run


def run_in_thread(coroutine) -> object:
    """``asyncio.run`` on a thread of its own (Playwright's sync API keeps a loop in this one)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def text_value(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


def click(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)
