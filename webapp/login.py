"""Flask-Login as the login manager, on top of the server-side session store (webapp.sessions).

Flask-Login keeps the person's id in the session and loads them at each request; the session
itself stays a database row behind the ``__Host-`` cookie, and who may call what stays in the
one access table (webapp.access). Flask-Login's "remember me" cookie is never used: a session
ends on the server (logout, an admin, the CLI, a disabled account) and nothing may revive it.
"""

from typing import Any

from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from sync.accounts import get_user
from webapp.database import get_db


class Person(UserMixin):
    """A person with an account, as Flask-Login sees them; ``record`` is their row."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.id = record["id"]

    @property
    def is_active(self) -> bool:
        return self.record["status"] == "active"


class ServerSideLoginManager(LoginManager):
    def _load_user_from_remember_cookie(self, cookie: str) -> None:  # type: ignore[override]
        # No remember-me: a signed cookie that outlives the server-side session would undo every
        # way a session is ended.
        return None


def load_person(user_id: str) -> Person | None:
    """Flask-Login's user loader: the person of the session, only while their account is active."""
    record = get_user(get_db(), user_id)
    if record is None or record["status"] != "active":
        # A disabled (or deleted) account loses this session now, whatever its age.
        session.end()  # type: ignore[attr-defined]
        return None
    return Person(record)


def log_in(record: dict[str, Any]) -> None:
    """Start a session for this person under a new id (see ServerSession.start_login)."""
    session.start_login()  # type: ignore[attr-defined]
    if not login_user(Person(record)):
        raise RuntimeError("only active accounts are logged in")
    # Flask-Login's hash of the address and browser serves only its session protection, which is
    # off (see init_app): not kept.
    session.pop("_id", None)


def log_out() -> None:
    logout_user()
    session.end()  # type: ignore[attr-defined]


def current_record() -> dict[str, Any] | None:
    """The logged-in person's row, or None."""
    return current_user.record if current_user.is_authenticated else None


def init_app(app: Flask) -> None:
    manager = ServerSideLoginManager()
    # The session id is rotated at login and bound to a row on the server; Flask-Login's own
    # protection (a hash of address and browser) would log a phone out at each change of network.
    manager.session_protection = None
    manager.user_loader(load_person)
    manager.init_app(app)
