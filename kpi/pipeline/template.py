"""Write the import template that staff fill in: ``data/template/目标完成情况模板.xlsx`` and ``.csv``.

    python -m kpi.template      # rewrites both files from the source and the curation

The workbook has the data sheet 「目标完成情况」 (headers and three example
rows) and a 「说明」 sheet (steps, every column, the status labels, the
themes). The example rows are real goals of the 2022 source with the status
and themes the seed build gives them, so importing the unmodified template
changes nothing. The files are reproducible: the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from kpi.contract.schema import Dataset
from kpi.contract.storage import DEFAULT_DATA_DIR
from kpi.contract.vocab import STATUS_LABELS_ZH
from kpi.pipeline.build import CURATION_DIR, RAW_FILE, build_dataset
from kpi.pipeline.cli import ChineseArgumentParser
from kpi.pipeline.curation import load_curation
from kpi.pipeline.ingest import NEW_DEPARTMENT_SECTOR
from kpi.pipeline.spreadsheet import COLUMNS, DATA_SHEET, INSTRUCTIONS_SHEET

TEMPLATE_DIR = DEFAULT_DATA_DIR / "template"
XLSX_NAME = "目标完成情况模板.xlsx"
CSV_NAME = "目标完成情况模板.csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
# (department, goal number, optional columns filled in): one plain row, one
# with 状态 given, one with 主题 given.
EXAMPLES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("市档案馆", 2, ()),
    ("市残联", 3, ("status",)),
    ("市交通运输局", 3, ("themes",)),
)
# A fixed creation date keeps the workbook byte-for-byte reproducible.
_CREATED = datetime(2023, 1, 1)

COLUMN_HELP: dict[str, tuple[str, str]] = {
    # field: (how to fill it, example)
    "year": ("必填。整数年份。", "2023"),
    "department": (
        "必填。部门简称，与驾驶舱中的名称一致（也可填全称）。填写新的名称会新建部门"
        f"（领域为「{NEW_DEPARTMENT_SECTOR}」），请仔细核对是否笔误。",
        "市财政局",
    ),
    "period": (
        "选填。报告期间：一季度、上半年、前三季度、1-N月（如 1-10月）、截至N月底或全年；留空为全年。"
        "同一文件可包含多个期间，同一目标在各期间用同一序号。",
        "上半年",
    ),
    "target": (
        "选填。目标任务之外另给的目标值（如 20亿元、8.5%、前五），多个用「；」分隔；"
        "留空时系统只从目标任务原文中读取目标。",
        "20亿元",
    ),
    "seq": ("必填。该部门当年目标的序号，从 1 开始的整数；同一年度、同一部门内不能重复。", "1"),
    "title": ("必填。目标任务原文（不必写序号）。", "全年为企业减负200亿元以上"),
    "result": (
        "必填。完成情况原文。系统从中提取数字、排名、完成率等指标，每个指标都保留原句。",
        "截至11月，累计为企业减负235.4亿元，提前3个月完成目标。",
    ),
    "status": (
        "选填。留空时系统根据完成情况判断；填写时使用下列状态之一。",
        "超额完成",
    ),
    "themes": (
        "选填。留空时系统根据关键词判断；可填多个主题名称，用顿号「、」或逗号分隔。",
        "经济发展、数字化改革",
    ),
}

STEPS = (
    "每行填写一条目标，表头（第1行）不要改动；示例行可以保留，也可以删除。",
    "年度、部门、序号、目标任务、完成情况为必填；期间留空为全年；目标值、状态、主题可留空，由系统判断。",
    "年度 + 期间 + 部门 + 序号 相同的目标视为同一条：内容有变化的会被更新，没有变化的保持不变；文件中没有的目标不会被删除。",
    "保存为 .xlsx（推荐），或在 Excel 中「另存为 → CSV UTF-8（逗号分隔）」。",
    "在驾驶舱「数据管理」页下载本模板、上传文件、核对校验结果和改动预览，确认后导入；"
    "也可由技术人员运行：python -m kpi.ingest 文件名 --dry-run（只检查），再去掉 --dry-run 导入。",
    "文件有任何问题时不会导入任何数据，并逐条列出行号、列名和问题，请改正后重新上传。",
    "每次导入前系统自动备份原数据（data/history/时间戳/），可用 python -m kpi.ingest --restore 时间戳 恢复。",
    "示例行取自《湖州市2022年度市直部门目标任务完成情况》，与现有数据一致，保留它们导入不会产生改动。",
)


def example_rows(dataset: Dataset) -> pl.DataFrame:
    """The example rows, with Chinese headers, taken from the built seed dataset."""
    departments = dict(dataset.departments.select("name", "dept_id").iter_rows())
    theme_names = dict(dataset.themes.select("theme_id", "name").iter_rows())
    rows = []
    for name, seq, filled in EXAMPLES:
        chosen = (pl.col("dept_id") == departments[name]) & (pl.col("seq") == seq)
        goal = dataset.goals.filter(chosen).row(0, named=True)
        rows.append(
            {
                "年度": goal["year"],
                "部门": name,
                "期间": None,
                "序号": seq,
                "目标任务": goal["title"],
                "目标值": None,
                "完成情况": goal["result"],
                "状态": STATUS_LABELS_ZH[goal["status"]] if "status" in filled else None,
                "主题": "、".join(theme_names[t] for t in goal["themes"]) if "themes" in filled else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "年度": pl.Int64,
            "部门": pl.String,
            "期间": pl.String,
            "序号": pl.Int64,
            "目标任务": pl.String,
            "目标值": pl.String,
            "完成情况": pl.String,
            "状态": pl.String,
            "主题": pl.String,
        },
    )


def instruction_tables(dataset: Dataset) -> list[tuple[str, pl.DataFrame]]:
    columns = pl.DataFrame(
        {
            "列名": [c.header for c in COLUMNS],
            "英文列名（也可使用）": [c.alias for c in COLUMNS],
            "其他可识别的列名": ["、".join(c.synonyms) for c in COLUMNS],
            "是否必填": ["必填" if c.required else "选填" for c in COLUMNS],
            "填写说明": [COLUMN_HELP[c.field][0] for c in COLUMNS],
            "示例": [COLUMN_HELP[c.field][1] for c in COLUMNS],
        }
    )
    statuses = pl.DataFrame(
        {"状态（可填写）": list(STATUS_LABELS_ZH.values()), "代码（也可填写）": list(STATUS_LABELS_ZH)}
    )
    themes = dataset.themes.select(
        pl.col("name").alias("主题名称（可填写）"),
        pl.col("theme_id").alias("代码（也可填写）"),
        pl.col("keywords").list.join("、").alias("自动判断时使用的关键词"),
    )
    steps = pl.DataFrame({"填写与导入步骤": [f"{n}. {s}" for n, s in enumerate(STEPS, start=1)]})
    return [("steps", steps), ("columns", columns), ("statuses", statuses), ("themes", themes)]


def xlsx_bytes(dataset: Dataset) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"title": "目标完成情况导入模板", "created": _CREATED})
    header = {"bold": True, "bg_color": "#DDEBF7", "border": 1}
    examples = example_rows(dataset)
    examples.write_excel(
        workbook,
        DATA_SHEET,
        table_name="goals",
        header_format=header,
        column_widths={"年度": 8, "部门": 16, "序号": 6, "目标任务": 40, "完成情况": 80, "状态": 12, "主题": 24},
        freeze_panes=(1, 0),
    )
    sheet = workbook.get_worksheet_by_name(DATA_SHEET)
    status_column = examples.columns.index("状态")
    sheet.data_validation(
        1,
        status_column,
        1000,
        status_column,
        {
            "validate": "list",
            "source": list(STATUS_LABELS_ZH.values()),
            "input_title": "状态（选填）",
            "input_message": "留空由系统根据完成情况判断",
            "error_type": "warning",
        },
    )
    row = 0
    for name, table in instruction_tables(dataset):
        wide = ("填写与导入步骤", "填写说明", "自动判断时使用的关键词")
        widths = {c: (120 if name == "steps" else 60) if c in wide else 18 for c in table.columns}
        table.write_excel(
            workbook,
            INSTRUCTIONS_SHEET,
            position=(row, 0),
            table_name=f"help_{name}",
            header_format=header,
            column_widths=widths,
            autofilter=False,
        )
        row += table.height + 2
    workbook.close()
    return buffer.getvalue()


def csv_bytes(dataset: Dataset) -> bytes:
    # With a BOM, Excel opens the UTF-8 file with the Chinese intact.
    return example_rows(dataset).write_csv(include_bom=True).encode("utf-8")


def seed_dataset() -> Dataset:
    return build_dataset(RAW_FILE.read_text(encoding="utf-8"), load_curation(CURATION_DIR))


def write_templates(directory: Path = TEMPLATE_DIR, dataset: Dataset | None = None) -> list[Path]:
    dataset = dataset if dataset is not None else seed_dataset()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in ((XLSX_NAME, xlsx_bytes(dataset)), (CSV_NAME, csv_bytes(dataset))):
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written


def template_files(directory: Path = TEMPLATE_DIR) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, MIME type) of the committed templates, for download buttons."""
    return [
        (name, (directory / name).read_bytes(), mime)
        for name, mime in ((XLSX_NAME, XLSX_MIME), (CSV_NAME, CSV_MIME))
        if (directory / name).is_file()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = ChineseArgumentParser(prog="python -m kpi.template", description=f"生成导入模板（写入 {TEMPLATE_DIR}）")
    parser.parse_args(argv)
    for path in write_templates():
        print(f"已写入 {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
