"""A real Streamlit server on a free 127.0.0.1 port and a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import launch, wait_idle
from tests.support.server import streamlit_server


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Browser, server_url: str):
    """Open a path of the app in a fresh browser context and wait until Streamlit is idle."""
    contexts = []

    def _open(path: str = "/", width: int = 1440, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.goto(server_url + path)
        wait_idle(page)
        return page

    yield _open
    for context in contexts:
        context.close()
