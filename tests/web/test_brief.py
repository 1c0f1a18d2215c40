"""The PDF briefing (简报), read back with Debian's poppler-utils as a reader's PDF viewer would:
``python -m kpi.brief`` for the whole city and for ``?dept=finance``; the figures, filters,
as-of date and source the page shows, each expected value worked out from the Parquet files
with Polars (never from the briefing's code); nothing from another department; the CJK fonts
embedded; one page (two at most); page 1 kept as a PNG (``KPI_SCREENSHOT_DIR`` or pytest's
tmp). Plus the command's answers to hostile and unknown links: Chinese, exit 2, no file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest

from kpi.contract.storage import table_path
from kpi.pipeline import synth
from kpi.web import filters, i18n, queries
from kpi.web.queries import Filters

ROOT = Path(__file__).resolve().parents[2]
POPPLER = ("pdftotext", "pdffonts", "pdfinfo", "pdftoppm")
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils missing: scripts/install-system-deps.sh installs it",
)


def brief(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpi.brief", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def plain(text: str) -> str:
    """Text without whitespace: pdftotext breaks lines where the page wraps them and puts
    spaces between Chinese and Latin characters where Typst spaces them."""
    return "".join(text.split())


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words(pdf: Path) -> list[Word]:
    """Every word of page 1 with its box, from ``pdftotext -bbox``."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [
        Word(m[5].replace("&amp;", "&"), float(m[1]), float(m[2]), float(m[3]), float(m[4]))
        for m in _WORD.finditer(out)
    ]


def tile_value(found: list[Word], label: str) -> str:
    """The figure printed in the tile under ``label`` (its first occurrence from the top): the
    nearest word below the label that starts within the label's tile."""
    label_word = min((w for w in found if w.text == label), key=lambda w: w.y0)
    below = [w for w in found if w.y0 > label_word.y1 - 1 and label_word.x0 - 18 <= w.x0 <= label_word.x1]
    return min(below, key=lambda w: w.y0).text


@dataclass
class Briefing:
    pdf: Path
    text: str
    stdout: str


def make(tmp_path_factory, name: str, *args: str) -> Briefing:
    directory = Path(os.environ.get("KPI_SCREENSHOT_DIR") or tmp_path_factory.mktemp("brief"))
    directory.mkdir(parents=True, exist_ok=True)
    pdf = directory / f"brief-{name}.pdf"
    done = brief(pdf, *args)
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # Page 1 as a picture, kept for people to look at.
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", str(pdf), str(directory / f"brief-{name}")])
    return Briefing(pdf, text, done.stdout)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Briefing:
    return make(tmp_path_factory, "city")


@pytest.fixture(scope="module")
def finance(tmp_path_factory) -> Briefing:
    return make(tmp_path_factory, "finance", "--query", "dept=finance")


@pytest.fixture(scope="module")
def period(tables: dict[str, pl.DataFrame], year: int) -> dict:
    """The default view's period: the latest of the latest year, from periods.parquet."""
    return tables["periods"].filter(pl.col("year") == year).sort("end_date", descending=True).row(0, named=True)


def scope(goals: pl.DataFrame, period: dict, dept_ids: tuple[str, ...] = ()) -> pl.DataFrame:
    chosen = goals.filter(pl.col("period") == period["period"])
    return chosen.filter(pl.col("dept_id").is_in(list(dept_ids))) if dept_ids else chosen


def expected_tiles(goals: pl.DataFrame, indicators: pl.DataFrame) -> dict[str, int | float]:
    """The headline figures, counted from the Parquet rows: statuses, lights, confirmed stated
    全省第1 figures (achieved and forecast), the share of goals met."""
    figures = indicators.join(goals.select("goal_id"), on="goal_id", how="semi").filter(
        (pl.col("confidence") == "high")
        & (pl.col("rank") == 1)
        & (pl.col("rank_scope") == "全省")
        & ~pl.col("rank_is_top_n")
    )
    status = goals.get_column("status").value_counts()
    count = dict(zip(status.get_column("status"), status.get_column("count"), strict=True))
    light = goals.get_column("light").value_counts()
    lights = dict(zip(light.get_column("light"), light.get_column("count"), strict=True))
    met = count.get("exceeded", 0) + count.get("achieved", 0)
    return {
        "goals": goals.height,
        **{s: count.get(s, 0) for s in ("exceeded", "achieved", "on_track", "pending")},
        "risk": count.get("at_risk", 0) + count.get("not_met", 0),
        "firsts": figures.filter(~pl.col("is_forecast")).height,
        "forecast_firsts": figures.filter(pl.col("is_forecast")).height,
        "met_pct": met / goals.height * 100,
        **{f"light_{k}": lights.get(k, 0) for k in ("red", "yellow", "green", "none")},
    }


