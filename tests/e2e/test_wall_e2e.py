"""The wall screen (/wall) in real Chromium, served as production does with a viewer password and
a wall token, on a copy of the bundled data: the 1920×1080 canvas with nothing outside it and
big type, the at-risk goals on the first screen, rotation, a refresh when a new data version is
published during the test, the watermark on every screen, and the same canvas scaled to 4K."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Browser, Page

from kpi.contract.schema import Dataset
from kpi.contract.storage import read_dataset, write_dataset
from kpi.pipeline.ingest import apply_import, plan_import
from kpi.web import auth, wall, wall_tokens
from tests.support.apptest import ROOT
from tests.support.browser import SCREENSHOTS, wait_idle
from tests.support.datasets import HUZHOU_2023, IMPORT_HEADER, real_reports_csv
from tests.support.server import streamlit_server

pytestmark = pytest.mark.e2e

PASSWORD = "湖州-Viewer-e2e"
TOKEN = "e2e-wall-token-0123456789abcdefghijklmnop"
NEW_AS_OF = "2023-01-15"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("wall-e2e") / "data"
    write_dataset(read_dataset(ROOT / "data"), directory)
    return directory


@pytest.fixture(scope="module")
def wall_url(data_dir: Path) -> Iterator[str]:
    env = {"KPI_DATA_DIR": str(data_dir), auth.VIEWER_PASSWORD_ENV: PASSWORD, auth.WALL_TOKENS_ENV: TOKEN}
    with streamlit_server(env=env) as url:
        yield url


@pytest.fixture
def open_wall(browser: Browser, wall_url: str):
    contexts = []

    def _open(query: str, width: int = 1920, height: int = 1080) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{wall_url}/wall?{query}")
        wait_idle(page)
        return page

    yield _open
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    """The screen exactly as the wall shows it (the canvas is the viewport: no stretching)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# Geometry and type of what is on screen, measured by the browser.
LAYOUT_JS = """() => {
  const canvas = document.querySelector('.kpi-wall-canvas');
  const c = canvas.getBoundingClientRect();
  const body = canvas.querySelector('.kpi-wall-body').getBoundingClientRect();
  const shown = e => {
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0;
  };
  const scale = c.width / 1920;
  const result = {canvas: [c.left, c.top, c.width, c.height], scale, outsideCanvas: [], uncovered: [],
                  clipped: [], smallText: [], smallFigures: [], figures: 0, texts: 0};
  for (const e of document.body.querySelectorAll('*')) {
    if (!shown(e) || e.contains(canvas)) continue;
    const r = e.getBoundingClientRect();
    if (canvas.contains(e)) {
      if (r.left < c.left - 1 || r.top < c.top - 1 || r.right > c.right + 1 || r.bottom > c.bottom + 1)
        result.outsideCanvas.push(e.className || e.tagName);
      if (body.bottom && e.closest('.kpi-wall-body') && r.bottom > body.bottom + 1)
        result.clipped.push((e.textContent || '').slice(0, 40));
      continue;
    }
    // Anything else on the page must be behind the wall (covered by it) or off screen.
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
    const top = document.elementFromPoint(x, y);
    if (r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight && !(top && top.closest('.kpi-wall')))
      result.uncovered.push(e.getAttribute('data-testid') || e.className || e.tagName);
  }
  const walker = document.createTreeWalker(canvas, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!node.textContent.trim() || !shown(parent)) continue;
    result.texts++;
    const size = parseFloat(getComputedStyle(parent).fontSize) / scale;
    if (size < 20 - 0.01) result.smallText.push([node.textContent.trim().slice(0, 30), size]);
  }
  for (const e of canvas.querySelectorAll('.kpi-wall-figure')) {
    result.figures++;
    const size = parseFloat(getComputedStyle(e).fontSize) / scale;
    if (size < 32 - 0.01) result.smallFigures.push([e.textContent, size]);
  }
  // A title cut short: wider than its box (…), or a line more than it shows (the glyphs' own
  // overhang of a pixel or two is no cut).
  for (const e of canvas.querySelectorAll('.kpi-wall-goal-title'))
    if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + parseFloat(getComputedStyle(e).lineHeight) / 2)
      result.clipped.push(e.textContent.slice(0, 40));
  return result;
}"""


