"""The 数据管理 page's wall tokens: create a named token (shown once, as the wall's full link),
list them (never the token), revoke one. The store is kpi/web/wall_tokens.py."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from kpi.web import auth, filters, wall_tokens
from kpi.web.admin import TEXT
from kpi.web.markup import markdown_literal

# The token just created: shown on the next run only, then gone from the session.
_SHOWN_KEY = "_kpi_wall_token_shown"


def tokens_frame(tokens: tuple[wall_tokens.StoredToken, ...]) -> pl.DataFrame:
    """What the list shows of each token: name, id, created, last used — never the token or its digest."""
    used = [wall_tokens.last_used(t.token_id) for t in tokens]
    return pl.DataFrame(
        {
            TEXT["walls_col_name"]: [t.name for t in tokens],
            TEXT["walls_col_id"]: [t.token_id for t in tokens],
            TEXT["walls_col_created"]: [t.created.replace("T", " ") for t in tokens],
            TEXT["walls_col_used"]: [
                datetime.fromtimestamp(u).strftime("%Y-%m-%d %H:%M") if u else TEXT["walls_never_used"] for u in used
            ],
        },
        schema=dict.fromkeys(
            (TEXT[f"walls_col_{c}"] for c in ("name", "id", "created", "used")),
            pl.String,
        ),
    )


def wall_tokens_section(session: MutableMapping[str, Any], done_key: str) -> None:
    st.subheader(TEXT["walls_title"])
    st.caption(TEXT["walls_help"])
    shown = session.pop(_SHOWN_KEY, None)
    if shown:
        name, link = shown
        st.success(TEXT["walls_created"].format(name=markdown_literal(name)), icon=":material/key:")
        st.code(link, language=None, wrap_lines=True)
        st.caption(TEXT["walls_link_help"])
    configured = len(auth.wall_tokens())
    if configured:
        st.caption(TEXT["walls_config"].format(n=configured))
    try:
        tokens = wall_tokens.load()
    except wall_tokens.TokenFileError as exc:
        st.error(markdown_literal(exc), icon=":material/error:")
        try:
            wall_tokens.token_file()
        except wall_tokens.TokenFileError:
            return  # no file is named (the data in a bucket): nothing to delete
        with st.form("wall_tokens_reset"):
            if st.form_submit_button(TEXT["walls_reset"]):
                _apply(session, done_key, wall_tokens.reset, TEXT["walls_reset_done"])
        return
    if tokens:
        st.dataframe(tokens_frame(tokens), hide_index=True, width="stretch")
    else:
        st.caption(TEXT["walls_none"])
    with st.form("wall_token_new", clear_on_submit=True):
        name = st.text_input(TEXT["walls_name"], max_chars=wall_tokens.NAME_MAX_CHARS * 2)
        if st.form_submit_button(TEXT["walls_create"], icon=":material/add:"):
            try:
                stored, token = wall_tokens.create(name)
            except wall_tokens.TokenFileError as exc:
                st.error(markdown_literal(exc))
            else:
                session[_SHOWN_KEY] = (stored.name, wall_tokens.wall_link(filters.page_base_url("admin"), token))
                st.rerun()
    if not tokens:
        return
    labels = {t.token_id: f"{t.name} · {t.token_id} · {t.created.replace('T', ' ')}" for t in tokens}
    with st.form("wall_token_revoke"):
        chosen = st.selectbox(TEXT["walls_pick"], list(labels), format_func=labels.__getitem__)
        if st.form_submit_button(TEXT["walls_revoke"], icon=":material/key_off:"):

            def revoke() -> None:
                gone = wall_tokens.revoke(chosen or "")
                session[done_key] = [TEXT["walls_revoked"].format(name=markdown_literal(gone.name))]

            _apply(session, done_key, revoke, None)


def _apply(session: MutableMapping[str, Any], done_key: str, action, message: str | None) -> None:
    try:
        action()
    except wall_tokens.TokenFileError as exc:
        st.error(markdown_literal(exc))
        return
    if message:
        session[done_key] = [message]
    st.rerun()
