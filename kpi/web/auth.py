"""Who may see the dashboard, decided by configuration alone.

- The city's identity provider: an ``[auth]`` section in ``.streamlit/secrets.toml``
  switches on Streamlit's own ``st.login`` (OpenID Connect); every page then asks
  the viewer to sign in there first (see docs/deployment.md).
- A viewer password: ``KPI_PASSWORD`` in the environment, else ``password`` in
  Streamlit secrets; every page shows only a login form until it is entered.
- Neither: the dashboard is public.

``PasswordGate`` is shared with the 数据管理 page's admin password (kpi/web/admin.py):
a missing or unreadable secrets file means "not configured", passwords are
compared in constant time, and a session stays unlocked only while the
configured password is the one it was unlocked with **and** the browser is the one
that logged in: the session's token is bound to the ``_streamlit_xsrf`` cookie seen
at login (``st.context.cookies``, re-checked on every run), so a client that
presents only a session id (it appears in upload URLs) gets the login form.

Guessing is limited by ``LoginThrottle``: after ``MAX_FAILURES`` wrong passwords
within ``WINDOW_S`` from one client (the proxy's ``X-Forwarded-For``, else the
connection's address), or ``MAX_FAILURES_OVERALL`` from all clients together,
every attempt is refused — the right password too — until a waiting time that
doubles with each further failure (``BASE_LOCKOUT_S`` up to ``MAX_LOCKOUT_S``);
the message says when to try again. Failures are logged with time and client.
The right password, when not refused, never waits.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import streamlit as st

from kpi.web import wall_tokens as wall_tokens_file
from kpi.web.i18n import t

VIEWER_PASSWORD_ENV = "KPI_PASSWORD"
VIEWER_SECRET_KEY = "password"
OIDC_SECRET_SECTION = "auth"
XSRF_COOKIE = "_streamlit_xsrf"

# Guessing: 5 failures within 15 minutes (per client, or 20 from all clients) lock the
# gate for 1 minute, doubling with each further failure, at most an hour.
MAX_FAILURES = 5
MAX_FAILURES_OVERALL = 20
WINDOW_S = 15 * 60.0
BASE_LOCKOUT_S = 60.0
MAX_LOCKOUT_S = 3600.0
OVERALL = "*"  # the key of all clients together

_log = logging.getLogger(__name__)


def _secret(key: str) -> Any:
    try:
        # Looked up on the module at call time: AppTest swaps st.secrets per run.
        return st.secrets.get(key)
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no (or an unreadable) secrets.toml
        return None


class LoginThrottle:
    """Failed logins per client and overall, in one process; ``clock`` is injectable (tests)."""

    def __init__(self, purpose: str, clock: Callable[[], float] = time.time) -> None:
        self.purpose = purpose
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - WINDOW_S:
            failures.popleft()
        return failures

    def retry_at(self, client: str) -> float | None:
        """When attempts from ``client`` are allowed again (a time from ``clock``), None when now."""
        now = self.clock()
        with self._lock:
            until = max(self._locked_until.get(client, 0.0), self._locked_until.get(OVERALL, 0.0))
        return until if until > now else None

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            for key, limit in ((client, MAX_FAILURES), (OVERALL, MAX_FAILURES_OVERALL)):
                failures = self._recent(key, now)
                failures.append(now)
                if len(failures) >= limit:
                    lockout = min(MAX_LOCKOUT_S, BASE_LOCKOUT_S * 2 ** (len(failures) - limit))
                    self._locked_until[key] = now + lockout
            count = len(self._failures[client])
        _log.warning(
            "failed %s login from %s at %s (%d within %d min)",
            self.purpose,
            client,
            datetime.fromtimestamp(now).isoformat(timespec="seconds"),
            count,
            WINDOW_S // 60,
        )

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
            self._locked_until.pop(client, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()


def client_address() -> str:
    """Who is trying: the address the proxy saw (the last ``X-Forwarded-For`` entry, which
    nginx appends), else the connection's address."""
    try:
        forwarded = st.context.headers.get("X-Forwarded-For")
        address = st.context.ip_address
    except Exception:  # no page run (tests calling the gate directly)
        return "unknown"
    if isinstance(forwarded, str) and forwarded.strip():
        return forwarded.split(",")[-1].strip() or "unknown"
    return address if isinstance(address, str) and address else "unknown"


def browser_key() -> str:
    """The browser's XSRF secret (the token inside the ``_streamlit_xsrf`` cookie); '' when absent."""
    try:
        value = st.context.cookies.get(XSRF_COOKIE)
    except Exception:  # no page run
        return ""
    if not isinstance(value, str):
        return ""
    value = value.strip("\"'")
    if value.startswith("2|"):
        parts = value.split("|")
        try:
            mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
            return bytes(b ^ mask[i % 4] for i, b in enumerate(masked)).hex()
        except (IndexError, ValueError, binascii.Error, ZeroDivisionError):
            return ""
    return value


