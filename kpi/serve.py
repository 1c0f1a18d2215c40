"""Start the dashboard: ``python -m kpi.serve [options of streamlit run]``.

The same as ``streamlit run app.py`` with one difference. A folder named
``pages/`` makes a fresh Streamlit process treat its first request in the
legacy multipage mode (``pages/<file>.py`` → ``/<file>``), which ``app.py``'s
``st.navigation`` switches off only once it has run: the first visitor who
opens a shared deep link would see a "Page not found" dialog over the right
page. Switching the legacy mode off before the server starts is exactly what
``st.navigation`` itself does, only earlier.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: Sequence[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    options = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


if __name__ == "__main__":
    main()
