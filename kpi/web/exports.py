"""The downloads of the 目标明细 page: goals and figures as CSV and as one .xlsx workbook a
leader can forward — Chinese headers, codes written out in words, each figure as the source
writes it next to its base value, the filters in the file name and in a 说明 sheet."""

from __future__ import annotations

import io
import re

import polars as pl

from kpi.web import i18n, queries
from kpi.web.queries import Filters

# Export column → Chinese header, in file order. Codes (status, themes, target basis, flags)
# are written out in words; every figure keeps the source's text next to its base value.
GOAL_HEADERS: dict[str, str] = {
    "year": "年度",
    "dept_name": "部门",
    "seq": "序号",
    "title": "目标任务",
    "status_label": "完成状态",
    "status_reason": "状态依据",
    "theme_names": "主题",
    "result": "完成情况（原文）",
    "goal_id": "目标编号",
}
INDICATOR_HEADERS: dict[str, str] = {
    "year": "年度",
    "dept_name": "部门",
    "seq": "目标序号",
    "name": "指标",
    "value_text": "数值（原文）",
    "value": "数值（基本单位）",
    "unit": "单位",
    "qualifier": "限定词",
    "target_text": "目标值（原文）",
    "target": "目标值（基本单位）",
    "basis_label": "目标来源",
    "completion_pct": "完成率%",
    "growth_pct": "增长%",
    "rank_label": "排名",
    "forecast_label": "是否预测",
    "direction_label": "指标方向",
    "check_label": "待核",
    "quote": "原文",
    "indicator_id": "指标编号",
}
BASIS_LABELS = {
    "stated": "原文写明",
    "excess": "由超额数推算（精确）",
    "completion": "由完成率推算（约）",
    "curated": "人工核定",
}
# What a file name may not hold on Windows, macOS or Linux.
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s]+')
_FILE_NAME_MAX = 80


def _theme_names() -> dict[str, str]:
    themes = queries.themes()
    return dict(zip(themes.get_column("theme_id"), themes.get_column("name"), strict=True))


def _export_frames(f: Filters) -> tuple[pl.DataFrame, pl.DataFrame]:
    goals, indicators = queries.export_frames(f)
    names = _theme_names()
    goals = goals.with_columns(
        status_label=pl.col("status").replace_strict(i18n.STATUS_LABELS["zh"], return_dtype=pl.String),
        theme_names=pl.Series(
            [
                "、".join(names.get(theme_id, theme_id) for theme_id in (themes or "").split("|") if theme_id)
                for themes in goals.get_column("themes").to_list()
            ],
            dtype=pl.String,
        ),
    )
    seqs = goals.select("goal_id", "seq")
    indicators = indicators.join(seqs, on="goal_id", how="left").with_columns(
        basis_label=pl.col("target_basis").replace_strict(BASIS_LABELS, default=None, return_dtype=pl.String),
        rank_label=pl.Series(
            [
                i18n.rank_text(r["rank_scope"], r["rank"], r["rank_is_top_n"])
                for r in indicators.select("rank_scope", "rank", "rank_is_top_n").iter_rows(named=True)
            ],
            dtype=pl.String,
        ),
        forecast_label=pl.when(pl.col("is_forecast")).then(pl.lit("是（预计/有望）")).otherwise(pl.lit("否")),
        direction_label=pl.when(pl.col("higher_is_better")).then(pl.lit("越高越好")).otherwise(pl.lit("越低越好")),
        # 待核 figures are exported, marked as on the goal's table, so a reader can tell them apart.
        check_label=pl.when(pl.col("confidence") == "low")
        .then(pl.lit(i18n.t("figure_unconfirmed", "zh", reason="")) + pl.col("confidence_reason").fill_null(""))
        .otherwise(pl.lit("")),
    )
    goals = goals.select(list(GOAL_HEADERS)).rename(GOAL_HEADERS)
    indicators = indicators.select(list(INDICATOR_HEADERS)).rename(INDICATOR_HEADERS)
    return goals, indicators


# A text cell starting with one of these is run as a formula by spreadsheet programs
# (OWASP, "CSV Injection"): such cells get a leading apostrophe, shown as text.
FORMULA_START = r"^[=+\-@\t\r]"


