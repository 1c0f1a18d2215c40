"""A broken data directory gets a Chinese error page naming the file and the problem, never a
traceback, and the dashboard recovers once the files are fixed, without a restart.

Every test works on a copy of the bundled Parquet files in tmp_path (KPI_DATA_DIR) and runs
the real app.py through Streamlit's AppTest.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract import health
from kpi.contract.schema import TABLES
from kpi.contract.storage import table_path
from kpi.web import auth, queries
from kpi.web.i18n import t
from tests.support.apptest import APP, expected_tiles, metric_values, shown_tiles


@pytest.fixture
def data(tmp_path: Path, seed_files: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    for name in TABLES:
        shutil.copy(table_path(seed_files, name), table_path(directory, name))
    monkeypatch.setenv("KPI_DATA_DIR", str(directory))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(auth.VIEWER_PASSWORD_ENV, raising=False)
    return directory


# --- ways to break a table file (each returns what the page must say about it) ----------------


def remove(path: Path) -> str:
    path.unlink()
    return "文件不存在"


def truncate(path: Path) -> str:
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    return "文件已损坏或不完整"


def overwrite_with_text(path: Path) -> str:
    path.write_text("这不是 Parquet 文件", encoding="utf-8")
    return "文件已损坏或不完整"


def make_year_text(path: Path) -> str:
    frame = pl.read_parquet(path)
    frame.with_columns(pl.col("year").cast(pl.String)).write_parquet(path)
    return "列「year」应为整数（Int32），实际为文本（String）"


def drop_status_column(path: Path) -> str:
    pl.read_parquet(path).drop("status").write_parquet(path)
    return "缺少列 status"


def empty_table(path: Path) -> str:
    pl.read_parquet(path).clear().write_parquet(path)
    return "没有任何数据行"


def damage_a_data_page(path: Path, column: str = "name") -> str:
    """Overwrite the page header of one column: the footer (and so the cheap check) stays valid,
    reading the column's values fails."""
    chunk = next(
        chunk
        for group in [pq.read_metadata(path).row_group(0)]
        for chunk in (group.column(i) for i in range(group.num_columns))
        if chunk.path_in_schema == column
    )
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    with open(path, "r+b") as handle:
        handle.seek(start)
        handle.write(b"\xff" * 24)
    return "文件已损坏或不完整"


BREAKAGES: list[tuple[str, Callable[[Path], str]]] = [
    ("goals", remove),
    ("indicators", remove),
    ("goals", truncate),
    ("themes", truncate),
    ("departments", overwrite_with_text),
    ("goals", make_year_text),
    ("indicators", make_year_text),
    ("goals", drop_status_column),
    ("departments", empty_table),
    ("goals", empty_table),
    ("departments", damage_a_data_page),
]


def error_text(app: AppTest) -> str:
    # The page escapes Markdown in what it lists; compare the text as a reader sees it.
    return "\n".join(e.value for e in app.error).replace("\\", "")


def assert_error_page(app: AppTest, file_name: str, problem: str) -> None:
    assert not app.exception
    assert app.title[0].value == t("data_error_title")
    text = error_text(app)
    assert f"{file_name}（" in text and problem in text
    assert t("data_error_help") in app.caption[0].value
    assert app.button(key="data_retry").label == t("data_retry")
    assert not app.metric and not app.dataframe and not app.get("vega_lite_chart")


def app_run() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60).run()


@pytest.mark.parametrize(
    ("table", "breakage"), BREAKAGES, ids=[f"{table}-{breakage.__name__}" for table, breakage in BREAKAGES]
)
def test_a_broken_file_gets_an_error_page_and_the_fix_is_picked_up(
    data: Path,
    seed_files: Path,
    table: str,
    breakage: Callable[[Path], str],
    goals: pl.DataFrame,
    indicators: pl.DataFrame,
) -> None:
    # A running dashboard with everything cached ...
    app = app_run()
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))

    # ... notices the damage on its next run ...
    problem = breakage(table_path(data, table))
    app.run()
    assert_error_page(app, f"{table}.parquet", problem)
    # ... also for a fresh visitor, on any page.
    fresh = app_run()
    assert_error_page(fresh, f"{table}.parquet", problem)
    fresh.switch_page("pages/goals_page.py").run()
    assert_error_page(fresh, f"{table}.parquet", problem)

    # Fixed files (copied back, as staff would) are picked up without a restart.
    shutil.copy(table_path(seed_files, table), table_path(data, table))
    app.button(key="data_retry").click().run()
    assert not app.exception and not app.error
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))
    fresh.run()
    assert fresh.title[0].value == t("page_goals")
    assert f"共 {goals.height} 条目标" in " ".join(c.value for c in fresh.caption)


