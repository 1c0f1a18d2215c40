"""The source parser: lossless, right counts, clear errors on layouts it cannot settle."""

from pathlib import Path

import pytest

from kpi.pipeline.curation import load_curation
from kpi.pipeline.source import NarrativeBreaks, SourceError, parse_source, squeeze

ROOT = Path(__file__).resolve().parents[2]
RAW = (ROOT / "data" / "raw" / "huzhou-2022-department-goals.txt").read_text(encoding="utf-8")
RAW_LINES = RAW.splitlines()


@pytest.fixture(scope="module")
def pages():
    return parse_source(RAW, load_curation(ROOT / "data" / "curation").narrative_breaks)


def raw_block(first: int, last: int) -> str:
    """Lines first..last (1-based, inclusive) of the raw file, whitespace removed."""
    return squeeze("".join(RAW_LINES[first - 1 : last]))


def test_counts_match_the_document(pages):
    assert len(pages) == 4
    names = [name for page in pages for name in page.dept_names]
    assert len(names) == 14 and len(set(names)) == 14
    assert names[0] == "市妇联" and names[-1] == "市统计局"
    assert "市发展改革委" in names and "市自然资源和规划局" in names and "市农业农村局" in names
    goals = [g for page in pages for g in page.goals]
    assert len(goals) == 69
    per_dept = {name: sum(1 for g in goals if g.dept_name == name) for name in names}
    assert per_dept.pop("市红十字会") == 4
    assert set(per_dept.values()) == {5}


def test_each_page_is_reproduced_losslessly(pages):
    for page in pages:
        first_title = page.goals[0].title_lines[0]
        last_title = page.goals[-1].title_lines[1]
        titles = "".join(f"{g.seq}.{g.title}" for g in page.goals)
        assert squeeze(titles) == raw_block(first_title, last_title), f"page {page.number} titles"
        first_result = page.goals[0].result_lines[0]
        last_result = page.goals[-1].result_lines[1]
        results = "".join(g.result for g in page.goals)
        assert squeeze(results) == raw_block(first_result, last_result), f"page {page.number} results"


def test_whole_file_is_accounted_for(pages):
    rebuilt = ""
    for page in pages:
        rebuilt += "".join(page.dept_names)
        rebuilt += "".join(f"{g.seq}.{g.title}" for g in page.goals)
        rebuilt += "".join(g.result for g in page.goals)
    assert squeeze(rebuilt) == squeeze(RAW)


def test_titles_and_results_are_joined_without_line_breaks(pages):
    goals = {(g.dept_name, g.seq): g for page in pages for g in page.goals}
    archive = goals[("市档案馆", 4)]
    assert archive.title == "推进国家级示范数字档案馆创建提质扩面"
    assert "\n" not in archive.result and archive.result.endswith("等待国家档案局验收。")
    women = goals[("市妇联", 4)]
    assert women.result.endswith("选树“最美巾帼岗岗长”20名。")
    assert goals[("市妇联", 5)].result.startswith("开展“湖州女儿”“六进”宣讲1600余场次。")
    finance = goals[("市财政局", 4)]
    assert finance.result.endswith("预算绩效管理实现全省领先。")
    assert goals[("市经信局", 3)].title == "全年为企业减负200亿元以上"


SYNTHETIC = """\
 市甲局

市乙
委员会

1.第一项目标，内容
较长需要换行
2.第二项目标

1.乙的唯一目标
很长很长

甲的第一项完成情况写得很长很长很长很长很长很长很长很长很长，完成了十二项。
第二行仍然属于第一项。
甲的第二项完成情况写得很长很长很长很长很长很长很长很长很长很长很长很长。
乙的目标完成情况也写得很长很长很长很长很长很长很长很长很长很长很长很长很长。
"""


def test_ambiguous_boundaries_are_refused_with_line_numbers():
    with pytest.raises(SourceError) as error:
        parse_source(SYNTHETIC)
    message = str(error.value)
    assert "第13行、第14行、第15行" in message and "narrative_breaks.csv" in message


def test_curated_join_settles_the_boundary():
    pages = parse_source(SYNTHETIC, NarrativeBreaks(joins=frozenset({"完成了十二项。"})))
    (page,) = pages
    assert page.dept_names == ["市甲局", "市乙委员会"]
    assert [(g.dept_name, g.seq, g.title) for g in page.goals] == [
        ("市甲局", 1, "第一项目标，内容较长需要换行"),
        ("市甲局", 2, "第二项目标"),
        ("市乙委员会", 1, "乙的唯一目标很长很长"),
    ]
    assert page.goals[0].result.endswith("第二行仍然属于第一项。")
    assert page.goals[2].result.startswith("乙的目标")


def test_blank_lines_between_narratives_need_no_curation():
    text = SYNTHETIC.replace("第二行仍然属于第一项。\n", "第二行仍然属于第一项。\n\n").replace(
        "很长很长。\n乙的", "很长很长。\n\n乙的"
    )
    (page,) = parse_source(text)
    assert [g.result_lines for g in page.goals] == [(13, 14), (16, 16), (18, 18)]


def test_curated_break_ends_a_narrative_without_punctuation():
    text = SYNTHETIC.replace("完成了十二项。", "完成了十二项，").replace(
        "第二行仍然属于第一项。", "第二行仍然属于第一项"
    )
    with pytest.raises(SourceError, match="句末换行另有1处（第15行）"):
        parse_source(text)
    (page,) = parse_source(text, NarrativeBreaks(breaks=frozenset({"第二行仍然属于第一项"})))
    assert page.goals[0].result.endswith("第二行仍然属于第一项")
    assert page.goals[1].result.startswith("甲的第二项")


def test_department_and_numbering_mismatch_is_reported():
    text = SYNTHETIC.replace("1.乙的唯一目标", "3.乙的唯一目标")
    with pytest.raises(SourceError, match="2个部门名称"):
        parse_source(text)


def test_text_that_does_not_open_with_departments_is_refused():
    with pytest.raises(SourceError, match="部门名称开头"):
        parse_source("这是一段普通的文字，不是目标表。\n")
    with pytest.raises(SourceError, match="文件为空"):
        parse_source("\n\n")
