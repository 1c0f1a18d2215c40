"""Time until a page has settled in headless Chromium, cold start, and memory with 1 and 5 sessions.

"Settled" is the end-to-end tests' wait (Streamlit's own): the app is
CONNECTED, the script is ``notRunning`` after its first run, no
``stSkeleton`` is left — plus every Altair chart drawn (a canvas or svg in
each ``stVegaLiteChart``), since a leader is waiting for the charts too.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.support.browser import launch
from tests.support.server import Server

VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 180_000
IDLE_BETWEEN_LOADS_S = 0.5
# Where a load's time goes, marked in the page (ms since navigation start) the first time each holds:
# the websocket connected, the script's run seen starting and ending, the skeletons gone and the
# charts drawn. The gap from running to notRunning is the server's run plus the browser drawing
# the elements as they arrive; the gap after notRunning is the browser alone.
PHASES = ("connected", "running", "notRunning", "noSkeleton", "charts")
PHASE_MARKS_JS = """
window.__kpiPhases = {};
const mark = (name) => { if (!(name in window.__kpiPhases)) window.__kpiPhases[name] = performance.now(); };
new MutationObserver(() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app) return;
  const marks = window.__kpiPhases;
  if (app.getAttribute('data-test-connection-state') === 'CONNECTED') mark('connected');
  const state = app.getAttribute('data-test-script-state');
  if (state === 'running') mark('running');
  if (state === 'notRunning' && marks.running !== undefined) mark('notRunning');
  if (marks.notRunning === undefined || document.querySelector('[data-testid=stSkeleton]')) return;
  mark('noSkeleton');
  const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
  if (charts.every(chart => chart.querySelector('canvas, svg'))) mark('charts');
}).observe(document, {subtree: true, childList: true, attributes: true});
"""
# The renderer main thread's busy time during a load (``fresh_loads``), ms: printed beside the phases.
BUSY = "busy"
CHARTS_DRAWN_JS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    .every(chart => chart.querySelector('canvas, svg'))"""


def address(base: str, path: str) -> str:
    """The page's address as leaders open it and share it: the default page (the overview) at
    ``/``. Its own path (``/overview``) works too, but Streamlit rewrites it to ``/`` and the
    page settles ≈ 150 ms later (median of 7 loads: 636 ms against 480 ms)."""
    from kpi.web.shell import DEFAULT_URL_PATH

    return f"{base}/{'' if path.strip('/') == DEFAULT_URL_PATH else path.lstrip('/')}"


def settle(page: Page) -> None:
    page.locator("[data-testid=stApp][data-test-connection-state=CONNECTED]").wait_for(
        state="attached", timeout=TIMEOUT_MS
    )
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(
        state="attached", timeout=TIMEOUT_MS
    )
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=TIMEOUT_MS)
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=TIMEOUT_MS)
    exception = page.get_by_test_id("stException")
    if exception.count():
        raise RuntimeError(f"{page.url}: {exception.first.inner_text()[:300]}")


def load(page: Page, url: str) -> tuple[float, int]:
    """Milliseconds from navigation start to settled, and bytes the server sent over the websocket.
    In a context made by ``new_context`` the page's phases are then in ``phases(page)``."""
    received: list[int] = []

    def count_frames(websocket) -> None:
        websocket.on("framereceived", lambda payload: received.append(len(payload)))

    page.on("websocket", count_frames)
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    settle(page)
    elapsed = (time.perf_counter() - started) * 1000
    page.remove_listener("websocket", count_frames)
    return elapsed, sum(received)


def new_context(browser):
    """A browser context whose pages mark their load's phases (``PHASE_MARKS_JS``)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(PHASE_MARKS_JS)
    return context


def phases(page: Page) -> dict[str, float]:
    """The last load's phases, ms since navigation start (a phase not reached is left out)."""
    return page.evaluate("window.__kpiPhases || {}")


def main_thread_ms(cdp) -> float:
    """Chromium's count of the time its renderer's main thread has spent on tasks, in ms."""
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "TaskDuration") * 1000


