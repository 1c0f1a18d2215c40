"""The query layer on the real Parquet files, checked against Polars reading the same files."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from kpi.contract.schema import STATUSES, TABLES
from kpi.contract.storage import read_dataset, table_path, write_dataset
from kpi.web import exports, queries
from kpi.web.i18n import t
from kpi.web.queries import Filters
from tests.support.apptest import FORECAST_WORDS, expected_tiles, problems_first, search_matches, search_terms

HOSTILE = "'; drop table goals;--"


def test_options_match_the_files(tables: dict[str, pl.DataFrame], year: int) -> None:
    assert queries.years()[0] == year
    assert sorted(queries.years()) == sorted(tables["goals"].get_column("year").unique().to_list())
    expected_depts = tables["departments"].sort("sort_order", "dept_id").get_column("dept_id").to_list()
    assert queries.departments().get_column("dept_id").to_list() == expected_depts
    assert set(queries.themes().get_column("theme_id")) == set(tables["themes"].get_column("theme_id"))
    assert set(queries.sectors()) == set(tables["departments"].get_column("sector"))


def test_tiles_for_the_full_year(year: int, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    tiles = queries.tiles(Filters(year))
    assert tiles == pytest.approx(expected_tiles(goals, indicators))
    assert tiles["goals"] == goals.height


def test_forecast_firsts_are_counted_apart(year: int, indicators: pl.DataFrame) -> None:
    # The source's 14 "全省第1" include 有望全省第1 (housing) and 预计全省第1 (transport).
    tiles = queries.tiles(Filters(year))
    stated = indicators.filter((pl.col("rank") == 1) & (pl.col("rank_scope") == "全省") & ~pl.col("rank_is_top_n"))
    assert stated.height == 14
    assert (tiles["provincial_firsts"], tiles["forecast_firsts"]) == (12, 2)


def test_tile_help_texts_name_what_they_count() -> None:
    # The words the tests exclude (FORECAST_WORDS) are the words the help texts name.
    for word in ("预计", "有望"):
        assert word in FORECAST_WORDS
        assert word in t("tile_first_help") and word in t("tile_forecast_first_help")


def test_tiles_for_one_department(year: int, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    dept_id = goals.sort("sort_order").get_column("dept_id")[0]
    chosen = goals.filter(pl.col("dept_id") == dept_id)
    tiles = queries.tiles(Filters(year, dept_ids=(dept_id,)))
    assert tiles == pytest.approx(expected_tiles(chosen, indicators))
    assert tiles["goals"] == chosen.height > 0


@pytest.mark.parametrize("statuses", [("at_risk",), ("at_risk", "not_met"), ("pending",), ("exceeded", "achieved")])
def test_tiles_by_status(statuses: tuple[str, ...], year: int, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    chosen = goals.filter(pl.col("status").is_in(list(statuses)))
    assert queries.tiles(Filters(year, statuses=statuses)) == pytest.approx(expected_tiles(chosen, indicators))


def test_tiles_by_sector_and_theme(year: int, goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    sector = goals.get_column("sector")[0]
    theme = goals.get_column("themes")[0][0]
    chosen = goals.filter((pl.col("sector") == sector) & pl.col("themes").list.contains(theme))
    tiles = queries.tiles(Filters(year, sectors=(sector,), theme_ids=(theme,)))
    assert tiles == pytest.approx(expected_tiles(chosen, indicators))
    assert 0 < tiles["goals"] < goals.height


# Latin letters in any case (GDP, gdp, a theme's English name) as well as Chinese and digits.
@pytest.mark.parametrize("term", ["减负", "全省第1", "数字", "%", "GDP", "gdp", "DIGITAL reform"])
def test_search_matches_titles_and_narratives_literally(
    term: str, year: int, goals: pl.DataFrame, indicators: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> None:
    chosen = search_matches(goals, tables["departments"], tables["themes"], term)
    tiles = queries.tiles(Filters(year, q=term))
    assert tiles == pytest.approx(expected_tiles(chosen, indicators))
    assert 0 < tiles["goals"] < goals.height  # "%" is a literal percent sign, not a wildcard


def test_search_finds_department_names_themes_and_chinese_numerals(
    year: int, goals: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> None:
    departments, themes = tables["departments"], tables["themes"]
    finance = departments.filter(pl.col("name") == "市财政局").row(0, named=True)
    for term in ("财政局", finance["full_name"]):
        found = set(queries.goal_page(Filters(year, q=term), 100, 0)[0].get_column("goal_id"))
        # Every goal of the department, not only those whose text names it.
        assert set(goals.filter(pl.col("dept_id") == finance["dept_id"]).get_column("goal_id")) <= found
    theme = themes.row(0, named=True)
    found = set(queries.goal_page(Filters(year, q=theme["name"]), 100, 0)[0].get_column("goal_id"))
    assert set(goals.filter(pl.col("themes").list.contains(theme["theme_id"])).get_column("goal_id")) <= found
    # 全省第一 — the tile's own words — finds the narratives that write 全省第1.
    written = goals.filter(pl.col("result").str.contains("全省第1", literal=True))
    first = set(queries.goal_page(Filters(year, q="全省第一"), 100, 0)[0].get_column("goal_id"))
    assert written.height > 0 and set(written.get_column("goal_id")) <= first
    assert len(first) == search_matches(goals, departments, themes, "全省第一").height


@pytest.mark.parametrize(
    "term",
    ["GDP", "gdp", "aed", "Digital reform", "DIGITAL", "People's", "OA", "A+", "a.d", "(?i)gdp", "g|x", "\\d", "[a-z]"],
)
def test_a_search_with_letters_matches_them_literally_in_any_case(
    year: int, goals: pl.DataFrame, tables: dict[str, pl.DataFrame], term: str
) -> None:
    """Letters are matched in any case, and every other character as itself: a term that would
    mean something as a pattern (a.d, g|x, [a-z]) finds only the text that contains it."""
    expected = search_matches(goals, tables["departments"], tables["themes"], term)
    found = set(queries.goal_page(Filters(year, q=term), 200, 0)[0].get_column("goal_id"))
    assert found == set(expected.get_column("goal_id"))
    if term.lower() in ("gdp", "aed", "digital reform", "digital", "people's", "oa"):
        assert found  # the bundled data hold these words


@pytest.mark.parametrize(
    ("term", "spellings"),
    [("数字", 1), ("GDP", 1), ("全省第一", 2), ("第1", 2), ("GDP第一", 2), ("前3名第一", 3), ("GDP前3第一", 3)],
)
def test_a_search_looks_for_each_spelling_once_and_finds_all_of_them(
    year: int, goals: pl.DataFrame, tables: dict[str, pl.DataFrame], term: str, spellings: int
) -> None:
    """A term has one to three spellings (as typed, digits as Arabic, digits as Chinese); each is
    looked for once, and a goal matching any of them is found, with and without letters."""
    assert len(queries.search_variants(term)) == spellings == len(search_terms(term))
    expected = search_matches(goals, tables["departments"], tables["themes"], term)
    found = queries.goal_page(Filters(year, q=term), 200, 0)[0]
    assert set(found.get_column("goal_id")) == set(expected.get_column("goal_id"))
    assert queries.tiles(Filters(year, q=term))["goals"] == expected.height


def test_search_does_not_match_across_title_and_narrative(year: int, goals: pl.DataFrame) -> None:
    """Title and narrative are searched as one lower-cased text; a term made of a title's end
    and its narrative's start must not match where neither contains it."""
    for goal in goals.iter_rows(named=True):
        term = goal["title"][-2:] + goal["result"][:2]
        matching = goals.filter(
            pl.col("title").str.contains(term, literal=True) | pl.col("result").str.contains(term, literal=True)
        )
        if matching.height == 0:
            break
    else:
        pytest.fail("every title-end + narrative-start pair occurs somewhere in the data")
    assert queries.tiles(Filters(year, q=term))["goals"] == 0
    assert queries.tiles(Filters(year, q=goal["title"][-2:]))["goals"] >= 1  # the halves do match


