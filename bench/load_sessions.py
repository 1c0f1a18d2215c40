"""Load test of the server alone: N concurrent Streamlit sessions over Streamlit's own WebSocket protocol.

    .venv/bin/python -m bench.load_sessions                  # N = 20, starts its own server
    .venv/bin/python -m bench.load_sessions --sessions 5 --data /tmp/kpi-bench/synth-5000x10
    .venv/bin/python -m bench.load_sessions --url http://127.0.0.1:8501   # a server already running here
    .venv/bin/python -m bench.load_sessions --sessions 50 --replicas 2    # two replicas behind nginx

bench/load_browsers.py measures viewers in headless Chromium. On a small machine its
20 tabs take several times the server's CPU, so its figures say as much about the
browsers as about the server; in reality each viewer's browser runs on their own
machine. This script leaves the browsers out: each viewer is one WebSocket that
speaks what Streamlit's frontend speaks (protobuf BackMsg up, ForwardMsg down, from
the installed ``streamlit.proto``), so the server does all its work (script runs,
queries, messages, compression) and nothing renders. The two complement each other:
load_browsers.py is what a viewer waits for on a shared machine, this one what the
server alone needs per viewer.

Each viewer opens a session the way the frontend does (health check for the XSRF
cookie, then ``/_stcore/stream`` with the subprotocols ``streamlit, <token>``), runs
its starting page as a shared link with filters (its own department and status, the
same link as load_browsers.py's), then each of the four other pages as a click in the
sidebar does: a rerun request naming the page's script hash, which the session
learnt from the server's navigation message. All viewers start at once. The
*latency* of a page is the time from sending the rerun request until the server's
``script_finished``. An error is a run that finished with an error, an exception
element, a page not found, the wrong page (script hash or ``st.title``), no answer
within 90 s, or a closed connection. First a single viewer does the same alone, a
few rounds: its times are the baseline. The script prints p50/p95 latencies, the
CPU time of the server (and of its main thread, which runs the event loop) and of
this client, and the server's memory (VmRSS from /proc/<pid>/status) before, with
every viewer connected, and after they left. Exit status 1 when any viewer failed.

``--replicas N`` starts N servers (``python -m kpi.serve``, one data directory) behind
Debian's nginx with the shipped template (tests/support/proxy.py), and the viewers go
through nginx, carrying its replica cookie as a browser does; CPU and memory are then
the sums over the replicas (nginx's own CPU is reported apart). The load average of the
machine is printed before and after the crowd: other work on it slows wall-clock figures,
not CPU seconds.

Bounded: at most 100 viewers, a deadline for the whole run, and only 127.0.0.1.
Not part of the test suite.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
from google.protobuf.message import DecodeError
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Origin, Subprotocol

from bench.load_browsers import (
    MAX_SESSIONS,
    arrive,
    checked_arguments,
    cpu_seconds,
    listening_pid,
    load_arguments,
    machine,
    percentile,
    report_table,
    rss_kib,
    shared_link,
)
from kpi.contract.storage import data_dir, table_path
from kpi.web.i18n import t
from kpi.web.shell import DEFAULT_URL_PATH, PAGES
from tests.support.proxy import BASE_PATH, nginx
from tests.support.server import Server

MAX_SESSIONS_OVER_WEBSOCKET = 2 * MAX_SESSIONS  # no browsers: the client is light

RUN_TIMEOUT_S = 90
# What the frontend sends when it has no XSRF cookie (a server with XSRF protection off).
NO_TOKEN = "PLACEHOLDER_AUTH_TOKEN"
# The browser context of a viewer in Huzhou; the app reads the URL (its share link) from it.
TIMEZONE, TIMEZONE_OFFSET_MIN, LOCALE = "Asia/Shanghai", -480, "zh-CN"


@dataclass
class Run:
    kind: str  # "open" | "switch"
    seconds: float
    deltas: int  # delta messages (and references to cached ones) of this run
    size: int  # bytes received for this run


@dataclass
class Viewer:
    index: int
    runs: list[Run] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connect_s: float | None = None
    socket: ClientConnection | None = None  # open until memory has been measured
    # Like the frontend's message cache: hashes of the large messages this viewer holds,
    # sent with every rerun so that the server sends a reference instead of the bytes.
    cached: set[str] = field(default_factory=set)
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash, from the server


def session_cookies(base: str) -> dict[str, str]:
    """The cookies the health check sets: Streamlit's ``_streamlit_xsrf`` (absent when XSRF
    protection is off) and, behind nginx, its ``kpi_replica``."""
    cookies = {}
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=RUN_TIMEOUT_S) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
    return cookies


async def open_session(base: str) -> ClientConnection:
    """Connect as the frontend does: the XSRF token rides in the subprotocol header
    (``streamlit, <token>``), the cookie it must match in the Cookie header (with the replica
    cookie, so the WebSocket reaches the replica the health check did)."""
    cookies = await asyncio.to_thread(session_cookies, base)
    token = cookies.get("_streamlit_xsrf", NO_TOKEN)
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return await connect(
        "ws" + base.removeprefix("http") + "/_stcore/stream",
        subprotocols=[Subprotocol("streamlit"), Subprotocol(token)],
        additional_headers={"Cookie": header} if header else None,
        origin=Origin(f"{urlsplit(base).scheme}://{urlsplit(base).netloc}"),  # same origin, as a browser
        open_timeout=RUN_TIMEOUT_S,
        # A browser never pings; an event loop busy for a while must not cost a viewer its connection.
        ping_interval=None,
        max_size=None,  # a large table arrives in one message
    )


def page_url(base: str, path: str) -> str:
    return f"{base}/{'' if path == DEFAULT_URL_PATH else path}"


def rerun_request(viewer: Viewer, base: str, path: str, page_hash: str, query: str) -> bytes:
    """The frontend's rerun: a shared link names its page by URL path, a click in the menu by script hash."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query
    state.page_script_hash = page_hash
    state.page_name = "" if page_hash or path == DEFAULT_URL_PATH else path
    state.cached_message_hashes.extend(sorted(viewer.cached))
    context = state.context_info
    context.timezone, context.timezone_offset, context.locale = TIMEZONE, TIMEZONE_OFFSET_MIN, LOCALE
    context.url = f"{page_url(base, path)}?{query}"
    context.color_scheme = "light"
    return message.SerializeToString()


