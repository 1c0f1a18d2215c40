"""Shared fixtures: the bundled Parquet data read independently with Polars, and AppTest."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi import queries
from kpi.build import CURATION_DIR, RAW_FILE, build_dataset
from kpi.curation import load_curation
from kpi.schema import TABLES
from kpi.storage import data_dir, table_path, write_dataset

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end test in a real Chromium against a real Streamlit server")


@pytest.fixture(scope="session")
def data_directory() -> Path:
    directory = data_dir()
    problems = queries.data_problems(directory)
    if problems:
        pytest.fail(f"数据目录 {directory} 不可用：{problems}；先运行数据构建（python -m kpi.build）")
    return directory


@pytest.fixture(scope="session")
def tables(data_directory: Path) -> dict[str, pl.DataFrame]:
    """Every table read straight from Parquet with Polars: the independent path for expected values."""
    return {name: pl.read_parquet(table_path(data_directory, name)) for name in TABLES}


@pytest.fixture(scope="session")
def year(tables: dict[str, pl.DataFrame]) -> int:
    return int(tables["goals"].get_column("year").max())


@pytest.fixture(scope="session")
def goals(tables: dict[str, pl.DataFrame], year: int) -> pl.DataFrame:
    """Goals of the latest year joined with their department."""
    return (
        tables["goals"]
        .filter(pl.col("year") == year)
        .join(tables["departments"].select("dept_id", "sector", "sort_order", dept_name="name"), on="dept_id")
    )


@pytest.fixture(scope="session")
def indicators(tables: dict[str, pl.DataFrame], goals: pl.DataFrame) -> pl.DataFrame:
    return tables["indicators"].join(goals.select("goal_id"), on="goal_id", how="semi")


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Each test starts from a cold query cache (tests may point KPI_DATA_DIR elsewhere)."""
    queries.clear_caches()


@pytest.fixture
def make_app() -> Callable[..., AppTest]:
    """An AppTest of app.py opened with the given query parameters and page, already run."""

    def _make(params: dict[str, str | list[str]] | None = None, page: str | None = None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=60)
        for key, value in (params or {}).items():
            app.query_params[key] = value
        app.run()
        if page:
            app.switch_page(f"pages/{page}_page.py").run()
        return app

    return _make


def open_lazy_expanders(app: AppTest) -> int:
    """Open every expander that draws its content only when opened (the charts' 查看数据 and
    the goal cards' figures), as a reader clicking each does; return how many were opened."""
    keys = [expander.key for expander in app.expander if expander.key]
    for key in keys:
        app.session_state[key] = True
    if keys:
        app.run()
    return len(keys)


def card_titles(app: AppTest) -> list[str]:
    """The goal cards' titles as shown ("3. 目标…"), in page order, from their HTML."""
    bodies = [block.value for block in app.get("html")]
    return [html.unescape(title) for body in bodies for title in _CARD_TITLE.findall(body)]


_CARD_TITLE = re.compile(r'<p class="kpi-title"[^>]*><strong>(.*?)</strong></p>', re.S)


def card_text(app: AppTest) -> str:
    """All the goal cards' text (titles, badges, narratives, status reasons), unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", " ", " ".join(block.value for block in app.get("html"))))


def metric_values(app: AppTest) -> dict[str, str]:
    """Tile label → displayed value."""
    return {metric.label: metric.value for metric in app.metric}


def expected_tiles(goals: pl.DataFrame, indicators: pl.DataFrame) -> dict[str, float | int]:
    """The tile counts computed with Polars from the given goals and all indicators."""
    counts = {status: goals.filter(pl.col("status") == status).height for status in queries.STATUSES}
    chosen = indicators.join(goals.select("goal_id"), on="goal_id", how="semi")
    firsts = chosen.filter(
        (pl.col("rank") == 1) & (pl.col("rank_scope") == "全省") & ~pl.col("rank_is_top_n")
    ).height
    met = counts["exceeded"] + counts["achieved"]
    return {
        "goals": goals.height,
        **counts,
        "at_risk_or_not_met": counts["at_risk"] + counts["not_met"],
        "provincial_firsts": firsts,
        "met_share": met / goals.height if goals.height else 0.0,
    }


@pytest.fixture(scope="session")
def seed_files(tmp_path_factory) -> Path:
    """A freshly built seed dataset in a temporary directory, for tests that change data."""
    directory = tmp_path_factory.mktemp("seed")
    write_dataset(build_dataset(RAW_FILE.read_text(encoding="utf-8"), load_curation(CURATION_DIR)), directory)
    return directory
