"""Importing a table of goals: validation of broken files, upsert, atomic writes, history, restore.

Every test works on a copy of a freshly built seed dataset in tmp_path; the
repository's data/*.parquet are never touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from kpi.contract import health, storage
from kpi.contract.storage import read_dataset, table_path, write_dataset
from kpi.pipeline import history, ingest, spreadsheet, template
from kpi.pipeline.build import RAW_FILE
from kpi.pipeline.source import squeeze

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["年度", "部门", "序号", "目标任务", "完成情况", "状态", "主题"]
# Two 2023 goals of existing departments, in the source's style.
NEW_ROWS = [
    ["2023", "市经信局", "1", "规上工业增加值同比增长8%", "全年规上工业增加值同比增长8.6%，增速居全省第2位。", "", ""],
    [
        "2023",
        "市建设局",
        "1",
        "住房保障惠民",
        "全市共筹集保障性租赁住房1.2万套（间），完成年度目标的120%。",
        "",
        "",
    ],
]


# --- helpers -----------------------------------------------------------------------------------


def csv_bytes(rows, header=HEADER, encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)


def xlsx_bytes(frame: pl.DataFrame, sheet: str = spreadsheet.DATA_SHEET) -> bytes:
    buffer = io.BytesIO()
    frame.write_excel(buffer, worksheet=sheet)
    return buffer.getvalue()


def tree(directory: Path) -> dict[str, bytes | str]:
    """Every file under ``directory`` (kept versions included) byte for byte, links as their target."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            entries[str(path.relative_to(directory))] = "-> " + os.readlink(path)
        elif path.is_file() and path.name != ".write.lock":
            entries[str(path.relative_to(directory))] = path.read_bytes()
    return entries


