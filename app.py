"""湖州市直部门目标驾驶舱 — entrypoint: `streamlit run app.py`."""

from kpi import dashboard

dashboard.run_app()
