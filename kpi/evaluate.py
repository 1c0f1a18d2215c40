"""``python -m kpi.evaluate``: measure figure extraction on a hand-read set (the code is kpi/pipeline/evaluate.py)."""

from kpi.pipeline.cli import run_command
from kpi.pipeline.evaluate import main

if __name__ == "__main__":
    run_command(main)
