"""Hostile input: random and malicious URL parameters (property-based, through AppTest), values
that look like SQL (the query layer binds them as data), and data text that looks like HTML,
Markdown or script (shown literally in cards, badges, captions, tables and downloads).

What the URL parameters must do (kpi/web/filters.py, kpi.web.shell.ignored_url_filters):
- a value that is not one of the filter's options is dropped; the other values stay;
- a filter whose every value was dropped is off, and the page says which filters of
  the link were ignored (never a silent widening);
- year, period, language and search take the last value of a repeated parameter (as
  ``st.query_params`` does); an unknown year, period or language means the newest year,
  that year's latest period or Chinese; a search is cut to its maximum length.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import string
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from kpi.contract.schema import STATUSES, Dataset
from kpi.contract.storage import read_dataset, write_dataset
from kpi.web import auth, exports, markup, queries
from kpi.web.i18n import LANGS, t
from kpi.web.queries import SEARCH_MAX_CHARS, Filters
from tests.support.apptest import APP, ROOT, open_lazy_expanders, search_matches
from tests.support.datasets import (
    FORMULA,
    HOSTILE_DEPT_ID,
    HOSTILE_TEXT,
    SQL,
    URL,
    URL_VALUES,
    XSS_IMG,
    XSS_SCRIPT,
    XSS_SVG,
    as_csv_cell,
    hostile_dataset,
)


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory, seed_files: Path) -> Path:
    directory = tmp_path_factory.mktemp("hostile")
    write_dataset(hostile_dataset(seed_files), directory)
    return directory


@pytest.fixture
def hostile_data(hostile_files: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Dataset:
    monkeypatch.setenv("KPI_DATA_DIR", str(hostile_files))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(auth.VIEWER_PASSWORD_ENV, raising=False)
    return read_dataset(hostile_files)


# --- URL parameters, property-based --------------------------------------------------------------

ALPHABET = st.sampled_from(list(string.printable) + list("亿元全省第减负市局完成率　"))
RANDOM_TEXT = st.text(ALPHABET, max_size=70)
SEARCH_TERMS = ["亿元", "减负", "全省第1", "%", "完成率", "市", " 亿元 ", "x" * 60]
PARAMS = ("year", "period", "dept", "sector", "theme", "status", "q", "lang")


def options(tables: dict[str, pl.DataFrame]) -> dict[str, list[str]]:
    return {
        "year": [str(y) for y in sorted(set(tables["goals"].get_column("year").to_list()), reverse=True)],
        # The bundled data report one period (全年); its code is the only valid value.
        "period": tables["periods"]
        .sort("end_date", descending=True)
        .get_column("period")
        .unique(maintain_order=True)
        .to_list(),
        "dept": tables["departments"].get_column("dept_id").to_list(),
        "sector": sorted(set(tables["departments"].get_column("sector").to_list())),
        "theme": tables["themes"].get_column("theme_id").to_list(),
        "status": list(STATUSES),
        "q": SEARCH_TERMS,
        "lang": list(LANGS),
    }


def values(choices: list[str], max_size: int = 4) -> st.SearchStrategy[list[str]]:
    one = st.one_of(st.sampled_from(choices), st.sampled_from(URL_VALUES), RANDOM_TEXT)
    return st.lists(one, max_size=max_size)


def in_force(raw: dict[str, list[str]], valid: dict[str, list[str]]) -> dict[str, list[str]]:
    """The documented meaning of a link's parameters (module docstring)."""

    def single(param: str, default: str) -> str:
        given_values = raw.get(param, [])
        return given_values[-1] if given_values and given_values[-1] in valid[param] else default

    search = raw.get("q", [])
    return {
        "year": [single("year", valid["year"][0])],
        "period": [single("period", valid["period"][0])],
        "lang": [single("lang", "zh")],
        "q": [search[-1][:SEARCH_MAX_CHARS] if search else ""],
        **{
            p: list(dict.fromkeys(v for v in raw.get(p, []) if v in valid[p]))
            for p in ("dept", "sector", "theme", "status")
        },
    }


def expected_goals(tables: dict[str, pl.DataFrame], chosen: dict[str, list[str]]) -> int:
    goals = tables["goals"].join(tables["departments"].select("dept_id", "sector"), on="dept_id")
    goals = goals.filter((pl.col("year") == int(chosen["year"][0])) & (pl.col("period") == chosen["period"][0]))
    for param, column in (("dept", "dept_id"), ("sector", "sector"), ("status", "status")):
        if chosen[param]:
            goals = goals.filter(pl.col(column).is_in(chosen[param]))
    if chosen["theme"]:
        goals = goals.filter(pl.col("themes").list.eval(pl.element().is_in(chosen["theme"])).list.any())
    return search_matches(goals, tables["departments"], tables["themes"], chosen["q"][0]).height