def run(argv, capsys) -> tuple[int, str, str]:
    code = ingest.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def put(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / "inbox" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return path


def goal(dataset, dept_id, seq, year=2022):
    rows = dataset.goals.filter((pl.col("year") == year) & (pl.col("dept_id") == dept_id) & (pl.col("seq") == seq))
    assert rows.height == 1
    return rows.row(0, named=True)


def figures_of(dataset, goal_id):
    return dataset.indicators.filter(pl.col("goal_id") == goal_id).sort("indicator_id")


@pytest.fixture
def data(tmp_path, seed_files):
    directory = tmp_path / "data"
    write_dataset(read_dataset(seed_files), directory)
    return directory


# --- files that must be refused, each with its message, the data untouched -------------------------------


def _two_sheets_without_data_sheet() -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    pl.DataFrame({"年度": [2023], "部门": ["市财政局"]}).write_excel(workbook, "Sheet1")
    pl.DataFrame({"x": [1]}).write_excel(workbook, "Sheet2")
    workbook.close()
    return buffer.getvalue()


GOOD = ["2023", "市财政局", "1", "聚焦收入可持续增长", "财政总收入701.2亿元，同比增长4.0%。", "", ""]

BROKEN = {
    "missing_column": (
        "goals.csv",
        csv_bytes([GOOD[:4]], header=HEADER[:4]),
        "第1行「完成情况」：缺少必填列（英文列名 result）",
    ),
    "empty_department": ("goals.csv", csv_bytes([["2023", "", *GOOD[2:]]]), "第2行「部门」：不能为空"),
    "year_not_a_number": (
        "goals.csv",
        csv_bytes([["二〇二三", *GOOD[1:]]]),
        "第2行「年度」：应为整数年份（如 2023），实际为「二〇二三」",
    ),
    "year_out_of_range": ("goals.csv", csv_bytes([["23", *GOOD[1:]]]), "第2行「年度」：年份 23 不在 2000–2100 之间"),
    "seq_zero": (
        "goals.csv",
        csv_bytes([[*GOOD[:2], "0", *GOOD[3:]]]),
        "第2行「序号」：应为从 1 开始的整数，实际为「0」",
    ),
    "duplicate_in_file": (
        "goals.csv",
        csv_bytes([GOOD, GOOD[:4] + ["另一段完成情况。", "", ""]]),
        "第3行：年度 2023、期间 全年、部门 市财政局、序号 1 与第2行重复",
    ),
    "duplicate_by_full_name": (
        "goals.csv",
        csv_bytes([GOOD, ["2023", "湖州市财政局", *GOOD[2:]]]),
        "第3行：年度 2023、期间 全年、部门 湖州市财政局、序号 1 与第2行重复",
    ),
    "unknown_status": (
        "goals.csv",
        csv_bytes([[*GOOD[:5], "基本完成", ""]]),
        "第2行「状态」：无法识别的状态「基本完成」，应为 超额完成/已完成/有望完成/待验收/难度较大/未完成 之一",
    ),
    "unknown_theme": ("goals.csv", csv_bytes([[*GOOD[:6], "经济发展、体育"]]), "第2行「主题」：未知的主题 「体育」"),
    "empty_result": ("goals.csv", csv_bytes([[*GOOD[:4], "  ", "", ""]]), "第2行「完成情况」：不能为空"),
    "header_only": ("goals.csv", csv_bytes([]), "文件中没有数据行（只有表头）"),
    "unquoted_comma": (
        "goals.csv",
        ",".join(HEADER).encode() + b"\n2023,\xe5\xb8\x82\xe8\xb4\xa2\xe6\x94\xbf\xe5\xb1\x80,1,t,a,b,,,\xe7\xac\xac\n",
        "第2行：单元格比表头多 2 个，可能是文字中有未加引号的英文逗号",
    ),
    "empty_file": ("goals.csv", b"", "文件是空的"),
    "wrong_extension": ("goals.txt", csv_bytes([GOOD]), "不支持的文件类型「.txt」：请使用 .xlsx 或 .csv（UTF-8）文件"),
    "old_xls": ("goals.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 .xls 格式不受支持"),
    "corrupt_xlsx": (
        "goals.xlsx",
        b"PK\x03\x04 this is not really a workbook",
        "无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式",
    ),
    "xlsx_without_data_sheet": (
        "goals.xlsx",
        _two_sheets_without_data_sheet(),
        "找不到工作表「目标完成情况」（工作簿中的工作表：「Sheet1」、「Sheet2」）",
    ),
    "xlsx_without_columns": (
        "goals.xlsx",
        xlsx_bytes(pl.DataFrame({"年度": [2023], "部门": ["市财政局"], "备注": ["x"]})),
        "第1行「序号」：缺少必填列（英文列名 seq）",
    ),
    "xlsx_without_header": (
        "goals.xlsx",
        xlsx_bytes(pl.DataFrame({"a": ["x"], "b": ["y"]})),
        "找不到表头：前10行中没有",
    ),
    "xlsx_named_csv": ("goals.csv", xlsx_bytes(pl.DataFrame({"年度": [2023]})), "内容却是 Excel 工作簿"),
    "utf16_csv": ("goals.csv", "年度,部门\n2023,市财政局\n".encode("utf-16"), "UTF-16"),
    "neither_utf8_nor_gbk": ("goals.csv", b"\x80\x81\xff\xfe\xfd" * 10, "无法识别文件编码"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_refused_with_a_chinese_message_and_the_data_untouched(case, data, tmp_path, capsys):
    name, content, expected = BROKEN[case]
    before = tree(data)
    code, out, err = run([put(tmp_path, name, content), "--data-dir", data], capsys)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err + out
    assert "未导入任何数据" in err
    assert tree(data) == before


# --- hostile files: limits, formulas, invisible characters ------------------------------------------------


def repeated_rows_workbook(rows: int, cell: str = "完成") -> bytes:
    """A valid .xlsx whose data row is repeated ``rows`` times (rows without their optional
    ``r`` numbers, so the copies are identical and compress to almost nothing)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(spreadsheet.DATA_SHEET)
    sheet.write_row(0, 0, HEADER[:5])
    sheet.write_row(1, 0, [2023, "市财政局", 1, "标题", cell])
    book.close()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    xml = source.read("xl/worksheets/sheet1.xml").decode()
    row = re.search(r'<row r="2".*?</row>', xml).group(0)
    xml = xml.replace(row, re.sub(r' (r|spans)="[^"]*"', "", row) * rows)
    xml = re.sub(r"<dimension [^>]*/>", "", xml)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for name in source.namelist():
            bomb.writestr(name, xml if name == "xl/worksheets/sheet1.xml" else source.read(name))
    return out.getvalue()


# The peak resident memory of this process alone: VmHWM (ru_maxrss would count the parent's,
# which it keeps across fork and exec).
_MEASURED_IMPORT = """
import re, sys
from kpi.pipeline import ingest
code = ingest.main(sys.argv[1:])
status = open("/proc/self/status").read()
print("maxrss_kib", re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
sys.exit(code)
"""


@pytest.mark.parametrize(("rows", "limit"), [(1_000_000, "解压后"), (30_000, "超过 20,000 行")])
def test_a_row_bomb_is_refused_in_bounded_memory(rows, limit, data, tmp_path):
    content = repeated_rows_workbook(rows)
    if rows == 1_000_000:
        assert len(content) < 400_000  # the 0.3 MB bomb
    path = put(tmp_path, "bomb.xlsx", content)
    before = tree(data)
    process = subprocess.run(
        [sys.executable, "-c", _MEASURED_IMPORT, str(path), "--data-dir", str(data), "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails; the old reader took minutes and GiBs
    )
    assert process.returncode == 2, process.stderr
    assert limit in process.stderr and "限制：" in process.stderr
    peak_mib = int(process.stdout.split("maxrss_kib")[-1]) / 1024
    assert peak_mib < 300, peak_mib  # Python, Polars and the seed data take about 125
    assert tree(data) == before


def test_an_oversized_cell_is_refused_naming_the_limit(data, tmp_path, capsys):
    code, _, err = run([put(tmp_path, "long.xlsx", repeated_rows_workbook(1, "字" * 6000)), "--data-dir", data], capsys)
    assert code == 2
    assert "第2行：E列的单元格有 6,000 个字符，未导入（限制：每个单元格不超过 5,000 个字符）" in err
    big = csv_bytes([[*GOOD[:4], "字" * 30_000, "", ""]])
    code, _, err = run([put(tmp_path, "long.csv", big), "--data-dir", data], capsys)
    assert code == 2 and "限制：每个单元格不超过 5,000 个字符" in err


def test_formula_cells_are_refused(data, tmp_path, capsys):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(spreadsheet.DATA_SHEET)
    sheet.write_row(0, 0, HEADER[:5])
    sheet.write_row(1, 0, [2023, "市财政局"])
    sheet.write_formula(1, 2, "=1+0")
    sheet.write_row(1, 3, ["标题", "完成"])
    book.close()
    code, _, err = run([put(tmp_path, "formula.xlsx", buffer.getvalue()), "--data-dir", data], capsys)
    assert code == 2
    assert "第2行：C列的单元格是公式（=1+0），不能导入" in err


def test_nul_characters_are_refused(data, tmp_path, capsys):
    code, _, err = run(
        [put(tmp_path, "nul.csv", csv_bytes([[*GOOD[:3], "目标\x00任务", *GOOD[4:]]])), "--data-dir", data], capsys
    )
    assert code == 2
    assert "第2行：D列的单元格含有空字符（NUL）" in err


def test_invisible_characters_are_removed_and_look_alike_names_warned(data):
    # A zero-width space and a right-to-left override inside an existing name: the same department.
    hidden = [["2023", "市财\u200b政局\u202e", "1", "目标", "完成情况。", "", ""]]
    plan = ingest.plan_import(csv_bytes(hidden), "hidden.csv", data)
    assert plan.ok and not plan.new_departments
    assert plan.changes[0].department == "市财政局"
    # Full-width digits are digits.
    plan = ingest.plan_import(
        csv_bytes([["２０２３", "市财政局", "１", "目标", "完成情况。", "", ""]]), "wide.csv", data
    )
    assert plan.ok and (plan.changes[0].year, plan.changes[0].seq) == (2023, 1)
    # A new name one character off an existing one is created, with a warning naming both.
    plan = ingest.plan_import(csv_bytes([["2023", "市財政局", "1", "目标", "完成情况。", "", ""]]), "alike.csv", data)
    assert plan.ok and [d["name"] for d in plan.new_departments] == ["市財政局"]
    assert any("新部门「市財政局」与现有部门「市财政局」很相似" in str(w) for w in plan.warnings)


def test_a_file_over_the_size_limit_is_refused_before_reading(data, tmp_path, capsys):
    content = csv_bytes([GOOD]) + b" " * spreadsheet.MAX_FILE_BYTES
    code, _, err = run([put(tmp_path, "big.csv", content), "--data-dir", data], capsys)
    assert code == 2 and "限制：文件大小不超过 20 MB" in err


def test_every_problem_of_a_file_is_reported_at_once_in_row_order(data, tmp_path, capsys):
    rows = [
        GOOD,  # row 2 is fine
        ["2023", "", "2", "目标", "完成情况。", "", ""],  # row 3: empty department
        ["2023年", "市财政局", "3", "目标", "完成情况。", "完成", ""],  # row 4: year and status
        ["2023", "市财政局", "x", "", "完成情况。", "", "主题甲"],  # row 5: seq, title, theme
        GOOD,  # row 6: duplicate of row 2
    ]
    before = tree(data)
    plan = ingest.plan_import(csv_bytes(rows), "goals.csv", data)
    assert [(p.row, p.column) for p in plan.problems] == [
        (3, "部门"),
        (4, "年度"),
        (4, "状态"),
        (5, "序号"),
        (5, "目标任务"),
        (5, "主题"),
        (6, ""),
    ]
    assert plan.dataset is None and not plan.has_changes
    code, _, err = run([put(tmp_path, "goals.csv", csv_bytes(rows)), "--data-dir", data], capsys)
    assert code == 2
    assert "发现 7 个问题" in err
    assert tree(data) == before


@pytest.mark.parametrize("title", ["2023年度市直部门目标任务完成情况", None])
def test_row_numbers_are_the_spreadsheet_rows_even_below_a_title(title, data):
    """A title line (or nothing) and a blank line above the header at B3: 第N行 must still be Excel's row N."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(spreadsheet.DATA_SHEET)
    if title:
        sheet.write(0, 0, title)
    pl.DataFrame([GOOD, ["明年", *GOOD[1:3], "目标二", "完成。", "", ""]], schema=HEADER, orient="row").write_excel(
        workbook, sheet, position="B3"
    )
    workbook.close()
    plan = ingest.plan_import(buffer.getvalue(), "goals.xlsx", data)
    assert [str(p) for p in plan.problems] == ["第5行「年度」：应为整数年份（如 2023），实际为「明年」"]


def test_rows_typed_below_the_excel_table_are_read_too(data):
    """The template's data is an Excel table; a row pasted under it, outside the table, must not be lost."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    pl.DataFrame([NEW_ROWS[0]], schema=HEADER, orient="row").write_excel(workbook, spreadsheet.DATA_SHEET)
    sheet = workbook.get_worksheet_by_name(spreadsheet.DATA_SHEET)
    sheet.write_row(3, 0, NEW_ROWS[1])  # row 4: one blank row after the table's last row
    workbook.close()
    plan = ingest.plan_import(buffer.getvalue(), "goals.xlsx", data)
    assert plan.ok, plan.problems
    assert [(c.row, c.department) for c in plan.changes] == [(2, "市经信局"), (4, "市建设局")]


# --- encodings, aliases, formats that must be accepted --------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
def test_utf8_csv_with_or_without_bom(bom, data):
    plan = ingest.plan_import(csv_bytes(NEW_ROWS, bom=bom), "goals.csv", data)
    assert plan.ok, plan.problems
    assert (plan.count("added"), plan.count("updated")) == (2, 0)


def test_gbk_csv_from_old_excel_is_detected_and_read_correctly(data, tmp_path, capsys):
    code, out, _ = run([put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS, encoding="gbk")), "--data-dir", data], capsys)
    assert code == 0
    assert "GBK" in out
    written = read_dataset(data)
    assert goal(written, "economy_it", 1, year=2023)["title"] == "规上工业增加值同比增长8%"


def test_english_headers_status_codes_and_theme_ids(data):
    header = ["Year", "department", "SEQ", "goal", "result", "status", "themes"]
    rows = [
        [
            "2023",
            "市经信局",
            "1",
            "工业投资增长10%",
            "工业投资同比增长6.1%，低于预期。",
            "at_risk",
            "economy, investment",
        ]
    ]
    plan = ingest.plan_import(csv_bytes(rows, header=header), "goals.csv", data)
    assert plan.ok, plan.problems
    row = goal(plan.dataset, "economy_it", 1, year=2023)
    assert row["status"] == "at_risk"
    assert row["status_reason"] == "导入文件指定：难度较大"
    assert row["themes"] == ["economy", "investment"]


def test_headers_departments_use_for_the_same_columns(data):
    """责任单位 for 部门, 年度目标 for 目标任务, 进展情况 for 完成情况 …: the same import as the
    template's headers."""
    header = ["年份", "责任单位", "编号", "年度目标", "进展情况", "完成状态", "主题分类"]
    template = ingest.plan_import(csv_bytes(NEW_ROWS), "goals.csv", data)
    theirs = ingest.plan_import(csv_bytes(NEW_ROWS, header=header), "goals.csv", data)
    assert theirs.ok, theirs.problems
    assert not [w for w in theirs.warnings if "无法识别的列" in str(w)]
    assert theirs.dataset.goals.equals(template.dataset.goals)


def test_two_headers_for_one_column_are_refused_naming_both(data):
    rows = [[*NEW_ROWS[0], NEW_ROWS[0][4]]]
    plan = ingest.plan_import(csv_bytes(rows, header=[*HEADER, "进展情况"]), "goals.csv", data)
    assert not plan.ok
    assert [str(p) for p in plan.problems if "两次" in str(p)] == [
        "第1行「完成情况」：此列出现了两次（E列「完成情况」和H列「进展情况」都是这一列），请删除其中一列"
    ]


def test_theme_names_and_status_labels_in_chinese(data):
    rows = [["2023", "市经信局", "1", "工业投资增长10%", "工业投资同比增长6.1%。", "未完成", "经济发展，项目投资"]]
    plan = ingest.plan_import(csv_bytes(rows), "goals.csv", data)
    row = goal(plan.dataset, "economy_it", 1, year=2023)
    assert (row["status"], row["themes"]) == ("not_met", ["economy", "investment"])


def test_unknown_columns_are_ignored_with_a_warning(data):
    rows = [[*NEW_ROWS[0], "王科长"]]
    plan = ingest.plan_import(csv_bytes(rows, header=[*HEADER, "填报人"]), "goals.csv", data)
    assert plan.ok
    assert any("已忽略无法识别的列：「填报人」（H列）" in str(w) for w in plan.warnings)


def test_cell_line_breaks_and_copied_goal_numbers_are_cleaned(data):
    rows = [
        ["2023", "市建设局", "1", "1.推进老旧小区\n改造", "启动改造42个，\r\n加装电梯151台。", "", ""],
        ["2023", "市建设局", "2", "2.5万套保障房建设", "筹集保障房2.5万套。", "", ""],
    ]
    plan = ingest.plan_import(csv_bytes(rows), "goals.csv", data)
    first = goal(plan.dataset, "housing_construction", 1, year=2023)
    assert (first["title"], first["result"]) == ("推进老旧小区改造", "启动改造42个，加装电梯151台。")
    # 「2.5万套」 is a figure, not the goal number 2 followed by a dot.
    assert goal(plan.dataset, "housing_construction", 2, year=2023)["title"] == "2.5万套保障房建设"


def test_xlsx_round_trip(data, tmp_path, capsys):
    """Write a real workbook with Polars, import it with the command, read the Parquet files back."""
    frame = pl.DataFrame(
        {
            "年度": [2023, 2023],
            "部门": ["市财政局", "市交通运输局"],
            "序号": [1, 2],
            "目标任务": ["聚焦收入可持续增长，提升财政赶超实力", "擦亮农村公路全国“金名片”"],
            "完成情况": [
                "财政总收入701.2亿元，同比增长4.0%，居全省第2。",
                "新改建农村公路312.5公里，优良中等路率达到95.1%，预计全年完成目标。",
            ],
            "状态": [None, "有望完成"],
            "主题": ["经济发展", None],
        }
    )
    path = put(tmp_path, "目标完成情况2023.xlsx", xlsx_bytes(frame))
    code, out, _ = run([path, "--data-dir", data], capsys)
    assert code == 0, out
    assert "新增目标 2 条，更新 0 条，未变 0 条" in out
    written = read_dataset(data)
    finance = goal(written, "finance", 1, year=2023)
    assert finance["goal_id"] == "2023-finance-1"
    assert finance["title"] == frame["目标任务"][0]
    assert finance["result"] == frame["完成情况"][0]
    assert finance["themes"] == ["economy"]
    transport = goal(written, "transport", 2, year=2023)
    assert transport["status"] == "on_track"
    revenue = figures_of(written, "2023-finance-1").row(0, named=True)
    assert (revenue["value"], revenue["unit"], revenue["value_text"]) == (70_120_000_000.0, "元", "701.2亿元")
    assert (revenue["growth_pct"], revenue["rank"], revenue["rank_scope"]) == (4.0, 2, "全省")
    assert set(written.goals.filter(pl.col("year") == 2022)["goal_id"]) == set(
        read_dataset(history.entry_path(data, history.history_entries(data)[0])).goals["goal_id"]
    )


# --- merging into the current data ------------------------------------------------------------------------


def test_new_goals_are_added_with_figures_status_and_themes(data, tmp_path, capsys):
    before = read_dataset(data)
    code, out, _ = run([put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS)), "--data-dir", data], capsys)
    assert code == 0
    assert "新增目标 2 条，更新 0 条，未变 0 条；提取指标 2 条" in out
    after = read_dataset(data)
    # Nothing of the seed changed.
    for name in ("departments", "themes"):
        assert after.tables()[name].equals(before.tables()[name])
    assert after.goals.filter(pl.col("year") == 2022).equals(before.goals)
    assert after.indicators.filter(pl.col("year") == 2022).equals(before.indicators)
    industry = goal(after, "economy_it", 1, year=2023)
    assert industry["status"] == "achieved"
    assert "economy" in industry["themes"]
    growth = figures_of(after, "2023-economy_it-1").row(0, named=True)
    assert (growth["value"], growth["unit"], growth["rank"], growth["rank_scope"]) == (8.6, "%", 2, "全省")
    housing = figures_of(after, "2023-housing_construction-1").row(0, named=True)
    assert (housing["value"], housing["unit"], housing["completion_pct"]) == (12_000.0, "套（间）", 120.0)
    assert goal(after, "housing_construction", 1, year=2023)["status"] == "exceeded"  # completion above 100%
    assert len(history.history_entries(data)) == 1


def test_a_changed_result_updates_the_goal_and_replaces_only_its_figures(data):
    before = read_dataset(data)
    archives = goal(before, "archives", 2)
    new_result = "全年完成150000件档案的开放审核工作，完成年度目标125%。"
    rows = [["2022", "市档案馆", "2", archives["title"], new_result, "", ""]]
    plan = ingest.plan_import(csv_bytes(rows), "goals.csv", data)
    assert (plan.count("added"), plan.count("updated"), plan.count("unchanged")) == (0, 1, 0)
    assert plan.changes[0].changed == ("完成情况",)
    assert plan.indicators_replaced == figures_of(before, archives["goal_id"]).height
    ingest.apply_import(plan)
    after = read_dataset(data)
    assert goal(after, "archives", 2)["result"] == new_result
    figures = figures_of(after, archives["goal_id"])
    assert figures["value_text"].to_list() == ["150000件"]
    assert figures["completion_pct"].to_list() == [125.0]
    others = pl.col("goal_id") != archives["goal_id"]
    assert after.indicators.filter(others).equals(before.indicators.filter(others))


def test_a_status_set_in_the_file_keeps_the_figures_of_an_unchanged_narrative(data):
    before = read_dataset(data)
    disabled = goal(before, "disabled_persons", 3)
    rows = [["2022", "市残联", "3", disabled["title"], disabled["result"], "难度较大", ""]]
    plan = ingest.plan_import(csv_bytes(rows), "goals.csv", data)
    assert plan.changes[0].changed == ("状态",)
    assert plan.indicators_extracted == 0
    ingest.apply_import(plan)
    after = read_dataset(data)
    row = goal(after, "disabled_persons", 3)
    assert (row["status"], row["status_reason"]) == ("at_risk", "导入文件指定：难度较大")
    assert figures_of(after, disabled["goal_id"]).equals(figures_of(before, disabled["goal_id"]))


def test_curated_figure_fixes_of_the_seed_year_still_apply_while_their_figure_remains(data):
    """市农业农村局 5: data/curation drops 「80万元」 (an income threshold, not a result)."""
    before = read_dataset(data)
    rural = goal(before, "agriculture_rural", 5)
    assert "80万元" not in figures_of(before, rural["goal_id"])["value_text"].to_list()
    kept = rural["result"].replace("349家", "350家")
    plan = ingest.plan_import(csv_bytes([["2022", "市农业农村局", "5", rural["title"], kept, "", ""]]), "a.csv", data)
    assert plan.changes[0].changed == ("完成情况",)
    texts = figures_of(plan.dataset, rural["goal_id"])["value_text"].to_list()
    assert "350家" in texts and "80万元" not in texts
    assert not plan.warnings

    rewritten = "全市共组建强村公司360家，实现欠发达村全覆盖。"
    plan = ingest.plan_import(
        csv_bytes([["2022", "市农业农村局", "5", rural["title"], rewritten, "", ""]]), "b.csv", data
    )
    assert plan.ok, plan.problems
    assert figures_of(plan.dataset, rural["goal_id"])["value_text"].to_list() == ["360家"]
    assert [str(w) for w in plan.warnings] == [
        "第2行「完成情况」：完成情况已改写，data/curation 中针对原文指标的人工校订不再适用，已按规则重新提取"
    ]


def test_a_new_department_is_created_and_reported(data):
    name = "市卫生健康委"
    rows = [["2023", name, "1", "推进紧密型医共体建设", "建成县域医共体12个，基层就诊率达到68.5%。", "", ""]]
    plan = ingest.plan_import(csv_bytes(rows), "goals.csv", data)
    expected_id = "dept_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    assert plan.new_departments == [
        {"dept_id": expected_id, "name": name, "full_name": name, "sector": "待分类", "sort_order": 15}
    ]
    warnings = [str(w) for w in plan.warnings]
    assert any(f"「{name}」是新部门，将以 {expected_id} 新建" in w for w in warnings)
    # No keyword of any theme in these words, and no default theme for a new department.
    assert any("未能从关键词判断主题，暂定为「经济发展」" in w for w in warnings)
    assert goal(plan.dataset, expected_id, 1, year=2023)["themes"] == ["economy"]
    assert "新建部门 1 个：市卫生健康委" in ingest.summary(plan)


def test_a_full_department_name_means_the_existing_department(data):
    rows = [["2023", "湖州市财政局", "1", "聚焦收入可持续增长", "财政总收入701.2亿元。", "", ""]]
    plan = ingest.plan_import(csv_bytes(rows), "goals.csv", data)
    assert plan.new_departments == []
    assert goal(plan.dataset, "finance", 1, year=2023)["goal_id"] == "2023-finance-1"


def test_an_empty_data_directory_gets_a_new_dataset(tmp_path):
    empty = tmp_path / "fresh"
    empty.mkdir()
    plan = ingest.plan_import(csv_bytes(NEW_ROWS), "goals.csv", empty)
    assert plan.ok, plan.problems
    result = ingest.apply_import(plan)
    assert result.written and result.history_entry is None  # nothing existed to back up
    written = read_dataset(empty)
    assert written.goals.height == 2
    assert written.departments["name"].to_list() == ["市经信局", "市建设局"]


# --- idempotence --------------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(data, tmp_path, capsys):
    path = put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS))
    assert run([path, "--data-dir", data], capsys)[0] == 0
    after_first = tree(data)
    assert len(history.history_entries(data)) == 1
    code, out, _ = run([path, "--data-dir", data], capsys)
    assert code == 0
    assert "新增目标 0 条，更新 0 条，未变 2 条；提取指标 0 条" in out
    assert "没有需要写入的改动" in out
    assert tree(data) == after_first  # byte for byte, and no second history entry


