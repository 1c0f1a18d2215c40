"""Chart builders on real aggregated frames: what the Vega-Lite spec encodes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import polars as pl
import pytest

from kpi.contract.schema import STATUSES
from kpi.web import charts, i18n, queries
from kpi.web.queries import Filters


def _spec(chart) -> dict:
    return chart.to_dict()


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _entries(spec: dict) -> Iterator[tuple[str, object]]:
    """Every (key, value) of every mapping in the spec, its data left out."""

    def walk(node: object) -> Iterator[tuple[str, object]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield key, value
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return walk({k: v for k, v in spec.items() if k != "datasets"})


def _colors(spec: dict) -> set[str]:
    found = set()
    for key, value in _entries(spec):
        if key in ("range", "color") and isinstance(value, (list, str)):
            for colour in value if isinstance(value, list) else [value]:
                if isinstance(colour, str) and colour.startswith("#"):
                    found.add(colour.upper())
    return found


SAFE = {c.upper() for c in charts.OKABE_ITO} | {"#FFFFFF", "#EEEEEE", "#999999", "#333333"}


def test_status_mix_sorted_colour_blind_safe_and_clickable(year: int) -> None:
    frame, _, _ = queries.status_worst_first(Filters(year))
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
    frame, _, _ = queries.status_worst_first(Filters(year))
    spec = _spec(charts.status_mix(frame, "en"))
    assert spec["encoding"]["color"]["scale"]["domain"][0] == "Exceeded"
    # Long English names are wrapped into lines, never cut.
    names = [label.replace("\n", " ") for label in spec["encoding"]["y"]["sort"]]
    assert all(name in i18n.DEPARTMENT_NAMES_EN.values() for name in names)
    assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert any("\n" in label for label in spec["encoding"]["y"]["sort"])


def test_bullet_chart_prints_source_figures_on_a_percent_scale(year: int) -> None:
    frame, _ = queries.target_gaps(Filters(year))
    spec = _spec(charts.bullet_chart(frame, "zh"))
    layers = _layers(spec)
    reference = [layer for layer in layers if layer["mark"]["type"] == "rule"]
    assert len(reference) == 1
    ref_data = spec["datasets"][reference[0]["data"]["name"]]
    assert ref_data == [{"target": 100.0}]
    text = [layer for layer in layers if layer["mark"]["type"] == "text"][0]
    assert text["encoding"]["text"]["field"] == "pct_text"
    data = pl.DataFrame(
        spec["datasets"][spec["data"]["name"]] if "data" in spec else next(iter(spec["datasets"].values()))
    )
    assert data.get_column("key").to_list() == layers[0]["encoding"]["y"]["sort"]
    # The source's figures are the last lines of each row's label, where the plot cannot clip them.
    for row in data.iter_rows(named=True):
        label = "".join(row["key"].split("\n")[1:]).replace(" ", "")
        if row["target_text"] is not None:
            assert label.endswith(f"{row['value_text']}/{row['target_text']}".replace(" ", ""))
        else:  # only a stated completion rate: printed, not turned into a made-up target
            assert re.search(re.escape(row["value_text"].replace(" ", "")) + r"，完成率[\d.]+%$", label)
    # In the query's order: furthest below target first.
    assert data.get_column("pct_of_target").to_list() == sorted(data.get_column("pct_of_target"))
    assert _colors(spec) <= SAFE


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_names_a_cjk_font(year: int, lang: str) -> None:
    f = Filters(year)
    built = [
        charts.status_mix(queries.status_worst_first(f)[0], lang),
        charts.bullet_chart(queries.target_gaps(f)[0], lang),
        charts.progress_chart(queries.progress_figures(f)[0], "FY", 100.0, lang),
    ]
    for chart in built:
        config = chart.to_dict()["config"]
        assert "Noto Sans CJK SC" in config["axis"]["labelFont"]
        json.dumps(chart.to_dict())  # serialisable for the browser


def test_legends_say_each_status_in_words() -> None:
    legend = charts.status_legend("zh")
    assert [label for _, label in legend] == [i18n.status_label(s, "zh") for s in STATUSES]
    assert all(i18n.STATUS_LABELS["zh"][s] in label for s, (_, label) in zip(STATUSES, legend, strict=True))


def test_spec_is_the_validated_spec_for_every_builder(year: int) -> None:
    """charts.spec skips schema validation for speed; what it returns must be exactly what
    a validated to_dict() gives (which raises on an invalid chart), for every builder."""
    f = Filters(year)
    cases = {
        "status_mix": (queries.status_worst_first(f)[0], ("en",)),
        "bullet_chart": (queries.target_gaps(f)[0], ("zh",)),
        "progress_chart": (queries.progress_figures(f)[0], ("FY", 100.0, "zh")),
    }
    assert set(cases) == set(charts.BUILDERS)
    for name, (frame, args) in cases.items():
        assert frame.height > 0
        fast = charts.spec(name, frame, *args)
        assert fast == charts.BUILDERS[name](frame, *args).to_dict(validate=True)
        assert "config" in fast and "datasets" in fast
        assert "continuousWidth" not in json.dumps(fast)  # no Altair default theme, as Streamlit draws it
        # The template is built once: a second frame (other rows, order, height and x axis)
        # filled into it is still exactly the validated chart of that frame.
        other = frame.reverse().head(max(1, frame.height // 2))
        again = charts.spec(name, other, *args)
        assert again == charts.BUILDERS[name](other, *args).to_dict(validate=True)
        assert again != fast


def _fields_read(spec: dict) -> set[str]:
    """Every data field the chart's encodings and selections name."""
    found: set[str] = set()
    for key, value in _entries(spec):
        if key == "field" and isinstance(value, str):
            found.add(value)
        elif key == "fields" and isinstance(value, list):
            found.update(value)
    return found


