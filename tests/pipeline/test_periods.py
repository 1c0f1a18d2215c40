"""Report periods: every way reports write them, and the time progress (时序进度) of each."""

from datetime import date

import pytest

from kpi.contract.vocab import PERIOD_CODES, PERIOD_LABELS_ZH, period_months, time_progress_pct
from kpi.pipeline.periods import parse_period, period_end_date, period_row


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("一季度", "Q1"),
        ("第一季度", "Q1"),
        ("1季度", "Q1"),
        ("Q1", "Q1"),
        ("1-3月", "Q1"),
        ("上半年", "H1"),
        ("半年", "H1"),
        ("半年度", "H1"),
        ("1-6月", "H1"),
        ("1—6月", "H1"),  # em dash, as in typeset reports
        ("1–6月", "H1"),  # en dash
        ("1～6月", "H1"),  # full-width tilde
        ("1~6月", "H1"),
        ("1至6月", "H1"),
        ("1-6月份", "H1"),
        ("一至六月", "H1"),
        ("截至6月底", "H1"),
        ("截至6月末", "H1"),
        ("截止6月", "H1"),
        ("6月底", "H1"),
        ("前三季度", "Q1-3"),
        ("前三季", "Q1-3"),
        ("三季度", "Q1-3"),  # how progress tables title the running total to September
        ("1－9月", "Q1-3"),  # full-width hyphen-minus, as an IME types it
        ("1−9月", "Q1-3"),  # minus sign
        ("前10个月", "M1-10"),
        ("前6个月", "H1"),
        ("前三个月", "Q1"),
        ("上半年（1-6月）", "H1"),  # a label and its months side by side
        ("前三季度(1—9月)", "Q1-3"),
        ("1-9月", "Q1-3"),
        ("1-11月", "M1-11"),
        ("1—10月", "M1-10"),
        ("截至10月底", "M1-10"),
        ("1-2月", "M1-2"),
        ("1月", "M1-1"),
        ("全年", "FY"),
        ("年度", "FY"),
        ("全年度", "FY"),
        ("1-12月", "FY"),
        ("", "FY"),  # no period means 全年
        ("  ", "FY"),
        (None, "FY"),
        ("2023年上半年", "H1"),
        ("上半年完成情况", "H1"),
        ("（前三季度）", "Q1-3"),
        ("H1", "H1"),
        ("M1-10", "M1-10"),
        # the end of a labelled period, or "until" it: the same running total
        ("截至上半年", "H1"),
        ("上半年末", "H1"),
        ("一季度末", "Q1"),
        ("截止一季度", "Q1"),
        ("三季度末", "Q1-3"),
        ("截至三季度末", "Q1-3"),
        ("截至前三季度", "Q1-3"),
        ("截至年底", "FY"),
        ("年末", "FY"),
    ],
)
def test_every_label_form_reads_as_its_period(label, code):
    assert parse_period(label) == code


@pytest.mark.parametrize(
    "label",
    [
        "4-6月",
        "2-6月",
        "13月",
        "1-13月",
        "下半年",
        "第五季度",
        "明年",
        "Q5",
        "abc",
        "前13个月",
        "上半年（1-9月）",
        "截至",
        "季度末",
        "下半年末",
    ],
)
def test_what_is_not_a_running_total_of_the_year_is_refused(label):
    assert parse_period(label) is None


def test_time_progress_is_months_elapsed_over_twelve_with_one_decimal():
    assert time_progress_pct("Q1") == 25.0
    assert time_progress_pct("H1") == 50.0
    assert time_progress_pct("Q1-3") == 75.0
    assert time_progress_pct("M1-10") == 83.3
    assert time_progress_pct("M1-11") == 91.7
    assert time_progress_pct("M1-1") == 8.3
    assert time_progress_pct("FY") == 100.0
    assert [period_months(c) for c in PERIOD_CODES] == list(range(1, 13))
    with pytest.raises(ValueError):
        time_progress_pct("H2")


def test_labels_and_end_dates():
    assert PERIOD_LABELS_ZH["Q1-3"] == "前三季度"
    assert PERIOD_LABELS_ZH["M1-10"] == "1-10月"
    assert period_end_date(2024, "M1-2") == date(2024, 2, 29)  # leap year
    assert period_end_date(2023, "H1") == date(2023, 6, 30)
    row = period_row(2023, "Q1-3", "某市2023年前三季度重点工作进展情况", "2023-10")
    assert row["period_id"] == "2023-Q1-3" and row["time_progress_pct"] == 75.0 and row["label"] == "前三季度"


def test_the_real_reports_periods_all_parse():
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "real_reports" / "reports.csv"
    with path.open(encoding="utf-8") as handle:
        labels = {row["期间"] for row in csv.DictReader(handle)}
    assert {label: parse_period(label) for label in labels} == {
        "一季度": "Q1",
        "上半年": "H1",
        "前三季度": "Q1-3",
        "1-11月": "M1-11",
        "全年": "FY",
    }
