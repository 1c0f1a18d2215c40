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
configured password is the one it was unlocked with.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from kpi.web.i18n import t

VIEWER_PASSWORD_ENV = "KPI_PASSWORD"
VIEWER_SECRET_KEY = "password"
OIDC_SECRET_SECTION = "auth"
# A wrong password costs this long. The lock makes wrong guesses queue up across
# all sessions of the process, so opening many sessions does not multiply the rate.
WRONG_PASSWORD_DELAY_S = 1.0
_WRONG_PASSWORD_LOCK = threading.Lock()


def _secret(key: str) -> Any:
    try:
        # Looked up on the module at call time: AppTest swaps st.secrets per run.
        return st.secrets.get(key)
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no (or an unreadable) secrets.toml
        return None


@dataclass(frozen=True)
class PasswordGate:
    """A password from the environment (first) or Streamlit secrets, remembered per session."""

    env_var: str
    secret_key: str
    session_key: str
    purpose: str  # salts the session token, so one gate's token never opens another

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

    def _token(self, password: str) -> str:
        return hashlib.sha256(f"{self.purpose}:{password}".encode()).hexdigest()

    def unlock(self, session: MutableMapping[str, Any], candidate: str | None) -> bool:
        """Check a typed password; remember success in the session. A wrong one costs a delay."""
        if not self.matches(candidate):
            session.pop(self.session_key, None)
            with _WRONG_PASSWORD_LOCK:
                time.sleep(WRONG_PASSWORD_DELAY_S)
            return False
        session[self.session_key] = self._token(self.configured_password() or "")
        return True

    def is_unlocked(self, session: MutableMapping[str, Any]) -> bool:
        expected = self.configured_password()
        token = session.get(self.session_key)
        if expected is None or not isinstance(token, str):
            return False
        return hmac.compare_digest(token, self._token(expected))

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
    if VIEWER.unlock(st.session_state, password):
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