def assert_laid_out(page: Page, width: int, height: int) -> dict:
    layout = page.evaluate(LAYOUT_JS)
    assert layout["outsideCanvas"] == [] and layout["uncovered"] == [] and layout["clipped"] == []
    assert layout["smallText"] == [] and layout["smallFigures"] == []
    assert layout["texts"] > 10
    left, top, w, h = layout["canvas"]
    assert abs(w / h - 16 / 9) < 0.01 and (abs(w - width) < 1 or abs(h - height) < 1)  # fills one side
    assert abs(left - (width - w) / 2) < 1 and abs(top - (height - h) / 2) < 1  # centred
    for chrome in ("stSidebar", "stHeader", "stToolbar", "stStatusWidget", "stDecoration"):
        assert not page.locator(f"[data-testid={chrome}]").is_visible(), chrome
    marks = page.locator(".kpi-wall-mark")
    assert marks.count() == 12 and all(text.startswith("内部资料 ") for text in marks.all_inner_texts())
    return layout


def screen_index(page: Page) -> int:
    return int(page.locator(".kpi-wall").get_attribute("data-screen-index"))


def test_the_first_screen_fills_the_1920x1080_canvas_with_the_at_risk_goals(open_wall, data_dir: Path) -> None:
    page = open_wall(f"rotate=0&{auth.WALL_TOKEN_PARAM}={TOKEN}")
    page.locator(".kpi-wall-canvas").wait_for()
    assert page.locator("input[type=password]").count() == 0  # no login prompt on the wall
    layout = assert_laid_out(page, 1920, 1080)
    assert layout["canvas"] == [0, 0, 1920, 1080]
    assert layout["figures"] == 8  # the light tiles and the headline tiles
    goals = read_dataset(data_dir).goals
    at_risk = goals.filter(pl.col("light").is_in(["red", "yellow"]))
    assert at_risk.height
    for title in at_risk.get_column("title"):
        line = page.locator(".kpi-wall-goal-title", has_text=title)
        box = line.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 1080, title
    shot(page, "wall-1080-overview")


def test_every_other_page_still_asks_for_the_password(browser: Browser, wall_url: str) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{wall_url}/goals?{auth.WALL_TOKEN_PARAM}={TOKEN}")
    wait_idle(page)
    assert page.locator("input[type=password]").count() == 1
    assert page.locator(".kpi-wall-canvas").count() == 0
    page.goto(f"{wall_url}/wall")  # and the wall without its token
    wait_idle(page)
    assert page.locator("input[type=password]").count() == 1 and page.locator(".kpi-wall-canvas").count() == 0
    context.close()


def test_a_token_made_on_the_admin_page_is_revoked_on_the_running_walls_next_tick(open_wall, data_dir: Path) -> None:
    # The store the 数据管理 page writes (its page is tested in tests/web/test_wall_admin.py), at
    # the server's default place: beside current in its data directory.
    stored, token = wall_tokens.create("e2e 会议室", data_dir / wall_tokens.DEFAULT_FILE_NAME)
    page = open_wall(f"rotate=0&{auth.WALL_TOKEN_PARAM}={token}")
    page.evaluate(WATCH_JS)
    assert page.locator(".kpi-wall-canvas").count() == 1
    wall_tokens.revoke(stored.token_id, data_dir / wall_tokens.DEFAULT_FILE_NAME)
    page.locator("input[type=password]").wait_for(timeout=(wall.REFRESH_S + 20) * 1000)  # no restart, no reload
    wait_idle(page)
    assert page.locator(".kpi-wall-canvas").count() == 0
    assert page.evaluate("window.__kpiWallLoaded === true")  # the same page, not a reload


def test_the_wall_rotates_through_its_screens_each_laid_out_with_the_watermark(open_wall) -> None:
    rotate = wall.MIN_ROTATE_S + 1
    page = open_wall(f"rotate={rotate}&{auth.WALL_TOKEN_PARAM}={TOKEN}")
    page.evaluate("window.__kpiWallLoaded = true")
    count = int(page.locator(".kpi-wall").get_attribute("data-screens"))
    assert count >= 4
    seen: list[int] = []
    for _ in range(count + 1):
        page.wait_for_function(
            "seen => !seen.includes(+document.querySelector('.kpi-wall').dataset.screenIndex)",
            arg=seen,
            timeout=(rotate + 10) * 1000,
        )
        index = screen_index(page)
        seen.append(index)
        key = page.locator(".kpi-wall").get_attribute("data-screen")
        assert_laid_out(page, 1920, 1080)
        shot(page, f"wall-1080-screen-{index + 1}-{key}")
        if len(seen) == count:
            break
    assert seen == list(range(count))  # every screen, in turn, from the first
    assert page.evaluate("window.__kpiWallLoaded === true")  # no reload