def check_link(raw: dict[str, list[str]], tables: dict[str, pl.DataFrame]) -> None:
    app = AppTest.from_file(str(APP), default_timeout=60)
    for param, given_values in raw.items():
        if given_values:
            app.query_params[param] = given_values
    app.run()
    assert not app.exception
    valid = options(tables)
    chosen = in_force(raw, valid)
    lang = chosen["lang"][0]
    # Exactly the goals the valid values select: never more (a widened filter), never fewer.
    tiles = {m.label: m.value for m in app.metric}
    assert tiles[t("tile_goals", lang)] == str(expected_goals(tables, chosen))
    for param in ("dept", "theme", "status"):
        assert set(app.multiselect(key=f"{param}_ui").value) == set(chosen[param])
    assert set(app.multiselect(key="sector").value) == set(chosen["sector"])
    assert app.text_input(key="q").value == chosen["q"][0]
    # Ignored values are said, naming the filter (never echoing the value).
    ignored = [p for p in PARAMS if any(v and v not in chosen[p] for v in raw.get(p, []))]
    warnings = [w.value for w in app.warning]
    if ignored:
        labels = {
            p: t(key, lang)
            for p, key in (
                ("year", "year"),
                ("period", "period"),
                ("dept", "departments"),
                ("sector", "sector"),
                ("theme", "themes"),
                ("status", "status"),
                ("q", "search"),
                ("lang", "language"),
            )
        }
        [warning] = warnings
        assert all(labels[p] in warning for p in ignored)
        assert all(v not in warning for p in ignored for v in raw[p] if v in URL_VALUES and len(v.strip()) > 3)
    else:
        assert warnings == []


def bounded(examples: int) -> settings:
    # AppTest runs take ~0.1 s each: a few dozen examples per test keep the suite short.
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture
def public(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.VIEWER_PASSWORD_ENV, raising=False)
    monkeypatch.delenv("KPI_DATA_DIR", raising=False)


@pytest.mark.parametrize("param", PARAMS)
@bounded(30)
@given(draw=st.data())
def test_any_value_of_one_parameter(public, tables: dict[str, pl.DataFrame], param: str, draw) -> None:
    raw = {param: draw.draw(values(options(tables)[param]), label=param)}
    check_link(raw, tables)


@bounded(60)
@given(draw=st.data())
def test_any_combination_of_parameters(public, tables: dict[str, pl.DataFrame], draw) -> None:
    valid = options(tables)
    raw = {
        param: draw.draw(values(valid[param], 2 if param in ("q", "year", "period", "lang") else 4), label=param)
        for param in PARAMS
    }
    check_link(raw, tables)


@pytest.mark.parametrize("key", ["dept", "theme", "status"])
def test_a_widget_value_of_the_wrong_type_is_dropped_and_clears_no_cache(public, tables, key: str) -> None:
    """A modified client sends a number where the pickers hold codes: the value is dropped (as an
    unknown option is); the page neither fails nor shows the server's data path, and the data stay
    cached for every other viewer."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    version = queries.data_version()
    connection = queries._connection(version.split("|", 1)[0], version)
    app.session_state[key] = [5]
    app.run()
    assert not app.exception and not app.error
    shown = " ".join(str(e.value) for e in [*app.markdown, *app.caption, *app.error, *app.warning])
    assert str(queries.data_dir()) not in shown
    assert queries._connection(version.split("|", 1)[0], version) is connection
    assert app.metric  # the dashboard, not an error page


@pytest.mark.parametrize("bad", ["nope", SQL, XSS_IMG])
def test_an_all_invalid_filter_is_off_and_the_page_says_so(public, tables: dict[str, pl.DataFrame], bad: str) -> None:
    """The documented choice for `?dept=<unknown>`: all departments, with a visible notice."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.query_params["dept"] = bad
    app.run()
    assert {m.label: m.value for m in app.metric}[t("tile_goals")] == str(tables["goals"].height)
    [warning] = [w.value for w in app.warning]
    assert t("departments") in warning and bad not in warning
    app.run()  # the notice belongs to the link that was opened, not to every later click
    assert not app.warning


