"""Server script run time of every page under several filters, via Streamlit's AppTest.

    python -m bench.script_times --data DIR [--repeats N]     # the dashboard on DIR
    python -m bench.script_times --bare [--repeats N]         # the one-line page
    python -m bench.script_times --pages                      # the pages: [[script, url path], …]

Runs in its own process (the caller starts one per data set), so that
``KPI_DATA_DIR`` and every process-wide cache belong to one data set. Prints
one JSON object per line:

- ``{"kind": "process_first", ...}``: the very first run of the process
  (imports, DuckDB connection, first queries) — the server-side part of a cold start;
- ``{"kind": "page", "page", "filter", "first_ms", "warm_ms": [...]}``: for each
  page and filter, a new session's first run of that page with that filter (its
  queries not yet cached) and ``--repeats`` reruns after it (cached).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
BARE_APP = Path(__file__).resolve().parent / "bare_app.py"
TIMEOUT_S = 300


def pages() -> list[tuple[str, str]]:
    """(page script relative to app.py, URL path) of every page, from the dashboard's own list."""
    from kpi.web.shell import PAGES, page_file

    return [(str(page_file(url).relative_to(ROOT)), url) for url, _, _ in PAGES]


def page_titles() -> dict[str, str]:
    """URL path → the page's Chinese title, to check that the page measured is the page meant."""
    from kpi.web.i18n import t
    from kpi.web.shell import PAGES

    return {url: t(title_key) for url, title_key, _ in PAGES}


def filter_cases(data_dir: Path) -> list[tuple[str, dict[str, object]]]:
    """Filters a leader would use, chosen from the data: session_state values of the bound widgets."""
    import polars as pl

    from kpi.contract.storage import table_path

    departments = pl.read_parquet(table_path(data_dir, "departments"))
    goals = pl.read_parquet(table_path(data_dir, "goals"), columns=["year", "dept_id", "status"])
    years = sorted(goals.get_column("year").unique().to_list())
    # A department from the middle of the list (not the first, which may be special-cased).
    dept = departments.sort("sort_order").get_column("dept_id")[departments.height // 2]
    sector = departments.get_column("sector").mode().sort()[0]
    cases: list[tuple[str, dict[str, object]]] = [
        ("默认", {}),
        ("单个部门", {"dept": [dept]}),
        ("领域", {"sector": [sector]}),
        ("主题", {"theme": ["digital"]}),
        ("状态", {"status": ["at_risk", "not_met"]}),
        ("搜索「数字」", {"q": "数字"}),
        ("领域+主题+状态", {"sector": [sector], "theme": ["economy"], "status": ["exceeded", "achieved"]}),
    ]
    if len(years) > 1:
        cases.append(("最早年度", {"year": years[0]}))
    return cases


def _run(at, label: str) -> float:
    started = time.perf_counter()
    at.run(timeout=TIMEOUT_S)
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(f"{label}: {at.exception[0].value}")
    return elapsed


def _emit(record: dict) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def measure_app(data_dir: Path, repeats: int) -> None:
    os.environ["KPI_DATA_DIR"] = str(data_dir)
    from streamlit.testing.v1 import AppTest

    page_list, titles = pages(), page_titles()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    _emit({"kind": "process_first", "ms": _run(at, "first run")})
    for page, url in page_list:
        for name, state in filter_cases(data_dir):
            # A new session opens on the default page with the default filters (cached by
            # now); switching needs that first run. Then the filter is set and the page
            # opened: that run is timed, as a leader choosing a filter on that page.
            at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
            _run(at, "session start")
            for key, value in state.items():
                at.session_state[key] = value
            at.switch_page(page)
            first = _run(at, f"{url} {name}")
            shown = at.title[0].value if at.title else None
            if shown != titles[url]:
                raise RuntimeError(f"{url} {name}: the page shown is {shown!r}, not {titles[url]!r}")
            for key, value in state.items():  # the filter really was in force
                if at.session_state[key] != value:
                    raise RuntimeError(f"{url} {name}: {key}={at.session_state[key]!r}, expected {value!r}")
            warm = [_run(at, f"{url} {name}") for _ in range(repeats)]
            _emit({"kind": "page", "page": url, "filter": name, "first_ms": first, "warm_ms": warm})


def measure_bare(repeats: int) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(BARE_APP), default_timeout=TIMEOUT_S)
    _emit({"kind": "process_first", "ms": _run(at, "first run")})
    at = AppTest.from_file(str(BARE_APP), default_timeout=TIMEOUT_S)
    first = _run(at, "bare")
    warm = [_run(at, "bare") for _ in range(repeats)]
    _emit({"kind": "page", "page": "/", "filter": "默认", "first_ms": first, "warm_ms": warm})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.script_times")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--pages", action="store_true")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    if args.pages:
        print(json.dumps(pages()))
    elif args.bare:
        measure_bare(args.repeats)
    else:
        measure_app(args.data.resolve(), args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