def test_hostile_values_are_plain_parameters(year: int, goals: pl.DataFrame) -> None:
    hostile = Filters(year, dept_ids=(HOSTILE,), theme_ids=("<script>",), statuses=(HOSTILE,), q=HOSTILE)
    assert queries.tiles(hostile)["goals"] == 0
    assert queries.tiles(Filters(year, q="<script>alert(1)</script>"))["goals"] == 0
    queries.clear_caches()
    assert queries.tiles(Filters(year))["goals"] == goals.height  # the table is still there


def test_goal_pages_cover_every_goal_once(year: int, goals: pl.DataFrame) -> None:
    seen: list[str] = []
    for offset in range(0, goals.height + 10, 10):
        page, total = queries.goal_page(Filters(year), limit=10, offset=offset)
        assert total == goals.height
        assert page.height <= 10
        seen += page.get_column("goal_id").to_list()
    assert len(seen) == len(set(seen)) == goals.height
    assert seen == problems_first(goals)
    # the bundled data's red goals (市经信局's 难度较大 ones among them) open the first page
    first = queries.goal_page(Filters(year), limit=10, offset=0)[0]
    reds = goals.filter(pl.col("light") == "red").height
    assert reds > 0 and first.get_column("light").to_list()[: min(reds, 10)] == ["red"] * min(reds, 10)


