"""简报: the view a link shows, as an A4 PDF of one page (two at most), for sending by message.

The page's content comes from the query layer like every page's: title, year and period, the
filters, the source and as-of date (``queries.period_info``), the headline tiles
(``components.tile_specs``) and the lights, the status chart beside the 赛马 league table, the
需关注 goals with the reason for each light, the provincial first places in words, and the link
that reproduces the view. Typst lays it out (``brief.typ`` beside this file, the data passed as
JSON, never as markup) with the CJK fonts embedded; the chart is the dashboard's own Altair chart,
drawn as SVG by vl-convert, so it stays vector. Why these two: docs/brief.md.

``download_button`` is the 「下载简报」 button of the overview and the department page (the PDF is
made when it is clicked); ``main`` is ``python -m kpi.brief``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from kpi.pipeline.cli import ChineseArgumentParser
from kpi.pipeline.numbers import format_pct
from kpi.web import charts, filters, i18n, markup, queries
from kpi.web.components import tile_specs
from kpi.web.i18n import DEFAULT_LANG, t
from kpi.web.queries import Filters

TEMPLATE = Path(__file__).with_name("brief.typ")
# Where Debian puts fonts-noto-cjk (and DejaVu, for the few symbols CJK fonts lack); another
# place can be named in KPI_FONT_DIRS (directories separated by the path separator).
FONT_DIRS_ENV = "KPI_FONT_DIRS"
DEFAULT_FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/truetype/dejavu",
)
FONTS: tuple[str, ...] = ("Noto Sans CJK SC", "DejaVu Sans")
_CJK_FONT_FILE = re.compile(r"^NotoSans(CJK|SC)", re.IGNORECASE)
# What one page holds; beyond, the brief says how many more there are and the link shows them.
ATTENTION_MAX = 10
CHART_MAX = 20
FIRSTS_MAX = 16
# The status chart: its width in the SVG's pixels (drawn into half the page's width) and the
# height of one department's row.
CHART_WIDTH = 250
CHART_ROW = 14
MIME = "application/pdf"
# One briefing at a time per server process: a burst of clicks (or a hostile client) queues
# instead of taking both cores from the pages.
_RENDER_LOCK = threading.Lock()


class BriefError(Exception):
    """The briefing cannot be made (no CJK font); the message is for people, in Chinese."""


def font_dirs() -> list[str]:
    """The font directories Typst and vl-convert read, those of ``KPI_FONT_DIRS`` first."""
    configured = [d for d in os.environ.get(FONT_DIRS_ENV, "").split(os.pathsep) if d.strip()]
    return [d for d in dict.fromkeys([*configured, *DEFAULT_FONT_DIRS]) if Path(d).is_dir()]


def has_cjk_font(directories: list[str]) -> bool:
    return any(_CJK_FONT_FILE.match(path.name) for directory in directories for path in Path(directory).iterdir())


def _check_fonts(directories: list[str], lang: str) -> None:
    if not has_cjk_font(directories):
        raise BriefError(t("brief_no_cjk_font", lang))


@cache
def _vl_convert():
    """vl-convert with the same fonts as Typst (registered once per process)."""
    import vl_convert

    for directory in font_dirs():
        vl_convert.register_font_directory(directory)
    return vl_convert


def filters_line(f: Filters, lang: str) -> str:
    """The filters in force other than year and period, in words ("部门：市财政局；…")."""
    themes = queries.themes()
    theme_names = {
        row["theme_id"]: i18n.theme_name(row["name"], row["name_en"], lang) for row in themes.iter_rows(named=True)
    }
    sep = "、" if lang == "zh" else ", "
    departments = queries.departments_by_id(f.dept_ids).get_column("name").to_list()
    chosen = (
        ("departments", sep.join(i18n.department_name(name, lang) for name in departments)),
        ("sector", sep.join(f.sectors)),
        ("themes", sep.join(theme_names.get(theme_id, theme_id) for theme_id in f.theme_ids)),
        ("status", sep.join(i18n.status_word(s, lang) for s in f.statuses)),
        ("search", f.q),
    )
    items = [t("brief_filter_item", lang, name=t(key, lang), values=values) for key, values in chosen if values]
    return t("brief_filters", lang, filters=("；" if lang == "zh" else "; ").join(items) or t("brief_no_filters", lang))


def chart_svg(frame: pl.DataFrame, lang: str) -> str:
    """The overview's status chart (``charts.status_mix``) as SVG, sized for half an A4 page."""
    spec = charts.spec("status_mix", frame, lang)
    rows = frame.get_column("dept_id").n_unique()
    lines = max((len(charts.wrap_label(i18n.department_name(n, lang))) for n in frame.get_column("name")), default=1)
    spec["width"] = CHART_WIDTH
    spec["height"] = max(20, rows * CHART_ROW * lines)
    config = spec.setdefault("config", {})
    config["axis"] = {**config.get("axis", {}), "labelFontSize": 9, "titleFontSize": 9}
    config["view"] = {"stroke": None}
    return _vl_convert().vegalite_to_svg(spec)


