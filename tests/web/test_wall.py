"""The wall screen (/wall) through Streamlit's AppTest on the bundled data: its screens against
counts worked out with Polars from the Parquet files, rotate= and hostile values, the watermark,
and the wall token — admitted by the wall page only, checked on every run, revocable."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.storage import read_dataset, table_path, write_dataset
from kpi.pipeline import synth
from kpi.web import admin, auth, i18n, queries, wall
from kpi.web.i18n import t
from kpi.web.queries import Filters
from tests.support.apptest import APP, ROOT, search_matches
from tests.support.datasets import HOSTILE_DEPT_ID, URL_VALUES, XSS_IMG, hostile_dataset

PASSWORD = "湖州-Viewer-2023"
TOKEN = "wall-会议室-0123456789abcdefghijklmnopqrstuvwxyz"
OTHER_TOKEN = "wall-大厅-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210"


@pytest.fixture(autouse=True)
def clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No login, token or watermark configured, no secrets.toml where Streamlit looks; a fresh throttle."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in (auth.VIEWER_PASSWORD_ENV, admin.PASSWORD_ENV, auth.WALL_TOKENS_ENV, wall.WATERMARK_ENV):
        monkeypatch.delenv(name, raising=False)
    auth.WALL_THROTTLE.reset()
    yield
    auth.WALL_THROTTLE.reset()


@pytest.fixture(scope="module")
def bundled() -> dict[str, pl.DataFrame]:
    return read_dataset(ROOT / "data").tables()


def open_wall(params: dict[str, str | list[str]] | None = None, secrets: dict | None = None) -> AppTest:
    """The app opened with ``params`` (AppTest's first run is always the default page), then the wall."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (params or {}).items():
        app.query_params[key] = value
    for key, value in (secrets or {}).items():
        app.secrets[key] = value
    app.run()
    app.switch_page("pages/wall_page.py").run()
    return app


def canvas(app: AppTest) -> str:
    """The canvas block's HTML (None when the wall is not drawn)."""
    blocks = [b.value for b in app.get("html") if b.value.startswith('<div class="kpi-wall"')]
    assert len(blocks) <= 1
    return blocks[0] if blocks else None


def text_of(block: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", block))


def tile_value(block: str, key: str) -> str:
    found = re.search(
        rf'data-tile="{key}"><p class="kpi-wall-label">[^<]*</p><p class="kpi-wall-figure"[^>]*>([^<]*)<', block
    )
    assert found, key
    return html.unescape(found.group(1))


def latest_goals(tables: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, str]:
    """The goals of the newest year's latest period (the wall's default), with department order."""
    periods = tables["periods"]
    year = periods.get_column("year").max()
    period = periods.filter(pl.col("year") == year).sort("end_date").get_column("period")[-1]
    goals = tables["goals"].filter((pl.col("year") == year) & (pl.col("period") == period))
    return goals.join(tables["departments"].select("dept_id", "name", "sort_order"), on="dept_id"), period


# --- what the screens show ------------------------------------------------------------------------


def test_the_first_screen_has_the_lights_the_tiles_and_every_goal_needing_attention(bundled) -> None:
    app = open_wall()
    assert not app.exception
    block = canvas(app)
    goals, period = latest_goals(bundled)
    for light in ("red", "yellow", "green", "none"):
        assert tile_value(block, f"light_{light}") == str(goals.filter(pl.col("light") == light).height)
    assert tile_value(block, "goals") == str(goals.height)
    # The goals needing attention: red first, then yellow, each as department, number and title.
    attention = goals.filter(pl.col("light").is_in(["red", "yellow"]))
    assert 0 < attention.height <= wall.OVERVIEW_ATTENTION
    expected = attention.sort(pl.col("light") != "red", "sort_order", "seq")
    text = text_of(block)
    positions = [text.index(f"{row['name']}  {row['seq']}. {row['title']}") for row in expected.iter_rows(named=True)]
    assert positions == sorted(positions)
    red = i18n.light_label("red", period)
    assert text.count(red) == attention.filter(pl.col("light") == "red").height + 1  # the tile, then each goal
    assert 'data-screen="overview"' in block and 'data-screen-index="0"' in block


def test_the_screens_rotate_through_attention_league_firsts_and_each_chosen_department(bundled) -> None:
    goals, period = latest_goals(bundled)
    f = Filters(year=int(goals.get_column("year")[0]), period=period)
    screens = wall.build_screens(f, "zh")
    keys = [s.key for s in screens]
    attention = goals.filter(pl.col("light").is_in(["red", "yellow"]))
    pages = -(-attention.height // wall.ATTENTION_PER_SCREEN)
    assert keys[: 2 + pages] == ["overview", *["attention"] * pages, "league"]
    assert set(keys[2 + pages :]) == {"firsts"}
    # 需关注 lists every goal with a red or yellow light with its reason, red ones first.
    listed = text_of("".join(s.body for s in screens if s.key == "attention"))
    for row in attention.iter_rows(named=True):
        assert row["title"] in listed and row["light_reason"][:40] in listed
    reds = attention.filter(pl.col("light") == "red").get_column("title").to_list()
    yellows = attention.filter(pl.col("light") == "yellow").get_column("title").to_list()
    assert max(listed.index(x) for x in reds) < min(listed.index(x) for x in yellows)
    # The league table: every department, by share of goals on pace (green; then 全省第1).
    league = text_of(next(s.body for s in screens if s.key == "league"))
    met = goals.group_by("dept_id", "name").agg(
        share=(pl.col("light") == "green").mean(), order=pl.col("sort_order").first()
    )
    assert all(name in league for name in met.get_column("name"))
    best, worst = met.sort("share").get_column("name")[-1], met.sort("share").get_column("name")[0]
    assert league.index(best) < league.index(worst)
    # The first places in words: every confirmed figure ranked exactly 全省第1, not a forecast.
    firsts = (
        bundled["indicators"]
        .filter(
            (pl.col("rank") == 1)
            & (pl.col("rank_scope") == "全省")
            & ~pl.col("rank_is_top_n")
            & ~pl.col("is_forecast")
            & (pl.col("confidence") == "high")
        )
        .join(goals.select("goal_id"), on="goal_id", how="semi")
    )
    said = text_of("".join(s.body for s in screens if s.key == "firsts"))
    assert firsts.height and said.count("全省第1") == firsts.height
    assert all(name in said for name in firsts.get_column("name"))


def test_one_screen_per_chosen_department_with_its_own_goals(bundled) -> None:
    app = open_wall({"dept": ["economy_it", "finance"], "rotate": "0"})
    assert not app.exception
    goals, period = latest_goals(bundled)
    f = Filters(year=int(goals.get_column("year")[0]), period=period, dept_ids=("economy_it", "finance"))
    screens = [s for s in wall.build_screens(f, "zh") if s.key == "dept"]
    departments = bundled["departments"].filter(pl.col("dept_id").is_in(["economy_it", "finance"]))
    full_names = dict(zip(departments.get_column("dept_id"), departments.get_column("full_name"), strict=True))
    assert [s.title for s in screens] == [full_names["economy_it"], full_names["finance"]]
    for screen, dept_id in zip(screens, ("economy_it", "finance"), strict=True):
        own = goals.filter(pl.col("dept_id") == dept_id)
        assert tile_value(screen.body, "goals") == str(own.height)
        for row in own.filter(pl.col("light").is_in(["red", "yellow"])).head(wall.DEPT_ATTENTION).iter_rows(named=True):
            assert row["title"] in text_of(screen.body)
        others = goals.filter(~pl.col("dept_id").is_in(["economy_it", "finance"]))
        assert not any(title in text_of(screen.body) for title in others.get_column("title"))
    # The header names the chosen departments; the first screen counts only their goals.
    block = canvas(app)
    chosen = goals.filter(pl.col("dept_id").is_in(["economy_it", "finance"]))
    assert tile_value(block, "goals") == str(chosen.height)
    assert "市经信局" in text_of(block) and "市财政局" in text_of(block)


def test_the_canvas_shows_the_as_of_date_the_refresh_time_and_the_watermark(bundled, monkeypatch) -> None:
    block = canvas(open_wall())
    text = text_of(block)
    as_of = bundled["periods"].sort("year", "end_date").get_column("as_of")[-1]
    assert t("wall_as_of", as_of=as_of) in text
    assert re.search(r"刷新于 \d\d:\d\d:\d\d", text)
    marks = re.findall(r'<span class="kpi-wall-mark">([^<]*)</span>', block)
    assert len(marks) == 12 and all(re.fullmatch(r"内部资料 \d{4}-\d\d-\d\d \d\d:\d\d", m) for m in marks)
    # Configurable, and escaped like everything else.
    monkeypatch.setenv(wall.WATERMARK_ENV, f"机密 {{date}} {XSS_IMG}")
    block = canvas(open_wall())
    assert "<img" not in block
    mark = html.unescape(re.search(r'<span class="kpi-wall-mark">([^<]*)</span>', block).group(1))
    assert mark.startswith(f"机密 {datetime.now().astimezone():%Y-%m-%d} <img")
    assert len(mark) <= wall.WATERMARK_MAX_CHARS


def test_the_watermark_comes_from_secrets_too() -> None:
    block = canvas(open_wall(secrets={wall.WATERMARK_SECRET: "湖州市委办 {time}"}))
    assert re.search(r'<span class="kpi-wall-mark">湖州市委办 \d{4}-\d\d-\d\d \d\d:\d\d</span>', block)


def test_the_wall_has_no_share_link_no_sign_out_and_hides_the_sidebar_and_chrome() -> None:
    app = open_wall()
    blocks = [b.value for b in app.get("html")]
    assert not any("kpi-copy" in b for b in blocks)  # the share button of other pages
    assert all(button.key != "viewer_logout" for button in app.button)
    styles = next(b for b in blocks if b.startswith("<style>") and ".kpi-wall" in b)
    for hidden in ("[data-testid=stSidebar]", "header[data-testid=stHeader]", "[data-testid=stStatusWidget]"):
        assert hidden in styles.split("{display:none")[0]


# --- rotate= -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], (20, True)),
        (["0"], (0, True)),
        (["3"], (3, True)),
        (["45"], (45, True)),
        (["3600"], (3600, True)),
        (["2"], (20, False)),
        (["3601"], (20, False)),
        (["99999999999999999999"], (20, False)),
        (["-5"], (20, False)),
        (["+5"], (20, False)),
        (["5.0"], (20, False)),
        (["1e3"], (20, False)),
        (["NaN"], (20, False)),
        (["inf"], (20, False)),
        (["２０"], (20, False)),  # full-width digits, which int() would take
        (["٣٠"], (20, False)),
        ([" 30"], (20, False)),
        (["30", "40"], (20, False)),
    ],
)
def test_rotate_takes_whole_seconds_or_zero_and_refuses_anything_else(values, expected) -> None:
    assert wall.parse_rotate(values) == expected


# Every hostile URL value but "0" (no rotation, valid), and more numbers out of range or in other forms.
@pytest.mark.parametrize("value", [v for v in URL_VALUES if v != "0"] + ["2", "3601", "-1", "1e9", "NaN", "３０"])
def test_a_hostile_rotate_value_is_named_in_chinese_and_the_default_applies(value: str) -> None:
    app = open_wall({"rotate": value})
    assert not app.exception
    text = text_of(canvas(app))
    notice = t("wall_rotate_invalid", low=wall.MIN_ROTATE_S, high=wall.MAX_ROTATE_S, default=wall.DEFAULT_ROTATE_S)
    assert notice in text
    assert t("wall_rotate_every", seconds=wall.DEFAULT_ROTATE_S) in text


def test_rotate_zero_keeps_the_first_screen_and_a_valid_value_shows_no_notice() -> None:
    app = open_wall({"rotate": "0"})
    text = text_of(canvas(app))
    assert t("wall_rotate_off") in text and "rotate" not in text
    app.run()
    assert 'data-screen-index="0"' in canvas(app)


def test_an_unknown_filter_of_the_wall_link_is_named_in_the_canvas() -> None:
    app = open_wall({"dept": "no-such-department"})
    assert not app.exception
    assert t("wall_ignored", params=t("departments")) in text_of(canvas(app))


def test_the_next_screen_comes_once_the_interval_has_passed() -> None:
    assert wall.advance(0, 100.0, 110.0, 20, 5) == (0, 100.0)
    assert wall.advance(0, 100.0, 119.7, 20, 5) == (1, 119.7)  # a tick a little early still counts
    assert wall.advance(4, 100.0, 121.0, 20, 5) == (0, 121.0)  # wraps
    assert wall.advance(7, 100.0, 101.0, 20, 5) == (2, 100.0)  # fewer screens after new data
    assert wall.advance(3, 100.0, 999.0, 0, 5) == (3, 100.0)  # rotate=0: stays
    assert wall.tick_seconds(3) == 3 and wall.tick_seconds(60) == wall.REFRESH_S
    assert wall.tick_seconds(0) == wall.REFRESH_S  # still looks for new data


def test_a_new_data_version_is_shown_on_the_next_run(tmp_path: Path, monkeypatch, bundled) -> None:
    data = tmp_path / "data"
    write_dataset(read_dataset(ROOT / "data"), data)
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    app = open_wall({"rotate": "0"})
    before = canvas(app)
    dataset = read_dataset(data)
    periods = dataset.periods.with_columns(as_of=pl.lit("2023-01-15"))
    write_dataset(type(dataset)(**{**dataset.tables(), "periods": periods}), data)
    app.run()
    after = canvas(app)
    assert t("wall_as_of", as_of="2023-01-15") in text_of(after)
    assert re.search(r'data-version="([^"]*)"', after).group(1) != re.search(r'data-version="([^"]*)"', before).group(1)
    assert "/" not in re.search(r'data-version="([^"]*)"', after).group(1)  # a version id, never a path


# --- the wall token -------------------------------------------------------------------------------


def only_login(app: AppTest) -> bool:
    return canvas(app) is None and any(box.key == "viewer_password" for box in app.text_input) and not app.metric


def test_with_a_password_and_no_token_the_wall_shows_only_the_login_form(monkeypatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, TOKEN)
    app = open_wall()
    assert not app.exception and only_login(app)
    assert not any(t("wall_token_refused") in e.value for e in app.error)


def test_the_wall_token_opens_the_wall_without_a_login_and_no_other_page(monkeypatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, f"{OTHER_TOKEN}, {TOKEN}")
    app = open_wall({auth.WALL_TOKEN_PARAM: TOKEN})
    assert not app.exception
    assert canvas(app) is not None and all(box.key != "viewer_password" for box in app.text_input)
    # The same session, the same link, any other page: the login form, nothing else.
    for page in ("overview", "goals", "departments", "rankings", "targets"):
        app.switch_page(f"pages/{page}_page.py").run()
        assert only_login(app), page
    # And the token opens nothing on a fresh session of another page either.
    fresh = AppTest.from_file(str(APP), default_timeout=60)
    fresh.query_params[auth.WALL_TOKEN_PARAM] = TOKEN
    fresh.run()
    assert only_login(fresh)


def test_the_wall_token_can_be_a_secrets_list() -> None:
    app = open_wall(
        {auth.WALL_TOKEN_PARAM: TOKEN}, {auth.VIEWER_SECRET_KEY: PASSWORD, auth.WALL_TOKENS_SECRET: [TOKEN]}
    )
    assert canvas(app) is not None


@pytest.mark.parametrize(
    "given",
    [TOKEN[:-1], TOKEN + "x", TOKEN.upper(), " " + TOKEN, PASSWORD, "", XSS_IMG, "a" * 10_000, OTHER_TOKEN],
)
def test_a_wrong_token_gets_the_login_form_with_a_chinese_message(given: str, monkeypatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, TOKEN)
    app = open_wall({auth.WALL_TOKEN_PARAM: given})
    assert not app.exception and only_login(app)
    assert any(t("wall_token_refused") in e.value for e in app.error)


def test_a_short_token_in_the_configuration_is_ignored(monkeypatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, "short-token")
    assert auth.wall_tokens() == ()
    assert only_login(open_wall({auth.WALL_TOKEN_PARAM: "short-token"}))


def test_revoking_a_token_ends_the_wall_on_its_next_run(monkeypatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, TOKEN)
    app = open_wall({auth.WALL_TOKEN_PARAM: TOKEN})
    assert canvas(app) is not None
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, OTHER_TOKEN)  # the admin replaced the token
    app.run()
    assert only_login(app)