# --- the query layer treats values as data ----------------------------------------------------


def test_values_that_look_like_sql_are_matched_literally(hostile_data: Dataset) -> None:
    year = int(hostile_data.goals.get_column("year").max())
    finance = hostile_data.goals.filter(pl.col("dept_id") == HOSTILE_DEPT_ID)
    assert queries.tiles(Filters(year, dept_ids=(HOSTILE_DEPT_ID,)))["goals"] == finance.height == 5
    for bad in (f"{HOSTILE_DEPT_ID}' OR '1'='1", "finance", "%", "fin_ance"):
        assert queries.tiles(Filters(year, dept_ids=(bad,)))["goals"] == 0
    # Every goal's title carries the SQL text: a search for it finds every goal, a longer one none.
    assert queries.goal_page(Filters(year, q=SQL), 1, 0)[1] == hostile_data.goals.height
    assert queries.goal_page(Filters(year, q=SQL + "x"), 1, 0)[1] == 0
    # Title with a leading formula: only the first goals.
    first = hostile_data.goals.filter(pl.col("seq") == 1).height
    assert queries.goal_page(Filters(year, q=FORMULA), 1, 0)[1] == first
    # The tables are all still there.
    assert queries.tiles(Filters(year))["goals"] == hostile_data.goals.height


@bounded(60)
@given(data=st.data())
def test_any_search_is_a_literal_substring_match(hostile_data: Dataset, data) -> None:
    goals = hostile_data.goals
    year = int(goals.get_column("year").max())
    text = data.draw(st.sampled_from(goals.get_column("title").to_list() + goals.get_column("result").to_list()))
    start = data.draw(st.integers(0, len(text) - 1))
    term = data.draw(st.one_of(st.just(text[start : start + data.draw(st.integers(1, 12))]), RANDOM_TEXT))
    expected = search_matches(goals, hostile_data.departments, hostile_data.themes, term).height
    assert queries.goal_page(Filters(year, q=term), 1, 0)[1] == expected


def test_no_sql_is_built_from_a_value() -> None:
    """Every SQL f-string in the query layer interpolates only fixed fragments, never a filter value.

    Allowed inside {}: module constants (_UPPER_CASE), STATUSES and the loop over it, and the local
    fragments `scope`, `conditions`, `order`, `restrict`, which are themselves built from constants.
    """
    tree = ast.parse((ROOT / "kpi" / "web" / "queries.py").read_text(encoding="utf-8"))
    allowed = {"scope", "conditions", "order", "restrict", "s", "STATUSES"}
    sql = re.compile(r"\b(SELECT|WHERE|FROM|FILTER|ORDER BY)\b")
    checked = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            if not sql.search(text):
                continue
            checked += 1
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    names = {n.id for n in ast.walk(part.value) if isinstance(n, ast.Name)}
                    assert all(n in allowed or re.fullmatch(r"_[A-Z0-9_]+", n) for n in names), ast.unparse(part)
        # The local fragments get only string constants.
        appends = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
        if appends and isinstance(node.func.value, ast.Name) and node.func.value.id == "conditions":
            # A string constant, or a module constant (_UPPER_CASE) built from constants.
            # Or one entry of such a module constant (the search's prebuilt conditions).
            def constant(arg: ast.expr) -> bool:
                if isinstance(arg, ast.Subscript):
                    arg = arg.value
                return isinstance(arg, ast.Name) and re.fullmatch(r"_[A-Z0-9_]+", arg.id) is not None

            assert all(isinstance(arg, ast.Constant) or constant(arg) for arg in node.args), ast.unparse(node)
        targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if isinstance(node, ast.Assign) and {"order", "restrict"} & set(targets):
            names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            assert names <= {"order", "statuses_first"}, ast.unparse(node)
            assert not any(isinstance(n, ast.JoinedStr) for n in ast.walk(node.value)), ast.unparse(node)
    assert checked >= 10  # the check saw the query layer's f-string SQL (the rest are plain strings)


# --- data text is shown literally ---------------------------------------------------------------

# Raw forms that would be markup if they reached Markdown unescaped (escaped, each has a backslash inside).
MARKUP = [XSS_IMG, XSS_SCRIPT, XSS_SVG, "**x**", "_y_", "`z`", "[点我](javascript", "$x^2$"]
MARKUP += [":red[", ":material/home:", "~~s~~"]


