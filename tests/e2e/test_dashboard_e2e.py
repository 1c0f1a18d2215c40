"""End to end in real Chromium: pages load, charts draw, shared links reproduce the view, phones work."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from playwright.sync_api import Page

from kpi.web import i18n
from kpi.web.i18n import t
from tests.support.browser import screenshot, wait_idle

pytestmark = pytest.mark.e2e

PAGES = {
    "/": "overview",
    "/rankings": "rankings",
    "/targets": "targets",
    "/departments": "departments",
    "/goals": "goals",
}
CHART_PAGES = {"/", "/targets"}  # the rankings are sentences


def tiles(page: Page) -> dict[str, str]:
    labels = page.locator("[data-testid=stMetricLabel]").all_inner_texts()
    values = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    return dict(zip([label.strip() for label in labels], [v.strip() for v in values], strict=True))


def no_horizontal_overflow(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_loads_with_charts_and_no_exception(open_page, path: str) -> None:
    page = open_page(path)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("h1").first.inner_text().strip() == t(f"page_{PAGES[path]}")
    assert (
        "湖州市2022年度市直部门目标任务完成情况" in page.locator("[data-testid=stCaptionContainer]").first.inner_text()
    )
    if path in CHART_PAGES:
        charts = page.locator("[data-testid=stVegaLiteChart]")
        charts.first.wait_for(state="visible")
        assert charts.count() >= 1
        # Vega has drawn something (a canvas or svg with size), not an empty box.
        assert charts.first.bounding_box()["height"] > 100
    screenshot(page, f"desktop-{PAGES[path]}")


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_fits_a_phone(open_page, path: str) -> None:
    page = open_page(path, width=390, height=844)
    assert page.locator("[data-testid=stException]").count() == 0
    assert no_horizontal_overflow(page)
    screenshot(page, f"phone-{PAGES[path]}")


def test_overview_on_a_phone_shows_the_tiles(open_page, goals: pl.DataFrame) -> None:
    page = open_page("/", width=390, height=844)
    shown = tiles(page)
    assert shown[t("tile_goals")] == str(goals.height)
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= 1
    assert no_horizontal_overflow(page)


def _choose(page: Page, label: str, option: str) -> None:
    """Pick an option in a sidebar multiselect the way a person does."""
    box = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text=label).first
    box.click()
    page.keyboard.type(option)
    page.locator("[role=option]").filter(has_text=option).first.click()
    page.keyboard.press("Escape")
    wait_idle(page)


def test_a_shared_link_reproduces_the_filtered_view_in_a_fresh_browser(
    open_page, goals: pl.DataFrame, year: int
) -> None:
    dept = goals.sort("sort_order").row(0, named=True)
    page = open_page("/rankings")
    _choose(page, t("departments"), dept["dept_name"])
    _choose(page, t("status"), i18n.STATUS_LABELS["zh"]["achieved"])
    search = page.locator("[data-testid=stSidebar] input[type=search]").last
    search.fill("亿元")
    search.press("Enter")
    wait_idle(page)
    page.get_by_role("link", name=t("page_overview")).click()
    # The click's run may not have started when wait_idle first looks: wait for the new page.
    page.locator("h1").filter(has_text=t("page_overview")).first.wait_for()
    page.locator("[data-testid=stMetricLabel]").first.wait_for()
    wait_idle(page)
    before = tiles(page)
    assert before[t("tile_goals")] != str(goals.height)

    # The address bar carries the codes (filters survived the page switch).
    query = parse_qs(urlsplit(page.url).query)
    assert query["dept"] == [dept["dept_id"]] and query["status"] == ["achieved"] and query["q"] == ["亿元"]

    page.get_by_role("button", name=t("share_show")).click()
    link = page.locator("[data-testid=stPopoverBody] code").inner_text().strip()
    shared = parse_qs(urlsplit(link).query)
    assert shared["year"] == [str(year)]
    assert shared["dept"] == [dept["dept_id"]]

    parts = urlsplit(link)
    assert parts.hostname == "127.0.0.1"  # the app's own address, from the browser
    fresh = open_page(f"{parts.path or '/'}?{parts.query}")
    assert fresh.locator("[data-testid=stException]").count() == 0
    assert tiles(fresh) == before
    chips = fresh.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").all_inner_texts()
    assert any(dept["dept_name"] in chip for chip in chips)


def test_clicking_a_department_in_a_chart_filters_to_it(open_page, goals: pl.DataFrame) -> None:
    page = open_page("/")
    chart = page.locator("[data-testid=stVegaLiteChart]").first  # the status mix, worst first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    # The first (longest) bar is the top row: click its middle.
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + 17)
    wait_idle(page)
    query = parse_qs(urlsplit(page.url).query)
    assert len(query.get("dept", [])) == 1
    chosen = goals.filter(pl.col("dept_id") == query["dept"][0])
    assert tiles(page)[t("tile_goals")] == str(chosen.height)