def test_guessing_tokens_is_throttled_like_passwords(monkeypatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, TOKEN)
    for attempt in range(auth.MAX_FAILURES):
        assert not auth.wall_token_matches(f"guess-{attempt}-" + "x" * 30)
        auth.WALL_THROTTLE.failed("203.0.113.9")
    assert auth.WALL_THROTTLE.retry_at("203.0.113.9") is not None
    # Locked: the right token is refused too (the client of AppTest is "unknown", locked the same way).
    for _ in range(auth.MAX_FAILURES):
        auth.WALL_THROTTLE.failed("unknown")
    assert only_login(open_wall({auth.WALL_TOKEN_PARAM: TOKEN}))


def test_a_token_in_another_page_link_never_reaches_its_share_link(monkeypatch) -> None:
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, TOKEN)
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.query_params[auth.WALL_TOKEN_PARAM] = TOKEN
    app.query_params["dept"] = "finance"
    app.run()
    shares = [b.value for b in app.get("html") if "kpi-copy" in b.value]
    assert shares and all(TOKEN not in html.unescape(b) for b in shares)
    assert all(TOKEN not in c.value for c in app.code)


# --- hostile links and hostile data ---------------------------------------------------------------

HOSTILE_FILTER_VALUES = ["' OR 1=1 --", XSS_IMG, "../../etc/passwd", "a" * 500, "\u202eecnanif", "２０２２", "-1"]