def check_page(briefing: Briefing, goals: pl.DataFrame, indicators: pl.DataFrame, period: dict) -> None:
    """What every briefing must show, against the Parquet rows of its scope."""
    text = plain(briefing.text)
    # Year and period, the source and its as-of date (from periods.parquet).
    assert f"{period['year']}年度" in text and period["label"] in text
    assert plain(period["source_title"]) in text and plain(period["as_of"]) in text
    # The headline tiles, each value read under its label.
    found = words(briefing.pdf)
    want = expected_tiles(goals, indicators)
    assert tile_value(found, "目标数") == str(want["goals"])
    for label, key in (
        ("超额完成", "exceeded"),
        ("已完成", "achieved"),
        ("有望完成", "on_track"),
        ("待验收", "pending"),
    ):
        assert tile_value(found, label) == str(want[key]), label
    assert tile_value(found, "全省第一") == str(want["firsts"])
    assert tile_value(found, "预计全省第一") == str(want["forecast_firsts"])
    assert float(tile_value(found, "目标达成率").rstrip("%")) == pytest.approx(want["met_pct"], abs=0.01)
    # The lights (words as the vocabulary names them at this period).
    for light in ("red", "yellow", "green", "none"):
        assert tile_value(found, i18n.light_word(light, period["period"])) == str(want[f"light_{light}"]), light
    # 需关注: every red and yellow goal (at most ten), with the reason for its light.
    attention = goals.filter(pl.col("light").is_in(["red", "yellow"]))
    assert attention.height <= 10, "the bundled data fit on the page; more would be said as 另有 n 条"
    for goal in attention.iter_rows(named=True):
        assert plain(f"{goal['dept_name']}{goal['seq']}.{goal['title']}") in text
        assert plain(goal["light_reason"]) in text
    # The league table: every department of the scope, with its share on pace (green/total).
    for dept in (
        goals.group_by("dept_name").agg(total=pl.len(), green=(pl.col("light") == "green").sum()).iter_rows(named=True)
    ):
        assert dept["dept_name"] in text
        assert f"({dept['green']}/{dept['total']})" in text
    # The first places in words: each stated 全省第1 figure by name, a forecast said as one.
    firsts = indicators.join(goals.select("goal_id", "dept_name"), on="goal_id").filter(
        (pl.col("confidence") == "high")
        & (pl.col("rank") == 1)
        & (pl.col("rank_scope") == "全省")
        & ~pl.col("rank_is_top_n")
    )
    for row in firsts.iter_rows(named=True):
        prefix = "预计" if row["is_forecast"] else ""
        assert plain(f"{row['dept_name']}：{prefix}全省第1，{row['name']}") in text
    # The link that reproduces the view.
    link = re.search(r"https?://\S+", briefing.text)
    assert link is not None
    query = parse_qs(urlsplit(link.group(0)).query)
    assert query["year"] == [str(period["year"])] and query["period"] == [period["period"]]


def test_the_city_briefing_shows_the_citys_figures(
    city: Briefing, goals: pl.DataFrame, indicators: pl.DataFrame, period: dict
) -> None:
    check_page(city, scope(goals, period), indicators, period)
    assert "筛选条件：全部部门，未筛选" in plain(city.text)
    assert "dept=" not in city.text


def test_the_finance_briefing_shows_finance_and_no_other_department(
    finance: Briefing, goals: pl.DataFrame, indicators: pl.DataFrame, tables: dict[str, pl.DataFrame], period: dict
) -> None:
    mine = scope(goals, period, ("finance",))
    assert mine.height > 0
    check_page(finance, mine, indicators, period)
    text = plain(finance.text)
    assert "部门：市财政局" in text
    assert "dept=finance" in finance.text
    others = tables["departments"].filter(pl.col("dept_id") != "finance")
    for dept in others.iter_rows(named=True):
        assert dept["name"] not in text and plain(dept["full_name"]) not in text, dept["name"]
    for goal in scope(goals, period).filter(pl.col("dept_id") != "finance").iter_rows(named=True):
        assert plain(goal["title"])[:20] not in text, goal["title"]