def fresh_loads(page: Page, url: str, repeats: int) -> tuple[list[float], list[dict[str, float]], int]:
    """``repeats`` loads of ``url``, each a fresh session after ``leave``: their times (``load``),
    their phases (``phases``) plus the main thread's busy time (``BUSY``), and the bytes the
    server sent in the last one.

    The busy time is the browser's work for the load, whatever the wall clock did meanwhile:
    on a shared machine it varies far less between runs than the settle time, so it is the
    figure to compare two versions of a page by."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    times, marks, sent = [], [], 0
    for _ in range(repeats):
        leave(page)
        before = main_thread_ms(cdp)
        elapsed, sent = load(page, url)
        after = main_thread_ms(cdp)
        times.append(elapsed)
        # A navigation to another site may start a new renderer, whose count starts at 0.
        marks.append(phases(page) | {BUSY: after - before if after >= before else after})
    cdp.detach()
    return times, marks, sent


def leave(page: Page) -> None:
    """Close the session (a blank page drops the websocket) and let server and browser go idle,
    so that one load's teardown is not timed as part of the next."""
    page.goto("about:blank")
    time.sleep(IDLE_BETWEEN_LOADS_S)


def cold_start(label: str, script: Path | None, data_dir: Path | None, log_dir: Path) -> dict[str, float]:
    """A fresh server and a fresh browser context: ms from process start to healthy and to the first page settled."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            with Server(script=script, data_dir=data_dir, log=log_dir / f"streamlit-{label}-cold.log") as server:
                server.wait_healthy()
                healthy = (time.perf_counter() - server.started) * 1000
                page.goto(server.url + "/", wait_until="commit", timeout=TIMEOUT_MS)
                settle(page)
                settled = (time.perf_counter() - server.started) * 1000
            context.close()
        finally:
            browser.close()
    return {"healthy_ms": healthy, "settled_ms": settled}


def measure_server(
    label: str,
    script: Path | None,
    data_dir: Path | None,
    url_paths: list[str],
    repeats: int,
    log_dir: Path,
) -> dict:
    """Cold start, per-page settle times, and peak memory for one server.

    1. Start the server; the clock runs from process start until the first page has settled (cold start).
    2. One session visits every page (peak memory with one session).
    3. Each page is loaded ``repeats`` times, each a fresh session in a warm browser tab
       (the previous session closed and the machine idle for half a second first).
    4. Five sessions stay open together, each visiting every page in turn (peak memory with five).
    """
    result: dict = {"label": label, "pages": {}}
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            with Server(script=script, data_dir=data_dir, log=log_dir / f"streamlit-{label}.log") as server:
                context = new_context(browser)
                page = context.new_page()
                server.wait_healthy()
                result["healthy_ms"] = (time.perf_counter() - server.started) * 1000
                page.goto(server.url + "/", wait_until="commit", timeout=TIMEOUT_MS)
                settle(page)
                result["cold_start_ms"] = (time.perf_counter() - server.started) * 1000
                for path in url_paths[1:]:
                    page.goto(address(server.url, path), wait_until="commit", timeout=TIMEOUT_MS)
                    settle(page)
                result["memory_1_session"] = server.memory_mb()

                result["ws_bytes"], result["phases"] = {}, {}
                for path in url_paths:
                    times, marks, sent = fresh_loads(page, address(server.url, path), repeats)
                    result["pages"][path] = times
                    result["phases"][path] = marks
                    result["ws_bytes"][path] = sent
                context.close()

                contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(5)]
                tabs = [c.new_page() for c in contexts]
                # Chromium pauses rendering in tabs that are not in front, so each
                # session is brought to the front for its load; the others stay open.
                with_five_open: dict[str, list[float]] = {path: [] for path in url_paths}
                for path in url_paths:
                    for tab in tabs:
                        tab.bring_to_front()
                        time.sleep(IDLE_BETWEEN_LOADS_S)
                        with_five_open[path].append(load(tab, address(server.url, path))[0])
                result["memory_5_sessions"] = server.memory_mb()
                result["pages_with_5_sessions_open"] = with_five_open
                for c in contexts:
                    c.close()
        finally:
            browser.close()
    return result


def summary(times: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank) in ms."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]
    return statistics.median(ordered), p95