def test_every_problem_is_listed_at_once(data: Path) -> None:
    remove(table_path(data, "themes"))
    make_year_text(table_path(data, "goals"))
    empty_table(table_path(data, "departments"))
    app = app_run()
    text = error_text(app)
    assert "themes.parquet（主题表）：文件不存在" in text
    assert "goals.parquet（目标表）：列「year」应为整数（Int32），实际为文本（String）" in text
    assert "departments.parquet（部门表）：没有任何数据行" in text
    assert str(data.parent) not in text  # no server path shown to viewers (it is in the server log)


def test_an_empty_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(auth.VIEWER_PASSWORD_ENV, raising=False)
    app = app_run()
    for name in TABLES:
        assert f"{name}.parquet（" in error_text(app)


def test_the_cheap_check_reads_no_rows_and_the_deep_check_finds_damaged_pages(data: Path) -> None:
    damage_a_data_page(table_path(data, "departments"))
    assert health.dataset_problems(data) == []  # footer, columns, row count and key columns are fine
    [problem] = health.dataset_problems(data, deep=True)
    assert problem.startswith("departments.parquet（部门表）：文件已损坏或不完整")
    # The dashboard checks the tables as it loads them for its queries: the damage shows at once.
    assert queries.data_problems(data) == [problem]


def test_other_integer_widths_are_accepted(data: Path, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    path = table_path(data, "goals")
    pl.read_parquet(path).with_columns(pl.col("year", "seq").cast(pl.Int64)).write_parquet(path)
    assert queries.data_problems(data) == []
    app = app_run()
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))


def test_the_error_page_is_behind_the_login(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, "密码")
    remove(table_path(data, "goals"))
    app = app_run()
    assert not app.error and app.text_input(key="viewer_password")
    app.text_input(key="viewer_password").input("密码")
    app.form_submit_button[0].click().run()
    assert_error_page(app, "goals.parquet", "文件不存在")


def test_replaced_files_are_read_on_the_next_run(data: Path, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    """Valid new files (an import, a restore by hand) are shown on the next run, not stale cached results."""
    app = app_run()
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))
    dropped = goals.get_column("dept_id")[0]
    for table in ("goals", "indicators"):
        path = table_path(data, table)
        pl.read_parquet(path).filter(pl.col("dept_id") != dropped).write_parquet(path)
    app.run()
    remaining = goals.filter(pl.col("dept_id") != dropped)
    kept_figures = indicators.filter(pl.col("dept_id") != dropped)
    assert metric_values(app) == shown_tiles(expected_tiles(remaining, kept_figures))


@pytest.mark.parametrize(
    ("table", "change", "message"),
    [
        ("departments", lambda f: f.slice(1), "条目标的部门不在部门表中"),
        ("goals", lambda f: f.slice(1), "条指标所属的目标不在目标表中"),
        (
            "goals",
            lambda f: f.with_columns(result=pl.lit("改写后的完成情况")),
            "条指标的引文在所属目标的完成情况中找不到",
        ),
        ("themes", lambda f: f.slice(1), "条目标的主题不在主题表中"),
    ],
)
def test_tables_that_do_not_agree_give_the_error_page_not_wrong_figures(data: Path, table, change, message) -> None:
    """A mix of two versions (new goals, old figures) passes every per-file check; it must not be shown."""
    path = table_path(data, table)
    change(pl.read_parquet(path)).write_parquet(path)
    app = app_run()
    assert message in error_text(app)
    assert metric_values(app) == {}


def test_a_load_that_failed_is_tried_again_on_the_next_run(data: Path) -> None:
    """A failed load is not kept: files that read again under the same identity (inode, size,
    time: a store that did not answer for a moment) are shown on the next run."""
    path = table_path(data, "departments")
    good = path.read_bytes()
    stat = path.stat()
    damage_a_data_page(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert queries.data_problems() != []
    with open(path, "r+b") as handle:  # the same file, its bytes as they were
        handle.write(good)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_ino == stat.st_ino and path.stat().st_size == stat.st_size
    assert queries.data_problems() == []
    assert queries.departments().height == pl.read_parquet(path).height
