"""The ``sessions`` table: one row per logged-in session, keyed by the SHA-256 of its id.

The web app's session interface (webapp.sessions) decides when a session starts, is touched or
ends; this module only reads and writes the rows. A copy of the database holds no live session id.
"""

import hashlib
import json
import secrets
from typing import Any

from crypto.audit import Action
from sync import audit
from sync.db import transaction


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def load(conn: Any, session_id: str) -> dict[str, Any] | None:
    """The row of a session: its person, its data (decoded), when it began and was last seen."""
    row = conn.execute("SELECT user_id, data, created_at, last_seen_at FROM sessions WHERE id_hash = ?",
                       (hash_session_id(session_id),)).fetchone()
    if row is None:
        return None
    return dict(user_id=row["user_id"], data=json.loads(row["data"]), created_at=row["created_at"],
                last_seen_at=row["last_seen_at"])


def touch(conn: Any, session_id: str, data: dict[str, Any], now: int) -> None:
    conn.execute("UPDATE sessions SET data = ?, last_seen_at = ? WHERE id_hash = ?",
                 (json.dumps(data), now, hash_session_id(session_id)))


def start(conn: Any, *, replacing: str | None, user_id: str | None, data: dict[str, Any], now: int,
          idle_seconds: int, absolute_seconds: int) -> str:
    """Store a new session under a fresh id (returned), forgetting ``replacing`` if given."""
    session_id = secrets.token_urlsafe(32)
    with transaction(conn):
        if replacing:
            conn.execute("DELETE FROM sessions WHERE id_hash = ?", (hash_session_id(replacing),))
        # Expired sessions are swept here, when sessions are created, so the table stays small.
        conn.execute("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                     (now - idle_seconds, now - absolute_seconds))
        conn.execute(
            "INSERT INTO sessions (id_hash, handle, user_id, data, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (hash_session_id(session_id), secrets.token_urlsafe(12), user_id, json.dumps(data), now, now),
        )
    return session_id


def forget(conn: Any, session_id: str) -> None:
    """Delete a session that has expired or was ended already (bookkeeping, not an action)."""
    conn.execute("DELETE FROM sessions WHERE id_hash = ?", (hash_session_id(session_id),))


def _end_where(conn: Any, where: str, args: tuple[Any, ...], user_id: str, actor: str | None, now: int) -> int:
    """Delete sessions of one person and record it in the audit log, in one transaction."""
    with audit.within_transaction(conn):
        ended = conn.execute(f"DELETE FROM sessions WHERE {where}", args).rowcount
        if ended:
            audit.record(conn, Action.SESSIONS_ENDED, now, actor=actor, subject=user_id)
    return ended


def end_session(conn: Any, session_id: str, user_id: str, *, now: int) -> int:
    """The person ends the session they are using (logout)."""
    return _end_where(conn, "id_hash = ?", (hash_session_id(session_id),), user_id, user_id, now)


def end_other_sessions(conn: Any, user_id: str, keep_session_id: str, *, now: int) -> int:
    """Every session of one person but the one they are using (after a passphrase change)."""
    return _end_where(conn, "user_id = ? AND id_hash <> ?", (user_id, hash_session_id(keep_session_id)),
                      user_id, user_id, now)


def end_session_by_handle(conn: Any, user_id: str, handle: str, *, actor: str | None, now: int) -> bool:
    return _end_where(conn, "user_id = ? AND handle = ?", (user_id, handle), user_id, actor, now) > 0


def end_all_sessions(conn: Any, user_id: str, *, actor: str | None, now: int) -> int:
    """Every session of one person; ``actor`` is who asked (None: the command line)."""
    return _end_where(conn, "user_id = ?", (user_id,), user_id, actor, now)


def list_sessions(conn: Any, user_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT handle, created_at, last_seen_at FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC",
        (user_id,),
    ).fetchall()
    return [dict(handle=r["handle"], created_at=r["created_at"], last_seen_at=r["last_seen_at"]) for r in rows]


def handle_of(conn: Any, session_id: str) -> str | None:
    row = conn.execute("SELECT handle FROM sessions WHERE id_hash = ?", (hash_session_id(session_id),)).fetchone()
    return row["handle"] if row else None
