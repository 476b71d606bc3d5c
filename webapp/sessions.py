"""Server-side sessions: the cookie holds only a random id; everything else stays in the database.

The database stores the SHA-256 of the id, so a copy of the database does not hand out live
sessions. A session ends after ``session_idle_seconds`` without a request or
``session_absolute_seconds`` after it began, whichever comes first.
"""

import hashlib
import json
import secrets
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from sync.db import transaction
from webapp.config import Config
from webapp.database import get_db

COOKIE_NAME = "__Host-carnet"
# Writing last_seen_at on every request would turn every read into a write; a minute of slack
# on the idle timeout is an acceptable price.
TOUCH_INTERVAL_SECONDS = 60


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


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

    def log_in(self, user_id: str) -> None:
        """Bind to a person under a brand-new id, so an id planted before login is worthless."""
        self.clear()
        self.user_id = user_id
        self.rotate = True
        self.modified = True

    def end(self) -> None:
        self.clear()
        self.user_id = None
        self.ended = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    def __init__(self, config: Config) -> None:
        self.config = config

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_id = request.cookies.get(COOKIE_NAME)
        if not session_id or len(session_id) > 100:
            return ServerSession()
        row = get_db().execute(
            "SELECT user_id, data, created_at, last_seen_at FROM sessions WHERE id_hash = ?",
            (hash_session_id(session_id),),
        ).fetchone()
        now = self.config.now()
        if row is None or self._expired(row["created_at"], row["last_seen_at"], now):
            if row is not None:
                delete_session(session_id)
            return ServerSession()
        return ServerSession(json.loads(row["data"]), session_id=session_id, user_id=row["user_id"],
                             created_at=row["created_at"], last_seen_at=row["last_seen_at"])

    def _expired(self, created_at: int, last_seen_at: int, now: int) -> bool:
        return (now - last_seen_at > self.config.session_idle_seconds
                or now - created_at > self.config.session_absolute_seconds)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        if session.ended:
            if session.session_id:
                delete_session(session.session_id)
            response.delete_cookie(COOKIE_NAME, path="/", secure=True, httponly=True, samesite="Strict")
            return
        now = self.config.now()
        if session.rotate or (session.session_id is None and session.modified and bool(session)):
            self._store_new(session, now)
            response.set_cookie(COOKIE_NAME, session.session_id or "", path="/", secure=True,
                                httponly=True, samesite="Strict")
        elif session.session_id and (session.modified or now - session.last_seen_at >= TOUCH_INTERVAL_SECONDS):
            get_db().execute(
                "UPDATE sessions SET data = ?, last_seen_at = ? WHERE id_hash = ?",
                (json.dumps(dict(session)), now, hash_session_id(session.session_id)),
            )

    def _store_new(self, session: ServerSession, now: int) -> None:
        conn = get_db()
        with transaction(conn):
            if session.session_id:
                conn.execute("DELETE FROM sessions WHERE id_hash = ?", (hash_session_id(session.session_id),))
            # Expired sessions are swept here, when sessions are created, so the table stays small.
            conn.execute(
                "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                (now - self.config.session_idle_seconds, now - self.config.session_absolute_seconds),
            )
            session.session_id = secrets.token_urlsafe(32)
            conn.execute(
                "INSERT INTO sessions (id_hash, handle, user_id, data, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (hash_session_id(session.session_id), secrets.token_urlsafe(12), session.user_id,
                 json.dumps(dict(session)), now, now),
            )
        session.created_at = session.last_seen_at = now
        session.rotate = False


def delete_session(session_id: str) -> None:
    get_db().execute("DELETE FROM sessions WHERE id_hash = ?", (hash_session_id(session_id),))


def end_session_by_handle(user_id: str, handle: str) -> bool:
    cursor = get_db().execute("DELETE FROM sessions WHERE user_id = ? AND handle = ?", (user_id, handle))
    return cursor.rowcount > 0


def end_all_sessions(user_id: str) -> int:
    return get_db().execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount


def list_sessions(user_id: str) -> list[dict[str, Any]]:
    rows = get_db().execute(
        "SELECT handle, created_at, last_seen_at FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC",
        (user_id,),
    ).fetchall()
    return [dict(handle=r["handle"], created_at=r["created_at"], last_seen_at=r["last_seen_at"]) for r in rows]


def current_handle(session: ServerSession) -> str | None:
    if not session.session_id:
        return None
    row = get_db().execute("SELECT handle FROM sessions WHERE id_hash = ?",
                           (hash_session_id(session.session_id),)).fetchone()
    return row["handle"] if row else None