async def run_page(viewer: Viewer, base: str, path: str, page_hash: str, query: str, kind: str) -> None:
    """Ask for one page run and read its messages until ``script_finished``; record its latency
    and what is wrong with it. A timeout or a closed connection raises."""
    socket = viewer.socket
    assert socket is not None
    title_key = next(key for url_path, key, _ in PAGES if url_path == path)
    started = time.monotonic()
    await socket.send(rerun_request(viewer, base, path, page_hash, query))
    problems: list[str] = []
    titles: list[str] = []
    shown_hash = ""
    deltas = size = 0
    in_run = False  # the previous run's last status message may still arrive first
    async with asyncio.timeout(RUN_TIMEOUT_S):
        while True:
            data = await socket.recv(decode=False)
            message = ForwardMsg.FromString(data)
            kind_of_message = message.WhichOneof("type")
            in_run = in_run or kind_of_message == "new_session"
            if not in_run:
                continue
            size += len(data)
            if message.metadata.cacheable:
                viewer.cached.add(message.hash)
            if kind_of_message == "ref_hash":
                deltas += 1
            elif kind_of_message == "delta":
                deltas += 1
                element = message.delta.new_element
                if element.HasField("exception"):
                    problems.append(f"exception element ({element.exception.type or 'redacted'})")
                elif element.HasField("heading") and element.heading.tag == "h1":
                    titles.append(element.heading.body)
            elif kind_of_message == "navigation":
                viewer.pages = {
                    p.url_pathname or DEFAULT_URL_PATH: p.page_script_hash for p in message.navigation.app_pages
                }
                shown_hash = message.navigation.page_script_hash
            elif kind_of_message == "page_not_found":
                problems.append("page not found")
            elif kind_of_message == "session_event" and message.session_event.HasField("script_compilation_exception"):
                problems.append("script compilation exception")
            elif kind_of_message == "script_finished":
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    problems.append("script finished with a compile error")
                    break
                if message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    break
                # FINISHED_EARLY_FOR_RERUN: the page called st.rerun(); the next run of this request follows.
    viewer.runs.append(Run(kind, time.monotonic() - started, deltas, size))
    if shown_hash != (page_hash or viewer.pages.get(path)):
        problems.append(f"wrong page (script hash {shown_hash[:8] or 'none'})")
    if t(title_key) not in titles:
        problems.append(f"wrong page (titles {titles})")
    viewer.errors.extend(f"viewer {viewer.index}, {kind} {path}: {problem}" for problem in problems)


