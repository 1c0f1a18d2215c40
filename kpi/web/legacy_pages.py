"""Everything needed because a folder named ``pages/`` exists next to ``app.py``.

Why this module exists: Streamlit treats a fresh process (and every AppTest run)
as a legacy multipage app while a ``pages/`` folder exists, until the first
``st.navigation`` call switches that mode off. In legacy mode it maps
``pages/<file>.py`` to ``/<file>`` and runs such a page file *alone*, without the
entrypoint's login gate, filters and navigation. Three defences, all here:

- page files are named ``<name>_page.py`` while their URL paths are ``/<name>``,
  so legacy mode never claims one of our URLs (``PAGE_FILE_SUFFIX``);
- ``leave_legacy_mode()`` switches the mode off before the server starts
  (``python -m kpi.serve``), exactly what ``st.navigation`` does, only earlier;
- ``ensure_in_app()``, called first by every page, reruns a page file that was
  started alone (plain ``streamlit run app.py``, AppTest) inside the app instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

PAGE_FILE_SUFFIX = "_page.py"
# Set while app.py's navigation runs a page, on the script thread of that session.
_run_state = threading.local()


def leave_legacy_mode() -> None:
    PagesManager.uses_pages_directory = False


@contextmanager
def running_inside_app() -> Iterator[None]:
    """Mark the current script thread as running a page through ``app.py``'s navigation."""
    _run_state.inside_app = True
    try:
        yield
    finally:
        _run_state.inside_app = False


def ensure_in_app() -> None:
    """Make a page that was started on its own rerun inside the app instead.

    Leaving legacy mode the way ``st.navigation`` does and rerunning resolves the
    same URL through ``app.py``'s navigation, with the sidebar filters' state intact.
    """
    if PagesManager.uses_pages_directory and not getattr(_run_state, "inside_app", False):
        leave_legacy_mode()
        st.rerun()
