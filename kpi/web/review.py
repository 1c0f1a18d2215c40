"""The 待核 review queue on the 数据管理 page: pick a figure, read its sentence, decide."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from kpi.contract.schema import ContractError
from kpi.contract.storage import data_dir
from kpi.contract.vocab import PERIOD_LABELS_ZH
from kpi.pipeline import review
from kpi.pipeline.curation import CurationError
from kpi.web import markup, queries
from kpi.web.admin import TEXT


def review_section(session: MutableMapping[str, Any], done_key: str) -> None:
    """The queue of low-confidence figures and a form to confirm, rename, correct or drop one."""
    try:
        queue = review.review_queue(data_dir())
    except (OSError, ContractError) as exc:
        st.error(TEXT["review_unreadable"].format(reason=exc))
        return
    st.subheader(TEXT["step_review"].format(n=len(queue)))
    if not queue:
        st.caption(TEXT["review_empty"])
        return
    st.caption(TEXT["review_help"])
    labels = {
        item.indicator_id: f"{item.year} {PERIOD_LABELS_ZH[item.period]} · {item.dept_name} · 目标{item.seq}：{item.name} {item.value_text}"
        for item in queue
    }
    chosen = st.selectbox(TEXT["review_pick"], list(labels), format_func=labels.__getitem__, key="review_pick")
    item = next(i for i in queue if i.indicator_id == chosen)
    st.warning(TEXT["review_why_low"].format(reason=item.reason), icon=":material/help:")
    st.html(f'<blockquote class="kpi-review">{markup.highlight_figures(item.sentence, [item.value_text])}</blockquote>')
    actions = {key: TEXT[f"review_{key}"] for key in review.ACTIONS}
    with st.form(f"review_{item.indicator_id}"):
        action = st.radio(TEXT["review_action"], list(actions), format_func=actions.__getitem__, horizontal=True)
        value = st.text_input(TEXT["review_value"], help=TEXT["review_value_help"])
        reason = st.text_input(TEXT["review_reason"])
        submitted = st.form_submit_button(TEXT["review_submit"])
    if not submitted:
        return
    try:
        message = review.decide(data_dir(), item.indicator_id, action, value, reason)
    except (review.ReviewError, CurationError) as exc:
        st.error(str(exc))
        return
    except (OSError, ContractError) as exc:
        st.error(TEXT["write_failed"].format(reason=exc))
        return
    queries.clear_caches()
    session[done_key] = [message]
    st.rerun()