@pytest.mark.parametrize("name", ["city", "finance"])
def test_the_briefing_is_one_a4_page_with_cjk_fonts_embedded(name: str, request) -> None:
    briefing: Briefing = request.getfixturevalue(name)
    info = subprocess.run(["pdfinfo", str(briefing.pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert 1 <= pages <= 2
    assert re.search(r"^Page size:.*\(A4\)", info, re.M), info
    assert f"（{pages} 页）" in briefing.stdout
    fonts = subprocess.run(["pdffonts", str(briefing.pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    cjk = [row for row in rows if "CJK" in row[0]]
    assert cjk, fonts
    # Columns after the name and type: encoding, emb, sub, uni — every CJK font embedded.
    assert all(row[-5] == "yes" for row in cjk), fonts
    assert all(row[-5] == "yes" for row in rows), fonts
    png = briefing.pdf.with_name(f"brief-{name}-1.png")
    assert png.is_file() and png.stat().st_size > 20_000


def test_the_chart_is_vector_text_not_a_picture(city: Briefing, goals: pl.DataFrame, period: dict) -> None:
    """The status chart's department labels and axis title are text in the PDF (an embedded
    raster would have none): every department of the scope appears twice (chart and table)."""
    text = city.text
    for name in scope(goals, period).get_column("dept_name").unique():
        assert text.count(name) >= 2, name
    images = subprocess.run(["pdfimages", "-list", str(city.pdf)], capture_output=True, text=True)
    if images.returncode == 0:
        assert len(images.stdout.splitlines()) <= 2, images.stdout


# --- the command line --------------------------------------------------------------------------

TRACEBACK = re.compile(r"Traceback|File \"", re.I)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("dept=nope", "nope"),
        ("year=1999", "1999"),
        ("year=abc", "abc"),
        ("period=Q9", "Q9"),
        ("status=<script>alert(1)</script>", "<script>"),
        ("theme=../../etc/passwd", "../../etc/passwd"),
        ("lang=fr", "fr"),
        ("foo=1", "foo"),
        ("year=2022&year=2021", "只能有一个值"),
        ("q=" + "数" * 60, "超过"),
        ("dept=%ff", "编码无效"),
        ("dept=finance&" + "x" * 5000, "过长"),
    ],
)
def test_a_hostile_or_unknown_link_is_refused_in_chinese(tmp_path: Path, query: str, named: str) -> None:
    out = tmp_path / "简报.pdf"
    done = brief(out, "--query", query)
    assert done.returncode == 2, done.stderr
    assert "链接参数有误，未生成简报" in done.stderr and named in done.stderr, done.stderr
    assert not TRACEBACK.search(done.stderr + done.stdout)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_whole_link_is_accepted_and_its_address_kept(tmp_path: Path) -> None:
    out = tmp_path / "b.pdf"
    done = brief(out, "--query", "https://kpi.example.org/dashboard/departments?dept=finance&rank_scope=全国")
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "https://kpi.example.org/dashboard/departments?" in text and "dept=finance" in text


def test_the_output_must_be_a_pdf_and_unreadable_data_is_said(tmp_path: Path) -> None:
    done = brief(tmp_path / "b.txt")
    assert done.returncode == 2 and ".pdf" in done.stderr and not TRACEBACK.search(done.stderr)
    done = brief(tmp_path / "b.pdf", "--data-dir", str(tmp_path / "无数据"))
    assert done.returncode == 1 and "数据不可用，未生成简报" in done.stderr, done.stderr
    assert not TRACEBACK.search(done.stderr) and not (tmp_path / "b.pdf").exists()


def test_a_missing_output_directory_is_named_without_traceback(tmp_path: Path) -> None:
    done = brief(tmp_path / "没有" / "b.pdf")
    assert done.returncode == 1 and "错误：" in done.stderr and not TRACEBACK.search(done.stderr), done.stderr


# --- the query string as the URL filters read it ------------------------------------------------


def test_a_link_reads_as_the_filters_it_names(data_directory: Path, year: int) -> None:
    f, lang, problems = filters.parse_query_string(
        f"?year={year}&period=FY&dept=finance&dept=transport&status=achieved&q=%E5%87%8F%E8%B4%9F&lang=en"
    )
    assert problems == []
    assert lang == "en"
    assert f == Filters(year=year, dept_ids=("finance", "transport"), statuses=("achieved",), q="减负", period="FY")
    # The default view: the latest year and its latest period, nothing else.
    f, lang, problems = filters.parse_query_string("")
    assert problems == [] and lang == "zh" and f == Filters(year=year, period="FY")
    # The page's own state (the rankings tab) is part of a shared link, not a problem.
    assert filters.parse_query_string("rank_scope=全国")[2] == []


# --- text from the data is printed, never read as markup -----------------------------------------

TYPST_MARKUP = '#panic("注入") #read("/etc/passwd") *粗* $x$ ] \\ <lbl> @ref'


def test_hostile_text_in_the_data_is_printed_as_written(tmp_path: Path, seed_files: Path) -> None:
    from dataclasses import replace

    from kpi.contract.storage import write_dataset
    from tests.support.datasets import HOSTILE_DEPT_ID, MARKDOWN, XSS_SCRIPT, hostile_dataset

    data = hostile_dataset(seed_files)
    # Red lights, so the department's goals are on the briefing's 需关注 list with their reasons.
    goals = data.goals.with_columns(
        title=pl.col("title") + TYPST_MARKUP,
        light_reason=pl.col("light_reason") + TYPST_MARKUP,
        light=pl.when(pl.col("dept_id") == HOSTILE_DEPT_ID).then(pl.lit("red")).otherwise(pl.col("light")),
    )
    directory = tmp_path / "data"
    write_dataset(replace(data, goals=goals), directory)
    out = tmp_path / "b.pdf"
    done = brief(out, "--data-dir", str(directory), "--query", f"dept={HOSTILE_DEPT_ID}")
    assert done.returncode == 0, done.stderr
    text = plain(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout)
    assert plain(TYPST_MARKUP) in text
    assert plain(XSS_SCRIPT) in text and plain(MARKDOWN) in text


# --- the button ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [None, "departments"])
def test_the_button_is_on_the_overview_and_the_department_page(make_app, page: str | None) -> None:
    app = make_app({"dept": "finance"}, page)
    buttons = [b for b in app.get("download_button") if b.label == i18n.t("brief_download")]
    assert len(buttons) == 1
    # Made when clicked (a deferred file), not on every run of the page.
    assert buttons[0].proto.deferred_file_id


def test_without_a_cjk_font_the_page_says_so_instead(make_app, monkeypatch, tmp_path: Path) -> None:
    from kpi.web import brief as brief_module

    monkeypatch.setattr(brief_module, "DEFAULT_FONT_DIRS", (str(tmp_path),))
    monkeypatch.setenv(brief_module.FONT_DIRS_ENV, "")
    app = make_app()
    assert not [b for b in app.get("download_button") if b.label == i18n.t("brief_download")]
    assert any(i18n.t("brief_no_cjk_font") in c.value for c in app.caption)


@pytest.mark.parametrize(
    "params",
    [
        {"dept": ["finance", "nope"]},
        {"year": "1999"},
        {"period": "Q9"},
        {"status": ["achieved", "<script>"]},
        {"theme": "../../etc/passwd"},
        {"dept": "finance'--", "sector": "综合经济"},
        {"lang": "en", "q": "减负"},
    ],
)
def test_the_command_reads_a_link_as_the_dashboard_does(make_app, params: dict) -> None:
    """The filters the command takes from a link are those the dashboard puts in force for the
    same link, and it refuses exactly the links the dashboard warns about."""
    from urllib.parse import urlencode

    from kpi.web.shell import _CONTEXT_KEY

    app = make_app(params)
    shown = app.session_state[_CONTEXT_KEY]
    warned = any(i18n.t("url_ignored", params="").split("：")[0] in w.value for w in app.warning)
    f, _, problems = filters.parse_query_string(urlencode(params, doseq=True))
    assert f == shown
    assert bool(problems) == warned


def test_a_province_briefing_lists_the_best_and_the_laggards_and_says_how_many_are_left_out(
    tmp_path_factory,
) -> None:
    """Beyond 20 departments the league table keeps the best and the worst, as the overview
    does: the department with the most red lights is on the page, the count left out is said."""
    departments = 230
    directory = tmp_path_factory.mktemp("province")
    synth.write_dataset(synth.generate(departments, 1, seed=5), directory)
    goals = pl.read_parquet(table_path(directory, "goals"))
    names = pl.read_parquet(table_path(directory, "departments")).select("dept_id", "name")
    periods = pl.read_parquet(table_path(directory, "periods"))
    latest = periods.sort("end_date", descending=True).row(0, named=True)
    worst = (
        goals.filter(pl.col("period") == latest["period"])
        .group_by("dept_id")
        .agg(red=(pl.col("light") == "red").sum())
        .sort("red", descending=True)
        .join(names, on="dept_id")
    )
    most_red = worst.filter(pl.col("red") == worst.get_column("red").max())
    assert 0 < most_red.height <= 20, "the seed gives a clear worst group (the chart lists 20)"
    briefing = make(tmp_path_factory, "province", "--data-dir", str(directory))
    text = plain(briefing.text)
    shown = 2 * queries.PROBLEMS_TOP_N
    assert plain(f"共{departments}个部门，列出前{queries.PROBLEMS_TOP_N}名和后{queries.PROBLEMS_TOP_N}名") in text
    assert plain(f"另有{departments - shown}个部门未列出") in text
    # The status chart lists the worst departments first, so the most red lights are on the page.
    for name in most_red.get_column("name"):
        assert name in text, name
    info = subprocess.run(["pdfinfo", str(briefing.pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) <= 2
