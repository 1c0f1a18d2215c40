"""Chart builders: pure functions from a small, already aggregated frame to an Altair chart.

Colours come from the Okabe–Ito palette (safe for the common forms of colour
blindness), and every colour is repeated by a word or a position, never alone.
Fonts name CJK families first so Chinese labels render on every platform.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import polars as pl

from kpi.contract.schema import STATUSES
from kpi.web import i18n
from kpi.web.i18n import t

CJK_FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
STATUS_COLORS: dict[str, str] = {
    "exceeded": "#0072B2",
    "achieved": "#009E73",
    "on_track": "#56B4E9",
    "pending": "#F0E442",
    "at_risk": "#E69F00",
    "not_met": "#D55E00",
}
REACHED_COLOR, BELOW_COLOR = "#0072B2", "#E69F00"

# Specs are made here (see ``spec``), not by st.altair_chart: the same settings Streamlit
# applies while it converts a chart — no Altair default theme, no row limit on the data.
alt.theme.enable("none")
alt.data_transformers.disable_max_rows()
DEPT_SELECTION = "dept_pick"
ROW_HEIGHT = 34
# Row labels are never cut: they are wrapped into lines of at most LABEL_WIDTH units (a CJK
# character counts 2, a Latin one 1; 28 units ≈ 170 px at 12 px), and Vega's own label limit
# is off (0). LINE_HEIGHT: the pixels a wrapped line adds to its row.
LABEL_LIMIT = 0
LABEL_WIDTH = 28
LINE_HEIGHT = 15
# SVG (its text can be read back, e.g. by the browser tests) up to this many rows; Streamlit
# chooses canvas itself beyond 2000 data points.
SVG_MAX_ROWS = 400


def _units(text: str) -> int:
    return sum(1 if ord(ch) < 0x1100 else 2 for ch in text)


def wrap_label(text: str, width: int = LABEL_WIDTH) -> list[str]:
    """``text`` in lines of at most ``width`` units, never cut: Latin words break at spaces
    (a word longer than a line on its own), CJK text between any two characters."""
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[ -~]+?(?= |$)| |[^ -~]|[ -~]+", text):
        if token == " " and not line:
            continue
        if line and _units(line + token) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def each(values: pl.Series, text, name: str | None = None, dtype: pl.DataType = pl.String) -> pl.Series:
    """``text`` of every value, computed in a plain Python loop.

    Not ``map_elements``: a Python function called from Polars' thread pool can
    deadlock the process when another session's thread converts a frame at the
    same moment (st.dataframe's to_pandas), and every viewer's page would hang.
    """
    return pl.Series(name or values.name, [text(v) for v in values.to_list()], dtype=dtype)


def _height(rows: int, most_lines: int = 1) -> int:
    """The chart's height for ``rows`` rows whose longest label has ``most_lines`` lines
    (a band chart gives every row the same height, so the tallest label sets it)."""
    # Streamlit fits the whole chart into this height, so legends are drawn
    # outside the chart (see status_legend), where they wrap on a phone.
    row = max(ROW_HEIGHT, most_lines * LINE_HEIGHT + 12)
    return max(120, rows * row + 50)


# The axis label of a row whose key is "<row>\n<line>\n<line>…": its lines after the first.
_KEY_LINES_EXPR = "slice(split(datum.label, '\\n'), 1)"
# The axis label of a row keyed by its wrapped label, "<line>\n<line>…".
_LINES_EXPR = "split(datum.label, '\\n')"


def _keyed_by_label_lines(data: pl.DataFrame) -> tuple[pl.DataFrame, list[list[str]]]:
    """Rows keyed "<row>\n<line>\n<line>…": department · figure wrapped, then the source's
    figures — all on the axis (``_KEY_LINES_EXPR``), which grows to fit, so nothing is
    printed where the plot could clip it (a phone's width included)."""
    label_lines = [
        [*wrap_label(label), *wrap_label(figures)]
        for label, figures in zip(data.get_column("label"), data.get_column("figures"), strict=True)
    ]
    keys = [f"{row}\n" + "\n".join(lines) for row, lines in zip(data["row"], label_lines, strict=True)]
    return data.with_columns(key=pl.Series(keys)), label_lines


def status_legend(lang: str = i18n.DEFAULT_LANG) -> list[tuple[str, str]]:
    """(colour, symbol and word) per status, in chart order, for the legend above a chart."""
    return [(STATUS_COLORS[s], i18n.status_label(s, lang)) for s in STATUSES]


def reached_legend(lang: str = i18n.DEFAULT_LANG) -> list[tuple[str, str]]:
    return [(REACHED_COLOR, t("reached", lang)), (BELOW_COLOR, t("below", lang)), ("#333333", "│ 100%")]


# --- builders: a frame's layout, then the chart drawn from it ------------------------------------
#
# A chart is drawn in two steps. ``*_layout`` turns the frame into the data the chart reads and
# the few values that depend on it (row order, height, the x axis's end). ``*_chart`` draws the
# chart from a ``Layout``; its data are the named datasets ``ROWS`` (and ``MARKER``), never
# inline. Building an Altair chart (validation, copies, merging the layers' parameters) costs
# 20–95 ms, the same for every frame; ``spec`` therefore builds each chart once per language
# with placeholders in a ``Layout`` (``_holes``), keeps its Vega-Lite dict, and fills in a
# frame's layout and data, which costs well under a millisecond.

ROWS = "rows"
MARKER = "marker"


@dataclass(frozen=True)
class Layout:
    """What of a chart depends on its frame: its named datasets, the order of its rows, its height,
    the end of its x axis (``None`` where the chart has none to set) and whether it is drawn in SVG."""

    data: dict[str, list[dict]]
    order: list[str]
    height: int
    x_max: float | None = None
    svg: bool = True


# Placeholders that cannot occur in a chart otherwise: a one-item list for the order, an
# impossible height, a string where the x axis's end goes.
_ORDER_HOLE = "\x00order"
_HEIGHT_HOLE = 987_654_321
_X_MAX_HOLE = "\x00x_max"


def _holes(svg: bool) -> Layout:
    return Layout(data={}, order=[_ORDER_HOLE], height=_HEIGHT_HOLE, x_max=_X_MAX_HOLE, svg=svg)  # type: ignore[arg-type]


def _values(frame: pl.DataFrame) -> list[dict]:
    """The frame's rows as Altair itself turns a data frame into a chart's values."""
    return alt.data_transformers.get()(frame)["values"]


def _finish(chart: alt.TopLevelMixin, layout: Layout) -> alt.TopLevelMixin:
    chart = chart.properties(height=layout.height)
    if layout.svg:
        chart = chart.properties(usermeta={"embedOptions": {"renderer": "svg"}})
    return (
        chart.configure(font=CJK_FONT)
        .configure_axis(labelFont=CJK_FONT, titleFont=CJK_FONT, labelFontSize=12, titleFontSize=12)
        .configure_legend(labelFont=CJK_FONT, titleFont=CJK_FONT, labelFontSize=12)
        .configure_title(font=CJK_FONT)
    )


def _status_mix_layout(frame: pl.DataFrame, lang: str) -> Layout:
    data = frame.with_columns(
        dept=each(frame.get_column("name"), lambda n: i18n.department_name(n, lang)),
        status_text=each(frame.get_column("status"), lambda s: i18n.status_word(s, lang)),
        status_order=each(frame.get_column("status"), STATUSES.index, dtype=pl.Int64),
    )
    data = data.with_columns(dept_label=each(data.get_column("dept"), lambda d: "\n".join(wrap_label(d))))
    order = data.sort("dept_order").get_column("dept_label").unique(maintain_order=True).to_list()
    lines = max((label.count("\n") + 1 for label in order), default=1)
    # Only what the chart reads is sent (a test keeps it so): the frame's other columns were
    # a third of the overview's bytes at a province's scale.
    data = data.select("dept_id", "dept", "dept_label", "status_text", "status_order", "goals", "met_share")
    return Layout({ROWS: _values(data)}, order, _height(len(order), lines), svg=len(order) <= SVG_MAX_ROWS)


def _status_mix_chart(layout: Layout, lang: str) -> alt.TopLevelMixin:
    labels = [i18n.status_word(s, lang) for s in STATUSES]
    pick = alt.selection_point(name=DEPT_SELECTION, fields=["dept_id"], on="click")
    chart = (
        alt.Chart(alt.NamedData(ROWS))
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            y=alt.Y(
                "dept_label:N",
                sort=layout.order,
                title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT, labelExpr=_LINES_EXPR),
            ),
            x=alt.X("goals:Q", stack="zero", title=t("col_count", lang), axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "status_text:N",
                scale=alt.Scale(domain=labels, range=[STATUS_COLORS[s] for s in STATUSES]),
                legend=None,
            ),
            order=alt.Order("status_order:Q"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("dept:N", title=t("col_department", lang)),
                alt.Tooltip("status_text:N", title=t("col_status", lang)),
                alt.Tooltip("goals:Q", title=t("col_count", lang)),
                alt.Tooltip("met_share:Q", title=t("col_met_share", lang), format=".0%"),
            ],
        )
        .add_params(pick)
    )
    return _finish(chart, layout)


