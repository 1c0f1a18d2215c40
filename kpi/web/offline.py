"""The web app's code outside a server (``python -m kpi.brief``): Streamlit's caches then warn,
once per cached function and call, that no runtime is running — expected there, and noise on a
command's output. ``quiet_streamlit()`` before importing the query layer keeps only errors."""

from __future__ import annotations


def quiet_streamlit() -> None:
    from streamlit import logger

    logger.set_log_level("error")
