"""The audit log as the server keeps it, and what an auditor reads of the server.

Every write appends one record in the same transaction as the write itself: either both are
stored or neither is, and the log can never miss a write that happened. A record names who,
when, what and the hashes involved, never content (crypto/audit.py, PROTOCOL section 13).
"""

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto.audit import (
    ZERO_HASH,
    ZERO_ID,
    Action,
    AuditHead,
    AuditRecord,
    check_audit_chain,
    next_audit_record,
    roster_gaps,
    parse_audit_record,
    sign_audit_head_as_server,
)
from crypto.acceptance import replay_stored_log
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import Kind
from crypto.errors import CarnetCryptoError
from crypto.keys import user_fingerprint
from crypto.roster import Status, verify_roster_entry
from sync import faults
from sync.db import Connection, transaction

# When a team sets no rotation policy, a case key older than this is reported.
DEFAULT_ROTATION_DAYS = 90
DAY = 86_400
ENTRY_ACTIONS = {Kind.GENESIS: Action.CASE_OPENED, Kind.CONTENT: Action.ENTRY_STORED, Kind.ADD: Action.MEMBER_ADDED,
                 Kind.REMOVE: Action.MEMBER_REMOVED, Kind.ROTATE: Action.KEY_ROTATED,
                 Kind.RESEAL: Action.ENTRY_RESEALED}
EPOCH_KINDS = (int(Kind.GENESIS), int(Kind.REMOVE), int(Kind.ROTATE))


def id_bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return ZERO_ID
    return value if isinstance(value, bytes) else b64url_decode(value)


def digest_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@contextlib.contextmanager
def within_transaction(conn: Connection) -> Iterator[Connection]:
    """The caller's transaction if there is one, else a new one: a write and its record commit together."""
    if conn.in_transaction:
        yield conn
    else:
        with transaction(conn):
            yield conn


