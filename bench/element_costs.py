"""What each kind of Streamlit element costs the browser: the bare page (one ``st.title``) plus
N elements of one kind (bench/element_app.py), each page settled as ``python -m bench`` settles
the dashboard's, in headless Chromium.

    python -m bench.element_costs [--count N] [--repeats R] [KIND[:N] ...]

Prints, per kind, the median and fastest of R fresh sessions in ms and the median over the bare
page (the same page with no element, measured first and last). The first element of a kind also
pays for loading that kind's code: ``sparkline:1`` against ``sparkline:6`` tells them apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.browser import BUSY, TIMEOUT_MS, fresh_loads, launch, new_context, settle
from tests.support.server import Server

APP = Path(__file__).resolve().parent / "element_app.py"
KINDS = (
    "metric", "metric_help", "sparkline", "multiselect", "selectbox", "radio",
    "text_input", "expander", "toggle", "html", "caption", "subheader",
)  # fmt: skip


def settle_times(playwright, kind: str, count: int, repeats: int, log: Path) -> tuple[list[float], list[float]]:
    """Settle times and main-thread busy times (ms) of ``repeats`` fresh sessions."""
    browser = launch(playwright)
    env = {"KPI_BENCH_KIND": kind, "KPI_BENCH_COUNT": str(count)}
    try:
        with Server(script=APP, env=env, log=log) as server:
            context = new_context(browser)
            page = context.new_page()
            server.wait_healthy()
            page.goto(server.url + "/", wait_until="commit", timeout=TIMEOUT_MS)
            settle(page)
            times, marks, _ = fresh_loads(page, server.url + "/", repeats)
            context.close()
    finally:
        browser.close()
    return times, [m[BUSY] for m in marks]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.element_costs", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "kinds", nargs="*", help=f"kinds to measure, KIND or KIND:N (default: all of {', '.join(KINDS)})"
    )
    parser.add_argument("--count", type=int, default=10, help="elements of each kind (default 10)")
    parser.add_argument("--repeats", type=int, default=9, help="fresh sessions per page (default 9)")
    args = parser.parse_args()
    wanted = []
    for item in args.kinds or KINDS:
        kind, _, count = item.partition(":")
        if kind not in KINDS:
            parser.error(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        if count and not count.isdigit():
            parser.error(f"{item!r}: the count after ':' must be a whole number")
        wanted.append((kind, int(count) if count else args.count))
    log = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "kpi-bench-elements.log"
    with sync_playwright() as playwright:
        bare, bare_busy = settle_times(playwright, "", 0, args.repeats, log)
        results = [(kind, count, *settle_times(playwright, kind, count, args.repeats, log)) for kind, count in wanted]
        again, again_busy = settle_times(playwright, "", 0, args.repeats, log)
    floor, busy_floor = statistics.median(bare + again), statistics.median(bare_busy + again_busy)
    print(
        f"bare page: median {floor:,.0f} ms, fastest {min(bare + again):,.0f} ms, main thread busy {busy_floor:,.0f} ms"
    )
    print(f"{'kind':<16}{'count':>6}{'median':>9}{'fastest':>9}{'over bare':>11}{'busy':>8}{'over bare':>11}")
    for kind, count, times, busy in results:
        median, busy_median = statistics.median(times), statistics.median(busy)
        print(
            f"{kind:<16}{count:>6}{median:>9,.0f}{min(times):>9,.0f}{median - floor:>+11,.0f}"
            f"{busy_median:>8,.0f}{busy_median - busy_floor:>+11,.0f}"
        )


if __name__ == "__main__":
    main()
