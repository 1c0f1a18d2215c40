"""The running year in real Chromium on a multi-period data set (the bundled data, the real
multi-period reports and three 2023 Huzhou goals, imported as staff do): the period selector,
lights as text, the progress marker, and a shared link with ``period`` reproducing the view."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from kpi.web import i18n
from kpi.web.i18n import t
from tests.support.apptest import ROOT
from tests.support.browser import screenshot, wait_idle
from tests.support.datasets import multi_period_data
from tests.support.server import streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def multi_url(tmp_path_factory) -> Iterator[str]:
    data = multi_period_data(tmp_path_factory.mktemp("multi-e2e") / "data", ROOT / "data")
    with streamlit_server(env={"KPI_DATA_DIR": str(data)}) as url:
        yield url


@pytest.fixture
def open_multi(browser: Browser, multi_url: str):
    contexts = []

    def _open(path: str) -> Page:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.goto(multi_url + path)
        wait_idle(page)
        return page

    yield _open
    for context in contexts:
        context.close()


def light_tiles(page: Page) -> dict[str, str]:
    labels = page.locator("[data-testid=stMetricLabel]").all_inner_texts()
    values = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    icons = tuple(i18n.LIGHT_ICONS.values())
    return {
        label.strip(): value.strip()
        for label, value in zip(labels, values, strict=True)
        if label.strip().startswith(icons)
    }


def test_lights_are_visible_as_text_and_the_period_is_chosen_in_the_sidebar(open_multi) -> None:
    page = open_multi("/?year=2023&period=H1")
    assert page.locator("[data-testid=stException]").count() == 0
    box = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text=t("period")).first
    assert "上半年" in (box.text_content() or "") + box.locator("input").first.input_value()
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "滞后于时序进度" in body and "达到时序进度" in body
    assert "兑现惠农资金7亿元，为全年目标20亿元的35%，时序进度50%" in body
    assert "时序进度 50%" in page.locator("[data-testid=stCaptionContainer]").first.inner_text()
    shown = light_tiles(page)
    assert set(shown) == {i18n.light_label(x, "H1") for x in ("red", "yellow", "green", "none")}
    # The legend's rules are drawn once opened, with the thresholds of the data (10 points for amounts).
    legend = page.locator("[data-testid=stExpander]").filter(has_text=t("light_legend_title"))
    assert "个百分点" not in legend.inner_text()
    legend.locator("summary").click()
    wait_idle(page)
    assert "低于时序进度不超过 10 个百分点" in legend.inner_text()
    screenshot(page, "periods-overview-h1")


def test_the_progress_view_draws_the_time_progress_marker(open_multi) -> None:
    page = open_multi("/targets?year=2023&period=H1")
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    chart.wait_for(state="visible")
    chart.locator("svg").first.wait_for()
    # The dashed rule at 时序进度 and its label are drawn, and each row's label ends with value / target.
    assert chart.locator("g.mark-rule path, g.mark-rule line").count() >= 1
    texts = [text.text_content() for text in chart.locator("svg text").all()]
    assert t("progress_marker") in texts
    assert any(text.endswith("55亿元 / 100亿元") for text in texts)
    assert any(text.endswith("7亿元 / 20亿元") for text in texts)
    screenshot(page, "periods-progress-h1")


def test_a_shared_link_with_period_reproduces_the_view(open_multi) -> None:
    page = open_multi("/?year=2023")
    # Choose 一季度 in the period box, as a person does.
    box = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text=t("period")).first
    box.click()
    page.locator("[role=option]").filter(has_text="一季度").first.click()
    wait_idle(page)
    page.locator("[data-testid=stCaptionContainer]").filter(has_text="一季度").first.wait_for()
    assert parse_qs(urlsplit(page.url).query).get("period") == ["Q1"]
    before = light_tiles(page)
    page.get_by_role("button", name=t("share_show")).click()
    link = page.locator("[data-testid=stPopoverBody] code").inner_text().strip()
    shared = parse_qs(urlsplit(link).query)
    assert shared["year"] == ["2023"] and shared["period"] == ["Q1"]
    parts = urlsplit(link)
    fresh = open_multi(f"{parts.path or '/'}?{parts.query}")
    assert fresh.locator("[data-testid=stException]").count() == 0
    assert light_tiles(fresh) == before
    assert "一季度" in fresh.locator("[data-testid=stCaptionContainer]").first.inner_text()
    assert "略低于时序进度" in fresh.locator("[data-testid=stMain]").inner_text()  # 交通投资 22% at 25%