@pytest.mark.parametrize("name", [template.XLSX_NAME, template.CSV_NAME])
def test_the_unmodified_template_imports_as_no_change(name, data):
    content = (template.TEMPLATE_DIR / name).read_bytes()
    plan = ingest.plan_import(content, name, data)
    assert plan.ok, plan.problems
    assert (plan.count("added"), plan.count("updated"), plan.count("unchanged")) == (0, 0, len(template.EXAMPLES))
    before = tree(data)
    assert ingest.apply_import(plan).written is False
    assert tree(data) == before


# --- atomic writes -------------------------------------------------------------------------------------


def test_a_crash_between_write_and_rename_leaves_the_directory_exactly_as_it_was(data):
    # A previous import, so the directory already has history to keep.
    ingest.apply_import(ingest.plan_import(csv_bytes(NEW_ROWS[:1]), "first.csv", data))
    before = tree(data)
    plan = ingest.plan_import(csv_bytes(NEW_ROWS), "second.csv", data)
    assert plan.has_changes

    def crash():
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        ingest.apply_import(plan, before_replace=crash)
    assert tree(data) == before  # old data, old history, no temporary file, no half backup
    assert read_dataset(data).goals.filter(pl.col("year") == 2023).height == 1


def test_a_crash_on_the_first_import_leaves_no_history_behind(data):
    before = tree(data)

    def crash():
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        ingest.apply_import(ingest.plan_import(csv_bytes(NEW_ROWS), "goals.csv", data), before_replace=crash)
    assert tree(data) == before
    assert not (data / "history").exists()