def test_goal_page_total_comes_with_the_page(year: int, goals: pl.DataFrame) -> None:
    """One statement returns the page and the total before the limit, under every kind of filter;
    a page past the end still reports the total."""
    dept_id = goals.get_column("dept_id")[0]
    cases = [
        (Filters(year), goals),
        (Filters(year, dept_ids=(dept_id,)), goals.filter(pl.col("dept_id") == dept_id)),
        (Filters(year, statuses=("exceeded",)), goals.filter(pl.col("status") == "exceeded")),
        (
            Filters(year, q="减负"),
            goals.filter(pl.col("title").str.contains("减负") | pl.col("result").str.contains("减负")),
        ),
        (Filters(year, q="找不到的词"), goals.clear()),
    ]
    for f, expected in cases:
        ordered = problems_first(expected)
        page, total = queries.goal_page(f, limit=3, offset=1)
        assert total == expected.height
        assert page.get_column("goal_id").to_list() == ordered[1:4]
        assert "total" not in page.columns
        past_end, past_total = queries.goal_page(f, limit=3, offset=expected.height + 5)
        assert (past_end.height, past_total) == (0, expected.height)
    lit = goals.filter(pl.col("light").is_in(["red", "yellow"]) & (pl.col("dept_id") == dept_id))
    page, total = queries.light_attention_goals(Filters(year, dept_ids=(dept_id,)), limit=2, offset=0)
    assert total == lit.height
    assert page.height == min(2, lit.height)


def _scope_group(scope: str) -> str:
    return "province" if scope.startswith("全省") else "nation" if scope.startswith("全国") else "other"


def test_rank_statements_by_scope(year: int, indicators: pl.DataFrame) -> None:
    ranked = indicators.filter(pl.col("rank").is_not_null() & (pl.col("confidence") == "high"))
    found = 0
    for group in queries.SCOPE_GROUPS:
        frame, total = queries.rank_statements(Filters(year), group)
        expected = ranked.filter(pl.col("rank_scope").map_elements(_scope_group, return_dtype=pl.String) == group)
        assert sorted(frame.get_column("indicator_id")) == sorted(expected.get_column("indicator_id"))
        assert total == expected.height
        # Grouped by department: each department's rows come together.
        depts = frame.get_column("dept_id").to_list()
        assert len(set(depts)) == len([d for i, d in enumerate(depts) if i == 0 or depts[i - 1] != d])
        found += total
    assert found == ranked.height > 0
    province, _ = queries.rank_statements(Filters(year), "province")
    assert (
        province.filter(pl.col("rank_is_top_n")).height
        == ranked.filter(pl.col("rank_is_top_n") & pl.col("rank_scope").str.starts_with("全省")).height
    )
    with pytest.raises(ValueError):
        queries.rank_statements(Filters(year), "'; drop table goals;--")
    frame, total = queries.rank_statements(Filters(year), "province", limit=3)
    assert frame.height == min(3, total)