def last_record(conn: Connection) -> AuditRecord | None:
    row = conn.execute("SELECT record FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else parse_audit_record(bytes(row["record"]))


def record(conn: Connection, action: Action, now: int, *, actor: str | bytes | None = None,
           subject: str | bytes | None = None, digest: bytes = ZERO_HASH) -> AuditRecord:
    """Append one record; must run inside the transaction of the write it records."""
    if not conn.in_transaction:
        raise RuntimeError("an audit record is written in the transaction of the write it records")
    new = next_audit_record(last_record(conn), time=now * 1000, action=action, actor=id_bytes(actor),
                            subject=id_bytes(subject), digest=digest)
    faults.point("before-audit-record", conn)
    conn.execute("INSERT INTO audit_log (seq, action, record, record_hash, at) VALUES (?, ?, ?, ?, ?)",
                 (new.seq, int(action), new.to_bytes(), new.hash, now))
    return new


def all_records(conn: Connection) -> list[bytes]:
    return [bytes(row["record"]) for row in conn.execute("SELECT record FROM audit_log ORDER BY seq")]


def signed_head(conn: Connection, key: Ed25519PrivateKey, now: int) -> AuditHead:
    last = last_record(conn)
    return sign_audit_head_as_server(key, count=0 if last is None else last.seq,
                                     last_hash=ZERO_HASH if last is None else last.hash, time=now * 1000)


def record_json(raw: bytes) -> dict[str, Any]:
    parsed = parse_audit_record(raw)
    return {"seq": parsed.seq, "time": parsed.time, "action": parsed.action.name.lower(),
            "actor": b64url_encode(parsed.actor), "subject": b64url_encode(parsed.subject),
            "digest": b64url_encode(parsed.digest), "hash": b64url_encode(parsed.hash),
            "record": b64url_encode(raw)}


def log_page(conn: Connection, after: int, limit: int, action: Action | None) -> dict[str, Any]:
    """Records after a position, optionally of one action; ``next_cursor`` goes on from there."""
    sql, args = "SELECT seq, record FROM audit_log WHERE seq > ?", [after]
    if action is not None:
        sql, args = sql + " AND action = ?", [after, int(action)]
    rows = conn.execute(sql + " ORDER BY seq LIMIT ?", (*args, limit + 1)).fetchall()
    records = [record_json(bytes(row["record"])) for row in rows[:limit]]
    return {"records": records, "next_cursor": records[-1]["seq"] if records else after,
            "more": len(rows) > limit}


def head_json(conn: Connection, key: Ed25519PrivateKey, now: int) -> dict[str, Any]:
    head = signed_head(conn, key, now)
    public = key.public_key().public_bytes_raw()
    return {"head": b64url_encode(head.to_bytes()), "count": head.count, "last_hash": b64url_encode(head.last_hash),
            "time": head.time, "audit_public_key": b64url_encode(public)}


# The inventory -----------------------------------------------------------------------------------

def rotation_days(conn: Connection) -> dict[str, int]:
    """Each team's rotation policy in days, where the team set one."""
    rows = conn.execute("SELECT id, rotation_days FROM teams WHERE rotation_days IS NOT NULL")
    return {row["id"]: row["rotation_days"] for row in rows}


def inactive_people(conn: Connection, association: Ed25519PublicKey | None) -> set[str]:
    """People disabled on the server, or whose latest roster entry revokes them."""
    gone = {row["id"] for row in conn.execute("SELECT id FROM users WHERE status != 'active'")}
    rows = conn.execute("SELECT r.user_id, r.raw FROM roster_entries r WHERE r.serial ="
                        " (SELECT max(serial) FROM roster_entries s WHERE s.user_id = r.user_id)")
    for row in rows:
        if association is not None and verify_roster_entry(bytes(row["raw"]), association).status == Status.REVOKED:
            gone.add(row["user_id"])
    return gone


def case_inventory(conn: Connection, case: Any, association: Ed25519PublicKey | None,
                   now: int) -> dict[str, Any]:
    rows = conn.execute("SELECT kind, epoch, received_at, length(envelope) AS size, envelope FROM entries"
                        " WHERE case_id = ? ORDER BY seq", (case["id"],)).fetchall()
    rotations = [{"epoch": row["epoch"], "kind": Kind(row["kind"]).name.lower(), "received_at": row["received_at"]}
                 for row in rows if row["kind"] in EPOCH_KINDS]
    failure = None
    members: list[dict[str, str]] = []
    if association is not None:
        log, broken = replay_stored_log(b64url_decode(case["id"]), (bytes(row["envelope"]) for row in rows),
                                        association)
        failure = type(broken).__name__ if broken else None
        members = [{"user_id": b64url_encode(user_id),
                    "fingerprint": b64url_encode(user_fingerprint(user_id, entry.encryption_public,
                                                                  entry.signing_public))}
                   for user_id, entry in sorted(log.state.members.items())] if log.entries else []
    return {"case_id": case["id"], "team_id": case["team_id"], "entries": len(rows), "epoch": case["epoch"],
            "bytes": sum(row["size"] for row in rows), "members": members, "rotations": rotations,
            "key_age_seconds": now - rotations[-1]["received_at"] if rotations else None,
            "verification_failure": failure}


def alerts_of(case: dict[str, Any], policy_days: int, gone: set[str]) -> list[dict[str, Any]]:
    alerts = []
    if case["key_age_seconds"] is not None and case["key_age_seconds"] > policy_days * DAY:
        alerts.append({"alert": "key-older-than-policy", "case_id": case["case_id"], "policy_days": policy_days})
    for member in case["members"]:
        if member["user_id"] in gone:
            alerts.append({"alert": "former-member-holds-current-key", "case_id": case["case_id"],
                           "user_id": member["user_id"]})
    if case["verification_failure"]:
        alerts.append({"alert": "case-log-fails-verification", "case_id": case["case_id"],
                       "error": case["verification_failure"]})
    return alerts


def audit_chain_alerts(conn: Connection) -> list[dict[str, Any]]:
    try:
        check_audit_chain([parse_audit_record(raw) for raw in all_records(conn)])
    except CarnetCryptoError as exc:
        return [{"alert": "audit-chain-broken", "error": type(exc).__name__, "detail": str(exc)}]
    return []


def readable_records(conn: Connection) -> list[AuditRecord]:
    """The records that parse; one that does not is the chain alert's to report."""
    readable = []
    for raw in all_records(conn):
        with contextlib.suppress(CarnetCryptoError):
            readable.append(parse_audit_record(raw))
    return readable


def roster_alerts(conn: Connection) -> list[dict[str, Any]]:
    """The roster held must hold every entry the audit log recorded, with serials 1 to n per person."""
    rows = conn.execute("SELECT user_id, serial, raw FROM roster_entries").fetchall()
    serials: dict[bytes, list[int]] = {}
    for row in rows:
        serials.setdefault(id_bytes(row["user_id"]), []).append(row["serial"])
    gaps = roster_gaps(readable_records(conn), (bytes(row["raw"]) for row in rows), serials)
    return [{"alert": "roster-incomplete", "detail": gap} for gap in gaps]


def inventory(conn: Connection, association_public: bytes | None, now: int) -> dict[str, Any]:
    """What the server holds, per team and case, with the alerts an auditor must see."""
    association = Ed25519PublicKey.from_public_bytes(association_public) if association_public else None
    policies = rotation_days(conn)
    gone = inactive_people(conn, association)
    teams: dict[str, dict[str, Any]] = {row["id"]: {"team_id": row["id"], "name": row["name"], "cases": []}
                                        for row in conn.execute("SELECT id, name FROM teams ORDER BY id")}
    alerts = audit_chain_alerts(conn) + roster_alerts(conn)
    for case in conn.execute("SELECT id, team_id, epoch FROM cases ORDER BY id").fetchall():
        item = case_inventory(conn, case, association, now)
        teams.setdefault(case["team_id"], {"team_id": case["team_id"], "name": None, "cases": []})["cases"].append(item)
        alerts += alerts_of(item, policies.get(case["team_id"], DEFAULT_ROTATION_DAYS), gone)
    count = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    return {"teams": list(teams.values()), "audit_records": count, "alerts": alerts}
