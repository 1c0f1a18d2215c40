"""The downloads of the 目标明细 page: goals and figures as CSV and as one .xlsx workbook."""

from __future__ import annotations

import io

import polars as pl
import xlsxwriter

from kpi.web import i18n, queries
from kpi.web.queries import Filters


def _export_frames(f: Filters) -> tuple[pl.DataFrame, pl.DataFrame]:
    goals, indicators = queries.export_frames(f)
    goals = goals.with_columns(
        status_label=pl.col("status").replace_strict(i18n.STATUS_LABELS["zh"], return_dtype=pl.String)
    )
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


def goals_csv(f: Filters) -> bytes:
    """The filtered goals as CSV."""
    return to_csv(_export_frames(f)[0])


def indicators_csv(f: Filters) -> bytes:
    return to_csv(_export_frames(f)[1])


def workbook(f: Filters) -> bytes:
    """One .xlsx with a sheet of goals and a sheet of indicators."""
    goals, indicators = _export_frames(f)
    buffer = io.BytesIO()
    # Cells hold text exactly as written: no "=…" turned into a formula, no address into a link.
    with xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False}) as book:
        goals.write_excel(book, worksheet="目标", autofit=True)
        indicators.write_excel(book, worksheet="指标", autofit=True)
    return buffer.getvalue()