class LoginRefused(Exception):
    """Too many failed attempts: ``retry_at`` is when to try again (epoch seconds)."""

    def __init__(self, retry_at: float) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at


def retry_text(retry_at: float, now: float | None = None) -> tuple[str, int]:
    """(clock time HH:MM, whole minutes from now, at least 1) for a refusal message."""
    now = time.time() if now is None else now
    minutes = max(1, int((retry_at - now + 59) // 60))
    return datetime.fromtimestamp(retry_at).strftime("%H:%M"), minutes


@dataclass(frozen=True)
class PasswordGate:
    """A password from the environment (first) or Streamlit secrets, remembered per session
    and bound to the browser that entered it."""

    env_var: str
    secret_key: str
    session_key: str
    purpose: str  # salts the session token, so one gate's token never opens another
    throttle: LoginThrottle = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.throttle is None:
            object.__setattr__(self, "throttle", LoginThrottle(self.purpose))

    def configured_password(self) -> str | None:
        from_env = os.environ.get(self.env_var)
        if from_env:
            return from_env
        from_secrets = _secret(self.secret_key)
        return str(from_secrets) if from_secrets else None

    def enabled(self) -> bool:
        return self.configured_password() is not None

    def matches(self, candidate: str | None) -> bool:
        expected = self.configured_password()
        if expected is None or candidate is None:
            return False
        return hmac.compare_digest(candidate.encode("utf-8"), expected.encode("utf-8"))

    def _token(self, password: str, browser: str) -> str:
        return hmac.new(password.encode(), f"{self.purpose}:{browser}".encode(), hashlib.sha256).hexdigest()

    def unlock(self, session: MutableMapping[str, Any], candidate: str | None, client: str | None = None) -> bool:
        """Check a typed password; remember success in the session, bound to this browser.

        Raises ``LoginRefused`` (before comparing anything) while the client or the gate is
        locked after too many failures. Never sleeps."""
        client = client or client_address()
        session.pop(self.session_key, None)  # a fresh unlock state at every login
        retry_at = self.throttle.retry_at(client)
        if retry_at is not None:
            raise LoginRefused(retry_at)
        if not self.matches(candidate):
            self.throttle.failed(client)
            return False
        self.throttle.succeeded(client)
        session[self.session_key] = self._token(self.configured_password() or "", browser_key())
        return True

    def is_unlocked(self, session: MutableMapping[str, Any]) -> bool:
        expected = self.configured_password()
        token = session.get(self.session_key)
        if expected is None or not isinstance(token, str):
            return False
        return hmac.compare_digest(token, self._token(expected, browser_key()))

    def lock(self, session: MutableMapping[str, Any]) -> None:
        session.pop(self.session_key, None)


VIEWER = PasswordGate(VIEWER_PASSWORD_ENV, VIEWER_SECRET_KEY, "_kpi_viewer_unlocked", "kpi-viewer")


# --- the city's identity provider (OIDC) ------------------------------------------------


def oidc_settings() -> Mapping[str, Any] | None:
    """The ``[auth]`` section of secrets.toml, when one is configured."""
    section = _secret(OIDC_SECRET_SECTION)
    return section if isinstance(section, Mapping) and section else None


def oidc_provider(settings: Mapping[str, Any]) -> str | None:
    """``None`` (the settings sit directly in ``[auth]``) or the first ``[auth.<name>]``."""
    if "client_id" in settings:
        return None
    named = [name for name, value in settings.items() if isinstance(value, Mapping)]
    return named[0] if named else None


def _authlib_installed() -> bool:
    from streamlit.auth_util import is_authlib_installed

    return is_authlib_installed()


# --- the gate -----------------------------------------------------------------------------


def mode() -> str:
    """'oidc', 'password' or 'public'."""
    if oidc_settings() is not None:
        return "oidc"
    return "password" if VIEWER.enabled() else "public"


def allowed() -> bool:
    """Whether this session may see the dashboard now."""
    current = mode()
    if current == "oidc":
        return bool(st.user.is_logged_in)
    if current == "password":
        return VIEWER.is_unlocked(st.session_state)
    return True


def login_screen(lang: str) -> None:
    """The only thing a viewer who is not signed in sees: no data, not even a department name."""
    st.title(t("app_title", lang))
    if mode() == "oidc":
        st.caption(t("login_oidc_help", lang))
        if not _authlib_installed():
            st.error(t("login_oidc_unavailable", lang), icon=":material/error:")
            return
        if st.button(t("login_oidc", lang), type="primary", icon=":material/login:"):
            st.login(oidc_provider(oidc_settings() or {}))
        return
    st.caption(t("login_help", lang))
    with st.form("viewer_login"):
        password = st.text_input(t("password", lang), type="password", key="viewer_password")
        submitted = st.form_submit_button(t("login", lang), type="primary", icon=":material/login:")
    if not submitted:
        return
    try:
        unlocked = VIEWER.unlock(st.session_state, password)
    except LoginRefused as refused:
        at, minutes = retry_text(refused.retry_at, VIEWER.throttle.clock())
        st.error(t("login_refused", lang, at=at, minutes=minutes), icon=":material/lock_clock:")
        return
    if unlocked:
        st.rerun()
    st.error(t("wrong_password", lang), icon=":material/lock:")


def _log_out() -> None:
    if mode() == "oidc":
        st.logout()  # drops the identity cookie; the run that follows shows the login screen
    else:
        VIEWER.lock(st.session_state)


def logout_control(lang: str) -> None:
    """A sign-out button at the foot of the sidebar, when a login is configured."""
    if mode() != "public":
        st.sidebar.button(t("logout", lang), key="viewer_logout", icon=":material/logout:", on_click=_log_out)


# --- wall screens: long-lived access tokens in the link (issue 15) ---------------------------
#
# An unattended wall screen cannot type a password. The admin gives each wall its own token
# (``KPI_WALL_TOKENS`` or secrets ``wall_tokens``: several separated by commas, spaces or new
# lines, or a TOML list), and the wall's link carries it (``/wall?token=…``). A token admits that
# session to the wall page only, for as long as the token stays configured: it is checked on
# every run of the wall (each rotation too), never remembered in the session, and no other page
# looks at it. Revoking is deleting it from the configuration (docs/deployment.md).
# Staff may also create and revoke tokens on the 数据管理 page, without a restart: only their
# digests are kept, in the file of kpi/web/wall_tokens.py, which this check reads on every run.

WALL_TOKENS_ENV = "KPI_WALL_TOKENS"
WALL_TOKENS_SECRET = "wall_tokens"
WALL_TOKEN_PARAM = "token"
# Shorter tokens are ignored (and logged): a guessable token would be a password without the
# login form's protections. ``secrets.token_urlsafe(32)`` gives 43 characters.
WALL_TOKEN_MIN_CHARS = 24
WALL_TOKEN_MAX_CHARS = 256
WALL_THROTTLE = LoginThrottle("kpi-wall")


def config_value(env_var: str, secret_key: str) -> Any:
    """A setting from the environment (first) or Streamlit secrets; None when neither has it."""
    from_env = os.environ.get(env_var)
    if from_env:
        return from_env
    return _secret(secret_key)


def wall_tokens() -> tuple[str, ...]:
    """The configured wall tokens, too short ones left out (each logged, never its value)."""
    configured = config_value(WALL_TOKENS_ENV, WALL_TOKENS_SECRET)
    if configured is None:
        return ()
    if isinstance(configured, str):
        items = configured.replace(",", " ").split()
    elif isinstance(configured, (list, tuple)):
        items = [str(item).strip() for item in configured]
    else:
        items = []
    tokens = []
    for index, token in enumerate(items, start=1):
        if WALL_TOKEN_MIN_CHARS <= len(token) <= WALL_TOKEN_MAX_CHARS:
            tokens.append(token)
        elif token:
            _log.warning(
                "wall token no. %d ignored: it must be %d to %d characters long",
                index,
                WALL_TOKEN_MIN_CHARS,
                WALL_TOKEN_MAX_CHARS,
            )
    return tuple(tokens)


def wall_token_matches(candidate: object) -> bool:
    """Whether ``candidate`` (hostile: anything a URL can hold) is a configured wall token.

    Compared as SHA-256 digests in constant time against every token (no early exit), so
    neither a token's length nor which token came close shows in the time taken."""
    if not isinstance(candidate, str) or not 0 < len(candidate) <= WALL_TOKEN_MAX_CHARS:
        return False
    digest = hashlib.sha256(candidate.encode("utf-8", "surrogatepass")).digest()
    found = False
    for token in wall_tokens():
        found |= hmac.compare_digest(digest, hashlib.sha256(token.encode("utf-8")).digest())
    # The tokens made on the admin page (kpi/web/wall_tokens.py): read afresh when the file
    # changed, none at all while it is unreadable (fail closed).
    stored = wall_tokens_file.matching(digest)
    if stored is not None:
        wall_tokens_file.record_use(stored.token_id)
    return found or stored is not None


def requested_wall_token() -> str | None:
    """The wall token of the link (the first, if several are given); None without one."""
    values = st.query_params.get_all(WALL_TOKEN_PARAM)
    return values[0] if values else None


def wall_token_admits(client: str | None = None) -> bool:
    """Whether the link's wall token lets this run of the wall page in (no other page asks).

    A wrong token counts as a failed login (``WALL_THROTTLE``): guessing is refused, the right
    token too, for the same waiting times as a password."""
    candidate = requested_wall_token()
    if candidate is None:
        return False
    client = client or client_address()
    if WALL_THROTTLE.retry_at(client) is not None:
        return False
    if wall_token_matches(candidate):
        return True
    WALL_THROTTLE.failed(client)
    return False
