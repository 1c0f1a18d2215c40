"""Chart builders on real aggregated frames: what the Vega-Lite spec encodes."""

from __future__ import annotations

import json

import polars as pl
import pytest

from kpi.contract.schema import STATUSES
from kpi.web import charts, i18n, queries
from kpi.web.queries import Filters


def _spec(chart) -> dict:
    return chart.to_dict()


def _positions() -> dict[str, int]:
    """Every department's place in the list of all departments."""
    return {d: i for i, d in enumerate(queries.departments().get_column("dept_id"))}


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _colors(spec: dict) -> set[str]:
    found = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("range", "color") and isinstance(value, (list, str)):
                    for colour in value if isinstance(value, list) else [value]:
                        if isinstance(colour, str) and colour.startswith("#"):
                            found.add(colour.upper())
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in spec.items() if k != "datasets"})
    return found


SAFE = {c.upper() for c in charts.OKABE_ITO} | {"#FFFFFF", "#EEEEEE", "#999999", "#333333"}


def test_status_mix_sorted_colour_blind_safe_and_clickable(year: int) -> None:
    frame, _ = queries.status_by_department(Filters(year))
    spec = _spec(charts.status_mix(frame, "zh"))
    order = frame.sort("dept_order").get_column("name").unique(maintain_order=True).to_list()
    assert spec["encoding"]["y"]["sort"] == order
    assert spec["encoding"]["color"]["scale"]["domain"] == [i18n.STATUS_LABELS["zh"][s] for s in STATUSES]
    assert spec["encoding"]["color"]["scale"]["range"] == [charts.STATUS_COLORS[s] for s in STATUSES]
    assert _colors(spec) <= SAFE
    assert spec["params"][0]["name"] == charts.DEPT_SELECTION
    assert spec["params"][0]["select"]["fields"] == ["dept_id"]
    assert "Noto Sans CJK SC" in spec["config"]["font"]
    # Each department's bars add up to its number of goals.
    data = pl.DataFrame(next(iter(spec["datasets"].values())))
    assert (
        data.group_by("dept_id")
        .agg(pl.col("goals").sum())
        .sort("dept_id")
        .equals(frame.group_by("dept_id").agg(pl.col("goals").sum()).sort("dept_id"))
    )


def test_status_mix_in_english(year: int) -> None:
    frame, _ = queries.status_by_department(Filters(year))
    spec = _spec(charts.status_mix(frame, "en"))
    assert spec["encoding"]["color"]["scale"]["domain"][0] == "Exceeded"
    # Long English names are wrapped into lines, never cut.
    names = [label.replace("\n", " ") for label in spec["encoding"]["y"]["sort"]]
    assert all(name in i18n.DEPARTMENT_NAMES_EN.values() for name in names)
    assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert any("\n" in label for label in spec["encoding"]["y"]["sort"])


def test_leaderboard_keeps_query_order(year: int) -> None:
    frame, _ = queries.top3_leaderboard(Filters(year))
    spec = _spec(charts.top3_leaderboard(frame, "zh"))
    assert spec["layer"][0]["encoding"]["y"]["sort"] == frame.get_column("name").to_list()
    assert _colors(spec) <= SAFE


def test_rank_chart_best_first_ranges_for_top_n(year: int) -> None:
    frame, _ = queries.ranked_figures(Filters(year), "province")
    spec = _spec(charts.rank_chart(frame, _positions(), "zh"))
    layers = _layers(spec)
    # Rows in query order: best rank at the top.
    keys = layers[0]["encoding"]["y"]["sort"]
    assert [k.split("|", 1)[1].split(" · ", 1)[1] for k in keys] == frame.get_column("name").to_list()
    # Exact ranks are points, "前N" statements are bars from before 1 to past N.
    ranges = [layer for layer in layers if layer["mark"]["type"] == "bar"]
    points = [layer for layer in layers if layer["mark"]["type"] == "circle"]
    assert len(ranges) == 1 and len(points) == 1
    assert ranges[0]["transform"] == [{"filter": "datum.rank_is_top_n"}]
    assert ranges[0]["encoding"]["x"]["field"] == "range_from" and ranges[0]["encoding"]["x2"]["field"] == "range_to"
    assert points[0]["transform"] == [{"filter": "!datum.rank_is_top_n"}]
    domain = points[0]["encoding"]["x"]["scale"]["domain"]
    assert domain[0] < 1 and domain[1] > frame.get_column("rank").max()
    tooltip_fields = {item["field"] for item in points[0]["encoding"]["tooltip"]}
    assert {"value_text", "rank_scope", "quote", "dept"} <= tooltip_fields
    assert ranges[0]["encoding"]["color"]["field"] == "dept_id"
    assert _colors(spec) <= SAFE


def _bullet_figures(spec: dict) -> list[str]:
    data = spec["datasets"][spec["data"]["name"]] if "data" in spec else next(iter(spec["datasets"].values()))
    return [row["figures"] for row in data]