def test_the_canvas_scales_to_a_4k_screen_and_letterboxes_other_shapes(open_wall) -> None:
    page = open_wall(f"rotate=0&{auth.WALL_TOKEN_PARAM}={TOKEN}", 3840, 2160)
    page.locator(".kpi-wall-canvas").wait_for()
    layout = assert_laid_out(page, 3840, 2160)
    assert layout["canvas"] == [0, 0, 3840, 2160] and layout["scale"] == 2
    title = page.locator(".kpi-wall-title")
    assert title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") == 92  # 46 canvas pixels × 2
    shot(page, "wall-2160-overview")
    page.set_viewport_size({"width": 1600, "height": 1200})  # 4:3: bands above and below
    page.wait_for_timeout(300)
    layout = assert_laid_out(page, 1600, 1200)
    assert layout["canvas"] == [0, 150, 1600, 900]


# Counts the moments the canvas is missing from the page (a flicker) or faded (stale elements).
WATCH_JS = """() => {
  window.__kpiWallLoaded = true;
  window.__kpiWallGaps = 0;
  window.__kpiWallFaded = 0;
  new MutationObserver(() => {
    const wall = document.querySelector('.kpi-wall');
    if (!wall) window.__kpiWallGaps++;
    else if (parseFloat(getComputedStyle(wall.closest('[data-stale]') || wall).opacity) < 1) window.__kpiWallFaded++;
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def test_a_published_data_version_appears_without_a_reload(open_wall, data_dir: Path) -> None:
    page = open_wall(f"rotate=0&{auth.WALL_TOKEN_PARAM}={TOKEN}")
    page.evaluate(WATCH_JS)
    red = page.locator("[data-tile=light_red] .kpi-wall-figure")
    before, version = int(red.inner_text()), page.locator(".kpi-wall").get_attribute("data-version")
    assert "2022-12" in page.locator(".kpi-wall-as-of").inner_text()
    # Publish a new version as an import does: a later as-of date and one more goal in red.
    data = read_dataset(data_dir)
    green = data.goals.filter(pl.col("light") == "green").get_column("goal_id")[0]
    goals = data.goals.with_columns(
        light=pl.when(pl.col("goal_id") == green).then(pl.lit("red")).otherwise(pl.col("light")),
        light_reason=pl.when(pl.col("goal_id") == green)
        .then(pl.lit("测试：新版本中此目标转为红灯"))
        .otherwise(pl.col("light_reason")),
    )
    periods = data.periods.with_columns(as_of=pl.lit(NEW_AS_OF))
    write_dataset(Dataset(**{**data.tables(), "goals": goals, "periods": periods}), data_dir)
    page.wait_for_function(
        "asOf => document.querySelector('.kpi-wall-as-of')?.textContent.includes(asOf)",
        arg=NEW_AS_OF,
        timeout=(wall.REFRESH_S + 20) * 1000,
    )
    wait_idle(page)
    assert int(red.inner_text()) == before + 1
    assert page.locator(".kpi-wall").get_attribute("data-version") != version
    assert page.evaluate("window.__kpiWallLoaded === true")  # refreshed in place, no reload
    assert page.evaluate("[window.__kpiWallGaps, window.__kpiWallFaded]") == [0, 0]  # no flicker
    assert_laid_out(page, 1920, 1080)
    shot(page, "wall-1080-after-publish")


def test_an_import_of_a_new_year_moves_a_wall_without_year_in_its_link(open_wall, data_dir: Path) -> None:
    """The link names no year or period: the wall follows the data to the newest one imported."""
    page = open_wall(f"rotate=0&{auth.WALL_TOKEN_PARAM}={TOKEN}")
    page.evaluate(WATCH_JS)
    assert "2022年度 全年" in page.locator(".kpi-wall-sub").inner_text()
    rows = [dict(zip(IMPORT_HEADER, row, strict=True)) for row in HUZHOU_2023]
    plan = plan_import(real_reports_csv(rows), "wall-2023.csv", data_dir)
    assert plan.ok, plan.problems
    apply_import(plan)
    page.wait_for_function(
        "() => document.querySelector('.kpi-wall-sub')?.textContent.includes('2023年度 上半年')",
        timeout=(wall.REFRESH_S + 20) * 1000,
    )
    wait_idle(page)
    assert page.evaluate("window.__kpiWallLoaded === true")
    assert page.evaluate("[window.__kpiWallGaps, window.__kpiWallFaded]") == [0, 0]
    # The 2023 上半年 goals: 市农业农村局's 惠农资金 is behind time (red), so it is listed first.
    first = page.locator(".kpi-wall-goal").first
    assert "市农业农村局" in first.inner_text() and "兑现惠农资金20亿元" in first.inner_text()
    assert_laid_out(page, 1920, 1080)
    shot(page, "wall-1080-after-import-2023")
