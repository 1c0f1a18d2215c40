"""The first visitor of a freshly started server may arrive through any shared link.

A folder named pages/ makes a fresh Streamlit process start in its legacy
multipage mode until the first st.navigation call; these tests start a new
server for each case so that the link really is the first request it serves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Browser, Page

from kpi.web.i18n import t
from tests.support.browser import wait_idle
from tests.support.server import ROOT, Server, streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def first_visit(browser: Browser) -> Iterator:
    contexts = []

    def _visit(path: str, plain_streamlit: bool = False) -> Page:
        server = streamlit_server(plain_streamlit=plain_streamlit)
        url = server.__enter__()
        servers.append(server)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.goto(url + path)
        wait_idle(page)
        return page

    servers: list = []
    yield _visit
    for context in contexts:
        context.close()
    for server in servers:
        server.__exit__(None, None, None)


def test_a_filtered_deep_link_is_the_first_request(first_visit, goals: pl.DataFrame) -> None:
    expected = goals.filter((pl.col("dept_id") == "economy_it") & pl.col("status").is_in(["at_risk"])).height
    page = first_visit("/goals?dept=economy_it&status=at_risk")
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("h1").first.inner_text().strip() == t("page_goals")
    assert f"共 {expected} 条目标" in page.locator("[data-testid=stCaptionContainer]").all_inner_texts().__str__()
    # The app's sidebar filters are there: the page ran inside app.py, not on its own.
    assert page.locator("[data-testid=stSidebar]").get_by_text(t("clear_filters")).count() == 1
    # kpi.serve starts the process out of legacy mode: no "Page not found" dialog.
    assert page.locator("[role=dialog]").count() == 0


def test_plain_streamlit_run_still_opens_the_linked_page(first_visit, goals: pl.DataFrame) -> None:
    """Community Cloud runs `streamlit run app.py`: the first deep link of a fresh process
    gets Streamlit's "Page not found" dialog (legacy pages/ mode), but the right page and
    filters under it."""
    page = first_visit("/goals?dept=economy_it", plain_streamlit=True)
    expected = goals.filter(pl.col("dept_id") == "economy_it").height
    assert page.locator("h1").first.inner_text().strip() == t("page_goals")
    assert f"共 {expected} 条目标" in str(page.locator("[data-testid=stCaptionContainer]").all_inner_texts())


def test_a_page_file_name_as_first_request_still_runs_inside_the_app(first_visit) -> None:
    page = first_visit("/rankings_page")
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stSidebar]").get_by_text(t("clear_filters")).count() == 1


def log_line(server: Server, start: str, timeout_s: float = 60) -> str:
    """The first line of the server's console output that starts with ``start``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in server.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(start):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no line starting {start!r} in {server.log_path}")


def test_the_server_loads_the_data_before_anyone_visits(tmp_path: Path) -> None:
    with Server(data_dir=ROOT / "data", log=tmp_path / "server.log") as server:
        server.wait_healthy()
        line = log_line(server, "数据已载入内存：")
    # The version in force, by name, and how long it took.
    assert (ROOT / "data" / "current").resolve().name in line
    assert line.endswith("毫秒）")


def test_a_server_without_data_starts_and_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with Server(data_dir=empty, log=tmp_path / "server.log") as server:
        server.wait_healthy()
        assert "打开页面时再试并说明原因" in log_line(server, "数据未能预先载入")
        assert server.process.poll() is None
