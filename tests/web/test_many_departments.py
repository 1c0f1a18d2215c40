"""Department pickers at a province's scale: more departments than a picker lists.

A synthetic data set (``kpi.synth``, the same contract as ``data/``) with 230
departments, more than ``filters.DEPT_OPTION_LIMIT`` (200): the pickers list the
first 200 plus the chosen ones, a name filter finds the rest, and links to any
department keep working. The same data set has more goals needing attention than
the overview lists on one page.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.storage import table_path
from kpi.pipeline import synth
from kpi.web import components as ui
from kpi.web import filters, markup, queries
from kpi.web.i18n import t
from kpi.web.queries import Filters
from tests.support.apptest import card_titles, listed_heads, metric_values

DEPARTMENTS = 230


@pytest.fixture(scope="module")
def many_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("many-departments")
    synth.write_dataset(synth.generate(DEPARTMENTS, 1, seed=3), directory)
    return directory


@pytest.fixture
def many(many_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pl.DataFrame:
    """Point the dashboard at the data set; its departments in display order."""
    monkeypatch.setenv("KPI_DATA_DIR", str(many_dir))
    queries.clear_caches()
    return pl.read_parquet(table_path(many_dir, "departments")).sort("sort_order", "dept_id")


def _app(params: dict[str, str | list[str]] | None = None, page: str | None = None) -> AppTest:
    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    for key, value in (params or {}).items():
        app.query_params[key] = value
    app.run()
    if page:
        app.switch_page(f"pages/{page}_page.py").run()
    assert not app.exception, app.exception
    return app


def test_the_picker_lists_the_first_departments_and_says_how_many_there_are(many: pl.DataFrame) -> None:
    assert many.height == DEPARTMENTS > filters.DEPT_OPTION_LIMIT
    app = _app()
    picker = app.multiselect(key="dept_ui")
    first_names = many.get_column("name").head(filters.DEPT_OPTION_LIMIT).to_list()
    assert picker.options == first_names
    captions = [c.value for c in app.sidebar.caption]
    assert f"列出前 {filters.DEPT_OPTION_LIMIT} 个部门，共 {DEPARTMENTS} 个；输入名称查找其他部门" in captions
    # The URL widget offers only what a link asked for, not every department.
    assert app.multiselect(key="dept").options == []


def test_finding_a_department_by_name_and_choosing_it(many: pl.DataFrame) -> None:
    last = many.row(DEPARTMENTS - 1, named=True)  # not among the first 200
    app = _app()
    assert last["name"] not in app.multiselect(key="dept_ui").options
    app.text_input(key=filters.DEPT_FIND).input(last["name"]).run()
    picker = app.multiselect(key="dept_ui")
    assert last["name"] in picker.options
    expected = many.filter(
        pl.col("name").str.contains(last["name"], literal=True)
        | pl.col("full_name").str.contains(last["name"], literal=True)
    )
    assert len(picker.options) == expected.height < filters.DEPT_OPTION_LIMIT
    picker.set_value([last["dept_id"]]).run()
    assert not app.exception
    assert app.query_params["dept"] == last["dept_id"]
    goals = queries.goal_page(Filters(queries.years()[0], dept_ids=(last["dept_id"],)), 1, 0)[1]
    assert metric_values(app)["目标数"] == str(goals) and goals > 0
    # Clearing the name filter keeps the choice, listed first.
    app.text_input(key=filters.DEPT_FIND).input("").run()
    picker = app.multiselect(key="dept_ui")
    assert picker.value == [last["dept_id"]] and picker.options[0] == last["name"]
    assert len(picker.options) == filters.DEPT_OPTION_LIMIT + 1


def test_a_link_to_a_department_beyond_the_list_still_filters(many: pl.DataFrame) -> None:
    beyond = many.row(DEPARTMENTS - 5, named=True)
    app = _app({"dept": [beyond["dept_id"], "no-such-department"]})
    assert app.multiselect(key="dept").value == [beyond["dept_id"]]  # the unknown code is dropped
    assert app.multiselect(key="dept_ui").value == [beyond["dept_id"]]
    goals = queries.goal_page(Filters(queries.years()[0], dept_ids=(beyond["dept_id"],)), 1, 0)[1]
    assert metric_values(app)["目标数"] == str(goals)


def test_the_departments_page_opens_a_department_beyond_the_list(many: pl.DataFrame) -> None:
    beyond = many.row(DEPARTMENTS - 1, named=True)
    app = _app({"dept": beyond["dept_id"]}, page="departments")
    picker = app.selectbox(key="dept_pick")
    assert picker.value == beyond["dept_id"]
    assert len(picker.options) == filters.DEPT_OPTION_LIMIT + 1
    assert [s.value for s in app.subheader][0] == beyond["full_name"]
    # Without a department chosen the page opens the first one.
    app = _app(page="departments")
    assert app.selectbox(key="dept_pick").value == many.get_column("dept_id")[0]


def test_a_name_that_matches_nothing_says_so(many: pl.DataFrame) -> None:
    app = _app()
    app.text_input(key=filters.DEPT_FIND).input("不存在的部门名").run()
    assert app.multiselect(key="dept_ui").options == []
    assert "没有名称含「不存在的部门名」的部门" in [c.value for c in app.sidebar.caption]
    app.text_input(key=filters.DEPT_FIND).input("**x**").run()  # shown as typed, not as Markdown
    assert "没有名称含「\\*\\*x\\*\\*」的部门" in [c.value for c in app.sidebar.caption]


def test_the_bundled_data_has_no_name_filter(make_app) -> None:
    app = make_app()
    assert not [w for w in app.text_input if w.key == filters.DEPT_FIND]
    assert len(app.multiselect(key="dept_ui").options) == queries.departments().height


def test_the_overview_lists_five_goals_needing_attention_a_page(many: pl.DataFrame) -> None:
    year = queries.years()[0]
    total = queries.light_attention_goals(Filters(year), 1, 0)[1]
    assert total > ui.ATTENTION_PER_PAGE == 5
    app = _app()
    first_page = queries.light_attention_goals(Filters(year), 5, 0)[0]
    assert first_page.get_column("light").to_list()[0] == "red"  # red lights first
    assert card_titles(app) == [f"{g['dept_name']} {g['seq']}. {g['title']}" for g in first_page.iter_rows(named=True)]
    pages = -(-total // 5)
    caption = f"{t('goal_count', n=total)}　{t('page_of', page=1, pages=pages)}　·　{t('goal_order')}"
    assert caption in [c.value for c in app.main.caption]


def _worst_first(goals: pl.DataFrame, departments: pl.DataFrame) -> pl.DataFrame:
    """Per department, worked out here from the goal rows of one period: the counts the order
    reads, worst first (most red, then yellow lights; then not met, at risk, pending; then the
    lowest shares green, met and exceeded)."""
    per = goals.group_by("dept_id").agg(
        total=pl.len(),
        red=(pl.col("light") == "red").sum(),
        yellow=(pl.col("light") == "yellow").sum(),
        not_met=(pl.col("status") == "not_met").sum(),
        at_risk=(pl.col("status") == "at_risk").sum(),
        pending=(pl.col("status") == "pending").sum(),
        green_share=(pl.col("light") == "green").mean(),
        met_share=pl.col("status").is_in(["exceeded", "achieved"]).mean(),
        exceeded_share=(pl.col("status") == "exceeded").mean(),
        problem=(
            pl.col("light").is_in(["red", "yellow"]) | pl.col("status").is_in(["not_met", "at_risk", "pending"])
        ).any(),
    )
    return per.join(departments.select("dept_id", "sort_order"), on="dept_id").sort(
        ["red", "yellow", "not_met", "at_risk", "pending", "green_share", "met_share", "exceeded_share"]
        + ["total", "sort_order"],
        descending=[True, True, True, True, True, False, False, False, True, False],
    )


@pytest.mark.parametrize("period", ["Q1", "H1", "Q1-3", "FY"])
def test_the_worst_laggards_come_first_and_the_others_on_request(
    many: pl.DataFrame, many_dir: Path, period: str
) -> None:
    year = queries.years()[0]
    goals = pl.read_parquet(table_path(many_dir, "goals")).filter(
        (pl.col("year") == year) & (pl.col("period") == period)
    )
    expected = _worst_first(goals, many)
    laggards = expected.filter(pl.col("problem")).get_column("dept_id").to_list()
    f = Filters(year, period=period)
    frame, total, hidden = queries.status_worst_first(f)
    problems, problem_total = queries.problem_departments(f)
    assert total == DEPARTMENTS > queries.SHOW_ALL_DEPARTMENTS
    assert queries.LAGGARDS_MAX < len(laggards) < DEPARTMENTS - queries.PROBLEMS_TOP_N
    # Lights decide the order: the synthetic running periods have red and yellow lights.
    assert expected.get_column("red")[0] > 0
    shown = frame.unique("dept_id", maintain_order=True).get_column("dept_id").to_list()
    assert problems.get_column("dept_id").to_list() == laggards and problem_total == len(laggards)
    # The worst laggards first (at most LAGGARDS_MAX), then the best departments without a problem.
    assert shown[: queries.LAGGARDS_MAX] == laggards[: queries.LAGGARDS_MAX]
    assert len(shown) == queries.LAGGARDS_MAX + queries.PROBLEMS_TOP_N
    assert hidden == total - len(shown)
    everything, _, none_hidden = queries.status_worst_first(f, show_all=True)
    assert (
        everything.unique("dept_id", maintain_order=True).get_column("dept_id").to_list()
        == expected.get_column("dept_id").to_list()
    )
    assert none_hidden == 0


def test_the_league_table_lists_the_best_and_the_laggards(many: pl.DataFrame, many_dir: Path) -> None:
    year = queries.years()[0]
    goals = pl.read_parquet(table_path(many_dir, "goals")).filter((pl.col("year") == year) & (pl.col("period") == "H1"))
    shares = goals.group_by("dept_id").agg(share=(pl.col("light") == "green").mean())
    frame, total, hidden = queries.league_table(Filters(year, period="H1"))
    everything, _, none_hidden = queries.league_table(Filters(year, period="H1"), show_all=True)
    n = queries.PROBLEMS_TOP_N
    assert (total, hidden, none_hidden) == (DEPARTMENTS, DEPARTMENTS - 2 * n, 0)
    assert frame.get_column("dept_id").to_list() == (
        everything.get_column("dept_id").head(n).to_list() + everything.get_column("dept_id").tail(n).to_list()
    )
    got = dict(everything.select("dept_id", "green_share").iter_rows())
    assert got == pytest.approx(dict(shares.iter_rows()))
    # The bottom of the table holds the lowest share on pace.
    assert frame.get_column("green_share").tail(1).item() == pytest.approx(shares.get_column("share").min())
    app = _app({"period": "H1"})
    assert t("league_hidden", total=DEPARTMENTS, n=n, hidden=DEPARTMENTS - 2 * n) in [c.value for c in app.main.caption]


def test_targets_list_shortfalls_first_with_their_gap(many: pl.DataFrame) -> None:
    year = queries.years()[0]
    frame, total = queries.target_gaps(Filters(year), 50)
    below = frame.filter(pl.col("pct_of_target") < 100)
    assert below.height > 0 and total > frame.height
    # Shortfalls first; each gap negative, written in the source's unit with a minus sign.
    assert frame.head(below.height).get_column("indicator_id").to_list() == below.get_column("indicator_id").to_list()
    for row in below.iter_rows(named=True):
        if row["gap"] is not None:
            text = ui.gap_text(row, "zh")
            assert "−" in text and (row["unit"] in text or "百分点" in text)
        assert ui.gap_pct_text(row).lstrip("约").startswith("−")


def test_the_title_targets_list_the_worst_first_and_the_rest_on_request(many: pl.DataFrame) -> None:
    year = queries.years()[0]
    goals, total = queries.title_target_goals(Filters(year), queries.TITLE_TARGETS_MAX)
    assert total == goals.height > ui.TARGETS_TOP_N

    def heads(frame: pl.DataFrame) -> list[str]:
        return [f"{dept} {title}" for dept, title, *_ in ui.title_target_rows(frame, "zh")]

    app = _app(page="targets")
    assert listed_heads(app, "kpi-title-targets") == heads(goals.head(ui.TARGETS_TOP_N))
    toggle = next(w for w in app.toggle if w.key == "title_targets_all")
    assert toggle.label == t("show_all", n=total)
    toggle.set_value(True).run()
    assert listed_heads(app, "kpi-title-targets") == heads(goals)


def test_the_overview_lists_the_worst_problem_departments_and_the_rest_on_request(
    many: pl.DataFrame, many_dir: Path
) -> None:
    year = queries.years()[0]
    periods = pl.read_parquet(table_path(many_dir, "periods")).filter(pl.col("year") == year)
    f = Filters(year, period=periods.sort("end_date", descending=True).get_column("period")[0])
    everyone, total = queries.problem_departments(f)
    assert total > queries.SHOW_ALL_DEPARTMENTS
    app = _app()

    def listed() -> str:
        return next(h.proto.body for h in app.get("html") if 'class="kpi-problems"' in h.proto.body)

    names = everyone.get_column("name").to_list()
    first = listed()
    assert all(name in first for name in names[: queries.SHOW_ALL_DEPARTMENTS])
    assert names[-1] not in first
    assert t("problems_hidden", n=total - queries.SHOW_ALL_DEPARTMENTS) in [c.value for c in app.caption]
    app.toggle(key="problems_all").set_value(True).run()
    assert all(name in listed() for name in names)


def test_the_overview_lists_the_lights_changed_worst_first_and_all_of_them_on_request(
    many: pl.DataFrame, many_dir: Path
) -> None:
    year = queries.years()[0]
    goals = pl.read_parquet(table_path(many_dir, "goals")).filter(pl.col("year") == year)
    # The latest period against the one before it, linked by the goal's stable key, worked out here.
    now = goals.filter(pl.col("period") == "FY")
    before = goals.filter(pl.col("period") == "Q1-3").select("goal_key", previous=pl.col("light"))
    changed = now.join(before, on="goal_key").filter(pl.col("light") != pl.col("previous"))
    harm = {"green": 0, "none": 0, "yellow": 1, "red": 2}  # green or nothing measurable, then yellow, then red
    worse = changed.filter(pl.col("light").replace_strict(harm) > pl.col("previous").replace_strict(harm)).join(
        many.select("dept_id", dept_name="name"), on="dept_id"
    )
    assert changed.height > ui.TOP_N and worse.height >= ui.TOP_N
    app = _app()
    heads = listed_heads(app, markup.CHANGES_LIST)
    # The top ui.TOP_N as a list, every one of them a change for the worse.
    assert len(heads) == ui.TOP_N
    assert set(heads) <= {f"{g['dept_name']} {g['seq']}. {g['title']}" for g in worse.iter_rows(named=True)}
    assert t("showing_top", shown=ui.TOP_N, n=changed.height) in [c.value for c in app.caption]
    app.toggle(key="changes_all").set_value(True).run()
    # All of them in the grid, which sorts, searches and downloads.
    assert not listed_heads(app, markup.CHANGES_LIST)
    [grid] = [d.value for d in app.dataframe if t("col_previous_light") in d.value.columns]
    assert grid.shape[0] == changed.height
    # Worse, then neither (between 达到时序进度 and 无量化进度: the data have both ways), then better.
    moved = changed.select(pl.col("light").replace_strict(harm) - pl.col("previous").replace_strict(harm)).to_series()
    words = grid[t("changes")].tolist()
    expected = [t("change_worse")] * (moved > 0).sum() + [t("change_neither")] * (moved == 0).sum()
    assert (moved == 0).sum() > 0 and words == expected + [t("change_better")] * (moved < 0).sum()