@pytest.mark.parametrize("param", ["dept", "theme", "year", "period", "status", "sector", "q", "lang"])
def test_hostile_filter_values_on_the_wall_link_count_exactly_what_is_valid(param: str, bundled) -> None:
    goals, _ = latest_goals(bundled)
    app = open_wall({param: [*HOSTILE_FILTER_VALUES, *(["finance"] if param == "dept" else [])]})
    assert not app.exception
    block = canvas(app)
    assert "<img" not in block
    expected = goals.filter(pl.col("dept_id") == "finance").height if param == "dept" else goals.height
    if param == "q":  # the link's last search term is the one in force
        expected = search_matches(goals, bundled["departments"], bundled["themes"], HOSTILE_FILTER_VALUES[-1]).height
    shown = tile_value(block, "goals") if expected else None
    if expected:
        assert shown == str(expected)
    else:
        assert t("wall_no_goals") in text_of(block)


def test_hostile_text_in_the_data_is_shown_as_text_on_every_screen(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    write_dataset(hostile_dataset(ROOT / "data"), data)
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    app = open_wall({"dept": [HOSTILE_DEPT_ID, "economy_it"], "rotate": "0"})
    assert not app.exception
    goals = read_dataset(data).goals
    f = Filters(year=int(goals.get_column("year").max()), period="FY", dept_ids=(HOSTILE_DEPT_ID, "economy_it"))
    everything = canvas(app) + "".join(s.body + html.escape(s.title) for s in wall.build_screens(f, "zh"))
    for raw in ("<img", "<script", "<svg"):
        assert raw not in everything
    assert html.escape(XSS_IMG) in everything  # shown, as text


def test_the_wall_speaks_english_on_lang_en() -> None:
    text = text_of(canvas(open_wall({"lang": "en"})))
    assert t("wall_screen_overview", "en") in text and t("wall_rotate_every", "en", seconds=20) in text
    assert "Data as of" in text


def test_first_places_are_cut_into_screens_that_name_each_department_they_continue() -> None:
    def heading(name: str) -> tuple[str, int, bool]:
        return (f"<h>{name}</h>", 1, False)

    def first(n: int) -> tuple[str, int, bool]:
        return (f"<li>{n}</li>", 1, True)

    lines = [heading("甲"), first(1), first(2), first(3), heading("乙"), first(4), first(5)]
    chunks = wall._chunks(lines, 4)
    assert chunks == [
        [heading("甲"), first(1), first(2), first(3)],
        [heading("乙"), first(4), first(5)],
    ]
    # A heading that would end a screen moves on; a department cut in two is named on both.
    chunks = wall._chunks([heading("甲"), first(1), first(2), heading("乙"), first(3), first(4), first(5)], 3)
    assert chunks == [
        [heading("甲"), first(1), first(2)],
        [heading("乙"), first(3), first(4)],
        [heading("乙"), first(5)],
    ]
    assert all(chunk[0][2] is False for chunk in chunks)


def test_a_province_league_screen_keeps_the_laggards_and_says_how_many_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more departments than the screen holds, the cut is in the middle: the department
    with the lowest share of goals on pace is on the screen, and the number left out is said."""
    departments = 60
    synth.write_dataset(synth.generate(departments, 1, seed=7), tmp_path)
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    queries.clear_caches()
    goals = pl.read_parquet(table_path(tmp_path, "goals"))
    latest = pl.read_parquet(table_path(tmp_path, "periods")).sort("end_date", descending=True).row(0, named=True)
    shares = (
        goals.filter(pl.col("period") == latest["period"])
        .group_by("dept_id")
        .agg(share=(pl.col("light") == "green").mean())
        .join(pl.read_parquet(table_path(tmp_path, "departments")).select("dept_id", "name"), on="dept_id")
    )
    lowest = shares.filter(pl.col("share") == shares.get_column("share").min()).get_column("name").to_list()
    f = Filters(year=int(latest["year"]), period=latest["period"])
    league = next(s for s in wall.build_screens(f, "zh") if s.key == "league")
    text = text_of(league.body)
    assert league.body.count("kpi-wall-league-row") == wall.LEAGUE_ROWS
    assert f"另有 {departments - wall.LEAGUE_ROWS} 个部门未列出" in text
    assert any(name in text for name in lowest), lowest