def _bullet_chart_layout(frame: pl.DataFrame, lang: str) -> Layout:
    data = (
        frame.with_row_index("row")
        .with_columns(
            dept=each(frame.get_column("dept_name"), lambda n: i18n.department_name(n, lang)),
            reached=pl.when(pl.col("pct_of_target") >= 100)
            .then(pl.lit(t("reached", lang)))
            .otherwise(pl.lit(t("below", lang))),
            figures=pl.when(pl.col("target_text").is_not_null())
            .then(pl.col("value_text") + " / " + pl.col("target_text"))
            .otherwise(
                pl.col("value_text")
                + pl.lit(" · " if lang == "en" else "，完成率")
                + pl.col("completion_pct").round(2).cast(pl.String)
                + "%"
            ),
            band=pl.lit(100.0),
            zero=pl.lit(0.0),
        )
        .with_columns(
            label=pl.col("dept") + " · " + pl.col("name"),
            pct_text=pl.col("pct_of_target").round(1).cast(pl.String) + "%",
        )
    )
    data, label_lines = _keyed_by_label_lines(data)
    keys = data.get_column("key").to_list()
    top = float(data.get_column("pct_of_target").max() or 100.0)
    lines = max((len(row_lines) for row_lines in label_lines), default=1)
    data = data.select(
        "key", "dept_id", "dept", "name", "value_text", "target_text", "quote",
        "pct_of_target", "pct_text", "reached", "zero", "band",
    )  # fmt: skip
    return Layout(
        {ROWS: _values(data)},
        keys,
        _height(len(keys), lines),
        # Room on the right for the printed percent (the figures are in the row label).
        x_max=max(110.0, top) * 1.25,
        svg=len(keys) <= SVG_MAX_ROWS,
    )


