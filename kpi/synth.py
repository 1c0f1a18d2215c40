"""``python -m kpi.synth``: write a synthetic data set (the code is kpi/pipeline/synth.py)."""

from kpi.pipeline.cli import run_command
from kpi.pipeline.synth import main

if __name__ == "__main__":
    run_command(main)