def test_a_chart_is_sent_only_the_fields_it_reads(year: int) -> None:
    """The rows of a chart's data carry what its encodings, tooltips and click read, nothing
    more (the bytes of every overview at a province's scale) and nothing less."""
    f = Filters(year)
    for spec in (
        charts.spec("status_mix", queries.status_worst_first(f)[0], "zh"),
        charts.spec("bullet_chart", queries.target_gaps(f)[0], "zh"),
        charts.spec("progress_chart", queries.progress_figures(f)[0], "FY", 100.0, "zh"),
    ):
        # Fields made in the browser (a calculate transform) would be read without being sent.
        assert "transform" not in json.dumps({k: v for k, v in spec.items() if k != "datasets"})
        sent = {field for rows in spec["datasets"].values() for row in rows for field in row}
        assert sent == _fields_read(spec), spec.get("mark") or [layer["mark"] for layer in spec["layer"]]


def test_a_template_holds_none_of_its_frames_values(year: int) -> None:
    """The cached templates carry placeholders only: what a frame sets is filled in per spec, so
    one filter's rows can never appear in another filter's chart."""
    f = Filters(year)
    frame = queries.target_gaps(f)[0]
    spec = charts.spec("bullet_chart", frame, "zh")
    template = json.dumps(charts._template("bullet_chart", "zh", True), ensure_ascii=False)
    for row in spec["datasets"][charts.ROWS]:
        assert row["name"] not in template and row["key"] not in template
    assert charts.ROWS not in charts._template("bullet_chart", "zh", True).get("datasets", {})
    assert "\u0000" not in json.dumps(spec)  # every placeholder filled


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
        charts.progress_chart(queries.progress_figures(f)[0], "FY", 100.0, "zh"),
    ):
        spec = _spec(chart)
        params = [p for layer in [spec, *_layers(spec)] for p in layer.get("params", [])]
        assert {p["name"] for p in params} == {charts.DEPT_SELECTION}
        assert params[0]["select"]["fields"] == ["dept_id"]
