"""「下载简报」 in real Chromium: on the overview and on the department page the button is there,
and a click yields the PDF briefing of the view on screen (read back with pdftotext): that
department's name and figures, no other department, and the link to the same view."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest

from kpi.web.i18n import t
from tests.support.browser import SCREENSHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing"),
]


def download_brief(page, name: str) -> tuple[str, str]:
    """Click 下载简报; return (the suggested file name, the PDF's text). The PDF is kept."""
    button = page.get_by_role("button", name=t("brief_download"))
    button.wait_for()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS / f"{name}.pdf"
    download.save_as(pdf)
    assert Path(pdf).read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return download.suggested_filename, text


def plain(text: str) -> str:
    return "".join(text.split())


def link_in(text: str) -> dict[str, list[str]]:
    urls = [word for word in text.split() if word.startswith("http")]
    assert urls, text
    return parse_qs(urlsplit(urls[-1]).query)


@pytest.mark.parametrize(
    ("path", "dept_id"), [("/?dept=finance", "finance"), ("/departments?dept=transport", "transport")]
)
def test_the_button_yields_the_briefing_of_the_view(
    open_page, tables: dict[str, pl.DataFrame], goals: pl.DataFrame, path: str, dept_id: str
) -> None:
    page = open_page(path)
    name, text = download_brief(page, f"brief-e2e-{dept_id}")
    departments = tables["departments"]
    mine = departments.filter(pl.col("dept_id") == dept_id).row(0, named=True)
    assert name.endswith(".pdf") and mine["name"] in name
    body = plain(text)
    assert mine["name"] in body
    for goal in goals.filter((pl.col("dept_id") == dept_id) & pl.col("light").is_in(["red", "yellow"])).iter_rows(
        named=True
    ):
        assert plain(goal["title"]) in body
    for other in departments.filter(pl.col("dept_id") != dept_id).get_column("name"):
        assert other not in body, other
    query = link_in(text)
    assert query["dept"] == [dept_id]
    assert query["year"] == [str(goals.get_column("year").max())]
