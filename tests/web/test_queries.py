"""The query layer on the real Parquet files, checked against Polars reading the same files."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from kpi.contract.schema import STATUSES, TABLES
from kpi.contract.storage import table_path
from kpi.web import queries
from kpi.web.queries import Filters
from tests.support.apptest import expected_tiles

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


@pytest.mark.parametrize("term", ["减负", "全省第1", "数字", "%"])
def test_search_matches_titles_and_narratives_literally(
    term: str, year: int, goals: pl.DataFrame, indicators: pl.DataFrame
) -> None:
    chosen = goals.filter(
        pl.col("title").str.contains(term, literal=True) | pl.col("result").str.contains(term, literal=True)
    )
    tiles = queries.tiles(Filters(year, q=term))
    assert tiles == pytest.approx(expected_tiles(chosen, indicators))
    assert 0 < tiles["goals"] < goals.height  # "%" is a literal percent sign, not a wildcard


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


def test_status_mix_by_department(year: int, goals: pl.DataFrame) -> None:
    frame, total = queries.status_by_department(Filters(year))
    expected = goals.group_by("dept_id", "status").len().sort("dept_id", "status")
    got = frame.select("dept_id", "status", pl.col("goals").cast(pl.UInt32).alias("len")).sort("dept_id", "status")
    assert got.equals(expected)
    assert total == goals.get_column("dept_id").n_unique()
    # Sorted by share of goals met, highest first.
    shares = frame.unique("dept_id", maintain_order=True).get_column("met_share").to_list()
    assert shares == sorted(shares, reverse=True)
    met = goals.group_by("dept_id").agg(pl.col("status").is_in(["exceeded", "achieved"]).mean().alias("share"))
    best = met.get_column("share").max()
    assert frame.get_column("met_share")[0] == pytest.approx(best)


def test_status_mix_top_n(year: int) -> None:
    frame, total = queries.status_by_department(Filters(year), limit=5)
    full, _ = queries.status_by_department(Filters(year))
    assert frame.get_column("dept_id").n_unique() == 5 < total
    top5 = full.unique("dept_id", maintain_order=True).get_column("dept_id").head(5).to_list()
    assert frame.unique("dept_id", maintain_order=True).get_column("dept_id").to_list() == top5


def test_top3_leaderboard(year: int, indicators: pl.DataFrame) -> None:
    frame, total = queries.top3_leaderboard(Filters(year))
    top3 = indicators.filter((pl.col("rank") <= 3) & (pl.col("rank_scope") == "全省"))
    expected = top3.group_by("dept_id").len()
    assert dict(zip(frame["dept_id"], frame["top3"], strict=True)) == dict(
        zip(expected["dept_id"], expected["len"], strict=True)
    )
    assert total == expected.height
    assert frame.get_column("top3").to_list() == sorted(frame.get_column("top3").to_list(), reverse=True)


def test_attention_goals_are_the_risky_ones_worst_first(year: int, goals: pl.DataFrame) -> None:
    expected = goals.filter(pl.col("status").is_in(["at_risk", "not_met", "pending"]))
    collected, offset = [], 0
    while True:
        page, total = queries.attention_goals(Filters(year), limit=4, offset=offset)
        if page.height == 0:
            break
        collected.append(page)
        offset += 4
    everything = pl.concat(collected)
    assert total == expected.height > 0
    assert sorted(everything.get_column("goal_id")) == sorted(expected.get_column("goal_id"))
    order = [queries.ATTENTION_STATUSES.index(s) for s in everything.get_column("status")]
    assert order == sorted(order)
    assert everything.get_column("result").str.len_chars().min() > 0


def test_goal_pages_cover_every_goal_once(year: int, goals: pl.DataFrame) -> None:
    seen: list[str] = []
    for offset in range(0, goals.height + 10, 10):
        page, total = queries.goal_page(Filters(year), limit=10, offset=offset)
        assert total == goals.height
        assert page.height <= 10
        seen += page.get_column("goal_id").to_list()
    assert len(seen) == len(set(seen)) == goals.height
    expected_order = goals.sort("sort_order", "seq").get_column("goal_id").to_list()
    assert seen == expected_order


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
        ordered = expected.sort("sort_order", "seq").get_column("goal_id").to_list()
        page, total = queries.goal_page(f, limit=3, offset=1)
        assert total == expected.height
        assert page.get_column("goal_id").to_list() == ordered[1:4]
        assert "total" not in page.columns
        past_end, past_total = queries.goal_page(f, limit=3, offset=expected.height + 5)
        assert (past_end.height, past_total) == (0, expected.height)
    risky = goals.filter(pl.col("status").is_in(queries.ATTENTION_STATUSES) & (pl.col("dept_id") == dept_id))
    page, total = queries.attention_goals(Filters(year, dept_ids=(dept_id,)), limit=2, offset=0)
    assert total == risky.height
    assert page.height == min(2, risky.height)


def _scope_group(scope: str) -> str:
    return "province" if scope.startswith("全省") else "nation" if scope.startswith("全国") else "other"


def test_ranked_figures_by_scope(year: int, indicators: pl.DataFrame) -> None:
    ranked = indicators.filter(pl.col("rank").is_not_null())
    found = 0
    for group in queries.SCOPE_GROUPS:
        frame, total = queries.ranked_figures(Filters(year), group)
        expected = ranked.filter(pl.col("rank_scope").map_elements(_scope_group, return_dtype=pl.String) == group)
        assert sorted(frame.get_column("indicator_id")) == sorted(expected.get_column("indicator_id"))
        assert total == expected.height
        ranks = frame.get_column("rank").to_list()
        assert ranks == sorted(ranks)  # best rank first
        found += total
    assert found == ranked.height > 0
    province, _ = queries.ranked_figures(Filters(year), "province")
    assert (
        province.filter(pl.col("rank_is_top_n")).height
        == ranked.filter(pl.col("rank_is_top_n") & pl.col("rank_scope").str.starts_with("全省")).height
    )
    with pytest.raises(ValueError):
        queries.ranked_figures(Filters(year), "'; drop table goals;--")


def test_ranked_figures_top_n(year: int) -> None:
    frame, total = queries.ranked_figures(Filters(year), "province", limit=3)
    assert frame.height == min(3, total)


def test_target_figures_are_only_those_with_a_target_or_rate(year: int, indicators: pl.DataFrame) -> None:
    frame, total = queries.target_figures(Filters(year))
    with_target = indicators.filter(pl.col("target").is_not_null() | pl.col("completion_pct").is_not_null())
    computable = with_target.filter(
        pl.col("completion_pct").is_not_null() | (pl.col("value").is_not_null() & (pl.col("target") != 0))
    )
    assert sorted(frame.get_column("indicator_id")) == sorted(computable.get_column("indicator_id"))
    assert total == computable.height > 0
    pcts = frame.get_column("pct_of_target").to_list()
    assert pcts == sorted(pcts, reverse=True)
    for row in frame.join(indicators.select("indicator_id", "value", "target"), on="indicator_id").iter_rows(
        named=True
    ):
        if row["completion_pct"] is not None:
            assert row["pct_of_target"] == pytest.approx(row["completion_pct"])
        elif row["higher_is_better"]:
            assert row["pct_of_target"] == pytest.approx(row["value"] / row["target"] * 100)
        else:
            assert row["pct_of_target"] == pytest.approx(row["target"] / row["value"] * 100)


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
    for name in TABLES:
        shutil.copy(table_path(data_directory, name), table_path(tmp_path, name))
    indicators = pl.read_parquet(table_path(tmp_path, "indicators"))
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
    ranked_before = queries.ranked_figures(Filters(year), "province")[1]
    indicators.with_columns(
        confidence=pl.when(pl.col("indicator_id").is_in(doubtful)).then(pl.lit("low")).otherwise("confidence"),
        confidence_reason=pl.when(pl.col("indicator_id").is_in(doubtful))
        .then(pl.lit("名称取自句首（兜底规则），请核对"))
        .otherwise("confidence_reason"),
    ).write_parquet(table_path(tmp_path, "indicators"))
    queries.clear_caches()
    assert queries.tiles(Filters(year))["provincial_firsts"] == before - 1
    assert queries.ranked_figures(Filters(year), "province")[1] == ranked_before - (
        1 + (targeted["rank"] is not None and str(targeted["rank_scope"]).startswith("全省"))
    )
    assert targeted["indicator_id"] not in queries.target_figures(Filters(year))[0].get_column("indicator_id")
    shown = queries.indicators_of_goals((first["goal_id"],), (year,))
    assert shown.filter(pl.col("indicator_id") == first["indicator_id"]).get_column("confidence").to_list() == ["low"]
    queries.clear_caches()


def test_statuses_are_the_contract_statuses() -> None:
    assert queries.STATUSES == STATUSES


def _page_run_during_an_import() -> None:
    """A page run that another writer publishes a new version in the middle of."""
    import os
    from dataclasses import replace
    from pathlib import Path

    import polars as pl
    import streamlit as st

    from kpi.contract.storage import read_dataset, write_dataset
    from kpi.web import queries

    directory = Path(os.environ["KPI_DATA_DIR"])
    queries.data_problems()  # the run's check resolves current
    data = read_dataset(directory)
    dropped = data.departments["dept_id"][0]
    write_dataset(
        replace(
            data,
            departments=data.departments.filter(pl.col("dept_id") != dropped),
            goals=data.goals.filter(pl.col("dept_id") != dropped),
            indicators=data.indicators.filter(pl.col("dept_id") != dropped),
            goal_targets=data.goal_targets.filter(
                pl.col("goal_id")
                .is_in(data.goals.filter(pl.col("dept_id") == dropped).get_column("goal_id").implode())
                .not_()
            ),
        ),
        directory,
    )
    st.session_state["departments_seen"] = queries.departments().height
    st.session_state["goals_seen"] = queries.tiles(queries.Filters(int(data.goals["year"].max())))["goals"]


def test_one_page_run_reads_one_version_while_an_import_publishes_another(
    seed_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from kpi.contract.storage import read_dataset, write_dataset

    seed = read_dataset(seed_files)
    write_dataset(seed, tmp_path)
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    app = AppTest.from_function(_page_run_during_an_import, default_timeout=60).run()
    assert not app.exception
    year = int(seed.goals["year"].max())
    # The queries after the publication still read the version the run started with.
    assert app.session_state["departments_seen"] == seed.departments.height
    assert app.session_state["goals_seen"] == seed.goals.filter(pl.col("year") == year).height
    # The next run sees the new version whole.
    fresh = AppTest.from_function(_page_run_during_an_import, default_timeout=60).run()
    assert fresh.session_state["departments_seen"] == seed.departments.height - 1
