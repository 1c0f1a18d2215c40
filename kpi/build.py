"""``python -m kpi.build``: build the dataset from data/raw and data/curation (the code is kpi/pipeline/build.py)."""

from kpi.pipeline.build import main
from kpi.pipeline.cli import run_command

if __name__ == "__main__":
    run_command(main)
