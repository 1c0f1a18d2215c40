"""``python -m kpi.brief --out FILE.pdf [--query 'dept=finance&year=2022']``: the PDF briefing of a
dashboard view (the code is kpi/web/brief.py)."""

from kpi.pipeline.cli import run_command
from kpi.web.offline import quiet_streamlit

# Before the query layer is imported: its cached functions warn outside a server.
quiet_streamlit()

from kpi.web.brief import main  # noqa: E402

if __name__ == "__main__":
    run_command(main)