def _bullet_chart_chart(layout: Layout, lang: str) -> alt.TopLevelMixin:
    x_scale = alt.Scale(domain=[0, layout.x_max], nice=False, clamp=True)
    y = alt.Y("key:N", sort=layout.order, title=None, axis=alt.Axis(labelExpr=_KEY_LINES_EXPR, labelLimit=LABEL_LIMIT))
    tooltip = [
        alt.Tooltip("dept:N", title=t("col_department", lang)),
        alt.Tooltip("name:N", title=t("col_figure", lang)),
        alt.Tooltip("value_text:N", title=t("col_value", lang)),
        alt.Tooltip("target_text:N", title=t("col_target", lang)),
        alt.Tooltip("pct_of_target:Q", title=t("col_pct", lang), format=".1f"),
        alt.Tooltip("quote:N", title=t("col_quote", lang)),
    ]
    base = alt.Chart(alt.NamedData(ROWS)).encode(y=y, tooltip=tooltip)
    band = base.mark_bar(color="#EEEEEE", height=16).encode(
        x=alt.X("zero:Q", scale=x_scale, title=t("pct_of_target", lang)), x2="band:Q"
    )
    pick = alt.selection_point(name=DEPT_SELECTION, fields=["dept_id"], on="click")
    bars = base.mark_bar(height=8).encode(
        x=alt.X("pct_of_target:Q", scale=x_scale),
        x2="zero:Q",
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        color=alt.Color(
            "reached:N",
            scale=alt.Scale(domain=[t("reached", lang), t("below", lang)], range=[REACHED_COLOR, BELOW_COLOR]),
            legend=None,
        ),
    )
    reference = (
        alt.Chart(pl.DataFrame({"target": [100.0]}))
        .mark_rule(color="#333333", strokeWidth=2)
        .encode(x=alt.X("target:Q", scale=x_scale))
    )
    text = base.mark_text(align="left", dx=5, fontSize=11).encode(
        x=alt.X("pct_of_target:Q", scale=x_scale), text=alt.Text("pct_text:N")
    )
    # A view named here, not by Altair after a hash of the chart: the template's and the filled
    # chart's names would differ.
    return _finish(alt.layer(band, bars.add_params(pick).properties(name="bars"), reference, text), layout)