def test_export_has_the_filtered_goals_and_their_indicators(
    year: int, goals: pl.DataFrame, indicators: pl.DataFrame
) -> None:
    dept_id = goals.get_column("dept_id")[0]
    exported_goals, exported_indicators = queries.export_frames(Filters(year, dept_ids=(dept_id,)))
    chosen = goals.filter(pl.col("dept_id") == dept_id)
    assert sorted(exported_goals.get_column("goal_id")) == sorted(chosen.get_column("goal_id"))
    expected_ind = indicators.filter(pl.col("dept_id") == dept_id)
    assert sorted(exported_indicators.get_column("indicator_id")) == sorted(expected_ind.get_column("indicator_id"))
    assert {"quote", "value_text", "unit", "value"} <= set(exported_indicators.columns)


def test_indicators_of_goals(indicators: pl.DataFrame) -> None:
    goal_ids = tuple(indicators.get_column("goal_id").unique().sort().head(3).to_list())
    year = int(indicators.get_column("year")[0])
    frame = queries.indicators_of_goals(goal_ids, (year,))
    expected = indicators.filter(pl.col("goal_id").is_in(list(goal_ids)))
    assert sorted(frame.get_column("indicator_id")) == sorted(expected.get_column("indicator_id"))
    assert queries.indicators_of_goals(goal_ids, (year - 1,)).height == 0  # the year restricts
    assert queries.indicators_of_goals((), (year,)).height == 0


def test_kpi_data_dir_and_clear_caches_pick_up_new_files(
    data_directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, year: int, goals: pl.DataFrame
) -> None:
    for name in TABLES:
        shutil.copy(table_path(data_directory, name), table_path(tmp_path, name))
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    assert queries.tiles(Filters(year))["goals"] == goals.height

    # Another writer replaces goals.parquet: one department fewer.
    dropped = goals.get_column("dept_id")[0]
    remaining = pl.read_parquet(table_path(tmp_path, "goals")).filter(pl.col("dept_id") != dropped)
    remaining.write_parquet(table_path(tmp_path, "goals"))
    assert queries.tiles(Filters(year))["goals"] == goals.height  # cached until cleared
    queries.clear_caches()
    assert queries.tiles(Filters(year))["goals"] == remaining.filter(pl.col("year") == year).height


