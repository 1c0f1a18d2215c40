"""``python -m kpi.ingest``: import a report, or restore a version (the code is kpi/pipeline/ingest.py)."""

from kpi.pipeline.cli import run_command
from kpi.pipeline.ingest import main

if __name__ == "__main__":
    run_command(main)