def _progress_chart_layout(frame: pl.DataFrame, period: str, progress: float, lang: str) -> Layout:
    data = (
        frame.with_row_index("row")
        .with_columns(
            dept=each(frame.get_column("dept_name"), lambda n: i18n.department_name(n, lang)),
            light_text=each(frame.get_column("light"), lambda x: i18n.light_label(x, period, lang)),
            figures=pl.col("value_text") + " / " + pl.col("target_text").fill_null("—"),
            zero=pl.lit(0.0),
        )
        .with_columns(label=pl.col("dept") + " · " + pl.col("name"))
    )
    data, label_lines = _keyed_by_label_lines(data)
    keys = data.get_column("key").to_list()
    top = float(data.get_column("share").max() or 100.0)
    most_lines = max((len(lines) for lines in label_lines), default=1)
    data = data.select(
        "key", "dept_id", "dept", "goal_title", "name", "value_text", "target_text", "quote",
        "share", "zero", "light", "light_text",
    )  # fmt: skip
    marker = pl.DataFrame({"progress": [float(progress)], "marker": [t("progress_marker", lang)]})
    # SVG: the marker is a real element (screen readers, and the browser tests, find it).
    return Layout(
        {ROWS: _values(data), MARKER: _values(marker)},
        keys,
        _height(len(keys), most_lines),
        x_max=max(110.0, min(top, 200.0)) * 1.1,
        svg=True,
    )


