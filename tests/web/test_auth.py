"""The viewer login gate (password or the city's identity provider) and the production settings,
through Streamlit's AppTest on the bundled data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.web import admin, auth
from kpi.web.i18n import t
from tests.support.apptest import APP, ROOT, expected_tiles, metric_values, shown_tiles

PASSWORD = "湖州-Viewer-2023"
ADMIN_PASSWORD = "湖州-Admin-2023"
OIDC = {
    "redirect_uri": "https://dashboard.example.gov.cn/dashboard/oauth2callback",
    "cookie_secret": "a-long-random-string-for-the-tests",
    "client_id": "kpi-dashboard",
    "client_secret": "secret",
    "server_metadata_url": "https://id.example.gov.cn/.well-known/openid-configuration",
}


@pytest.fixture(autouse=True)
def no_configured_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No password in the environment and no secrets.toml where Streamlit looks for one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(auth.VIEWER_PASSWORD_ENV, raising=False)
    monkeypatch.delenv(admin.PASSWORD_ENV, raising=False)


def new_app(params: dict[str, str | list[str]] | None = None, secrets: dict | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (params or {}).items():
        app.query_params[key] = value
    for key, value in (secrets or {}).items():
        app.secrets[key] = value
    return app


def rendered_text(app: AppTest) -> str:
    """Everything the run sent to the browser: every element's message, options and labels included."""
    texts = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return "\n".join(texts)


def data_words(tables: dict[str, pl.DataFrame]) -> set[str]:
    """Words only the data contain: department names and ids, sectors, theme names, goal titles."""
    departments, themes = tables["departments"], tables["themes"]
    words = set()
    for column in ("dept_id", "name", "full_name", "sector"):
        words |= set(departments.get_column(column).to_list())
    words |= set(themes.get_column("name").to_list())
    words |= {title[:8] for title in tables["goals"].get_column("title").to_list()}
    return words


def assert_only_the_login_screen(app: AppTest, tables: dict[str, pl.DataFrame]) -> None:
    assert not app.exception
    assert app.title[0].value == t("app_title")
    assert not app.metric and not app.dataframe and not app.get("vega_lite_chart")
    assert not app.sidebar.children  # no filters (they would list the departments)
    text = rendered_text(app)
    leaked = sorted(word for word in data_words(tables) if word in text)
    assert leaked == []


def log_in(app: AppTest, password: str) -> AppTest:
    app.text_input(key="viewer_password").input(password)
    app.form_submit_button[0].click().run()
    return app


def logout_button(app: AppTest):
    return app.button(key="viewer_logout")


# --- public --------------------------------------------------------------------------------


def test_without_a_password_the_dashboard_is_public(goals: pl.DataFrame, indicators: pl.DataFrame) -> None:
    app = new_app().run()
    assert not app.exception
    assert auth.mode() == "public"
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))
    assert all(box.key != "viewer_password" for box in app.text_input)
    assert all(button.key != "viewer_logout" for button in app.button)


# --- password ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["environment", "secrets"])
def test_a_password_shows_only_the_login_form(
    where: str, monkeypatch: pytest.MonkeyPatch, tables: dict[str, pl.DataFrame]
) -> None:
    secrets = {}
    if where == "environment":
        monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    else:
        secrets = {auth.VIEWER_SECRET_KEY: PASSWORD}
    # Every page of a shared link, with filters, shows the same form and nothing else.
    for page in ("overview", "goals", "departments"):
        app = new_app({"dept": "finance", "lang": "zh"}, secrets)
        app.run()
        if page != "overview":
            app.switch_page(f"pages/{page}_page.py").run()
        assert_only_the_login_screen(app, tables)
        assert app.text_input(key="viewer_password").label == t("password")
        assert t("login_help") in app.caption[0].value


