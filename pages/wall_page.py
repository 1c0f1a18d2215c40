"""大屏 (/wall): the wall screen — a fixed 1920×1080 canvas rotating through the problems-first
screens (kpi/web/wall.py), the same filters as every page plus ``rotate=SECONDS``."""

import streamlit as st

from kpi.web import wall
from kpi.web.shell import WALL_IGNORED_KEY, page_context

f, lang = page_context()
wall.render(f, lang, st.session_state.get(WALL_IGNORED_KEY, []))
