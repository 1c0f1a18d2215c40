"""The seed build end to end: counts, statuses, traceable figures, determinism, curation errors."""

import shutil
from pathlib import Path

import polars as pl
import pytest

from kpi.contract.storage import read_dataset, table_path
from kpi.pipeline.build import RAW_FILE, build_dataset, main
from kpi.pipeline.curation import CurationError, load_curation

ROOT = Path(__file__).resolve().parents[2]
CURATION = ROOT / "data" / "curation"
RAW = RAW_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(RAW, load_curation(CURATION))


def goal(dataset, dept_id, seq):
    return dataset.goals.filter((pl.col("dept_id") == dept_id) & (pl.col("seq") == seq)).row(0, named=True)


def test_counts(dataset):
    assert dataset.departments.height == 14
    assert dataset.goals.height == 69
    per_dept = dataset.goals.group_by("dept_id").len()
    assert per_dept.filter(pl.col("dept_id") == "red_cross")["len"].item() == 4
    assert set(per_dept.filter(pl.col("dept_id") != "red_cross")["len"]) == {5}
    assert dataset.indicators.height >= 150
    assert dataset.themes.height >= 8
    assert dataset.departments["sort_order"].to_list() == list(range(1, 15))


def test_every_indicator_quote_is_verbatim_in_its_goal(dataset):
    results = dict(dataset.goals.select("goal_id", "result").iter_rows())
    for row in dataset.indicators.iter_rows(named=True):
        assert row["quote"] in results[row["goal_id"]], row["indicator_id"]
        assert row["value_text"] in row["quote"] or row["unit"] == "位次", row["indicator_id"]


def test_every_goal_has_a_figure_or_says_why(dataset):
    # Goals whose narrative states no number at all may have no indicator; all others must.
    with_figures = set(dataset.indicators["goal_id"])
    for row in dataset.goals.iter_rows(named=True):
        if any(ch.isdigit() for ch in row["result"]):
            assert row["goal_id"] in with_figures, row["goal_id"]


@pytest.mark.parametrize(
    ("dept_id", "seq", "status"),
    [
        ("economy_it", 1, "at_risk"),  # 完成人代会目标难度较大
        ("economy_it", 2, "on_track"),  # 有望完成全年目标
        ("economy_it", 3, "exceeded"),  # 提前3个月完成目标
        ("economy_it", 4, "at_risk"),  # 导致全年增长乏力
        ("economy_it", 5, "exceeded"),  # 超额完成目标
        ("archives", 4, "pending"),  # 等待国家档案局验收
        ("archives", 2, "exceeded"),  # 完成年度目标112.37%
        ("disabled_persons", 1, "exceeded"),  # 超额完成2家，完成率167%
        ("housing_construction", 3, "exceeded"),  # 分别达年度目标的125.7%、143.2%
        ("natural_resources", 5, "achieved"),  # 未发生地质灾害 is not 未完成
    ],
)
def test_statuses(dataset, dept_id, seq, status):
    row = goal(dataset, dept_id, seq)
    assert row["status"] == status, row["status_reason"]


def test_every_status_has_a_reason_and_every_goal_a_theme(dataset):
    assert dataset.goals.filter(pl.col("status_reason").str.len_chars() == 0).height == 0
    assert dataset.goals.filter(pl.col("themes").list.len() == 0).height == 0
    themes_in_use = set(dataset.goals["themes"].explode())
    assert len(themes_in_use) >= 8


def test_key_figures(dataset):
    indicators = dataset.indicators
    archive = indicators.filter(pl.col("value_text") == "134849件").row(0, named=True)
    assert archive["target"] == 120000 and archive["completion_pct"] == pytest.approx(112.37)
    housing = indicators.filter(pl.col("value_text").str.starts_with("2.89万套")).row(0, named=True)
    assert housing["value"] == 28900 and housing["completion_pct"] == pytest.approx(125.7)
    relief = indicators.filter(pl.col("value_text") == "235.4亿元").row(0, named=True)
    assert relief["value"] == pytest.approx(2.354e10) and relief["unit"] == "元"
    ranked = indicators.filter(pl.col("rank").is_not_null())
    assert ranked.height >= 25
    assert ranked.filter(pl.col("rank_is_top_n")).height >= 3
    assert {"全省", "全国中等城市"} <= set(ranked["rank_scope"])


def test_build_is_deterministic(tmp_path):
    for name in ("a", "b"):
        assert main(["--out", str(tmp_path / name)]) == 0
    for path in sorted((tmp_path / "a").glob("*.parquet")):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_committed_data_matches_a_fresh_build(dataset):
    committed = read_dataset(ROOT / "data")
    for name, frame in dataset.tables().items():
        assert frame.equals(committed.tables()[name]), f"data/{name}.parquet is stale: run python -m kpi.build"


