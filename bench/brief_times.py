"""Time the PDF briefing (简报) on one data set: what a click on 「下载简报」 and a scheduled
``python -m kpi.brief`` cost.

    python -m bench.brief_times [--data DIR] [--repeats N]

Prints one JSON line per measurement (process CPU seconds and wall seconds):

- ``cli``: ``python -m kpi.brief`` as a fresh process (imports, fonts, the chart engine's start),
  for the whole city and for one department; CPU is the child's user + system time;
- ``first`` / ``warm``: ``kpi.web.brief.render`` in one process as the server runs it, the first
  briefing (vl-convert and Typst start) and the next ones (query results not cached: the caches are
  cleared before each, as for a new filter).

Target (docs/performance.md): under 3 s per briefing on the bundled data.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = {"city": "", "finance": "dept=finance"}


def cli_times(data: Path | None, repeats: int) -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory() as directory:
        for name, query in QUERIES.items():
            for _ in range(repeats):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                args = [sys.executable, "-m", "kpi.brief", "--out", str(Path(directory) / f"{name}.pdf")]
                args += ["--query", query] + (["--data-dir", str(data)] if data else [])
                subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
                wall = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                out.append({"kind": "cli", "view": name, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3)})
    return out


def in_process_times(data: Path | None, repeats: int) -> list[dict]:
    if data:
        os.environ["KPI_DATA_DIR"] = str(data.resolve())
    from kpi.web.offline import quiet_streamlit

    quiet_streamlit()
    from kpi.web import brief, filters, queries

    out = []
    for index in range(repeats + 1):
        for name, query in QUERIES.items():
            queries.clear_caches()
            f, lang, _ = filters.parse_query_string(query)
            cpu, started = time.process_time(), time.perf_counter()
            pdf = brief.render(f, lang, "http://localhost:8501/")
            out.append(
                {
                    "kind": "first" if index == 0 and name == "city" else "warm",
                    "view": name,
                    "cpu_s": round(time.process_time() - cpu, 3),
                    "wall_s": round(time.perf_counter() - started, 3),
                    "pages": brief.page_count(pdf),
                    "bytes": len(pdf),
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.brief_times")
    parser.add_argument("--data", type=Path, default=None, help="data directory (default: the bundled data)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]}", file=sys.stderr)
    for record in cli_times(args.data, args.repeats) + in_process_times(args.data, args.repeats):
        print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