async def run_viewer(base: str, dept_ids: list[str], viewer: Viewer, count: int = 1, window_s: float = 0) -> None:
    """Open the shared link, then every other page in the menu's order, one after the other."""
    await arrive(viewer.index, count, window_s)
    link = urlsplit(shared_link(base, dept_ids, viewer.index))
    start_index = viewer.index % len(PAGES)
    path = PAGES[start_index][0]
    try:
        started = time.monotonic()
        viewer.socket = await open_session(base)
        viewer.connect_s = time.monotonic() - started
        await run_page(viewer, base, path, "", link.query, "open")
        for offset in range(1, len(PAGES)):
            path = PAGES[(start_index + offset) % len(PAGES)][0]
            if path not in viewer.pages:
                viewer.errors.append(f"viewer {viewer.index}: {path} not in the server's pages {sorted(viewer.pages)}")
                continue
            await run_page(viewer, base, path, viewer.pages[path], link.query, "switch")
    except (TimeoutError, OSError, WebSocketException, DecodeError) as error:
        # A timeout, a refused or closed connection, a garbled message: the viewer stops here.
        viewer.errors.append(f"viewer {viewer.index}, at {path}: {type(error).__name__} {str(error)[:120]}")


def main_thread_cpu_seconds(pid: int) -> float:
    """CPU seconds of the server's main thread, which runs its event loop (WebSocket I/O, sending
    messages); script runs have threads of their own, which end with their run."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_total(pids: list[int]) -> dict[str, int]:
    """VmRSS and VmHWM (KiB) summed over the server processes."""
    each = [rss_kib(pid) for pid in pids]
    return {key: sum(fields[key] for fields in each) for key in ("VmRSS", "VmHWM")}


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


async def round_of(
    base: str, dept_ids: list[str], count: int, pids: list[int], window_s: float = 0, proxy_pids: list[int] = ()
) -> dict[str, object]:
    """``count`` viewers at once; their page runs, errors, and the servers' CPU and memory."""
    viewers = [Viewer(i) for i in range(count)]
    load_before = load_average()
    before = rss_total(pids)
    server_cpu = sum(cpu_seconds(pid) for pid in pids)
    loop_cpu = sum(main_thread_cpu_seconds(pid) for pid in pids)
    proxy_cpu = sum(cpu_seconds(pid) for pid in proxy_pids)
    client_cpu = time.process_time()
    started = time.monotonic()
    await asyncio.gather(*(run_viewer(base, dept_ids, v, count, window_s) for v in viewers))
    wall = time.monotonic() - started
    connected = rss_total(pids)
    server_cpu = sum(cpu_seconds(pid) for pid in pids) - server_cpu
    loop_cpu = sum(main_thread_cpu_seconds(pid) for pid in pids) - loop_cpu
    proxy_cpu = sum(cpu_seconds(pid) for pid in proxy_pids) - proxy_cpu
    client_cpu = time.process_time() - client_cpu
    load_after = load_average()
    for viewer in viewers:
        if viewer.socket is not None:
            await viewer.socket.close()
    await asyncio.sleep(3)  # let the server end the sessions
    after = rss_total(pids)
    runs = [run for v in viewers for run in v.runs]
    return {
        "sessions": count,
        "runs": runs,
        "connect": [v.connect_s for v in viewers if v.connect_s is not None],
        "errors": [e for v in viewers for e in v.errors],
        "wall_s": round(wall, 2),
        # Sessions with a page run outstanding, on average: near N when every run overlaps every other.
        "runs_in_flight_avg": round(sum(run.seconds for run in runs) / wall, 1),
        "server_cpu_s": round(server_cpu, 2),
        # CPU time the servers spent per page run (all processes, all threads): what load costs,
        # whatever else the machine is doing.
        "server_cpu_ms_per_page": round(1000 * server_cpu / len(runs), 1) if runs else None,
        "server_cores_busy": round(server_cpu / wall, 2),
        "proxy_cpu_s": round(proxy_cpu, 2),
        "load_avg_before": load_before,
        "load_avg_after": load_after,
        "arrival_window_s": window_s,
        "server_main_thread_cpu_s": round(loop_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
        "rss_before_mib": round(before["VmRSS"] / 1024, 1),
        "rss_connected_mib": round(connected["VmRSS"] / 1024, 1),
        "rss_after_close_mib": round(after["VmRSS"] / 1024, 1),
        "rss_peak_mib": round(after["VmHWM"] / 1024, 1),
        "rss_growth_per_session_mib": round((connected["VmRSS"] - before["VmRSS"]) / 1024 / count, 1),
    }


def summary(rounds: list[dict[str, object]]) -> dict[str, object]:
    """Latency figures over the given rounds; CPU, memory and wall time of the last one."""
    runs: list[Run] = [run for r in rounds for run in r["runs"]]
    latency = [run.seconds for run in runs]
    opens = [run.seconds for run in runs if run.kind == "open"]
    switches = [run.seconds for run in runs if run.kind == "switch"]
    connect_s = [seconds for r in rounds for seconds in r["connect"]]
    last = rounds[-1]
    return {
        "sessions": last["sessions"],
        "rounds": len(rounds),
        "pages_run": len(runs),
        "errors": [e for r in rounds for e in r["errors"]],
        "latency_p50_s": round(percentile(latency, 0.5), 3),
        "latency_p95_s": round(percentile(latency, 0.95), 3),
        "latency_max_s": round(max(latency), 3) if latency else None,
        "open_link_p50_s": round(percentile(opens, 0.5), 3),
        "open_link_p95_s": round(percentile(opens, 0.95), 3),
        "page_switch_p50_s": round(percentile(switches, 0.5), 3),
        "page_switch_p95_s": round(percentile(switches, 0.95), 3),
        "connect_p95_s": round(percentile(connect_s, 0.95), 3),
        # That the pages really ran: dozens of elements each, not an error page.
        "deltas_per_page_min": min((run.deltas for run in runs), default=None),
        "deltas_per_page_p50": round(percentile([run.deltas for run in runs], 0.5)),
        "kib_per_page_p50": round(percentile([run.size / 1024 for run in runs], 0.5), 1),
        **{k: v for k, v in last.items() if k not in ("sessions", "runs", "connect", "errors")},
    }


async def measure(
    base: str,
    sessions: int,
    pids: list[int],
    baseline_rounds: int,
    data: Path,
    window_s: float = 0,
    proxy_pids: list[int] = (),
) -> dict[str, object]:
    dept_ids = pl.read_parquet(table_path(data, "departments")).get_column("dept_id").to_list()
    # Warm up: imports, the DuckDB connection and the query caches are not what is measured.
    # Behind nginx, enough viewers that every replica has been visited.
    for _ in range(2 if len(pids) > 1 else 1):
        await round_of(base, dept_ids, 4 * len(pids) if len(pids) > 1 else 1, pids)
    single = [await round_of(base, dept_ids, 1, pids, proxy_pids=proxy_pids) for _ in range(baseline_rounds)]
    crowd = await round_of(base, dept_ids, sessions, pids, window_s, proxy_pids)
    return {
        "machine": machine(),
        "data": str(data),
        "replicas": len(pids),
        "through_nginx": bool(proxy_pids),
        "single": summary(single),
        "concurrent": summary([crowd]),
    }


def nginx_pids(directory: Path) -> list[int]:
    """nginx's master (its pid file) and its workers (the master's children)."""
    master = int((directory / "nginx.pid").read_text().split()[0])
    children = Path(f"/proc/{master}/task/{master}/children")
    return [master, *(int(pid) for pid in children.read_text().split())] if children.exists() else [master]


def behind_nginx(args, data: Path, env: dict[str, str]) -> dict[str, object]:
    """``args.replicas`` servers behind nginx on loopback: the figures of one measurement."""
    options = [f"--server.baseUrlPath={BASE_PATH}"]
    servers = [Server(data_dir=data, env=env, args=options) for _ in range(args.replicas)]
    try:
        for server in servers:
            server.wait_healthy()
        replicas = [f"127.0.0.1:{server.port}" for server in servers]
        with (
            tempfile.TemporaryDirectory(prefix="kpi-load-nginx-") as directory,
            nginx(Path(directory), replicas) as url,
        ):
            pids = [server.process.pid for server in servers]
            run = measure(
                f"{url}/{BASE_PATH}",
                args.sessions,
                pids,
                max(1, args.baseline_rounds),
                data,
                args.arrival_window,
                nginx_pids(Path(directory)),
            )
            return asyncio.run(asyncio.wait_for(run, args.deadline))
    finally:
        for server in servers:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = load_arguments(__doc__.split("\n\n")[0], "session", MAX_SESSIONS_OVER_WEBSOCKET)
    parser.add_argument("--data", type=Path, help="data directory (KPI_DATA_DIR) of the server (default: bundled)")
    parser.add_argument(
        "--replicas", type=int, default=0, help="start this many servers behind nginx (default 0: one, no nginx)"
    )
    args = checked_arguments(parser, argv)
    if not 0 <= args.replicas <= 4:
        parser.error("--replicas must be between 0 and 4")
    if args.replicas and args.url:
        parser.error("--replicas starts its own servers: no --url with it")
    data = args.data.resolve() if args.data else data_dir()
    if not table_path(data, "departments").exists():
        parser.error(f"no departments table in {data}")
    env = {"KPI_PASSWORD": ""}
    if args.replicas:
        result = behind_nginx(args, data, env)
    elif args.url:
        parts = urlsplit(args.url)
        if parts.hostname != "127.0.0.1":
            parser.error("only a server on 127.0.0.1 may be load-tested")
        run = measure(
            args.url.rstrip("/"),
            args.sessions,
            [listening_pid(parts.port or 80)],
            max(1, args.baseline_rounds),
            data,
            args.arrival_window,
        )
        result = asyncio.run(asyncio.wait_for(run, args.deadline))
    else:
        with Server(data_dir=data, env=env) as server:
            server.wait_healthy()
            run = measure(
                server.url, args.sessions, [server.process.pid], max(1, args.baseline_rounds), data, args.arrival_window
            )
            result = asyncio.run(asyncio.wait_for(run, args.deadline))
    report_table(
        result,
        "session",
        "latency_p95_s",
        f"({result['replicas']} replica(s){' behind nginx' if result['through_nginx'] else ''}; "
        "1 session: latencies over all its rounds, CPU and memory of the last round)",
    )
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if result["concurrent"]["errors"] or result["single"]["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
