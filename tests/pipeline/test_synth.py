"""The synthetic data generator: the contract, determinism, scaling, traceable
quotes and its command line. Small sizes only; speed is measured in bench/."""

import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from kpi.contract.schema import STATUSES, TABLES, validate
from kpi.contract.storage import read_dataset
from kpi.pipeline.status import infer_status
from kpi.pipeline.synth import LAST_YEAR, generate, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dataset():
    return generate(departments=60, years=3, seed=7)


def test_every_table_satisfies_the_contract(dataset):
    validate(dataset)  # raises ContractError on any problem
    for name, frame in dataset.tables().items():
        assert frame.schema == pl.Schema(TABLES[name]), name


def test_the_command_writes_a_dataset_the_dashboard_can_read(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--departments", "12", "--years", "2", "--seed", "3"]) == 0
    back = read_dataset(tmp_path)  # reads and validates the four files
    assert back.departments.height == 12
    assert sorted(back.goals.get_column("year").unique().to_list()) == [LAST_YEAR - 1, LAST_YEAR]
    printed = capsys.readouterr().out
    assert f"indicators {back.indicators.height:,} 行" in printed
    assert "用时" in printed


def test_same_seed_same_tables_other_seed_other_tables(dataset):
    again = generate(departments=60, years=3, seed=7)
    other = generate(departments=60, years=3, seed=8)
    for name, frame in dataset.tables().items():
        assert frame.equals(again.tables()[name]), name
    assert not dataset.indicators.equals(other.indicators)


def test_rows_scale_with_departments_and_years():
    small = generate(departments=100, years=2, seed=1)
    large = generate(departments=200, years=4, seed=1)
    for data, dept_years in ((small, 200), (large, 800)):
        assert data.departments.height == dept_years // (data.goals.get_column("year").n_unique())
        full_year = data.goals.filter(pl.col("period") == "FY")
        goals_per = full_year.height / dept_years
        figures_per = (
            data.indicators.filter(pl.col("goal_id").is_in(full_year["goal_id"].implode())).height / full_year.height
        )
        assert 4.5 < goals_per < 5.5
        assert 3.5 < figures_per < 4.5
        assert data.goals.height == 4 * full_year.height  # every goal reported in four periods
    assert 3.5 < large.indicators.height / small.indicators.height < 4.5


def test_ids_stay_unique_past_every_region_and_department_kind():
    data = generate(departments=5300, years=1, seed=0)
    assert data.departments.get_column("dept_id").is_unique().all()
    assert data.departments.get_column("name").is_unique().all()
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", d) for d in data.departments.get_column("dept_id").to_list())


def test_quotes_and_figures_are_fragments_of_the_narrative(dataset):
    joined = dataset.indicators.join(dataset.goals.select("goal_id", "result"), on="goal_id")
    assert joined.height == dataset.indicators.height
    for row in joined.iter_rows(named=True):
        assert row["quote"] in row["result"]
        assert row["value_text"] in row["quote"]
        if row["target_basis"] == "stated":
            assert f"（目标{row['target_text']}）" in row["quote"]
        elif row["target_basis"] == "completion":  # worked back from the stated rate: approximate
            assert row["target_text"].startswith("约")
            assert f"完成年度目标{row['completion_pct']:g}%" in row["quote"]
        else:
            assert row["target"] is None and row["target_text"] is None


def test_values_are_the_written_figures_in_base_units(dataset):
    scale = {"": 1, "万": 1e4, "亿": 1e8}
    for row in dataset.indicators.iter_rows(named=True):
        figure = r"([\d.]+)(万|亿)?(余|多)?" + re.escape(row["unit"])
        number, word, _ = re.fullmatch(figure, row["value_text"]).groups()
        assert row["value"] == pytest.approx(float(number) * scale[word or ""])
        if row["target"] is not None:
            assert row["completion_pct"] == pytest.approx(round(row["value"] / row["target"] * 100, 2))


def test_statuses_match_what_the_status_rules_read_in_the_narrative(dataset):
    rates = dataset.indicators.group_by("goal_id").agg(pl.col("completion_pct"))
    goals = dataset.goals.join(rates, on="goal_id", how="left")
    for goal in goals.iter_rows(named=True):
        assert infer_status(goal["result"], goal["completion_pct"] or [])[0] == goal["status"], goal["result"]


def test_distributions_look_like_the_real_source():
    data = generate(departments=300, years=2, seed=2)
    full_year = data.goals.filter(pl.col("period") == "FY")
    statuses = full_year.get_column("status").value_counts(normalize=True)
    shares = dict(zip(statuses.get_column("status"), statuses.get_column("proportion"), strict=True))
    assert set(shares) == set(STATUSES)
    assert shares["achieved"] > shares["exceeded"] > shares["at_risk"]
    fy_figures = data.indicators.filter(pl.col("goal_id").is_in(full_year["goal_id"].implode()))
    completion = fy_figures.get_column("completion_pct").drop_nulls()
    assert 95 <= completion.median() <= 110
    ranked = data.indicators.filter(pl.col("rank").is_not_null())
    provincial = ranked.filter(pl.col("rank_scope") == "全省")
    assert provincial.height / ranked.height > 0.75
    assert provincial.get_column("rank").min() == 1 and provincial.get_column("rank").max() <= 11
    theme_ids = set(data.themes.get_column("theme_id"))
    assert set(data.goals.get_column("themes").explode()) <= theme_ids
    assert data.goals.get_column("themes").list.len().max() >= 2
    assert data.indicators.get_column("value_text").str.contains("万").any()
    assert data.indicators.get_column("value_text").str.contains("亿元").any()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--departments", "abc", "--years", "2"], "参数 --departments 应为整数，实际为「abc」"),
        (["--departments", "0", "--years", "2"], "参数 --departments 应在 1 到"),
        (["--departments", "5", "--years", "-3"], "参数 --years 应在 1 到"),
        (["--departments", "5"], "缺少参数 --years"),
        (["--departments", "5", "--years", "2", "--seed", "x"], "参数 --seed 应为整数"),
        (["--departments", "5", "--years", "2", "--rows", "9"], "无法识别的参数：--rows 9"),
    ],
)
def test_bad_numbers_get_a_chinese_message_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert main(["--out", str(out), *args]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "用法：python -m kpi.synth" in error
    assert not out.exists()


def test_an_unwritable_directory_is_named_and_nothing_is_written(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["--out", str(blocker / "data"), "--departments", "3", "--years", "1"]) == 1
    assert f"无法写入目录 {blocker / 'data'}（路径中有一段不是目录）" in capsys.readouterr().err
    assert blocker.read_text() == "not a directory"


def test_the_module_runs_from_the_shell_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "kpi.synth", "--out", str(tmp_path), "--departments", "two", "--years", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "参数 --departments 应为整数" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


# --- report periods and lights ------------------------------------------------------------------------


def test_every_year_is_reported_in_four_periods_linked_by_goal_key(dataset):
    periods = dataset.periods
    assert periods.height == 3 * 4
    assert set(periods.get_column("period")) == {"Q1", "H1", "Q1-3", "FY"}
    per_key = dataset.goals.group_by("goal_key").agg(pl.col("period").sort())
    assert (per_key.get_column("period").list.len() == 4).all()
    # A running period's headline figure is a share of the year's, and short of its target.
    joined = dataset.indicators.join(dataset.goals.select("goal_id", "goal_key", "period"), on="goal_id")
    fy = joined.filter((pl.col("period") == "FY") & pl.col("indicator_id").str.ends_with("-01"))
    q1 = joined.filter(pl.col("period") == "Q1")
    both = q1.join(fy, on=["goal_key", "name"], suffix="_fy")
    assert both.height > 0
    assert (both.get_column("value") < both.get_column("value_fy")).mean() > 0.9
    assert (both.get_column("completion_pct").drop_nulls() < 100).all()


def test_generated_lights_are_the_rules_lights(dataset):
    """The column-wise lights of the generator equal kpi.pipeline.lights.decide_light goal by goal."""
    from kpi.pipeline.build import targets_of_rows
    from kpi.pipeline.lights import decide_light, load_thresholds

    thresholds = load_thresholds(ROOT / "data" / "curation")
    figures: dict[str, list[dict]] = {}
    for row in dataset.indicators.iter_rows(named=True):
        figures.setdefault(row["goal_id"], []).append(row)
    targets: dict[str, list[dict]] = {}
    for row in dataset.goal_targets.iter_rows(named=True):
        targets.setdefault(row["goal_id"], []).append(row)
    lights = set()
    for goal in dataset.goals.iter_rows(named=True):
        expected = decide_light(
            title=goal["title"],
            period=goal["period"],
            status=goal["status"],
            status_reason=goal["status_reason"],
            result=goal["result"],
            targets=targets_of_rows(targets.get(goal["goal_id"], [])),
            figures=figures.get(goal["goal_id"], []),
            thresholds=thresholds,
        )
        assert (goal["light"], goal["light_reason"]) == expected, goal["goal_id"]
        lights.add((goal["period"] == "FY", goal["light"]))
    assert {light for _, light in lights} == {"green", "yellow", "red", "none"}