def defuse_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to every text cell that a spreadsheet would read as a formula; numbers stay numbers."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def to_csv(frame: pl.DataFrame) -> bytes:
    """CSV in UTF-8 with BOM (so Excel shows the Chinese), formulas defused."""
    return defuse_formulas(frame).write_csv(include_bom=True).encode("utf-8")


def filter_summary(f: Filters) -> list[tuple[str, str]]:
    """(filter, chosen values in words) for each filter, "全部" when unrestricted."""
    everything = i18n.t("all")
    departments = queries.departments_by_id(f.dept_ids)
    themes = _theme_names()
    return [
        ("年度", str(f.year)),
        ("期间", i18n.period_label(f.period)),
        ("部门", "、".join(departments.get_column("name").to_list()) or everything),
        ("领域", "、".join(f.sectors) or everything),
        ("主题", "、".join(themes.get(theme_id, theme_id) for theme_id in f.theme_ids) or everything),
        ("完成状态", "、".join(i18n.status_word(s) for s in f.statuses if s in i18n.STATUS_LABELS["zh"]) or everything),
        ("搜索", queries.normalise_search(f.q) or "（无）"),
    ]


def file_stem(f: Filters, what: str = "目标") -> str:
    """The download's name without extension: 湖州市直部门{what}-2022[-市财政局-已完成-搜索减负]."""
    parts = [f"湖州市直部门{what}", str(f.year)]
    for label, value in filter_summary(f)[1:]:
        if value not in (i18n.t("all"), "（无）"):
            parts.append(f"搜索{value}" if label == "搜索" else value)
    stem = _UNSAFE_FILE_CHARS.sub("_", "-".join(parts))
    return stem[:_FILE_NAME_MAX].rstrip("-_")


def notes_frame(f: Filters) -> pl.DataFrame:
    """The 说明 sheet: what the file holds, the filters, the date of the figures and the source."""
    rows = [("内容", "符合下列筛选条件的目标任务（“目标”表）及其指标（“指标”表）")]
    rows += [(f"筛选：{label}", value) for label, value in filter_summary(f)]
    info = queries.period_info(f.year, f.period) or {}
    rows += [
        ("数据截至", info.get("as_of") or "（无此期间）"),
        ("数据来源", f"《{info['source_title']}》" if info.get("source_title") else "（无此期间）"),
        ("数值", "“数值（原文）”为原文写法（如 235.4亿元）；“数值（基本单位）”已将万、亿乘开，单位见“单位”列"),
        (
            "目标来源",
            "原文写明；由超额数推算（实际数减“超额完成”数，精确）；由完成率推算（实际数÷完成率，近似，目标值前标“约”）",
        ),
        ("是否预测", "原文以“预计”“有望”等写出的数值或名次，未计入“全省第一”等统计"),
        ("待核", "提取时不确定的数值标“待核”并写明原因，经人工核实前不计入统计、图表、排名和目标对比"),
    ]
    return pl.DataFrame(rows, schema=["项目", "内容"], orient="row")


def goals_csv(f: Filters) -> bytes:
    """The filtered goals as CSV."""
    return to_csv(_export_frames(f)[0])


def indicators_csv(f: Filters) -> bytes:
    return to_csv(_export_frames(f)[1])


def workbook(f: Filters) -> bytes:
    """One .xlsx: a 说明 sheet, a sheet of goals and a sheet of figures."""
    # Imported here: every page imports this module (the briefing's file name), few ask for a workbook.
    import xlsxwriter

    goals, indicators = _export_frames(f)
    buffer = io.BytesIO()
    # Cells hold text exactly as written: no "=…" turned into a formula, no address into a link.
    with xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False}) as book:
        notes_frame(f).write_excel(book, worksheet="说明", autofit=True)
        # Numbers in Excel's General format: 2022 and 14770000, not 2,022 and 14,770,000.000.
        plain = ("年度", "序号", "目标序号", "数值（基本单位）", "目标值（基本单位）", "完成率%", "增长%")
        for frame, sheet in ((goals, "目标"), (indicators, "指标")):
            formats = {header: "General" for header in plain if header in frame.columns}
            frame.write_excel(book, worksheet=sheet, autofit=True, column_formats=formats)
    return buffer.getvalue()