def test_unconfirmed_figures_are_shown_but_not_counted(
    data_directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, year: int
) -> None:
    data = read_dataset(data_directory)
    write_dataset(data, tmp_path)
    indicators = data.indicators
    first = indicators.filter(
        (pl.col("rank") == 1) & (pl.col("rank_scope") == "全省") & ~pl.col("rank_is_top_n") & (pl.col("year") == year)
    ).row(0, named=True)
    targeted = indicators.filter(
        pl.col("completion_pct").is_not_null()
        & (pl.col("year") == year)
        & (pl.col("indicator_id") != first["indicator_id"])
    ).row(0, named=True)
    doubtful = [first["indicator_id"], targeted["indicator_id"]]
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    queries.clear_caches()
    before = queries.tiles(Filters(year))["provincial_firsts"]
    league_before = dict(queries.league_table(Filters(year))[0].select("dept_id", "firsts").iter_rows())
    statements_before = queries.rank_statements(Filters(year), "province")[1]
    gaps_before = queries.target_gaps(Filters(year))[1]
    goals = data.goals
    confirmed = indicators.filter(~pl.col("indicator_id").is_in(doubtful))
    unsure = indicators.with_columns(
        confidence=pl.when(pl.col("indicator_id").is_in(doubtful)).then(pl.lit("low")).otherwise("confidence"),
        confidence_reason=pl.when(pl.col("indicator_id").is_in(doubtful))
        .then(pl.lit("名称取自句首（兜底规则），请核对"))
        .otherwise("confidence_reason"),
    )
    write_dataset(dataclasses.replace(data, indicators=unsure), tmp_path)
    queries.clear_caches()
    assert queries.tiles(Filters(year))["provincial_firsts"] == before - 1
    # The views of problems first: league table, ranks as sentences, misses against targets.
    league = queries.league_table(Filters(year))[0].filter(pl.col("dept_id") == first["dept_id"])
    assert league.get_column("firsts").to_list() == [league_before[first["dept_id"]] - 1]
    stated = queries.rank_statements(Filters(year), "province")[0].get_column("indicator_id")
    assert first["indicator_id"] not in stated and stated.len() == statements_before - 1 - (
        targeted["rank"] is not None and str(targeted["rank_scope"]).startswith("全省")
    )
    gaps = queries.target_gaps(Filters(year))[0].get_column("indicator_id")
    assert targeted["indicator_id"] not in gaps and gaps.len() == gaps_before - 1
    # A goal whose only figure against a target is 待核 has no confirmed target figure: when its
    # title states a number, it is listed among the goals with a target but no figure.
    others = confirmed.filter(
        (pl.col("goal_id") == targeted["goal_id"]) & (pl.col("indicator_id") != targeted["indicator_id"])
    )
    title = goals.filter(pl.col("goal_id") == targeted["goal_id"]).get_column("title")[0]
    listed = queries.title_target_goals(Filters(year))[0]
    expect_listed = (
        re.search(r"[0-9]", title) is not None
        and others.filter(pl.col("target").is_not_null() | pl.col("completion_pct").is_not_null()).is_empty()
    )
    assert (targeted["goal_id"] in listed.get_column("goal_id")) == expect_listed
    for row in listed.filter(pl.col("goal_id") == targeted["goal_id"]).iter_rows(named=True):
        assert row["figures"] == others.sort("indicator_id").get_column("value_text").to_list()
    # Shown, marked, in the goal's table and in the download.
    shown = queries.indicators_of_goals((first["goal_id"],), (year,))
    assert shown.filter(pl.col("indicator_id") == first["indicator_id"]).get_column("confidence").to_list() == ["low"]
    exported = pl.read_csv(io.BytesIO(exports.indicators_csv(Filters(year))))
    marks = dict(zip(exported.get_column("指标编号"), exported.get_column("待核").fill_null(""), strict=True))
    assert all(marks[i].startswith("待核") and "兜底规则" in marks[i] for i in doubtful)
    assert sum(1 for mark in marks.values() if mark) == len(doubtful)
    queries.clear_caches()


def test_statuses_are_the_contract_statuses() -> None:
    assert queries.STATUSES == STATUSES


def publish_without_the_first_department() -> None:
    """Another writer publishes a new version of ``KPI_DATA_DIR``: the first department dropped.
    Called from the AppTest scripts below, after their run resolved the version in force."""
    import os
    from dataclasses import replace
    from pathlib import Path

    import polars as pl

    from kpi.contract.storage import read_dataset, write_dataset

    directory = Path(os.environ["KPI_DATA_DIR"])
    data = read_dataset(directory)
    dropped = data.departments["dept_id"][0]
    kept = data.goals.filter(pl.col("dept_id") != dropped)
    write_dataset(
        replace(
            data,
            departments=data.departments.filter(pl.col("dept_id") != dropped),
            goals=kept,
            indicators=data.indicators.filter(pl.col("dept_id") != dropped),
            goal_targets=data.goal_targets.filter(pl.col("goal_id").is_in(kept.get_column("goal_id").implode())),
        ),
        directory,
    )