def curation_copy(tmp_path) -> Path:
    target = tmp_path / "curation"
    shutil.copytree(CURATION, target)
    return target


def test_department_missing_from_curation_is_named(tmp_path):
    directory = curation_copy(tmp_path)
    path = directory / "departments.csv"
    path.write_text("\n".join(line for line in path.read_text().splitlines() if not line.startswith("市文联")) + "\n")
    with pytest.raises(CurationError, match="部门「市文联」不在 data/curation/departments.csv 中"):
        build_dataset(RAW, load_curation(directory))


def test_curated_line_end_must_exist(tmp_path):
    directory = curation_copy(tmp_path)
    (directory / "narrative_breaks.csv").write_text("kind,line_end,reason\njoin,并不存在的行末。,测试\n")
    with pytest.raises(CurationError, match="「并不存在的行末。」应恰好结束源文件中的一行，实际匹配 0 行"):
        build_dataset(RAW, load_curation(directory))


def test_status_override_is_applied_with_its_reason(tmp_path):
    directory = curation_copy(tmp_path)
    (directory / "status_overrides.csv").write_text("dept_name,seq,status,reason\n市统计局,1,on_track,测试原因\n")
    row = goal(build_dataset(RAW, load_curation(directory)), "statistics", 1)
    assert row["status"] == "on_track" and row["status_reason"] == "人工校订：测试原因"


def test_bad_status_override_names_file_and_row(tmp_path):
    directory = curation_copy(tmp_path)
    (directory / "status_overrides.csv").write_text("dept_name,seq,status,reason\n市统计局,1,done,测试\n")
    with pytest.raises(CurationError, match="status_overrides.csv 第2行：状态「done」无效"):
        load_curation(directory)


def test_override_for_a_goal_that_does_not_exist(tmp_path):
    directory = curation_copy(tmp_path)
    (directory / "status_overrides.csv").write_text("dept_name,seq,status,reason\n市统计局,9,achieved,测试\n")
    with pytest.raises(CurationError, match="不存在"):
        build_dataset(RAW, load_curation(directory))


def test_indicator_override_must_match_one_figure(tmp_path):
    directory = curation_copy(tmp_path)
    (directory / "indicator_overrides.csv").write_text(
        "dept_name,seq,value_text,field,value,reason\n市统计局,1,999个,name,某指标,测试\n"
    )
    with pytest.raises(CurationError, match="indicator_overrides.csv 第2行：「999个」应恰好对应该目标的一个指标"):
        build_dataset(RAW, load_curation(directory))


def test_indicator_override_renames_and_sets_a_target(tmp_path, dataset):
    original = dataset.indicators.filter(pl.col("value_text") == "1024家").row(0, named=True)
    directory = curation_copy(tmp_path)
    (directory / "indicator_overrides.csv").write_text(
        "dept_name,seq,value_text,field,value,reason\n"
        "市统计局,2,1024家,name,数据质量核查企业数,测试改名\n"
        "市统计局,2,1024家,target_text,1000家,测试目标\n"
    )
    changed = build_dataset(RAW, load_curation(directory)).indicators
    row = changed.filter(pl.col("indicator_id") == original["indicator_id"]).row(0, named=True)
    assert row["name"] == "数据质量核查企业数"
    assert row["target"] == 1000 and row["target_text"] == "1000家" and row["completion_pct"] == pytest.approx(102.4)
    assert row["target_basis"] == "curated"


def test_cli_reports_errors_in_chinese_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--raw", str(tmp_path / "missing.txt"), "--out", str(out)]) == 2
    assert "找不到文件" in capsys.readouterr().err
    assert not out.exists()
    garbled = tmp_path / "garbled.txt"
    garbled.write_bytes("市妇联".encode("gbk"))
    assert main(["--raw", str(garbled), "--out", str(out)]) == 2
    assert "不是 UTF-8" in capsys.readouterr().err
    layout = tmp_path / "layout.txt"
    layout.write_text("这是一段普通的文字，不是目标表。\n", encoding="utf-8")
    assert main(["--raw", str(layout), "--out", str(out)]) == 2
    assert "构建失败" in capsys.readouterr().err
    assert not out.exists()


def test_check_mode(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--out", str(out)]) == 0
    assert main(["--out", str(out), "--check"]) == 0
    goals = pl.read_parquet(table_path(out, "goals")).with_columns(status_reason=pl.lit("被改动"))
    goals.write_parquet(table_path(out, "goals"))
    assert main(["--out", str(out), "--check"]) == 1
    assert "goals" in capsys.readouterr().err
