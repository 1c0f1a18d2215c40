"""湖州市直部门目标驾驶舱 — entrypoint: `python -m kpi.serve` (or `streamlit run app.py`)."""

from kpi.web import shell

shell.run_app()
