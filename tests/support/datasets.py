"""Datasets made for tests: a tiny one that satisfies the contract (for tests that then break
it on purpose), and the bundled data with hostile text in every name and narrative."""

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl

from kpi.contract.schema import TABLES, Dataset
from kpi.contract.storage import read_dataset


def tiny_dataset() -> Dataset:
    result = "完成改造66个，超额完成6个，完成率110%，列全省第1。"
    return Dataset(
        departments=pl.DataFrame(
            [{"dept_id": "dept_a", "name": "市甲局", "full_name": "某市甲局", "sector": "综合经济", "sort_order": 1}],
            schema=TABLES["departments"],
        ),
        goals=pl.DataFrame(
            [
                {
                    "goal_id": "2022-dept_a-1",
                    "year": 2022,
                    "period": "FY",
                    "goal_key": "2022-dept_a-1",
                    "dept_id": "dept_a",
                    "seq": 1,
                    "title": "无障碍改造",
                    "result": result,
                    "status": "exceeded",
                    "status_reason": "叙述称超额完成",
                    "themes": ["livelihood"],
                    "light": "green",
                    "light_reason": "无障碍改造66个，完成全年目标的110%，时序进度100%",
                }
            ],
            schema=TABLES["goals"],
        ),
        indicators=pl.DataFrame(
            [
                {
                    "indicator_id": "2022-dept_a-1-01",
                    "goal_id": "2022-dept_a-1",
                    "dept_id": "dept_a",
                    "year": 2022,
                    "name": "无障碍改造",
                    "value": 66.0,
                    "unit": "个",
                    "value_text": "66个",
                    "qualifier": None,
                    "target": 60.0,
                    "target_text": "60个",
                    "target_basis": "excess",
                    "completion_pct": 110.0,
                    "growth_pct": None,
                    "rank": 1,
                    "rank_scope": "全省",
                    "rank_is_top_n": False,
                    "is_forecast": False,
                    "higher_is_better": True,
                    "quote": "完成改造66个，超额完成6个，完成率110%，列全省第1",
                    "confidence": "high",
                    "confidence_reason": None,
                }
            ],
            schema=TABLES["indicators"],
        ),
        themes=pl.DataFrame(
            [{"theme_id": "livelihood", "name": "民生保障", "name_en": "Livelihood", "keywords": ["民生"]}],
            schema=TABLES["themes"],
        ),
        periods=pl.DataFrame(
            [
                {
                    "period_id": "2022-FY",
                    "year": 2022,
                    "period": "FY",
                    "label": "全年",
                    "end_date": date(2022, 12, 31),
                    "time_progress_pct": 100.0,
                    "source_title": "某市2022年度目标任务完成情况",
                    "as_of": "2022-12",
                }
            ],
            schema=TABLES["periods"],
        ),
        # No targets: tests rewrite the title freely; tests of targets build their own.
        goal_targets=pl.DataFrame(schema=TABLES["goal_targets"]),
    )


# --- hostile text ----------------------------------------------------------------------------

XSS_IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1;alert(1)">'
XSS_SCRIPT = "<script>window.__xss=(window.__xss||0)+1;alert(2)</script>"
XSS_SVG = "<svg onload=alert(3)>"
MARKDOWN = "**x** _y_ `z` [点我](javascript:alert(4)) $x^2$ :red[红] :material/home: &lt; # ~~s~~ | a |"
SQL = "' OR '1'='1'; DROP TABLE goals;--"
HOSTILE_TEXT = f"{XSS_IMG}{XSS_SCRIPT}{XSS_SVG} {MARKDOWN} {SQL}"
FORMULA = "=1+1"
URL = "http://example.com/x"
HOSTILE_DEPT_ID = "fin'ance"  # the finance department's id, with a quote

URL_VALUES = [
    SQL,
    "finance'--",
    "' OR 1=1 --",
    '"; SELECT * FROM goals; --',
    XSS_IMG,
    XSS_SCRIPT,
    "**x**",
    "%",
    "_",
    "\\",
    "../../etc/passwd",
    "FINANCE",
    " finance",
    "finance ",
    "市财政局",
    "null",
    "[]",
    "0",
    "-1",
    "2022.0",
    "２０２２",
    "20220",
    "\u202eecnanif",
    "🙂",
    "a" * 500,
    "",
]


def hostile_dataset(source: Path) -> Dataset:
    """The bundled data with hostile text in every name and narrative, a formula at the start of a
    title and a quote in a department id; still a valid dataset (quotes stay fragments of results)."""
    data = read_dataset(source)
    renamed = pl.when(pl.col("dept_id") == "finance").then(pl.lit(HOSTILE_DEPT_ID)).otherwise(pl.col("dept_id"))
    departments = data.departments.with_columns(
        dept_id=renamed,
        name=pl.col("name") + HOSTILE_TEXT,
        full_name=pl.col("full_name") + HOSTILE_TEXT,
    )
    goals = data.goals.with_columns(
        dept_id=renamed,
        title=pl.when(pl.col("seq") == 1).then(pl.lit(FORMULA) + pl.col("title")).otherwise(pl.col("title"))
        + HOSTILE_TEXT,
        result=pl.col("result") + HOSTILE_TEXT,
        status_reason=pl.col("status_reason") + HOSTILE_TEXT,
    )
    indicators = data.indicators.with_columns(dept_id=renamed, name=pl.col("name") + XSS_IMG + "**x** " + URL)
    themes = data.themes.with_columns(name=pl.col("name") + XSS_SCRIPT + "**x**")
    return Dataset(
        departments=departments,
        goals=goals,
        indicators=indicators,
        themes=themes,
        periods=data.periods,
        goal_targets=data.goal_targets,
    )


