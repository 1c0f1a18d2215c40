"""数据管理 (staff only): the 待核 queue, the wall tokens, download the template, upload a file, see its
problems or the changes, import."""

import streamlit as st

from kpi.contract.schema import ContractError
from kpi.contract.storage import data_dir
from kpi.pipeline import ingest, spreadsheet, template
from kpi.web import admin
from kpi.web.admin import TEXT
from kpi.web.auth import LoginRefused, retry_text
from kpi.web.legacy_pages import ensure_in_app
from kpi.web.review import review_section
from kpi.web.wall_admin import wall_tokens_section

_DONE_KEY = "_kpi_admin_done"
_ROUND_KEY = "_kpi_admin_round"  # a new uploader after each import, so the next file starts clean

ensure_in_app()
st.title(TEXT["title"])
if not admin.admin_enabled():
    st.info(TEXT["disabled"], icon=":material/lock:")
    st.stop()

if not admin.is_unlocked(st.session_state):
    with st.form("admin_login"):
        password = st.text_input(TEXT["password"], type="password")
        submitted = st.form_submit_button(TEXT["login"])
    if submitted:
        try:
            if admin.unlock(st.session_state, password):
                st.rerun()
            st.error(TEXT["wrong_password"])
        except LoginRefused as refused:
            at, minutes = retry_text(refused.retry_at, admin.throttle().clock())
            st.error(TEXT["refused"].format(at=at, minutes=minutes))
    st.stop()

if st.button(TEXT["logout"], icon=":material/logout:"):
    admin.lock(st.session_state)
    st.rerun()
for message in st.session_state.pop(_DONE_KEY, []):
    st.success(message)

review_section(st.session_state, _DONE_KEY)
wall_tokens_section(st.session_state, _DONE_KEY)

st.subheader(TEXT["step_template"])
st.caption(TEXT["template_help"])
files = template.template_files()
if not files:
    st.warning(TEXT["template_missing"])
for column, (name, content, mime) in zip(st.columns(max(len(files), 1)), files, strict=False):
    column.download_button(name, content, file_name=name, mime=mime, icon=":material/download:")

st.subheader(TEXT["step_upload"])
upload_round = st.session_state.get(_ROUND_KEY, 0)
upload = st.file_uploader(TEXT["upload"], type=["xlsx", "csv"], key=f"admin_upload_{upload_round}")
if upload is None:
    st.stop()

with st.spinner(TEXT["checking"]):
    try:
        plan = admin.import_plan(upload.getvalue(), upload.name, data_dir())
    except admin.PlanFailed as exc:
        st.error(str(exc))
        st.stop()
for note in plan.notes:
    st.caption(note)
if not plan.ok:
    st.error(TEXT["problems"].format(n=len(plan.problems)))
    st.dataframe(spreadsheet.problems_frame(plan.problems), hide_index=True, width="stretch")
    st.stop()

st.subheader(TEXT["step_preview"])
for column, (label, value) in zip(
    st.columns(4),
    (
        (TEXT["added"], plan.count("added")),
        (TEXT["updated"], plan.count("updated")),
        (TEXT["unchanged"], plan.count("unchanged")),
        (TEXT["indicators"], plan.indicators_extracted),
    ),
    strict=True,
):
    column.metric(label, value)
if plan.warnings:
    st.warning(TEXT["warnings"] + "\n\n" + "\n".join(f"- {w}" for w in plan.warnings))
st.dataframe(ingest.changes_frame(plan), hide_index=True, width="stretch")
if not plan.has_changes:
    st.info(TEXT["nothing"])
    st.stop()

# The key names the file and the data it was checked against: if either changes
# after the preview, this is a new button and an earlier click does not count.
confirm_key = f"admin_confirm_{upload.file_id}_{plan.fingerprint[:16]}"
if st.button(TEXT["confirm"], type="primary", help=TEXT["confirm_help"], key=confirm_key):
    try:
        result = ingest.apply_import(plan)
    except ingest.StaleDataError as exc:
        st.error(str(exc))
        st.stop()
    except (OSError, ContractError) as exc:
        st.error(TEXT["write_failed"].format(reason=exc))
        st.stop()
    # No cache to clear: the next run of every page resolves the new version (caches are keyed on it).
    messages = [TEXT["done"].format(summary=ingest.summary(plan))]
    if result.history_entry:
        messages.append(TEXT["backup"].format(stamp=result.history_entry))
    st.session_state[_DONE_KEY] = messages
    st.session_state[_ROUND_KEY] = upload_round + 1
    st.rerun()