class Clock:
    """A settable clock for the login throttle: tests move time instead of sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth.VIEWER.throttle, "clock", fake)
    monkeypatch.setattr(admin.throttle(), "clock", fake)
    return fake


def test_a_wrong_password_gets_a_message_and_is_logged_with_time_and_client(
    monkeypatch: pytest.MonkeyPatch, tables: dict[str, pl.DataFrame], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    app = new_app().run()
    for wrong in (PASSWORD + "x", ""):
        log_in(app, wrong)
        assert [e.value for e in app.error] == [t("wrong_password")]
        assert_only_the_login_screen(app, tables)
    failures = [r.getMessage() for r in caplog.records if "failed kpi-viewer login" in r.getMessage()]
    assert len(failures) == 2
    assert all(" from " in line and " at 2027-01-15T" in line for line in failures)


def test_five_failures_refuse_even_the_right_password_until_the_interval_passed(
    monkeypatch: pytest.MonkeyPatch, tables: dict[str, pl.DataFrame], clock: Clock
) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    app = new_app().run()
    for _ in range(auth.MAX_FAILURES):
        clock.now += 10
        log_in(app, "guess")
        assert [e.value for e in app.error] == [t("wrong_password")]
    log_in(app, PASSWORD)
    [refused] = [e.value for e in app.error]
    at, minutes = auth.retry_text(clock.now + auth.BASE_LOCKOUT_S, clock.now)
    assert refused == t("login_refused", at=at, minutes=minutes)
    assert_only_the_login_screen(app, tables)
    clock.now += auth.BASE_LOCKOUT_S - 1  # not yet
    log_in(app, PASSWORD)
    assert "登录失败次数过多" in app.error[0].value
    clock.now += 1
    log_in(app, PASSWORD)
    assert not app.error and logout_button(app).label == t("logout")


def test_the_lockout_grows_and_old_failures_are_forgotten(clock: Clock) -> None:
    throttle = auth.LoginThrottle("test", clock=clock)
    for _ in range(auth.MAX_FAILURES):
        throttle.failed("10.0.0.1")
    assert throttle.retry_at("10.0.0.1") == clock.now + auth.BASE_LOCKOUT_S
    assert throttle.retry_at("10.0.0.2") is None  # another client is not locked out by one
    clock.now += auth.BASE_LOCKOUT_S
    assert throttle.retry_at("10.0.0.1") is None
    throttle.failed("10.0.0.1")  # the sixth within the window: twice as long
    assert throttle.retry_at("10.0.0.1") == clock.now + 2 * auth.BASE_LOCKOUT_S
    clock.now += auth.WINDOW_S + 1  # all forgotten
    throttle.failed("10.0.0.1")
    assert throttle.retry_at("10.0.0.1") is None


def test_guesses_from_many_clients_lock_the_gate_for_everyone(clock: Clock) -> None:
    throttle = auth.LoginThrottle("test", clock=clock)
    for n in range(auth.MAX_FAILURES_OVERALL):
        throttle.failed(f"10.0.{n}.1")  # never five from one client
    assert throttle.retry_at("192.168.1.1") == clock.now + auth.BASE_LOCKOUT_S


def test_the_admin_password_is_throttled_the_same_way(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    monkeypatch.setenv(admin.PASSWORD_ENV, ADMIN_PASSWORD)
    page = AppTest.from_file(str(ROOT / "pages" / "admin_page.py"), default_timeout=60).run()
    for _ in range(auth.MAX_FAILURES):
        page.text_input[0].input("guess")
        page.form_submit_button[0].click().run()
        assert [e.value for e in page.error] == [admin.TEXT["wrong_password"]]
    page.text_input[0].input(ADMIN_PASSWORD)
    page.form_submit_button[0].click().run()
    assert "管理员密码错误次数过多" in page.error[0].value
    assert not page.file_uploader
    clock.now += auth.BASE_LOCKOUT_S
    page.text_input[0].input(ADMIN_PASSWORD)
    page.form_submit_button[0].click().run()
    assert not page.error and page.file_uploader


def test_the_right_password_opens_the_shared_view_and_logout_closes_it(
    monkeypatch: pytest.MonkeyPatch, goals: pl.DataFrame, indicators: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    dept_id = goals.sort("sort_order").get_column("dept_id")[1]
    chosen = goals.filter((pl.col("dept_id") == dept_id) & (pl.col("status") == "achieved"))
    app = new_app({"dept": dept_id, "status": "achieved"}).run()
    assert_only_the_login_screen(app, tables)

    log_in(app, PASSWORD)
    assert not app.exception and not app.error
    # The link's filters survived the login.
    assert metric_values(app) == shown_tiles(expected_tiles(chosen, indicators))
    assert app.multiselect(key="dept_ui").value == [dept_id]
    # The same look at the rendered elements that found nothing before now finds the data.
    shown = rendered_text(app)
    assert {w for w in data_words(tables) if w in shown} >= set(tables["departments"].get_column("name"))
    assert logout_button(app).label == t("logout")
    # Still in when moving between pages.
    app.switch_page("pages/goals_page.py").run()
    assert app.title[0].value == t("page_goals")

    logout_button(app).click().run()
    assert_only_the_login_screen(app, tables)


def test_the_environment_variable_wins_over_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    app = new_app(secrets={auth.VIEWER_SECRET_KEY: "另一个密码"}).run()
    log_in(app, "另一个密码")
    assert [e.value for e in app.error] == [t("wrong_password")]
    log_in(app, PASSWORD)
    assert app.metric


def test_a_session_is_locked_again_when_the_password_changes(
    monkeypatch: pytest.MonkeyPatch, tables: dict[str, pl.DataFrame]
) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    app = log_in(new_app().run(), PASSWORD)
    assert app.metric
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, "新的访问密码")
    app.run()
    assert_only_the_login_screen(app, tables)


def test_the_login_form_speaks_english_on_an_english_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    app = new_app({"lang": "en"}).run()
    assert app.title[0].value == t("app_title", "en")
    assert app.text_input(key="viewer_password").label == t("password", "en")
    log_in(app, PASSWORD)
    assert app.title[0].value == t("page_overview", "en")


def test_the_viewer_and_admin_passwords_never_open_each_other(monkeypatch: pytest.MonkeyPatch) -> None:
    # Even when both are the same string, each gate keeps its own session token.
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(admin.PASSWORD_ENV, PASSWORD)
    session: dict[str, object] = {}
    assert auth.VIEWER.unlock(session, PASSWORD)
    assert auth.VIEWER.is_unlocked(session) and not admin.is_unlocked(session)
    admin.lock(session)
    assert auth.VIEWER.is_unlocked(session)
    assert admin.unlock(session, PASSWORD) and admin.is_unlocked(session)
    auth.VIEWER.lock(session)
    assert not auth.VIEWER.is_unlocked(session) and admin.is_unlocked(session)


def test_password_comparison_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    assert auth.VIEWER.matches(PASSWORD)
    for wrong in ("", PASSWORD[:-1], PASSWORD + " ", PASSWORD.upper(), None):
        assert not auth.VIEWER.matches(wrong)


# --- the city's identity provider (st.login) ---------------------------------------------------


def test_an_auth_section_asks_for_the_identity_provider(tables: dict[str, pl.DataFrame]) -> None:
    app = new_app({"dept": "finance"}, secrets={"auth": OIDC})
    app.user = {"is_logged_in": False}
    app.run()
    assert_only_the_login_screen(app, tables)
    assert t("login_oidc_help") in app.caption[0].value
    assert not app.text_input  # no password form
    if importlib.util.find_spec("authlib"):
        assert [b.label for b in app.button] == [t("login_oidc")]
    else:
        # Without Authlib st.login cannot work: a clear message instead of a button that fails.
        assert [e.value for e in app.error] == [t("login_oidc_unavailable")]
        assert not app.button


def test_a_signed_in_user_sees_the_dashboard_and_can_sign_out(
    goals: pl.DataFrame, indicators: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> None:
    app = new_app(secrets={"auth": OIDC})
    app.user = {"is_logged_in": True, "email": "leader@example.gov.cn", "name": "市领导"}
    app.run()
    assert not app.exception
    assert metric_values(app) == shown_tiles(expected_tiles(goals, indicators))
    logout_button(app).click().run()
    assert app.user == {"is_logged_in": False}
    assert_only_the_login_screen(app, tables)


def test_the_provider_is_the_auth_section_or_its_first_named_one() -> None:
    assert auth.oidc_provider(OIDC) is None  # st.login() with the settings of [auth] itself
    named = {"redirect_uri": OIDC["redirect_uri"], "cookie_secret": "x", "city": {"client_id": "a"}, "other": {}}
    assert auth.oidc_provider(named) == "city"  # st.login("city") for [auth.city]


def test_an_identity_provider_takes_precedence_over_a_password(
    monkeypatch: pytest.MonkeyPatch, tables: dict[str, pl.DataFrame]
) -> None:
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, PASSWORD)
    app = new_app(secrets={"auth": OIDC})
    app.user = {"is_logged_in": False}
    app.run()
    assert_only_the_login_screen(app, tables)
    assert not app.text_input


# --- production settings -------------------------------------------------------------------------


def test_production_settings_in_the_project_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read .streamlit/config.toml the way `streamlit run` does from the project directory."""
    from streamlit import config

    monkeypatch.chdir(ROOT)  # parsed here, so the rest of the session keeps the project's settings
    options = config.get_config_options(force_reparse=True)
    assert config.get_option("server.enableXsrfProtection") is True
    assert config.get_option("server.enableCORS") is True
    assert config.get_option("client.showErrorDetails") == "none"
    assert config.get_option("browser.gatherUsageStats") is False
    # No ⋮ menu (its items are English) and no English table/chart export (docs/chinese-ui.md).
    assert config.get_option("client.toolbarMode") == "minimal"
    assert config.get_option("client.disableDataExport") is True
    # No full garbage collection after every run (docs/performance.md, "Concurrent viewers").
    assert config.get_option("runner.postScriptGC") is False
    # Each comes from the project's file, not from a default.
    project_file = str(ROOT / ".streamlit" / "config.toml")
    keys = ("client.showErrorDetails", "browser.gatherUsageStats", "server.enableXsrfProtection", "runner.postScriptGC")
    for key in keys:
        assert options[key].where_defined == project_file
