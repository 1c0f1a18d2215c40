"""Time every query of the query layer on one data set, uncached: which query is slow?

    python -m bench.query_times --data DIR [--repeats N]

Each query runs with its result cache cleared (the DuckDB connection stays
open, as in a running server), for every filter of ``bench.script_times``.
Prints one line per query: median and slowest time over the filters, in ms, wall clock and
process CPU (all of DuckDB's threads; the figure to trust when other work loads the machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.query_times")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ["KPI_DATA_DIR"] = str(args.data.resolve())
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from bench.script_times import filter_cases
    from kpi.web import queries

    year = queries.years()[0]

    def first_goals(f: queries.Filters) -> tuple[str, ...]:
        return tuple(queries.light_attention_goals(f, 5, 0)[0].get_column("goal_id").to_list())

    def first_keys(f: queries.Filters) -> tuple[str, ...]:
        return tuple(queries.light_attention_goals(f, 5, 0)[0].get_column("goal_key").to_list())

    def previous(f: queries.Filters) -> str:
        return queries.previous_period(f.year, f.period) or f.period

    # The queries the pages run now (pages/*_page.py and kpi/web/components.py), page by page.
    calls = {
        "years": lambda f: queries.years(),
        "period_info": lambda f: queries.period_info(f.year, f.period),
        # overview
        "problem_departments": queries.problem_departments,
        "light_counts": queries.light_counts,
        "tile_series": queries.tile_series,
        "tiles": queries.tiles,
        "status_worst_first": queries.status_worst_first,
        "status_worst_first(all)": lambda f: queries.status_worst_first(f, show_all=True),
        "league_table": queries.league_table,
        "light_attention_goals(page 1)": lambda f: queries.light_attention_goals(f, 5, 0),
        "light_changes(top 10)": lambda f: queries.light_changes(f, previous(f), 10),
        "indicators_of_goals(5 goals)": lambda f: queries.indicators_of_goals(first_goals(f), (f.year,)),
        "goal_history(5 goals)": lambda f: queries.goal_history(first_keys(f), (f.year,)),
        "rank_moves(5 goals)": lambda f: queries.rank_moves(first_goals(f), f.year, previous(f)),
        # rankings
        "rank_statements(every scope)": lambda f: [queries.rank_statements(f, g) for g in queries.SCOPE_GROUPS],
        # targets
        "progress_figures(top 15)": lambda f: queries.progress_figures(f, 15),
        "target_gaps(top 15)": lambda f: queries.target_gaps(f, 15),
        "title_target_goals": queries.title_target_goals,
        # departments and goals
        "departments_matching(200)": lambda f: queries.departments_matching(f, 200),
        "goal_page(page 1)": lambda f: queries.goal_page(f, 10, 0),
        "goal_page(last page)": lambda f: queries.goal_page(f, 10, max(0, queries.goal_page(f, 1, 0)[1] - 10)),
        "export_frames": queries.export_frames,
    }
    cases = [
        (
            name,
            queries.Filters(
                year=int(state.get("year", year)),
                dept_ids=tuple(state.get("dept", ())),
                sectors=tuple(state.get("sector", ())),
                theme_ids=tuple(state.get("theme", ())),
                statuses=tuple(state.get("status", ())),
                q=str(state.get("q", "")),
                period=queries.period_codes(int(state.get("year", year)))[0],
            ),
        )
        for name, state in filter_cases(args.data.resolve())
    ]
    print(
        f"{'query':<36}{'median':>9}{'slowest':>9}{'cpu med':>9}{'cpu max':>9}  slowest filter"
        f"   (ms, uncached, {args.data})"
    )
    for label, call in calls.items():
        timings: list[tuple[float, str]] = []
        cpu: list[float] = []
        for case, f in cases:
            best = best_cpu = float("inf")
            for _ in range(args.repeats):
                for cached in queries._CACHED:  # results only; the connection stays open
                    cached.clear()
                call(f)  # nested helper calls (page counts) are then cached, as on a page
                for cached in queries._CACHED:
                    cached.clear()
                started, started_cpu = time.perf_counter(), time.process_time()
                call(f)
                best = min(best, (time.perf_counter() - started) * 1000)
                best_cpu = min(best_cpu, (time.process_time() - started_cpu) * 1000)
            timings.append((best, case))
            cpu.append(best_cpu)
        slowest = max(timings)
        print(
            f"{label:<36}{statistics.median(t for t, _ in timings):>9.0f}{slowest[0]:>9.0f}"
            f"{statistics.median(cpu):>9.0f}{max(cpu):>9.0f}  {slowest[1]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