def briefing_data(f: Filters, lang: str, link: str) -> tuple[dict, str]:
    """(the page's texts for brief.typ, the chart's SVG) — every figure from the query layer."""
    info = queries.period_info(f.year, f.period)
    period = i18n.period_label(f.period, lang)
    if info is None:
        source = t("brief_no_period", lang, year=f.year)
    else:
        source = t(
            "brief_source",
            lang,
            source=info["source_title"],
            as_of=info["as_of"],
            progress=format_pct(info["time_progress_pct"]),
        )
    counts = queries.tiles(f)
    lights = queries.light_counts(f)
    data: dict = {
        "lang": lang,
        "fonts": list(FONTS),
        "title": t("brief_title", lang),
        "period_line": t("brief_period", lang, year=f.year, period=period),
        "filters_line": filters_line(f, lang),
        "source_line": source,
        "tiles": [{"label": label, "value": value} for label, value, _ in tile_specs(counts, lang)],
        "lights_title": t("brief_lights", lang, period=period),
        "lights": [
            {
                "label": i18n.light_label(light, f.period, lang),
                "value": str(lights[light]),
                "color": i18n.LIGHT_COLORS[light],
            }
            for light in ("red", "yellow", "green", "none")
        ],
        "empty": None if counts["goals"] else t("brief_empty", lang),
        "link_word": t("brief_link", lang),
        "link": link,
        "generated": t("brief_generated", lang, at=time.strftime("%Y-%m-%d %H:%M")),
        "page_word": t("brief_page", lang),
    }
    if not counts["goals"]:
        return data, ""
    # The worst CHART_MAX departments (every department the page would show, at most that many).
    frame, total, _ = queries.status_worst_first(f, show_all=True)
    frame = frame.filter(pl.col("dept_order") <= CHART_MAX)
    data["chart_title"] = t("brief_status_mix", lang)
    extra = total - frame.get_column("dept_id").n_unique()
    data["chart_more"] = t("brief_league_more", lang, n=extra) if extra > 0 else None
    data["legend"] = [{"color": color, "label": label} for color, label in charts.status_legend(lang)]

    # As on the overview: every department up to SHOW_ALL_DEPARTMENTS, beyond that the best and
    # the laggards (their places show the gap), with the number left out said.
    league, total, hidden = queries.league_table(f)
    data["league_title"] = t("league", lang)
    data["league_rule"] = t("league_rule", lang)
    data["league_head"] = [t(key, lang) for key in markup.LEAGUE_HEADINGS]
    data["league_rows"] = [list(markup.league_cells(row, lang)) for row in league.to_dicts()]
    data["league_more"] = (
        t("brief_league_hidden", lang, total=total, n=queries.PROBLEMS_TOP_N, hidden=hidden) if hidden else None
    )

    attention, total = queries.light_attention_goals(f, ATTENTION_MAX)
    data["attention_title"] = t("attention", lang)
    data["attention_none"] = t("attention_none", lang)
    data["attention"] = [
        {
            "light": i18n.light_label(row["light"], f.period, lang),
            "color": i18n.LIGHT_COLORS[row["light"]],
            "goal": f"{i18n.department_name(row['dept_name'], lang)} {row['seq']}. {row['title']}",
            "reason": t("labelled", lang, label=t("light_reason", lang), text=row["light_reason"] or ""),
        }
        for row in attention.to_dicts()
    ]
    extra = total - attention.height
    data["attention_more"] = t("brief_attention_more", lang, n=extra) if extra > 0 else None

    firsts = queries.first_places(f)
    data["firsts_title"] = t("brief_firsts", lang)
    data["firsts_none"] = t("brief_firsts_none", lang)
    data["firsts"] = []
    for row in firsts.head(FIRSTS_MAX).to_dicts():
        rank, rest = markup.rank_sentence(row, lang)
        dept = i18n.department_name(row["dept_name"], lang)
        data["firsts"].append(t("brief_first_line", lang, dept=dept, rank=rank, rest=rest))
    extra = firsts.height - FIRSTS_MAX
    data["firsts_more"] = t("brief_firsts_more", lang, n=extra) if extra > 0 else None
    return data, chart_svg(frame, lang)


