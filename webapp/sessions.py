"""Server-side sessions: the cookie holds only a random id; everything else stays in the database.

The database stores the SHA-256 of the id, so a copy of the database does not hand out live
sessions. A session ends after ``session_idle_seconds`` without a request or
``session_absolute_seconds`` after it began, whichever comes first.

Only people who logged in (or just enrolled) get a row. Before that, the little an anonymous
visitor's session holds (the CSRF token's random seed, nothing secret from them) travels in a
signed cookie of its own, so page views, pulls of the app shell and guesses at the login API
write no session row (they only count against their address's budget, webapp.access).

The rows are read and written by sync.sessions.
"""

import re
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from sync import sessions as stored
from sync.db import get_db
from webapp.config import Config

COOKIE_NAME = "__Host-carnet"
ANONYMOUS_COOKIE_NAME = "__Host-carnet-anon"
# What an anonymous session may hold; anything else waits for a login.
ANONYMOUS_KEYS = frozenset({"csrf_token"})
# Session ids are secrets.token_urlsafe(32): anything else is not ours and is ignored.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")
# Writing last_seen_at on every request would turn every read into a write; a minute of slack
# on the idle timeout is an acceptable price.
TOUCH_INTERVAL_SECONDS = 60


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, data: dict[str, Any] | None = None, *, session_id: str | None = None,
                 user_id: str | None = None, created_at: int = 0, last_seen_at: int = 0) -> None:
        def on_update(_self: "ServerSession") -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.session_id = session_id
        self.user_id = user_id
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.modified = False
        self.rotate = False
        self.ended = False

    def start_login(self) -> None:
        """Empty the session and give it a brand-new id when it is saved, so an id planted before
        login is worthless; Flask-Login's ``login_user`` then names the person in it."""
        self.clear()
        self.rotate = True
        self.modified = True

    @property
    def person_id(self) -> str | None:
        """The person this session is for, as Flask-Login stored it (None before a login)."""
        value = self.get("_user_id")
        return value if isinstance(value, str) else None

    def end(self) -> None:
        self.clear()
        self.user_id = None
        self.ended = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    def __init__(self, config: Config) -> None:
        self.config = config
        self.anonymous = URLSafeTimedSerializer(config.secret_key, salt="carnet/v1/anonymous-session")

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_id = request.cookies.get(COOKIE_NAME)
        if not session_id or not SESSION_ID.fullmatch(session_id):
            return self._open_anonymous(request)
        row = stored.load(get_db(), session_id)
        now = self.config.now()
        if row is None or self._expired(row["created_at"], row["last_seen_at"], now):
            if row is not None:
                stored.forget(get_db(), session_id)
            return self._open_anonymous(request)
        data = row["data"]
        # The row's column names the person; Flask-Login reads it from the session's data.
        data.pop("_user_id", None)
        if row["user_id"] is not None:
            data["_user_id"] = row["user_id"]
        return ServerSession(data, session_id=session_id, user_id=row["user_id"],
                             created_at=row["created_at"], last_seen_at=row["last_seen_at"])

    def _open_anonymous(self, request: Request) -> ServerSession:
        """The anonymous session from its signed cookie; a missing, forged or stale one is empty."""
        cookie = request.cookies.get(ANONYMOUS_COOKIE_NAME)
        if not cookie or len(cookie) > 512:
            return ServerSession()
        try:
            data = self.anonymous.loads(cookie, max_age=self.config.session_absolute_seconds)
        except BadData:
            return ServerSession()
        if not isinstance(data, dict):
            return ServerSession()
        return ServerSession({k: v for k, v in data.items() if k in ANONYMOUS_KEYS and isinstance(v, str)})

    def _expired(self, created_at: int, last_seen_at: int, now: int) -> bool:
        return (now - last_seen_at > self.config.session_idle_seconds
                or now - created_at > self.config.session_absolute_seconds)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        if session.ended:
            if session.session_id:
                stored.forget(get_db(), session.session_id)
            response.delete_cookie(COOKIE_NAME, path="/", secure=True, httponly=True, samesite="Strict")
            return
        now = self.config.now()
        if session.rotate:
            self._store_new(session, now)
            response.set_cookie(COOKIE_NAME, session.session_id or "", path="/", secure=True,
                                httponly=True, samesite="Strict")
            if ANONYMOUS_COOKIE_NAME in request.cookies:
                response.delete_cookie(ANONYMOUS_COOKIE_NAME, path="/", secure=True, httponly=True, samesite="Strict")
        elif session.session_id is None:
            if session.modified and bool(session):
                kept = {k: v for k, v in session.items() if k in ANONYMOUS_KEYS}
                response.set_cookie(ANONYMOUS_COOKIE_NAME, self.anonymous.dumps(kept), path="/", secure=True,
                                    httponly=True, samesite="Strict")
        elif session.session_id and (session.modified or now - session.last_seen_at >= TOUCH_INTERVAL_SECONDS):
            stored.touch(get_db(), session.session_id, dict(session), now)

    def _store_new(self, session: ServerSession, now: int) -> None:
        session.session_id = stored.start(
            get_db(), replacing=session.session_id, user_id=session.person_id, data=dict(session), now=now,
            idle_seconds=self.config.session_idle_seconds, absolute_seconds=self.config.session_absolute_seconds)
        session.user_id = session.person_id
        session.created_at = session.last_seen_at = now
        session.rotate = False


def current_handle(session: ServerSession) -> str | None:
    return stored.handle_of(get_db(), session.session_id) if session.session_id else None
