"""``python -m kpi.template``: write the import template (the code is kpi/pipeline/template.py)."""

from kpi.pipeline.cli import run_command
from kpi.pipeline.template import main

if __name__ == "__main__":
    run_command(main)