def render(f: Filters, lang: str, link: str) -> bytes:
    """The briefing of the filters ``f`` as PDF bytes; ``link`` opens the same view."""
    import typst

    directories = font_dirs()
    _check_fonts(directories, lang)
    data, svg = briefing_data(f, lang, link)
    return typst.compile(
        str(TEMPLATE),
        font_paths=directories,
        ignore_system_fonts=True,
        sys_inputs={"data": json.dumps(data, ensure_ascii=False), "chart": svg},
    )


def _render_one_at_a_time(f: Filters, lang: str, link: str) -> bytes:
    with _RENDER_LOCK:
        return render(f, lang, link)


def page_count(pdf: bytes) -> int:
    """Pages of a PDF Typst wrote (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def file_name(f: Filters, lang: str = DEFAULT_LANG) -> str:
    from kpi.web import exports

    return exports.file_stem(f, t("brief_file", lang)) + ".pdf"


def download_button(f: Filters, lang: str, url_path: str) -> None:
    """「下载简报」: the briefing of this view, made only when clicked (the page run stays fast)."""
    import streamlit as st

    if not has_cjk_font(font_dirs()):
        # Said on the page, not after a click: without the font the PDF cannot be made.
        st.caption(t("brief_no_cjk_font", lang))
        return
    link = filters.share_url(filters.page_base_url(url_path), f, lang)
    st.download_button(
        t("brief_download", lang),
        lambda: _render_one_at_a_time(f, lang, link),
        file_name(f, lang),
        MIME,
        key=f"brief_{url_path}",
        help=t("brief_download_help", lang),
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )


# --- python -m kpi.brief -----------------------------------------------------------------------


def _base_url(query: str) -> str:
    """The page address of a whole link given as ``--query``; else the public address."""
    parts = urlsplit(query.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    base = os.environ.get(filters.PUBLIC_URL_ENV, "").strip() or filters.DEFAULT_PUBLIC_URL
    return base.rstrip("/") + "/"


def write_pdf(pdf: bytes, out: Path) -> None:
    """Write atomically: the file is the whole briefing or is not there (nor changed)."""
    out = out.expanduser()
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent or Path("."))
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(pdf)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = ChineseArgumentParser(prog="python -m kpi.brief", description=t("brief_cli_help"))
    # Checked after parsing, so an unknown option is named before a missing --out.
    parser.add_argument("--out", type=Path, metavar="FILE.pdf", help=t("brief_cli_out"))
    parser.add_argument("--query", default="", metavar="QUERY", help=t("brief_cli_query"))
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help=t("brief_cli_data_dir"))
    args = parser.parse_args(argv)
    if args.out is None:
        parser.error("the following arguments are required: --out")
    if args.out.suffix.lower() != ".pdf":
        print(f"错误：{t('brief_cli_not_pdf', path=args.out)}", file=sys.stderr)
        return 2
    if args.data_dir is not None:
        os.environ["KPI_DATA_DIR"] = str(args.data_dir)
    problems = queries.data_problems()
    if problems:
        print(t("brief_cli_data"), *(f"- {p}" for p in problems), sep="\n", file=sys.stderr)
        return 1
    f, lang, problems = filters.parse_query_string(args.query)
    if problems:
        print(t("brief_cli_bad_query"), *(f"- {p}" for p in problems), sep="\n", file=sys.stderr)
        return 2
    link = filters.share_url(_base_url(args.query), f, lang)
    try:
        pdf = render(f, lang, link)
    except BriefError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    except RuntimeError as error:  # typst.TypstError and vl-convert's errors
        print(t("brief_cli_failed", reason=type(error).__name__), file=sys.stderr)
        return 1
    write_pdf(pdf, args.out)
    print(t("brief_cli_written", path=args.out, pages=page_count(pdf)))
    return 0