# --- a multi-period data set from real reports ---------------------------------------------------------

REAL_REPORTS = Path(__file__).resolve().parents[1] / "data" / "real_reports" / "reports.csv"
IMPORT_HEADER = ["年度", "期间", "部门", "序号", "目标任务", "完成情况"]


def real_report_rows() -> list[dict[str, str]]:
    """The rows of the real progress reports that name their department (the import needs one)."""
    import csv

    with REAL_REPORTS.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["部门"]]


def real_reports_csv(rows: list[dict[str, str]] | None = None) -> bytes:
    """The real progress reports as an import file (UTF-8 CSV, the template's columns plus 期间)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPORT_HEADER)
    for row in rows if rows is not None else real_report_rows():
        writer.writerow([row[c] for c in IMPORT_HEADER])
    return buffer.getvalue().encode("utf-8")


# Three Huzhou goals reported at 一季度 and 上半年 2023, written for the tests in the style of the
# source (not sentences of a real report): each moves its light between the two periods.
HUZHOU_2023 = [
    # 6亿元 of 20亿元 = 30% at 25%: green; 7亿元 = 35% at 50%: red (worse)
    ["2023", "一季度", "市农业农村局", "1", "兑现惠农资金20亿元", "一季度兑现惠农资金6亿元。"],
    ["2023", "上半年", "市农业农村局", "1", "兑现惠农资金20亿元", "上半年兑现惠农资金7亿元。"],
    # rank 6 outside 前五: red; rank 3 within it: green (better), 进位 3 位
    [
        "2023",
        "一季度",
        "市经信局",
        "1",
        "规上工业增加值同比增长8.5%，力争全省排名进入前五",
        "规上工业增加值同比增长8.6%，增速居全省第6位。",
    ],
    [
        "2023",
        "1—6月",
        "市经信局",
        "1",
        "规上工业增加值同比增长8.5%，力争全省排名进入前五",
        "规上工业增加值同比增长9%，增速居全省第3位。",
    ],
    # 22% at 25%: yellow; 55% at 50%: green (better)
    ["2023", "一季度", "市交通运输局", "1", "完成交通投资100亿元", "完成交通投资22亿元。"],
    ["2023", "上半年", "市交通运输局", "1", "完成交通投资100亿元", "完成交通投资55亿元。"],
]


def multi_period_data(directory: Path, source: Path) -> Path:
    """The bundled data (``source``) plus the real multi-period reports and ``HUZHOU_2023``,
    imported the way staff do (one file holding every period)."""
    from kpi.contract.storage import read_dataset, write_dataset
    from kpi.pipeline.ingest import apply_import, plan_import

    write_dataset(read_dataset(source), directory)  # the current version of ``source``, as a new directory
    rows = real_report_rows() + [dict(zip(IMPORT_HEADER, row, strict=True)) for row in HUZHOU_2023]
    plan = plan_import(real_reports_csv(rows), "real-reports.csv", directory)
    assert plan.ok, plan.problems
    apply_import(plan)
    return directory


def as_csv_cell(text: str) -> str:
    """What a CSV download must hold for a text, written from OWASP's guidance, independently of
    the exporter: a leading apostrophe before a character a spreadsheet would run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def tiny_variant(n: int) -> Dataset:
    """tiny_dataset with its department and goal renamed after ``n``: every table differs."""
    data = tiny_dataset()
    dept, goal = f"dept_{n}", f"2022-dept_{n}-1"
    return replace(
        data,
        departments=data.departments.with_columns(dept_id=pl.lit(dept), name=pl.lit(f"市{n}局")),
        goals=data.goals.with_columns(goal_id=pl.lit(goal), dept_id=pl.lit(dept), title=pl.lit(f"标题{n}")),
        indicators=data.indicators.with_columns(
            indicator_id=pl.lit(f"{goal}-01"), goal_id=pl.lit(goal), dept_id=pl.lit(dept)
        ),
        themes=data.themes.with_columns(name_en=pl.lit(f"Livelihood {n}")),
        goal_targets=data.goal_targets.with_columns(goal_id=pl.lit(goal)),
    )


# The import template's columns an upload in the admin page tests fills in.
UPLOAD_HEADER = ["年度", "部门", "序号", "目标任务", "完成情况", "状态", "主题"]


def csv_upload(rows) -> tuple[str, bytes, str]:
    """An upload (name, bytes, type) of ``rows`` under ``UPLOAD_HEADER``, as the file uploader takes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(UPLOAD_HEADER)
    writer.writerows(rows)
    return ("目标完成情况2023.csv", buffer.getvalue().encode("utf-8"), "text/csv")