_KILLED_IMPORT = """
import os, signal, sys
from pathlib import Path
from kpi.pipeline import ingest
data, step, path = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
plan = ingest.plan_import(path.read_bytes(), path.name, data)
def on_step(name):
    if name == step:
        os.kill(os.getpid(), signal.SIGKILL)
ingest.apply_import(plan, on_step=on_step)
"""


@pytest.mark.parametrize("step", storage.WRITE_STEPS)
def test_an_import_killed_after_any_step_leaves_one_whole_version_and_the_next_import_works(step, data, tmp_path):
    """SIGKILL to a real import process after each step: the old or the new data are current, whole."""
    old = read_dataset(data)
    process = subprocess.run(
        [sys.executable, "-c", _KILLED_IMPORT, str(data), step, str(put(tmp_path, "a.csv", csv_bytes(NEW_ROWS[:1])))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert health.dataset_problems(data) == []
    now = read_dataset(data)
    if storage.WRITE_STEPS.index(step) < storage.WRITE_STEPS.index("published"):
        assert all(now.tables()[name].equals(old.tables()[name]) for name in old.tables())
    else:
        assert now.goals.filter(pl.col("year") == 2023).height == 1
        assert now.goals.height == now.indicators.select("goal_id").n_unique() + (
            old.goals.height - old.indicators.select("goal_id").n_unique()
        )
    # The next import is not refused, and leaves nothing of the crash behind.
    code = ingest.main([str(put(tmp_path, "b.csv", csv_bytes(NEW_ROWS[1:]))), "--data-dir", str(data)])
    assert code == 0
    assert read_dataset(data).goals.filter(pl.col("year") == 2023).height in (1, 2)
    assert list(data.rglob(".staging-*")) + list(data.glob(".current-*")) == []


def test_two_imports_at_once_never_both_report_success_with_one_lost(data, tmp_path):
    """Two real processes on one directory: either both are current in turn (the second planned after the
    first wrote) or the second is refused; never 已写入 twice with one file's goals gone."""
    files = [put(tmp_path, f"{n}.csv", csv_bytes([row])) for n, row in enumerate(NEW_ROWS)]
    for _ in range(6):
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "kpi.ingest", str(path), "--data-dir", str(data)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for path in files
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
        written = [code == 0 and "已写入" in out for code, out, _ in results]
        goals_2023 = read_dataset(data).goals.filter(pl.col("year") == 2023)
        present = {(g["dept_id"], g["seq"]) for g in goals_2023.iter_rows(named=True)}
        expected = {("economy_it", 1), ("housing_construction", 1)}
        if all(written):
            assert present >= expected, results  # both said done: both are in the data
        else:
            refused = [err for (code, _, err), ok in zip(results, written, strict=True) if not ok]
            assert all("预览之后数据已被修改" in err or "另一个导入或恢复正在写入数据" in err for err in refused)
        assert health.dataset_problems(data) == []
        # Back to the seed for the next round.
        storage.publish_version(data, existing=history.history_entries(data)[-1])


def test_two_admin_sessions_in_one_process_never_both_write(data):
    """Two threads (two sessions of the one server process) confirm plans made on the same data:
    one writes, the other is refused as stale; nothing is lost silently."""
    plans = [ingest.plan_import(csv_bytes([row]), f"{n}.csv", data) for n, row in enumerate(NEW_ROWS)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(plan):
        barrier.wait()
        try:
            ingest.apply_import(plan)
            outcomes.append("written")
        except ingest.StaleDataError:
            outcomes.append("stale")

    threads = [threading.Thread(target=confirm, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stale", "written"]
    assert read_dataset(data).goals.filter(pl.col("year") == 2023).height == 1
    assert health.dataset_problems(data) == []


def test_a_plan_made_before_someone_else_wrote_is_refused(data):
    stale = ingest.plan_import(csv_bytes(NEW_ROWS[:1]), "mine.csv", data)
    ingest.apply_import(ingest.plan_import(csv_bytes(NEW_ROWS[1:]), "theirs.csv", data))
    before = tree(data)
    with pytest.raises(ingest.StaleDataError, match="预览之后数据已被修改"):
        ingest.apply_import(stale)
    assert tree(data) == before


# --- history and restore ----------------------------------------------------------------------------------


def test_import_keeps_the_previous_version_and_restore_puts_it_back(data, tmp_path, capsys):
    tables = ("departments", "goals", "indicators", "themes", "periods", "goal_targets")
    original = {name: table_path(data, name).read_bytes() for name in tables}
    code, out, _ = run([put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS)), "--data-dir", data], capsys)
    assert code == 0
    [stamp] = history.history_entries(data)
    assert f"--restore {stamp}" in out
    kept = history.entry_path(data, stamp)
    assert {p.name: p.read_bytes() for p in kept.glob("*.parquet")} == {f"{n}.parquet": b for n, b in original.items()}
    imported = {name: table_path(data, name).read_bytes() for name in original}

    code, out, _ = run(["--restore", stamp, "--data-dir", data], capsys)
    assert code == 0
    assert f"已恢复到 {stamp} 的版本：部门 14 个，目标 69 条" in out
    assert {name: table_path(data, name).read_bytes() for name in original} == original
    # What the restore replaced is itself kept, so the restore can be undone.
    newest = history.history_entries(data)[0]
    assert newest != stamp
    assert {p.name: p.read_bytes() for p in history.entry_path(data, newest).glob("*.parquet")} == {
        f"{n}.parquet": b for n, b in imported.items()
    }
    assert run(["--restore", newest, "--data-dir", data], capsys)[0] == 0
    assert read_dataset(data).goals.filter(pl.col("year") == 2023).height == 2


@pytest.mark.parametrize("stamp", ["20990101T000000", "../..", "latest"])
def test_restore_of_an_unknown_version_is_refused(stamp, data, tmp_path, capsys):
    run([put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS)), "--data-dir", data], capsys)
    before = tree(data)
    code, out, err = run(["--restore", stamp, "--data-dir", data], capsys)
    assert code == 2
    assert f"没有时间戳为「{stamp}」的历史版本" in err
    assert history.history_entries(data)[0] in err  # lists what can be restored
    assert tree(data) == before


def test_restore_of_a_damaged_version_is_refused(data, tmp_path, capsys):
    run([put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS)), "--data-dir", data], capsys)
    [stamp] = history.history_entries(data)
    (history.entry_path(data, stamp) / "goals.parquet").write_bytes(b"PAR1 truncated")
    before = tree(data)
    code, _, err = run(["--restore", stamp, "--data-dir", data], capsys)
    assert code == 2
    assert "恢复失败，数据未改动" in err and "goals.parquet（目标表）无法读取" in err
    assert tree(data) == before