def markdown_bodies(app: AppTest) -> list[str]:
    """The Markdown sources of every title, header, caption, badge, alert and markdown element."""
    bodies = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "body") and node.type != "html":
            bodies.append(proto.body)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return bodies


@pytest.mark.parametrize("page", ["overview", "rankings", "targets", "departments", "goals"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hostile_text_is_never_markup(hostile_data: Dataset, page: str, lang: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.query_params["lang"] = lang
    app.run()
    if page != "overview":
        app.switch_page(f"pages/{page}_page.py").run()
    assert not app.exception
    bodies = markdown_bodies(app)
    html_bodies = [h.value for h in app.get("html")]
    shown = " ".join(bodies + html_bodies)
    if page in ("departments", "goals", "overview"):
        assert "onerror" in shown  # the hostile text is on this page ...
    for body in bodies:
        for active in MARKUP:
            assert active not in body, body  # ... but only escaped (\*\*x\*\*, \<img …)
    for body in html_bodies:
        # The copy button's fixed script is the one script (it reads the escaped link, runs nothing of it).
        if 'class="kpi-copy"' in body:
            assert body.count("<script") == 1 and body.endswith(markup.COPY_SCRIPT)
            body = body.removesuffix(markup.COPY_SCRIPT)
        assert "<img" not in body and "<script" not in body and "<svg" not in body, body  # &lt;img …
    # Tables hold the text itself.
    assert open_lazy_expanders(app) > 0 and app.dataframe  # the tables are drawn once opened
    for frame in app.dataframe:
        for column in frame.value.columns:
            for value in frame.value[column]:
                if isinstance(value, str) and "onerror" in value:
                    assert XSS_IMG in value


def test_markdown_literal_round_trips_through_commonmark_escapes() -> None:
    """Undoing CommonMark's backslash escapes gives back the original text, for every hostile string."""
    for text in [HOSTILE_TEXT, FORMULA, "a\\b", "]", "\\]", "[x]", "100%+2.5"]:
        escaped = markup.markdown_literal(text)
        assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped) == text


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped_and_numbers_stay_numbers() -> None:
    payloads = ['=HYPERLINK("http://evil.example/x","点击")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "1-2", "市局"]
    frame = pl.DataFrame(
        {"title": payloads, "value": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -7.0], "rank": [-1, 2, 3, 4, 5, 6, 7, 8]}
    )
    rows = list(csv.reader(io.StringIO(exports.to_csv(frame).decode("utf-8-sig"), newline="")))
    assert rows[0] == ["title", "value", "rank"]
    titles = [row[0] for row in rows[1:]]
    assert titles == [
        '\'=HYPERLINK("http://evil.example/x","点击")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
        "1-2",
        "市局",
    ]
    assert [row[1] for row in rows[1:]] == ["-3.5", "1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "-7.0"]
    assert rows[1][2] == "-1"


def test_downloads_hold_the_text_as_written(hostile_data: Dataset) -> None:
    year = int(hostile_data.goals.get_column("year").max())
    f = Filters(year)
    goals = hostile_data.goals.sort("goal_id")
    rows = list(csv.DictReader(io.StringIO(exports.goals_csv(f).decode("utf-8-sig"))))
    assert sorted((r["目标编号"], r["目标任务"], r["完成情况（原文）"]) for r in rows) == [
        (goal_id, as_csv_cell(title), as_csv_cell(result))
        for goal_id, title, result in zip(goals["goal_id"], goals["title"], goals["result"], strict=True)
    ]
    assert any(r["目标任务"].startswith("'" + FORMULA) for r in rows)
    indicator_rows = list(csv.DictReader(io.StringIO(exports.indicators_csv(f).decode("utf-8-sig"))))
    assert {r["指标"] for r in indicator_rows} == {as_csv_cell(n) for n in hostile_data.indicators["name"]}

    book = openpyxl.load_workbook(io.BytesIO(exports.workbook(f)))
    sheet = book["目标"]
    header = [cell.value for cell in sheet[1]]
    titles = [row[header.index("目标任务")] for row in sheet.iter_rows(min_row=2)]
    assert sorted(cell.value for cell in titles) == sorted(goals.get_column("title"))
    assert any(cell.value.startswith(FORMULA) for cell in titles)
    assert all(cell.data_type == "s" for cell in titles)  # text, not a formula
    figures = book["指标"]
    names = [row[[c.value for c in figures[1]].index("指标")] for row in figures.iter_rows(min_row=2)]
    assert all(URL in cell.value and cell.hyperlink is None for cell in names)  # text, not a link