def test_bullet_chart_prints_source_figures_on_a_percent_scale(year: int) -> None:
    frame, _ = queries.target_figures(Filters(year))
    spec = _spec(charts.bullet_chart(frame, "zh"))
    layers = _layers(spec)
    reference = [layer for layer in layers if layer["mark"]["type"] == "rule"]
    assert len(reference) == 1
    ref_data = spec["datasets"][reference[0]["data"]["name"]]
    assert ref_data == [{"target": 100.0}]
    text = [layer for layer in layers if layer["mark"]["type"] == "text"][0]
    assert text["encoding"]["text"]["field"] == "pct_text"
    # The source's figures are the last lines of each row's label, where the plot cannot clip them.
    for key, figures in zip(layers[0]["encoding"]["y"]["sort"], _bullet_figures(spec), strict=True):
        assert "".join(key.split("\n")[1:]).replace(" ", "").endswith(figures.replace(" ", ""))
    data = pl.DataFrame(
        spec["datasets"][spec["data"]["name"]] if "data" in spec else next(iter(spec["datasets"].values()))
    )
    for row in data.iter_rows(named=True):
        if row["target_text"] is not None:
            assert row["figures"] == f"{row['value_text']} / {row['target_text']}"
        else:  # only a stated completion rate: printed, not turned into a made-up target
            assert row["figures"].startswith(row["value_text"]) and "完成率" in row["figures"]
    assert data.get_column("pct_of_target").to_list() == sorted(data.get_column("pct_of_target"), reverse=True)
    assert _colors(spec) <= SAFE


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_names_a_cjk_font(year: int, lang: str) -> None:
    f = Filters(year)
    built = [
        charts.status_mix(queries.status_by_department(f)[0], lang),
        charts.top3_leaderboard(queries.top3_leaderboard(f)[0], lang),
        charts.rank_chart(queries.ranked_figures(f, "province")[0], _positions(), lang),
        charts.bullet_chart(queries.target_figures(f)[0], lang),
    ]
    for chart in built:
        config = chart.to_dict()["config"]
        assert "Noto Sans CJK SC" in config["axis"]["labelFont"]
        json.dumps(chart.to_dict())  # serialisable for the browser


def test_legends_say_each_status_in_words() -> None:
    legend = charts.status_legend("zh")
    assert [label for _, label in legend] == [i18n.status_label(s, "zh") for s in STATUSES]
    assert all(i18n.STATUS_LABELS["zh"][s] in label for s, (_, label) in zip(STATUSES, legend, strict=True))


def test_department_colours_stay_put_and_list_only_departments_shown(year: int) -> None:
    every = queries.departments().get_column("dept_id").to_list()
    full = charts.department_colors(_positions()).to_dict()
    assert full["domain"] == every  # in the departments' order
    colour_of = dict(zip(full["domain"], full["range"], strict=True))
    frame, _ = queries.ranked_figures(Filters(year), "nation")
    shown = set(frame.get_column("dept_id").to_list())
    # The query gives each figure its department's place among all departments.
    assert all(_positions()[d] == p for d, p in zip(frame["dept_id"], frame["dept_position"], strict=True))
    scale = _spec(charts.rank_chart(frame, _positions(), "zh"))
    color = next(layer for layer in _layers(scale) if layer["mark"]["type"] == "circle")["encoding"]["color"]["scale"]
    assert set(color["domain"]) == shown and len(shown) < len(every)
    assert all(colour_of[d] == c for d, c in zip(color["domain"], color["range"], strict=True))


def test_spec_is_the_validated_spec_for_every_builder(year: int) -> None:
    """charts.spec skips schema validation for speed; what it returns must be exactly what
    a validated to_dict() gives (which raises on an invalid chart), for every builder."""
    f = Filters(year)
    cases = {
        "status_mix": (queries.status_by_department(f)[0], ("zh",)),
        "top3_leaderboard": (queries.top3_leaderboard(f)[0], ("en",)),
        "rank_chart": (queries.ranked_figures(f, "province")[0], (_positions(), "zh")),
        "bullet_chart": (queries.target_figures(f)[0], ("zh",)),
        "progress_chart": (queries.progress_figures(f)[0], ("FY", 100.0, "zh")),
    }
    assert set(cases) == set(charts.BUILDERS)
    for name, (frame, args) in cases.items():
        assert frame.height > 0
        fast = charts.spec(name, frame, *args)
        assert fast == charts.BUILDERS[name](frame, *args).to_dict(validate=True)
        assert "config" in fast and "datasets" in fast
        assert "continuousWidth" not in json.dumps(fast)  # no Altair default theme, as Streamlit draws it


def test_wrap_label_never_drops_a_character_and_keeps_lines_short() -> None:
    for text in ("Economy and Information Technology Bureau · 提升建设规范化残疾儿童定点康复机构", "约2.3万套（间）"):
        lines = charts.wrap_label(text)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert all(sum(1 if ord(c) < 0x1100 else 2 for c in line) <= charts.LABEL_WIDTH for line in lines)


def test_every_chart_a_page_shows_is_clickable(year: int) -> None:
    f = Filters(year)
    for chart in (
        charts.status_mix(queries.status_worst_first(f)[0], "zh"),
        charts.bullet_chart(queries.target_gaps(f)[0], "zh"),
    ):
        spec = _spec(chart)
        params = [p for layer in [spec, *_layers(spec)] for p in layer.get("params", [])]
        assert {p["name"] for p in params} == {charts.DEPT_SELECTION}
        assert params[0]["select"]["fields"] == ["dept_id"]
