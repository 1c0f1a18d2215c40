"""A bucket's settings from Streamlit secrets, for a data directory ``s3://bucket/prefix``.

``kpi.contract.bucket`` reads its settings from the environment. In ``.streamlit/secrets.toml``
(or Community Cloud's secrets box) they may be given either as root-level keys —
``KPI_DATA_DIR = "s3://kpi-data/huzhou"``, ``AWS_ACCESS_KEY_ID = "…"`` — which Streamlit itself
copies into the environment, or as an ``[s3]`` section::

    [s3]
    endpoint_url = "https://oss-cn-hangzhou.aliyuncs.com"
    access_key_id = "…"
    secret_access_key = "…"
    region = "cn-hangzhou"

A variable already set in the environment wins over the secrets.
"""

from __future__ import annotations

import os

import streamlit as st

SECTION = "s3"
SECTION_KEYS: dict[str, str] = {
    "endpoint_url": "AWS_ENDPOINT_URL",
    "access_key_id": "AWS_ACCESS_KEY_ID",
    "secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "session_token": "AWS_SESSION_TOKEN",
    "region": "AWS_REGION",
    "addressing": "KPI_S3_ADDRESSING",
    "data_dir": "KPI_DATA_DIR",
}


def apply() -> None:
    """Load the secrets (Streamlit then exports the root-level keys) and export the ``[s3]`` section."""
    try:
        section = st.secrets.get(SECTION)
    except FileNotFoundError:  # no (or an unreadable) secrets.toml: nothing configured there
        return
    if not hasattr(section, "get"):
        return
    for key, variable in SECTION_KEYS.items():
        value = section.get(key)
        if isinstance(value, str | int | float) and str(value).strip():
            os.environ.setdefault(variable, str(value).strip())