def _page_run_during_an_import() -> None:
    """A page run that another writer publishes a new version in the middle of."""
    import streamlit as st

    from kpi.web import queries
    from tests.web.test_queries import publish_without_the_first_department

    queries.data_problems()  # the run's check resolves current
    year = int(queries.years()[0])
    publish_without_the_first_department()
    st.session_state["departments_seen"] = queries.departments().height
    st.session_state["goals_seen"] = queries.tiles(queries.Filters(year))["goals"]


def _prefetch_during_an_import() -> None:
    """A page run whose prefetch runs after another writer published a new version."""
    import streamlit as st

    from kpi.web import queries
    from tests.web.test_queries import publish_without_the_first_department

    queries.data_problems()  # the run's check resolves current
    publish_without_the_first_department()

    def remember() -> None:
        st.session_state["prefetched"] = queries.departments().height

    thread = queries.prefetch(("test",), lambda: 1 / 0, remember)  # a failing call does not stop the next
    thread.join(timeout=60)
    st.session_state["departments_seen"] = queries.departments().height
    # Asked again in the same session for the same: nothing starts.
    st.session_state["again"] = queries.prefetch(("test",), remember) is None


@pytest.fixture
def seed_copy(seed_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The seed data in a directory of their own, in force for the dashboard."""
    from kpi.contract.storage import read_dataset, write_dataset

    seed = read_dataset(seed_files)
    write_dataset(seed, tmp_path)
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    return seed


def test_one_page_run_reads_one_version_while_an_import_publishes_another(seed_copy) -> None:
    from streamlit.testing.v1 import AppTest

    seed = seed_copy
    app = AppTest.from_function(_page_run_during_an_import, default_timeout=60).run()
    assert not app.exception
    year = int(seed.goals["year"].max())
    # The queries after the publication still read the version the run started with.
    assert app.session_state["departments_seen"] == seed.departments.height
    assert app.session_state["goals_seen"] == seed.goals.filter(pl.col("year") == year).height
    # The next run sees the new version whole.
    fresh = AppTest.from_function(_page_run_during_an_import, default_timeout=60).run()
    assert fresh.session_state["departments_seen"] == seed.departments.height - 1


def test_a_prefetch_reads_the_version_of_its_page_run_and_outlives_a_failing_call(seed_copy) -> None:
    from streamlit.testing.v1 import AppTest

    seed = seed_copy
    app = AppTest.from_function(_prefetch_during_an_import, default_timeout=60).run()
    assert not app.exception
    assert app.session_state["prefetched"] == app.session_state["departments_seen"] == seed.departments.height
    assert app.session_state["again"]
    fresh = AppTest.from_function(_prefetch_during_an_import, default_timeout=60).run()
    assert fresh.session_state["prefetched"] == seed.departments.height - 1
    # Outside a page run there is nothing to overlap with: nothing runs.
    ran = []
    assert queries.prefetch(("test",), lambda: ran.append(1)) is None and ran == []


PROBLEM_STATUSES = ["not_met", "at_risk", "pending"]


def _per_department(goals: pl.DataFrame) -> pl.DataFrame:
    return goals.group_by("dept_id", "sort_order").agg(
        total=pl.len(),
        red=(pl.col("light") == "red").sum(),
        yellow=(pl.col("light") == "yellow").sum(),
        green=(pl.col("light") == "green").sum(),
        not_met=(pl.col("status") == "not_met").sum(),
        at_risk=(pl.col("status") == "at_risk").sum(),
        pending=(pl.col("status") == "pending").sum(),
        met=pl.col("status").is_in(["exceeded", "achieved"]).sum(),
        exceeded=(pl.col("status") == "exceeded").sum(),
        problem=(pl.col("light").is_in(["red", "yellow"]) | pl.col("status").is_in(PROBLEM_STATUSES)).any(),
    )


def worst_first(goals: pl.DataFrame) -> list[str]:
    """Departments worst first, worked out here from the goals: most red lights, then yellow,
    then the statuses (not met, at risk, pending), then lowest share green, then share met."""
    per = _per_department(goals).with_columns(
        green_share=pl.col("green") / pl.col("total"),
        met_share=pl.col("met") / pl.col("total"),
        exceeded_share=pl.col("exceeded") / pl.col("total"),
    )
    return (
        per.sort(
            ["red", "yellow", "not_met", "at_risk", "pending", "green_share", "met_share", "exceeded_share"]
            + ["total", "sort_order"],
            descending=[True, True, True, True, True, False, False, False, True, False],
        )
        .get_column("dept_id")
        .to_list()
    )


def test_status_chart_lists_departments_worst_first_by_lights(year: int, goals: pl.DataFrame) -> None:
    frame, total, hidden = queries.status_worst_first(Filters(year))
    shown = frame.unique("dept_id", maintain_order=True).get_column("dept_id").to_list()
    assert shown == worst_first(goals)
    # Read off the bundled lights: 市经信局 has two red lights (难度较大), 市建设局 two yellow ones
    # (有望), then one yellow each — 市档案馆 (待验收) before 市农业农村局 (有望完成: the status
    # breaks the tie). Sorted by status alone, 市农业农村局 (no goal not met, at risk or pending)
    # was among the departments without a problem.
    assert shown[:4] == ["economy_it", "housing_construction", "archives", "agriculture_rural"]
    # 14 departments (≤ 20): every one shown, none behind "show all".
    assert (total, hidden) == (goals.get_column("dept_id").n_unique(), 0)
    for dept_id, part in frame.group_by("dept_id"):
        chosen = goals.filter(pl.col("dept_id") == dept_id[0])
        assert dict(zip(part["status"], part["goals"], strict=True)) == dict(
            chosen.group_by("status").len().iter_rows()
        )


def test_problem_departments_are_every_department_with_a_red_or_yellow_light(year: int, goals: pl.DataFrame) -> None:
    frame, total = queries.problem_departments(Filters(year))
    per = _per_department(goals)
    with_problem = set(per.filter(pl.col("problem")).get_column("dept_id"))
    assert frame.get_column("dept_id").to_list() == [d for d in worst_first(goals) if d in with_problem]
    assert total == len(with_problem)
    worst_two, same_total = queries.problem_departments(Filters(year), 2)
    assert worst_two.get_column("dept_id").to_list() == frame.get_column("dept_id").to_list()[:2]
    assert same_total == total
    assert "agriculture_rural" in with_problem  # a yellow light (有望完成), no problem status
    for row in frame.iter_rows(named=True):
        chosen = goals.filter(pl.col("dept_id") == row["dept_id"])
        for status in PROBLEM_STATUSES:
            assert row[status] == chosen.filter(pl.col("status") == status).height
        for light in ("red", "yellow"):
            assert row[light] == chosen.filter(pl.col("light") == light).height


def test_needs_attention_is_red_then_yellow_with_the_status_breaking_ties(year: int, goals: pl.DataFrame) -> None:
    page, total = queries.light_attention_goals(Filters(year), 50, 0)
    lit = goals.filter(pl.col("light").is_in(["red", "yellow"]))
    assert total == lit.height == page.height
    severity = {"not_met": 0, "at_risk": 1, "pending": 2, "on_track": 3, "achieved": 4, "exceeded": 5}
    expected = (
        lit.with_columns(
            light_order=(pl.col("light") == "yellow").cast(pl.Int8),
            status_order=pl.col("status").replace_strict(severity),
        )
        .sort("light_order", "status_order", "sort_order", "seq")
        .get_column("goal_id")
        .to_list()
    )
    assert page.get_column("goal_id").to_list() == expected
    # Bundled: the two red 难度较大 goals, then 市档案馆's 待验收 before the four 有望完成.
    assert page.get_column("status").to_list() == ["at_risk"] * 2 + ["pending"] + ["on_track"] * 4


def test_league_table_separates_departments_by_lights_and_shows_ties(
    year: int, goals: pl.DataFrame, indicators: pl.DataFrame
) -> None:
    frame, total, hidden = queries.league_table(Filters(year))
    assert (total, hidden) == (goals.get_column("dept_id").n_unique(), 0)
    # Only confirmed figures count (待核 ones wait for staff), and never a forecast.
    achieved = indicators.filter(
        (pl.col("confidence") == "high")
        & ~pl.col("quote").str.contains(FORECAST_WORDS)
        & (pl.col("rank_scope") == "全省")
    )
    ranks = achieved.group_by("dept_id").agg(
        firsts=((pl.col("rank") == 1) & ~pl.col("rank_is_top_n")).sum(), top3=(pl.col("rank") <= 3).sum()
    )
    expected = (
        _per_department(goals)
        .join(ranks, on="dept_id", how="left")
        .with_columns(pl.col("firsts", "top3").fill_null(0), share=pl.col("green") / pl.col("total"))
        .with_columns(key=pl.struct(pl.col("share"), "firsts", "top3"))
        .with_columns(place=pl.col("key").rank("min", descending=True))
    )
    got = {row["dept_id"]: row for row in frame.iter_rows(named=True)}
    assert set(got) == set(expected.get_column("dept_id"))
    for row in expected.iter_rows(named=True):
        shown = got[row["dept_id"]]
        assert (shown["green"], shown["total"], shown["firsts"], shown["top3"]) == (
            row["green"],
            row["total"],
            row["firsts"],
            row["top3"],
        )
        assert shown["place"] == row["place"]
        assert shown["tied"] == (expected.filter(pl.col("key") == row["key"]).height > 1)
    assert frame.get_column("place").to_list() == sorted(frame.get_column("place").to_list())
    # The bottom: 市建设局 (3 of 5 goals green) and 市经信局 (2 of 5: two red, one yellow).
    assert frame.get_column("dept_id").tail(2).to_list() == ["housing_construction", "economy_it"]
    # Ranks break the ties of the departments with every light green: more than two places.
    full = frame.filter(pl.col("green") == pl.col("total"))
    assert full.get_column("place").n_unique() > 2


def test_target_gaps_list_every_figure_with_a_target_worst_first(year: int, indicators: pl.DataFrame) -> None:
    frame, total = queries.target_gaps(Filters(year))
    with_target = indicators.filter(
        (pl.col("confidence") == "high") & (pl.col("target").is_not_null() | pl.col("completion_pct").is_not_null())
    )
    assert sorted(frame.get_column("indicator_id")) == sorted(with_target.get_column("indicator_id"))
    assert total == with_target.height > 0
    pcts = frame.get_column("pct_of_target").to_list()
    assert pcts == sorted(pcts)
    for row in frame.join(with_target.select("indicator_id", v="value", tg="target"), on="indicator_id").iter_rows(
        named=True
    ):
        assert row["gap"] == pytest.approx(row["v"] - row["tg"])
        assert row["gap_pct"] == pytest.approx(row["pct_of_target"] - 100)


def test_goal_title_targets_without_a_figure_are_listed(year: int, goals: pl.DataFrame) -> None:
    # 规上工业增加值全年同比增长8.5% (难度较大): the narrative gives only 8-11月累计回升1.3%.
    frame, total = queries.title_target_goals(Filters(year))
    listed = set(frame.get_column("goal_id"))
    industry = goals.filter(pl.col("title").str.contains("规上工业增加值全年同比增长8.5%"))
    assert industry.height == 1 and industry.get_column("goal_id")[0] in listed
    # Worst status first.
    order = ["not_met", "at_risk", "pending", "on_track", "achieved", "exceeded"]
    positions = [order.index(s) for s in frame.get_column("status")]
    assert positions == sorted(positions) and total == frame.height
