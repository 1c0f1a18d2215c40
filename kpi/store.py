"""``python -m kpi.store copy SRC DEST``: copy a dataset between a directory and a bucket (the code is kpi/pipeline/store.py)."""

from kpi.pipeline.cli import run_command
from kpi.pipeline.store import main

if __name__ == "__main__":
    run_command(main)
