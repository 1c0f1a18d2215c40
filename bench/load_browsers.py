"""Load test: N concurrent viewers in headless Chromium against one dashboard server.

    .venv/bin/python python -m bench.load_browsers                  # N = 20, starts its own server
    .venv/bin/python python -m bench.load_browsers --sessions 5
    .venv/bin/python python -m bench.load_browsers --url http://127.0.0.1:8501   # a server already running here

Each viewer is a tab of one headless Chromium (a tab is a Streamlit session of its
own). It opens a shared link with filters (its own department and status), then
clicks through every other page in the sidebar, the way a leader in a meeting does;
all viewers start at once. First a single viewer does the same alone, a few rounds:
its times are the baseline. The script prints errors, p50/p95 settle times (from
navigation or click until Streamlit is idle: connected, script finished, no
skeleton), the CPU time of the server and of the browsers, and the server's memory
(VmRSS from /proc/<pid>/status) before, with every viewer connected, and after they left.
Exit status 1 when any viewer failed. KPI_LOAD_SCREENSHOTS=<dir> saves a screenshot
of each failed viewer.

Bounded: at most 50 viewers, a deadline for the whole run, and only 127.0.0.1.
Not part of the test suite; docs/performance.md (section “Concurrent viewers”) records its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import polars as pl
from playwright.async_api import BrowserContext, Page, async_playwright

from kpi.contract.storage import data_dir, table_path
from kpi.web.i18n import t
from kpi.web.shell import PAGES
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.server import streamlit_server

MAX_SESSIONS = 50
# Every tab renders as if it were the one in front: each stands for a viewer's own screen,
# and Chromium would otherwise throttle timers and painting in background tabs.
LOAD_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
STATUSES_TO_SHOW = ("achieved", "exceeded", "at_risk")
IDLE_TIMEOUT_MS = 90_000


@dataclass
class Viewer:
    index: int
    settle_s: list[tuple[str, float]] = field(default_factory=list)  # ("open" | "switch", seconds)
    errors: list[str] = field(default_factory=list)
    page: Page | None = None  # open until memory has been measured


async def wait_idle(page: Page) -> None:
    """As tests/e2e/conftest.wait_idle, for the async API."""
    await page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=IDLE_TIMEOUT_MS)
    await page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=IDLE_TIMEOUT_MS)
    # Polling every 100 ms rather than on every animation frame, which would load 20 tabs' CPU.
    await page.wait_for_function(
        "!document.querySelector('[data-testid=stSkeleton]')", polling=100, timeout=IDLE_TIMEOUT_MS
    )


def shared_link(base: str, dept_ids: list[str], index: int) -> str:
    first_path, _, _ = PAGES[index % len(PAGES)]
    params = [("dept", dept_ids[index % len(dept_ids)]), ("status", STATUSES_TO_SHOW[index % len(STATUSES_TO_SHOW)])]
    return f"{base}/{'' if first_path == 'overview' else first_path}?{urlencode(params)}"


async def arrive(viewer_index: int, count: int, window_s: float) -> None:
    """Wait for this viewer's turn: ``count`` viewers arrive evenly over ``window_s`` seconds
    (0: all at the same moment). Its settle times are counted from its own arrival."""
    if window_s > 0 and count > 1:
        await asyncio.sleep(viewer_index * window_s / count)


async def run_viewer(
    context: BrowserContext, base: str, dept_ids: list[str], viewer: Viewer, count: int = 1, window_s: float = 0
) -> None:
    await arrive(viewer.index, count, window_s)
    # A tab of its own is a Streamlit session of its own (one WebSocket each). The tabs share
    # one browser profile, so its HTTP cache: the viewers' own machines would each have theirs.
    page = viewer.page = await context.new_page()
    start_index = viewer.index % len(PAGES)
    try:
        started = time.monotonic()
        await page.goto(shared_link(base, dept_ids, viewer.index), timeout=IDLE_TIMEOUT_MS)
        await wait_idle(page)
        viewer.settle_s.append(("open", time.monotonic() - started))
        await check_page(page, viewer, PAGES[start_index][1])
        for offset in range(1, len(PAGES)):
            _, title_key, _ = PAGES[(start_index + offset) % len(PAGES)]
            title = t(title_key)
            started = time.monotonic()
            await page.get_by_role("link", name=title, exact=True).click()
            await page.locator("h1").filter(has_text=title).first.wait_for(timeout=IDLE_TIMEOUT_MS)
            await wait_idle(page)
            viewer.settle_s.append(("switch", time.monotonic() - started))
            await check_page(page, viewer, title_key)
    except Exception as exc:  # a timeout, a lost connection, a crashed page: all count as errors
        state = await page.evaluate(
            "(() => { const a = document.querySelector('[data-testid=stApp]');"
            " return a ? `${a.dataset.testConnectionState}/${a.dataset.testScriptState}` : 'no app'; })()"
        )
        viewer.errors.append(f"{type(exc).__name__} at {page.url} ({state}): {str(exc).splitlines()[0][:120]}")
        if os.environ.get("KPI_LOAD_SCREENSHOTS"):
            await page.screenshot(path=f"{os.environ['KPI_LOAD_SCREENSHOTS']}/viewer-{viewer.index}.png")


async def check_page(page: Page, viewer: Viewer, title_key: str) -> None:
    if await page.locator("[data-testid=stException]").count():
        viewer.errors.append(f"exception shown on {title_key}")
    if not await page.locator("h1").filter(has_text=t(title_key)).count():
        viewer.errors.append(f"wrong page instead of {title_key}")


def rss_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_cpu() -> dict[int, float]:
    """CPU seconds of every Chromium process (the viewers share this machine with the server)."""
    times = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip().startswith(("chromium", "chrome")):
                    times[int(proc.name)] = cpu_seconds(int(proc.name))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return times


def listening_pid(port: int) -> int:
    """The process listening on 127.0.0.1:<port>, found through /proc (no extra packages)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if int(parts[1].split(":")[1], 16) == port and parts[3] == "0A":  # 0A = LISTEN
                inodes.add(parts[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(proc.name)
        except (PermissionError, FileNotFoundError, ProcessLookupError):
            continue
    raise RuntimeError(f"no process listens on port {port}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = share * (len(ordered) - 1)
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def machine() -> dict[str, object]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    model = models[0] if models else platform.processor()
    import streamlit

    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(total_kib / 1024 / 1024, 1),
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
    }


async def round_of(
    context: BrowserContext, base: str, dept_ids: list[str], count: int, pid: int, window_s: float = 0
) -> dict[str, object]:
    """``count`` viewers arriving over ``window_s`` seconds; their settle times, errors and the server's memory."""
    viewers = [Viewer(i) for i in range(count)]
    before = rss_kib(pid)
    server_cpu, chromium_cpu = cpu_seconds(pid), browser_cpu()
    started = time.monotonic()
    await asyncio.gather(*(run_viewer(context, base, dept_ids, v, count, window_s) for v in viewers))
    wall = time.monotonic() - started
    connected = rss_kib(pid)
    server_cpu = cpu_seconds(pid) - server_cpu
    chromium_now = browser_cpu()
    chromium_cpu = sum(t - chromium_cpu.get(p, 0.0) for p, t in chromium_now.items())
    for viewer in viewers:
        if viewer.page is not None:
            await viewer.page.close()
    await asyncio.sleep(3)  # let the server notice the closed WebSockets
    after = rss_kib(pid)
    return {
        "sessions": count,
        "settle": [s for v in viewers for s in v.settle_s],
        "errors": [e for v in viewers for e in v.errors],
        "wall_s": round(wall, 1),
        "server_cpu_s": round(server_cpu, 1),
        "browser_cpu_s": round(chromium_cpu, 1),
        # All the round's CPU work spread perfectly over every core: no viewer can finish sooner.
        "cpu_floor_s": round((server_cpu + chromium_cpu) / (os.cpu_count() or 1), 1),
        "arrival_window_s": window_s,
        "rss_before_mib": round(before["VmRSS"] / 1024, 1),
        "rss_connected_mib": round(connected["VmRSS"] / 1024, 1),
        "rss_after_close_mib": round(after["VmRSS"] / 1024, 1),
        "rss_peak_mib": round(after["VmHWM"] / 1024, 1),
        "rss_growth_per_session_mib": round((connected["VmRSS"] - before["VmRSS"]) / 1024 / count, 1),
    }


def summary(rounds: list[dict[str, object]]) -> dict[str, object]:
    """Settle-time figures over the given rounds; memory and wall time of the last one."""
    timed = [s for r in rounds for s in r["settle"]]
    settle = [seconds for _, seconds in timed]
    opens = [seconds for kind, seconds in timed if kind == "open"]
    switches = [seconds for kind, seconds in timed if kind == "switch"]
    last = rounds[-1]
    return {
        "sessions": last["sessions"],
        "rounds": len(rounds),
        "pages_loaded": len(settle),
        "errors": [e for r in rounds for e in r["errors"]],
        "settle_p50_s": round(percentile(settle, 0.5), 2),
        "settle_p95_s": round(percentile(settle, 0.95), 2),
        "settle_max_s": round(max(settle), 2) if settle else None,
        "open_link_p50_s": round(percentile(opens, 0.5), 2),
        "open_link_p95_s": round(percentile(opens, 0.95), 2),
        "page_switch_p50_s": round(percentile(switches, 0.5), 2),
        "page_switch_p95_s": round(percentile(switches, 0.95), 2),
        **{k: v for k, v in last.items() if k not in ("sessions", "settle", "errors")},
    }


async def measure(base: str, sessions: int, pid: int, baseline_rounds: int, window_s: float = 0) -> dict[str, object]:
    dept_ids = pl.read_parquet(table_path(data_dir(), "departments")).get_column("dept_id").to_list()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=LOAD_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            # Warm up: imports, the DuckDB connection and the query caches, and the first
            # deep link a fresh process serves (see docs/performance.md, “Concurrent viewers”) are not what is measured.
            await round_of(context, base, dept_ids, 1, pid)
            single = [await round_of(context, base, dept_ids, 1, pid) for _ in range(baseline_rounds)]
            crowd = await round_of(context, base, dept_ids, sessions, pid, window_s)
        finally:
            await browser.close()
    return {"machine": machine(), "single": summary(single), "concurrent": summary([crowd])}


def report_table(result: dict[str, object], noun: str, p95_key: str, note: str) -> None:
    """One viewer's figures next to N viewers', the errors, and the two targets."""
    single, crowd = result["single"], result["concurrent"]
    print("machine:", ", ".join(f"{k}={v}" for k, v in result["machine"].items()))
    if "data" in result:
        print("data:", result["data"])
    print(f"{'':28}{'1 ' + noun:>12}{crowd['sessions']:>9} {noun}s")
    print(note)
    for key in (k for k in single if k != "errors"):
        print(f"{key:28}{single[key]!s:>12}{crowd[key]!s:>18}")
    print(f"{'errors':28}{len(single['errors']):>12}{len(crowd['errors']):>18}")
    for error in (single["errors"] + crowd["errors"])[:20]:
        print("  ", error)
    ratio = crowd[p95_key] / single[p95_key] if single[p95_key] else float("nan")
    print(f"p95 at {crowd['sessions']} {noun}s ÷ p95 of one {noun}: {ratio:.2f} (target < 4)")
    print(f"memory growth per {noun}: {crowd['rss_growth_per_session_mib']} MiB (target < 30)")


def load_arguments(description: str, noun: str, max_sessions: int = MAX_SESSIONS) -> argparse.ArgumentParser:
    """The options both load scripts take."""
    parser = argparse.ArgumentParser(description=description)
    parser.set_defaults(max_sessions=max_sessions)
    parser.add_argument("--sessions", type=int, default=20, help=f"concurrent {noun}s (1–{max_sessions})")
    parser.add_argument("--url", help="a dashboard already running on 127.0.0.1 (default: start one)")
    parser.add_argument("--baseline-rounds", type=int, default=4, help=f"single-{noun} rounds for the baseline")
    parser.add_argument("--deadline", type=float, default=600, help="give up after this many seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--arrival-window",
        type=float,
        default=0,
        metavar="SECONDS",
        help=f"{noun}s arrive evenly over this many seconds (default 0: all at the same moment)",
    )
    return parser


def checked_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if not 0 <= args.arrival_window <= 120:
        parser.error("--arrival-window must be between 0 and 120 seconds")
    if not 1 <= args.sessions <= args.max_sessions:
        parser.error(f"--sessions must be between 1 and {args.max_sessions}")
    return args


def run_load(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    measure_at: Callable[[str, int], Awaitable[dict[str, object]]],
    server_env: dict[str, str],
    report: Callable[[dict[str, object]], None],
) -> int:
    """Measure against ``--url`` or a server started here; print, save, and return the exit status."""

    def run(base: str) -> dict[str, object]:
        parts = urlsplit(base)
        if parts.hostname != "127.0.0.1":
            parser.error("only a server on 127.0.0.1 may be load-tested")
        pid = listening_pid(parts.port or 80)
        return asyncio.run(asyncio.wait_for(measure_at(base.rstrip("/"), pid), args.deadline))

    if args.url:
        result = run(args.url)
    else:
        with streamlit_server(env=server_env) as url:
            result = run(url)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if result["concurrent"]["errors"] or result["single"]["errors"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = load_arguments(__doc__.split("\n\n")[0], "viewer")
    args = checked_arguments(parser, argv)
    return run_load(
        parser,
        args,
        lambda base, pid: measure(base, args.sessions, pid, max(1, args.baseline_rounds), args.arrival_window),
        {"KPI_PASSWORD": ""},
        lambda result: report_table(
            result, "viewer", "settle_p95_s", "(1 viewer: settle times over all its rounds, memory of the last round)"
        ),
    )


if __name__ == "__main__":
    raise SystemExit(main())
