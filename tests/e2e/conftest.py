"""A real Streamlit server on a free 127.0.0.1 port and a real headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("KPI_SCREENSHOT_DIR", "/tmp/kpi-e2e-screenshots"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(
    env: dict[str, str] | None = None, args: list[str] | None = None, plain_streamlit: bool = False
) -> Iterator[str]:
    """Start the dashboard the way the README does (``python -m kpi.serve``), or with plain
    ``streamlit run app.py`` as Community Cloud does, on a free loopback port; yield its URL."""
    port = _free_port()
    launcher = ["streamlit", "run", str(ROOT / "app.py")] if plain_streamlit else ["kpi.serve"]
    command = [
        sys.executable, "-m", *launcher,
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *(args or []),
    ]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"kpi-e2e-streamlit-{port}.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    base_path = next((a.split("=", 1)[1] for a in (args or []) if a.startswith("--server.baseUrlPath=")), "")
    url = f"http://127.0.0.1:{port}" + (f"/{base_path.strip('/')}" if base_path else "")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Streamlit did not start; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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


def wait_idle(page: Page) -> None:
    """Wait the way Streamlit's own tests do: connected, script finished, no skeletons."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=30_000)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=30_000)
    page.wait_for_function("!document.querySelector('[data-testid=stSkeleton]')", timeout=30_000)


def screenshot(page: Page, name: str) -> None:
    """Save the whole page for people to look at (Streamlit scrolls inside its main area,
    so the viewport is stretched to the content first)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stSidebarContent]')]"
        ".map(e => e.scrollHeight), window.innerHeight)"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height), 12_000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(size)
