"""``python -m kpi.serve [options of streamlit run]``: start the dashboard (the code is kpi/web/serve.py)."""

import sys

from kpi.web.serve import main

if __name__ == "__main__":
    sys.exit(main())
