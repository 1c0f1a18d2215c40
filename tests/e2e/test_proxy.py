"""The dashboard (one replica) behind Debian's nginx under /dashboard/, with
deploy/nginx-kpi-dashboard.conf as shipped (tests/support/proxy.py starts it).

nginx and Streamlit both run on free 127.0.0.1 ports. Chromium goes through the proxy only.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from playwright.sync_api import Browser, Page

from kpi.contract.schema import TABLES
from kpi.contract.storage import table_path
from kpi.web import admin, auth
from kpi.web.i18n import t
from tests.support.browser import wait_idle
from tests.support.proxy import BASE_PATH, NGINX, nginx
from tests.support.server import streamlit_server

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "proxy-管理-2023"


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory: pytest.TempPathFactory, seed_files: Path) -> Path:
    directory = tmp_path_factory.mktemp("proxy-data")
    for name in TABLES:
        shutil.copy(table_path(seed_files, name), table_path(directory, name))
    return directory


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, data_copy: Path, browser: Browser) -> Iterator[tuple[str, Path]]:
    """(public URL of the dashboard through nginx, nginx's directory)."""
    env = {"KPI_DATA_DIR": str(data_copy), admin.PASSWORD_ENV: ADMIN_PASSWORD, auth.VIEWER_PASSWORD_ENV: ""}
    with streamlit_server(env=env, args=[f"--server.baseUrlPath={BASE_PATH}"]) as direct:
        upstream = urlsplit(direct).netloc
        directory = tmp_path_factory.mktemp("nginx")
        with nginx(directory, [upstream]) as url:
            # One visit first: the very first deep link a fresh process serves gets Streamlit's
            # "Page not found" dialog from its legacy pages/ mode (with or without a proxy;
            # reported to the lead). The proxy is what these tests are about.
            context = browser.new_context()
            warm_up = context.new_page()
            warm_up.goto(f"{url}/{BASE_PATH}/")
            wait_idle(warm_up)
            context.close()
            yield f"{url}/{BASE_PATH}", directory


@pytest.fixture
def through_proxy(browser: Browser, proxy: tuple[str, Path]) -> Iterator:
    contexts = []

    def _open(path: str) -> Page:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.goto(proxy[0] + path)
        wait_idle(page)
        return page

    yield _open
    for context in contexts:
        context.close()


def tiles(page: Page) -> dict[str, str]:
    labels = page.locator("[data-testid=stMetricLabel]").all_inner_texts()
    values = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    return dict(zip([label.strip() for label in labels], [v.strip() for v in values], strict=True))


def test_health_is_reachable_through_the_proxy(proxy: tuple[str, Path]) -> None:
    with urllib.request.urlopen(f"{proxy[0]}/_stcore/health", timeout=5) as response:
        assert response.status == 200
        assert response.read().decode().strip() == "ok"


def test_the_bare_sub_path_redirects_relative(proxy: tuple[str, Path]) -> None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(proxy[0], timeout=5)
    assert redirect.value.code == 301
    assert redirect.value.headers["Location"] == f"/{BASE_PATH}/"


def test_the_template_keeps_websockets_open_for_a_day(proxy: tuple[str, Path]) -> None:
    """What nginx actually loaded (nginx -T), not just what the file says."""
    directory = proxy[1]
    dumped = subprocess.run(
        [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log"), "-T"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    location = dumped[dumped.index(f"location /{BASE_PATH}/ {{") :]
    location = location[: location.index("}")]
    for directive in ("proxy_read_timeout", "proxy_send_timeout"):
        seconds = int(re.search(rf"{directive} (\d+)s;", location).group(1))
        assert seconds >= 8 * 3600
    assert "proxy_set_header Upgrade $http_upgrade;" in location
    assert "proxy_set_header Connection $connection_upgrade;" in location


def test_a_shared_link_with_filters_works_through_the_proxy(
    through_proxy, proxy: tuple[str, Path], goals: pl.DataFrame, year: int
) -> None:
    chosen = goals.filter((pl.col("dept_id") == "economy_it") & (pl.col("status") == "at_risk"))
    page = through_proxy("/goals?dept=economy_it&status=at_risk")
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("h1").first.inner_text().strip() == t("page_goals")
    captions = " ".join(page.locator("[data-testid=stCaptionContainer]").all_inner_texts())
    assert f"共 {chosen.height} 条目标" in captions

    # The share link names the proxy's address and sub-path.
    page.get_by_role("button", name=t("share_show")).click()
    link = page.locator("[data-testid=stPopoverBody] code").inner_text().strip()
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{proxy[0]}/goals"
    assert parse_qs(parts.query) == {
        "year": [str(year)],
        "period": ["FY"],
        "dept": ["economy_it"],
        "status": ["at_risk"],
    }

    fresh = through_proxy(f"/goals?{parts.query}")
    captions = " ".join(fresh.locator("[data-testid=stCaptionContainer]").all_inner_texts())
    assert f"共 {chosen.height} 条目标" in captions

    # Moving to another page keeps the sub-path and the filters.
    fresh.get_by_role("link", name=t("page_overview")).click()
    # The overview's own title first: until its run starts, the page still reads idle on the goals.
    fresh.wait_for_function(
        "title => document.querySelector('h1')?.innerText.trim() === title", arg=t("page_overview"), timeout=30_000
    )
    wait_idle(fresh)
    assert urlsplit(fresh.url).path.startswith(f"/{BASE_PATH}")
    assert tiles(fresh)[t("tile_goals")] == str(chosen.height)

    # The page's WebSocket went through nginx (101 Switching Protocols).
    log = (proxy[1] / "access.log").read_text()
    assert re.search(rf'"GET /{BASE_PATH}/_stcore/stream[^"]*" 101 ', log)


def test_an_upload_on_the_admin_page_passes_xsrf_through_the_proxy(through_proxy, tmp_path: Path) -> None:
    """XSRF protection is on: the upload must carry Streamlit's token through nginx."""
    page = through_proxy("/admin")
    page.get_by_label(admin.TEXT["password"]).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=admin.TEXT["login"]).click()
    wait_idle(page)
    upload = tmp_path / "目标完成情况2023.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["年度", "部门", "序号", "目标任务", "完成情况", "状态", "主题"])
    narrative = "全年规上工业增加值同比增长8.6%，增速居全省第2位。"
    writer.writerow(["2023", "市经信局", "1", "规上工业增加值同比增长8%", narrative, "", ""])
    upload.write_text(buffer.getvalue(), encoding="utf-8")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(upload))
    page.get_by_text(admin.TEXT["step_preview"]).wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert tiles(page)[admin.TEXT["added"]] == "1"


# --- the template's limits and headers --------------------------------------------------------------


def request(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers or {})) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_pages_may_not_be_framed_by_another_site(proxy: tuple[str, Path]) -> None:
    for path in ("/", "/_stcore/health", "/goals"):
        status, headers = request(proxy[0] + path)
        assert status == 200, path
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_metrics_endpoint_is_closed(proxy: tuple[str, Path]) -> None:
    assert request(f"{proxy[0]}/_stcore/metrics")[0] == 404
    assert request(f"{proxy[0]}/_stcore/metrics?x=1")[0] == 404


def test_uploads_are_capped_in_size_and_rate_and_their_urls_not_logged(proxy: tuple[str, Path]) -> None:
    upload = f"{proxy[0]}/_stcore/upload_file/{'0' * 36}/file"
    # Larger than the cap: nginx answers 413 without passing the body on.
    status, _ = request(upload, "PUT", b"x" * (21 * 1024 * 1024), {"Content-Type": "application/octet-stream"})
    assert status == 413
    # A flood of (small) uploads from one client is cut off after the burst.
    statuses = [request(upload, "PUT", b"x", {"Content-Type": "application/octet-stream"})[0] for _ in range(12)]
    assert 429 in statuses and statuses.count(429) >= 12 - 6
    # Other requests still carry at most 1 MB.
    assert request(f"{proxy[0]}/_stcore/health", "POST", b"x" * (2 * 1024 * 1024))[0] == 413
    log = (proxy[1] / "access.log").read_text()
    assert "upload_file" not in log