def test_a_crash_during_restore_leaves_the_data_intact(data):
    ingest.apply_import(ingest.plan_import(csv_bytes(NEW_ROWS), "goals.csv", data))
    [stamp] = history.history_entries(data)
    before = tree(data)

    def crash():
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        history.restore(stamp, data, before_replace=crash)
    assert tree(data) == before


# --- dry run and the command line ---------------------------------------------------------------------------


def test_dry_run_prints_the_same_report_and_writes_nothing(data, tmp_path, capsys):
    path = put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS))
    before = tree(data)
    code, dry, _ = run([path, "--data-dir", data, "--dry-run"], capsys)
    assert code == 0
    assert tree(data) == before
    assert dry.rstrip().endswith("试运行：未写入任何文件。")
    code, real, _ = run([path, "--data-dir", data], capsys)
    assert code == 0
    assert dry.rsplit("\n试运行", 1)[0] in real  # the same report, then what was written


def test_the_module_runs_as_a_command_without_traceback(data, tmp_path):
    before = tree(data)
    path = put(tmp_path, "goals.csv", csv_bytes([["2023", "", "1", "t", "r", "", ""]]))
    completed = subprocess.run(
        [sys.executable, "-m", "kpi.ingest", str(path), "--data-dir", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "第2行「部门」：不能为空" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert tree(data) == before


def test_a_missing_file_is_named(tmp_path, data, capsys):
    code, _, err = run([tmp_path / "没有这个文件.xlsx", "--data-dir", data], capsys)
    assert code == 2
    assert "找不到文件" in err and "没有这个文件.xlsx" in err


# --- the template ----------------------------------------------------------------------------------------------


def test_the_committed_template_is_what_kpi_template_writes(seed_files):
    dataset = read_dataset(seed_files)
    stale = "模板与当前的源文件/整理文件不一致：请运行 python -m kpi.template 重新生成"
    assert (template.TEMPLATE_DIR / template.XLSX_NAME).read_bytes() == template.xlsx_bytes(dataset), stale
    assert (template.TEMPLATE_DIR / template.CSV_NAME).read_bytes() == template.csv_bytes(dataset), stale


def test_the_template_documents_every_column_and_its_examples_come_from_the_source():
    path = template.TEMPLATE_DIR / template.XLSX_NAME
    sheets = pl.read_excel(path, sheet_id=0)
    assert list(sheets) == [spreadsheet.DATA_SHEET, spreadsheet.INSTRUCTIONS_SHEET]
    examples = sheets[spreadsheet.DATA_SHEET]
    # The columns of 2022 in their old order, with 期间 and 目标值 (both optional) in between.
    assert examples.columns == ["年度", "部门", "期间", "序号", "目标任务", "目标值", "完成情况", "状态", "主题"]
    assert 2 <= examples.height <= 3
    source = squeeze(RAW_FILE.read_text(encoding="utf-8"))
    for row in examples.iter_rows(named=True):
        assert squeeze(row["目标任务"]) in source and squeeze(row["完成情况"]) in source
    help_sheet = pl.read_excel(path, sheet_name=spreadsheet.INSTRUCTIONS_SHEET, has_header=False, infer_schema_length=0)
    cells = {c for column in help_sheet.columns for c in help_sheet[column].to_list() if c}
    for column in spreadsheet.COLUMNS:
        assert column.header in cells and column.alias in cells
        assert not column.synonyms or "、".join(column.synonyms) in cells
    for label in ("超额完成", "已完成", "有望完成", "待验收", "难度较大", "未完成"):
        assert label in cells
    csv_text = (template.TEMPLATE_DIR / template.CSV_NAME).read_bytes()
    assert csv_text.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese correctly


# --- figure extraction on narratives from other cities' reports ----------------------------------------------
# Written in the style of other municipalities' year-end reports (not sentences of
# the Huzhou source); each expectation is what a reader takes from the sentence.

OTHER_CITIES = {
    # 宁波-style foreign trade: 万亿, growth and a national rank on one figure
    "trade": (
        "市商务局",
        "外贸稳规模优结构",
        "全年实现外贸进出口总额1.27万亿元，同比增长5.6%，规模居全国第6。",
        "achieved",
        [
            {
                "value": 1.27e12,
                "unit": "元",
                "value_text": "1.27万亿元",
                "growth_pct": 5.6,
                "rank": 6,
                "rank_scope": "全国",
            }
        ],
    ),
    # 温州-style housing: a unit with brackets and a completion rate above 100%
    "housing": (
        "市住房保障局",
        "新开工保障性租赁住房1.2万套（间）",
        "新开工保障性租赁住房1.52万套（间），完成年度目标的126.7%。",
        "exceeded",
        [{"value": 15_200.0, "unit": "套（间）", "value_text": "1.52万套（间）", "completion_pct": 126.7}],
    ),
    # 嘉兴-style industry: a growth rate that is the figure, ranked in the province
    "industry": (
        "市经信局",
        "规上工业增加值增长7%以上",
        "规上工业增加值增长7.2%，增速列全省第3位。",
        "achieved",
        [{"value": 7.2, "unit": "%", "rank": 3, "rank_scope": "全省"}],
    ),
    # 绍兴-style grain: two figures in one sentence, 万 multiplied out
    "grain": (
        "市农业农村局",
        "稳粮保供",
        "粮食播种面积达到183.6万亩，总产量78.4万吨，均完成省下达任务。",
        "achieved",
        [
            {"value": 1_836_000.0, "unit": "亩", "value_text": "183.6万亩"},
            {"value": 784_000.0, "unit": "吨", "value_text": "78.4万吨"},
        ],
    ),
    # 金华-style income gap: a ratio where lower is better
    "income_gap": (
        "市发展改革委",
        "缩小城乡收入差距",
        "城乡居民收入倍差缩小至1.72，较上年缩小0.03。",
        "achieved",
        [{"value": 1.72, "value_text": "1.72", "higher_is_better": False}],
    ),
    # 台州-style future communities: an excess that implies the target, a top-N rank
    "communities": (
        "市建设局",
        "打造未来社区",
        "新增省级未来社区15个，超额完成5个，数量居全省前三。",
        "exceeded",
        [{"value": 15.0, "unit": "个", "target": 10.0, "rank": 3, "rank_scope": "全省", "rank_is_top_n": True}],
    ),
    # 丽水-style transport investment: a date range that is not a figure, a forecast
    "transport": (
        "市交通运输局",
        "完成交通投资340亿元",
        "1-10月完成交通投资312.6亿元，为年度计划的92.3%，预计全年可完成目标。",
        "on_track",
        [{"value": 31_260_000_000.0, "unit": "元", "value_text": "312.6亿元", "completion_pct": 92.3}],
    ),
    # 衢州-style risk and acceptance narratives without figures
    "delayed": (
        "市经信局",
        "推进技改项目",
        "受原材料价格上涨影响，部分项目进度滞后，全年目标完成难度较大。",
        "at_risk",
        [],
    ),
    "acceptance": ("市文联", "建设文艺之家", "项目已全部完工，待省级部门组织验收。", "pending", []),
}


@pytest.mark.parametrize("case", list(OTHER_CITIES))
def test_figures_and_status_from_other_cities_narratives(case, data):
    department, title, result, status, expected = OTHER_CITIES[case]
    plan = ingest.plan_import(csv_bytes([["2023", department, "1", title, result, "", ""]]), "goals.csv", data)
    assert plan.ok, plan.problems
    ingest.apply_import(plan)
    written = read_dataset(data)
    row = written.goals.filter((pl.col("year") == 2023) & (pl.col("title") == title)).row(0, named=True)
    assert row["status"] == status, row["status_reason"]
    figures = figures_of(written, row["goal_id"]).to_dicts()
    assert len(figures) == len(expected), [f["value_text"] for f in figures]
    for figure, wanted in zip(figures, expected, strict=True):
        assert {key: figure[key] for key in wanted} == wanted
        assert figure["quote"] in result and figure["value_text"] in figure["quote"]


# --- a full disk ------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 96 KiB tmpfs (needs root and mount rights, as in CI's container; skipped elsewhere)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_full_disk_gets_the_documented_message_and_leaves_the_data(small_disk, seed_files, tmp_path):
    data = small_disk / "data"
    write_dataset(read_dataset(seed_files), data)  # about 45 KB of the 96
    before = tree(data)
    path = put(tmp_path, "goals.csv", csv_bytes(NEW_ROWS))
    process = subprocess.run(
        [sys.executable, "-m", "kpi.ingest", str(path), "--data-dir", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1, process.stdout + process.stderr
    assert "写入失败（磁盘空间不足），原数据未改动。" in process.stderr
    assert "Traceback" not in process.stderr
    assert tree(data) == before