def _progress_chart_chart(layout: Layout, lang: str) -> alt.TopLevelMixin:
    x_scale = alt.Scale(domain=[0, layout.x_max], nice=False, clamp=True)
    y = alt.Y("key:N", sort=layout.order, title=None, axis=alt.Axis(labelExpr=_KEY_LINES_EXPR, labelLimit=LABEL_LIMIT))
    tooltip = [
        alt.Tooltip("dept:N", title=t("col_department", lang)),
        alt.Tooltip("goal_title:N", title=t("col_goal", lang)),
        alt.Tooltip("name:N", title=t("col_figure", lang)),
        alt.Tooltip("value_text:N", title=t("col_value", lang)),
        alt.Tooltip("target_text:N", title=t("col_target", lang)),
        alt.Tooltip("share:Q", title=t("col_share", lang), format=".1f"),
        alt.Tooltip("light_text:N", title=t("col_light", lang)),
        alt.Tooltip("quote:N", title=t("col_quote", lang)),
    ]
    lights = list(i18n.LIGHT_COLORS)
    base = alt.Chart(alt.NamedData(ROWS)).encode(y=y, tooltip=tooltip)
    # A click on a bar filters to its department, as on every chart.
    pick = alt.selection_point(name=DEPT_SELECTION, fields=["dept_id"], on="click")
    bars = (
        base.mark_bar(height=10)
        .encode(
            x=alt.X("share:Q", scale=x_scale, title=t("col_share", lang)),
            x2="zero:Q",
            color=alt.Color(
                "light:N", scale=alt.Scale(domain=lights, range=[i18n.LIGHT_COLORS[x] for x in lights]), legend=None
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        )
        .add_params(pick)
        .properties(name="bars")
    )
    marker = (
        alt.Chart(alt.NamedData(MARKER))
        .mark_rule(color="#222222", strokeWidth=2, strokeDash=[6, 3])
        .encode(
            x=alt.X("progress:Q", scale=x_scale),
            tooltip=[alt.Tooltip("progress:Q", title=t("progress_marker", lang), format=".1f")],
        )
    )
    marker_label = (
        alt.Chart(alt.NamedData(MARKER))
        .mark_text(align="left", baseline="top", dx=4, dy=-14, fontSize=11, color="#222222")
        .encode(x=alt.X("progress:Q", scale=x_scale), y=alt.value(0), text="marker:N")
    )
    return _finish(alt.layer(bars, marker, marker_label), layout)


@dataclass(frozen=True)
class _Builder:
    layout: Callable[..., Layout]
    chart: Callable[[Layout, str], alt.TopLevelMixin]


_BUILDERS: dict[str, _Builder] = {
    "status_mix": _Builder(_status_mix_layout, _status_mix_chart),
    "bullet_chart": _Builder(_bullet_chart_layout, _bullet_chart_chart),
    "progress_chart": _Builder(_progress_chart_layout, _progress_chart_chart),
}


def _chart(builder: str, frame: pl.DataFrame, *args: object) -> alt.TopLevelMixin:
    """The Altair chart of ``frame``, its data attached: the charts as Altair objects."""
    parts = _BUILDERS[builder]
    layout = parts.layout(frame, *args)
    return parts.chart(layout, str(args[-1])).properties(datasets=layout.data)


def status_mix(frame: pl.DataFrame, lang: str = i18n.DEFAULT_LANG) -> alt.TopLevelMixin:
    """Stacked bars of goals per status for each department, in the frame's department order.

    ``frame``: dept_id, name, status, goals, met_share, dept_order (from queries.status_worst_first).
    """
    return _chart("status_mix", frame, lang)


def bullet_chart(frame: pl.DataFrame, lang: str = i18n.DEFAULT_LANG) -> alt.TopLevelMixin:
    """Actual as percent of target, one row per figure, with the 100% target line.

    The printed text is the source's own figures ("235.4亿元 / 200亿元", or the
    stated completion rate when the source gives no target value).
    ``frame``: indicator_id, dept_name, name, value_text, target_text, completion_pct,
    pct_of_target, quote (from queries.target_gaps), in display order.
    """
    return _chart("bullet_chart", frame, lang)


def progress_chart(frame: pl.DataFrame, period: str, progress: float, lang: str = i18n.DEFAULT_LANG):
    """Share of the year's target done, one bar per figure coloured by its goal's light, with
    the period's time progress (时序进度) as a vertical marker; value and target printed as
    the source writes them. ``frame`` from queries.progress_figures, furthest behind first."""
    return _chart("progress_chart", frame, period, progress, lang)


BUILDERS: dict[str, Callable[..., alt.TopLevelMixin]] = {
    build.__name__: build for build in (status_mix, bullet_chart, progress_chart)
}


@functools.lru_cache(maxsize=32)
def _template(builder: str, lang: str, svg: bool) -> dict:
    """The chart's Vega-Lite dict with the placeholders of ``_holes`` and no frame data."""
    return _BUILDERS[builder].chart(_holes(svg), lang).to_dict(validate=False)


def _fill(node: object, holes: dict[object, object]) -> object:
    """A copy of ``node`` with every placeholder replaced by its value."""
    if isinstance(node, dict):
        return {key: _fill(value, holes) for key, value in node.items()}
    if isinstance(node, list):
        if len(node) == 1 and isinstance(node[0], str) and node[0] in holes:
            return holes[node[0]]
        return [_fill(value, holes) for value in node]
    if isinstance(node, (str, int)) and not isinstance(node, bool) and node in holes:
        return holes[node]
    return node


def spec(builder: str, frame: pl.DataFrame, *args: object) -> dict:
    """The Vega-Lite spec of one of the ``BUILDERS`` charts, data inline, ready for st.vega_lite_chart:
    its cached template with the frame's layout and data filled in.

    Not validated against the Vega-Lite schema (≈ 20 of a rank chart's 55 ms); the tests
    check that every builder's spec is valid and equal to the validated one.
    """
    layout = _BUILDERS[builder].layout(frame, *args)
    template = _template(builder, str(args[-1]), layout.svg)
    filled = _fill(template, {_ORDER_HOLE: layout.order, _HEIGHT_HOLE: layout.height, _X_MAX_HOLE: layout.x_max})
    filled["datasets"] = {**template.get("datasets", {}), **layout.data}
    return filled


def warm_templates(lang: str = i18n.DEFAULT_LANG) -> None:
    """Build the templates of every chart in ``lang`` (the first page with a chart then has no
    Altair chart to build): started on a thread of its own by the process's first page run."""
    for builder in _BUILDERS:
        _template(builder, lang, True)
