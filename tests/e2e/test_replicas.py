"""Two replicas of the dashboard (``python -m kpi.serve`` twice, one data directory) behind
Debian's nginx with deploy/nginx-kpi-dashboard.conf as shipped, driven by Chromium.

Which replica answered a request is read from nginx's access log (``upstream=`` and the
browser's ``replica=`` cookie, tests/support/proxy.py); nginx logs a WebSocket when it
closes, so a test closes its browser before it reads where the WebSocket went. The tests
run in file order: the last one stops a replica with SIGTERM.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import signal
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from kpi.contract.storage import read_dataset, table_path, write_dataset
from kpi.web import admin, auth
from kpi.web.i18n import t
from kpi.web.queries import VERSION_POLL_SECONDS
from tests.support.browser import screenshot, wait_idle
from tests.support.proxy import BASE_PATH, nginx
from tests.support.server import Server

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "replicas-管理-2023"
COOKIE = "kpi_replica"
LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ upstream=(?P<upstream>\S*) replica=(?P<cookie>\S*)'
)


@dataclass
class Cluster:
    url: str  # the public URL through nginx, with the sub-path
    nginx_dir: Path
    replicas: dict[str, Server]  # host:port -> server
    data: Path

    def log(self) -> list[dict[str, str]]:
        text = (self.nginx_dir / "access.log").read_text(encoding="utf-8", errors="replace")
        return [match.groupdict() for match in LOG_LINE.finditer(text)]

    def upstreams_of(self, cookie: str, path_part: str = "") -> list[str]:
        """The replicas that answered the requests carrying this replica cookie (the last
        address nginx tried: the one that answered)."""
        return [
            line["upstream"].split(", ")[-1]
            for line in self.log()
            if line["cookie"] == cookie and path_part in line["path"]
        ]

    def streams_of(self, cookie: str, count: int = 1) -> list[str]:
        """The replicas the WebSockets with this cookie went to, once nginx has logged ``count``
        of them (it logs one when it has closed)."""
        deadline = time.monotonic() + 20
        while len(streams := self.upstreams_of(cookie, "/_stcore/stream")) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return streams

    def cookie_for(self, replica: str) -> str:
        """A replica cookie that nginx sends to ``replica``: found by asking, as a browser would."""
        for _ in range(64):
            cookie = secrets.token_hex(16)
            request = urllib.request.Request(f"{self.url}/_stcore/health", headers={"Cookie": f"{COOKIE}={cookie}"})
            urllib.request.urlopen(request, timeout=10).close()
            if self.upstreams_of(cookie) == [replica]:
                return cookie
        raise AssertionError(f"no cookie found that nginx sends to {replica}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, seed_files: Path) -> Iterator[Cluster]:
    data = tmp_path_factory.mktemp("replica-data")
    write_dataset(read_dataset(seed_files), data)
    env = {admin.PASSWORD_ENV: ADMIN_PASSWORD, auth.VIEWER_PASSWORD_ENV: ""}
    servers = [Server(data_dir=data, env=env, args=[f"--server.baseUrlPath={BASE_PATH}"]) for _ in range(2)]
    try:
        for server in servers:
            server.wait_healthy()
        replicas = {f"127.0.0.1:{server.port}": server for server in servers}
        directory = tmp_path_factory.mktemp("nginx-replicas")
        with nginx(directory, list(replicas)) as url:
            yield Cluster(f"{url}/{BASE_PATH}", directory, replicas, data)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def contexts(browser: Browser) -> Iterator:
    opened: list[BrowserContext] = []

    def _new(cluster: Cluster, cookie: str | None = None) -> BrowserContext:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        if cookie:
            context.add_cookies([{"name": COOKIE, "value": cookie, "url": cluster.url + "/"}])
        opened.append(context)
        return context

    yield _new
    for context in opened:
        context.close()


def open_path(context: BrowserContext, cluster: Cluster, path: str) -> Page:
    page = context.new_page()
    page.goto(cluster.url + path)
    wait_idle(page)
    return page


def replica_cookie(context: BrowserContext) -> str:
    [cookie] = [c["value"] for c in context.cookies() if c["name"] == COOKIE]
    return cookie


def tiles(page: Page) -> dict[str, str]:
    labels = page.locator("[data-testid=stMetricLabel]").all_inner_texts()
    values = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    return dict(zip([label.strip() for label in labels], [v.strip() for v in values], strict=True))


def assert_no_error(page: Page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.get_by_text(t("data_error_title")).count() == 0
    assert page.get_by_text("Connection error").count() == 0
    assert page.get_by_text("Page not found").count() == 0


def test_a_shared_link_works_on_either_replica(cluster: Cluster, contexts) -> None:
    goals = pl.read_parquet(table_path(cluster.data, "goals"))
    year = int(goals["year"].max())
    chosen = goals.filter(
        (pl.col("year") == year) & (pl.col("dept_id") == "economy_it") & (pl.col("status") == "at_risk")
    )
    for replica in cluster.replicas:
        cookie = cluster.cookie_for(replica)
        page = open_path(contexts(cluster, cookie), cluster, "/goals?dept=economy_it&status=at_risk")
        assert_no_error(page)
        assert page.locator("h1").first.inner_text().strip() == t("page_goals")
        captions = " ".join(page.locator("[data-testid=stCaptionContainer]").all_inner_texts())
        assert f"共 {chosen.height} 条目标" in captions
        # The page's WebSocket was opened on that replica, through nginx.
        page.context.close()
        streams = cluster.streams_of(cookie)
        assert streams and set(streams) == {replica}


def test_a_session_stays_on_its_replica(cluster: Cluster, contexts) -> None:
    context = contexts(cluster)  # no cookie: nginx gives one
    page = open_path(context, cluster, "/")
    cookie = replica_cookie(context)
    assert re.fullmatch(r"[0-9a-f]{32}", cookie)
    for name in ("page_goals", "page_rankings", "page_departments", "page_overview"):
        page.get_by_role("link", name=t(name)).click()
        # The click's run may not have started when the page first looks idle: wait for its title.
        page.locator("h1").filter(has_text=t(name)).first.wait_for(timeout=30_000)
        wait_idle(page)
        assert_no_error(page)
        assert page.locator("h1").first.inner_text().strip() == t(name)
    page.reload()
    wait_idle(page)
    context.close()
    answered = cluster.upstreams_of(cookie)
    assert len(answered) >= 3  # the page, its assets, the health check, the WebSocket (twice: reload)
    assert len(set(answered)) == 1 and answered[0] in cluster.replicas
    assert len(cluster.streams_of(cookie, 2)) == 2


def csv_with_one_new_goal(year: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["年度", "部门", "序号", "目标任务", "完成情况", "状态", "主题"])
    narrative = "全年新增数字化车间15个，完成率150%。"
    writer.writerow([str(year), "市经信局", "97", "新增数字化车间10个", narrative, "", ""])
    return buffer.getvalue().encode("utf-8")


def test_an_import_through_one_replica_shows_on_an_open_page_of_the_other(
    cluster: Cluster, contexts, tmp_path: Path
) -> None:
    first, second = cluster.replicas
    goals = pl.read_parquet(table_path(cluster.data, "goals"))
    year = int(goals["year"].max())
    before = goals.filter(pl.col("year") == year).height

    # A viewer on the second replica leaves the overview open, untouched.
    viewer = open_path(contexts(cluster, cluster.cookie_for(second)), cluster, "/")
    assert tiles(viewer)[t("tile_goals")] == str(before)

    # Staff import through the first replica.
    staff = open_path(contexts(cluster, cluster.cookie_for(first)), cluster, "/admin")
    staff.get_by_label(admin.TEXT["password"]).fill(ADMIN_PASSWORD)
    staff.get_by_role("button", name=admin.TEXT["login"]).click()
    wait_idle(staff)
    upload = tmp_path / f"目标完成情况{year}.csv"
    upload.write_bytes(csv_with_one_new_goal(year))
    staff.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(upload))
    staff.get_by_text(admin.TEXT["step_preview"]).wait_for(timeout=30_000)
    wait_idle(staff)
    assert tiles(staff)[admin.TEXT["added"]] == "1"
    staff.get_by_role("button", name=admin.TEXT["confirm"]).click()
    staff.get_by_text("导入完成").wait_for(timeout=30_000)
    assert set(cluster.upstreams_of(replica_cookie(staff.context), "/_stcore/")) == {first}

    # The second replica's open page follows by itself (its poll), without a reload.
    goals_tile = viewer.locator("[data-testid=stMetric]").filter(has_text=t("tile_goals"))
    goals_tile.locator("[data-testid=stMetricValue]").filter(has_text=str(before + 1)).wait_for(
        timeout=int((VERSION_POLL_SECONDS * 4 + 10) * 1000)
    )
    wait_idle(viewer)
    assert_no_error(viewer)
    screenshot(viewer, "replicas-import-shown-by-the-other-replica")
    viewer_cookie = replica_cookie(viewer.context)
    viewer.context.close()
    assert set(cluster.streams_of(viewer_cookie)) == {second}


def test_stopping_a_replica_sends_new_sessions_to_the_other(cluster: Cluster, contexts) -> None:
    stopped, remaining = cluster.replicas
    cookie = cluster.cookie_for(stopped)
    # An open session on the replica that is about to stop.
    open_before = open_path(contexts(cluster, cookie), cluster, "/rankings")

    server = cluster.replicas[stopped]
    server.process.send_signal(signal.SIGTERM)  # as systemctl stop does
    assert server.process.wait(timeout=30) is not None

    # New sessions, one of them with a cookie that named the stopped replica.
    for new_cookie in (cookie, None):
        context = contexts(cluster, new_cookie)
        page = open_path(context, cluster, "/goals?dept=economy_it")
        assert_no_error(page)
        assert page.locator("h1").first.inner_text().strip() == t("page_goals")
        given = replica_cookie(context)
        context.close()
        assert cluster.streams_of(given, 2 if new_cookie else 1)[-1] == remaining
    # The session that was open reconnects to the remaining replica and shows its page again.
    wait_idle(open_before, timeout_ms=60_000)
    open_before.locator("h1").first.wait_for(timeout=30_000)
    assert open_before.locator("h1").first.inner_text().strip() == t("page_rankings")
    assert_no_error(open_before)
    open_before.context.close()
    assert cluster.streams_of(cookie, 3)[-1] == remaining
