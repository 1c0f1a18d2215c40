import pytest

from kpi.pipeline.numbers import MULTIPLIERS, UNITS, format_cn, format_pct, parse_cn_number, scale_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.35", 4.35),
        ("1,231", 1231.0),
        ("１２", 12.0),
        ("０.５", 0.5),
        ("三", 3.0),
        ("十", 10.0),
        ("十一", 11.0),
        ("二十", 20.0),
        ("一百二十", 120.0),
        ("一百零五", 105.0),
        ("两", 2.0),
        ("千", 1000.0),
        ("百", 100.0),
        ("三千万", 30_000_000.0),
        ("十二万三千", 123_000.0),
        ("一万二", 12_000.0),
        ("一亿二千万", 120_000_000.0),
        ("二〇二二", 2022.0),
        ("2.89万", 28_900.0),
        ("235.4亿", 23_540_000_000.0),
    ],
)
def test_parse_cn_number(text, expected):
    assert parse_cn_number(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "十四五", "五四", "十百千万", "三送", "1.2.3"])
def test_parse_cn_number_rejects_non_numbers(text):
    assert parse_cn_number(text) is None


def test_multipliers_and_scale_value_are_exact():
    assert MULTIPLIERS["万"] == 10**4 and MULTIPLIERS["亿"] == 10**8 and MULTIPLIERS["万亿"] == 10**12
    assert MULTIPLIERS["千万"] == 10**7 and MULTIPLIERS["百万"] == 10**6 and MULTIPLIERS["千"] == 1000
    assert scale_value(2.89, "万") == 28900.0  # not 28900.000000000004
    assert scale_value(235.4, "亿") == 23_540_000_000.0
    assert scale_value(2442.15, "万") == 24_421_500.0
    assert scale_value(7, "") == 7.0
    with pytest.raises(ValueError):
        scale_value(1, "兆")


def test_units_are_longest_first():
    assert UNITS.index("个百分点") < UNITS.index("个")
    assert UNITS.index("人次") < UNITS.index("人")
    assert UNITS.index("场次") < UNITS.index("场")
    assert UNITS.index("个月") < UNITS.index("个")
    assert UNITS.index("套（间）") < UNITS.index("套")
    assert UNITS.index("平方米") < UNITS.index("米")
    for unit in ("%", "元", "美元", "斤", "亩", "标箱", "户", "家", "名", "倍", "例", "艘"):
        assert unit in UNITS
    assert "亿斤" not in UNITS  # 亿 is the multiplier, 斤 the unit


@pytest.mark.parametrize(
    ("value", "unit", "hint", "expected"),
    [
        (23_540_000_000, "元", None, "235.4亿元"),
        (28_900, "套", None, "2.89万套"),
        (112.37, "%", None, "112.37%"),
        (8, "个", None, "8个"),
        (1774.6e8, "元", None, "1774.6亿元"),
        (5000, "户", None, "5000户"),
        (120_000, "件", None, "12万件"),
        (12_000, "个", None, "12000个"),  # counts of 个 are not usually scaled
        (1.55, "", None, "1.55"),
        (3, "个百分点", None, "3个百分点"),
        (134_849, "件", "134849件", "134849件"),  # the source's own scale wins
        (28_900, "套（间）", "2.89万套（间）", "2.89万套（间）"),
        (24_421_500, "元", "2442.15余万元", "2442.15万元"),
        (1.06e9, "斤", "10.6亿斤", "10.6亿斤"),
        (20_000_000_000, "元", None, "200亿元"),
        (-6.7, "%", None, "-6.7%"),
    ],
)
def test_format_cn(value, unit, hint, expected):
    assert format_cn(value, unit, hint) == expected


def test_format_cn_has_no_trailing_zero():
    assert format_cn(3.0, "家") == "3家"
    assert format_cn(100_000_000.0, "元") == "1亿元"


def test_format_pct():
    assert format_pct(112.37) == "112.37%"
    assert format_pct(167.0) == "167%"
    assert format_pct(33.3333) == "33.33%"
