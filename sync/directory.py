"""The key directory, as stored by the server: public keys, escrowed key blobs, the signed roster.

The server keeps what clients need to find each other's keys, and checks what it can check
without any secret (signatures, sizes, monotonic serials), so that a broken or forged upload is
refused at once. It is not trusted for any of it: clients verify every roster entry under the
association key they pinned from their enrolment link.
"""

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto import roster as protocol_roster
from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import CarnetCryptoError
from crypto.keys import (
    association_fingerprint,
    check_ed25519_public_key,
    check_x25519_public_key,
    spoken_fingerprint,
    user_fingerprint,
)
from crypto.audit import Action
from sync import audit
from sync.db import Connection, IntegrityError, row_to_dict, transaction
from sync.errors import Conflict, InvalidInput, NotFound

ROLE_CODES = {"volunteer": protocol_roster.Role.VOLUNTEER, "coordinator": protocol_roster.Role.COORDINATOR,
              "auditor": protocol_roster.Role.AUDITOR, "admin": protocol_roster.Role.ADMIN}


@dataclass(frozen=True)
class AccountPublicKeys:
    encryption_public: bytes
    signing_public: bytes


def check_public_keys(encryption_public: bytes, signing_public: bytes) -> None:
    try:
        check_x25519_public_key(encryption_public)
        check_ed25519_public_key(signing_public)
    except CarnetCryptoError as exc:
        raise InvalidInput("invalid-key", detail=str(exc)) from exc


# The association key ---------------------------------------------------------------------------

def association_public_key(conn: Connection) -> bytes | None:
    row = conn.execute("SELECT public_key FROM association WHERE id = 1").fetchone()
    return bytes(row["public_key"]) if row else None


def association_json(public_key: bytes) -> dict[str, str]:
    digest = association_fingerprint(public_key)
    return {"public_key": b64url_encode(public_key), "fingerprint": b64url_encode(digest),
            "spoken": spoken_fingerprint(digest)}


def set_up_association(conn: Connection, admin_id: str, public_key: bytes, wrapped_key: bytes,
                       now: int) -> None:
    """Record the association's public key, once; the admin's kek-wrapped private key goes to escrow."""
    try:
        check_ed25519_public_key(public_key)
    except CarnetCryptoError as exc:
        raise InvalidInput("invalid-key", detail=str(exc)) from exc
    try:
        with transaction(conn):
            conn.execute("INSERT INTO association (id, public_key, created_by, created_at) VALUES (1, ?, ?, ?)",
                         (public_key, admin_id, now))
            conn.execute("INSERT INTO association_escrow (admin_id, wrapped_key, created_at) VALUES (?, ?, ?)",
                         (admin_id, wrapped_key, now))
            audit.record(conn, Action.ASSOCIATION_SET_UP, now, actor=admin_id, digest=audit.digest_of(public_key))
    except IntegrityError as exc:
        raise Conflict("association-exists") from exc


def has_association_escrow(conn: Connection, admin_id: str) -> bool:
    return conn.execute("SELECT 1 FROM association_escrow WHERE admin_id = ?", (admin_id,)).fetchone() is not None


def has_account_keys(conn: Connection, user_id: str) -> bool:
    return conn.execute("SELECT 1 FROM account_keys WHERE user_id = ?", (user_id,)).fetchone() is not None


def count_account_keys(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM account_keys").fetchone()[0]


def association_escrow(conn: Connection, admin_id: str) -> bytes:
    row = conn.execute("SELECT wrapped_key FROM association_escrow WHERE admin_id = ?", (admin_id,)).fetchone()
    if row is None:
        raise Conflict("association-missing")
    return bytes(row["wrapped_key"])


# Account keys ----------------------------------------------------------------------------------

def store_account_keys(conn: Connection, user_id: str, keys: AccountPublicKeys,
                       wrapped_private: bytes, now: int) -> None:
    """Publish a person's public keys and escrow their wrapped private keys, once."""
    check_public_keys(keys.encryption_public, keys.signing_public)
    try:
        with audit.within_transaction(conn):
            conn.execute(
                "INSERT INTO account_keys (user_id, encryption_public, signing_public, wrapped_private, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (user_id, keys.encryption_public, keys.signing_public, wrapped_private, now))
            audit.record(conn, Action.ACCOUNT_KEYS_PUBLISHED, now, actor=user_id, subject=user_id,
                         digest=audit.digest_of(keys.encryption_public + keys.signing_public))
    except IntegrityError as exc:
        raise Conflict("keys-exist") from exc


def account_keys(conn: Connection, user_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM account_keys WHERE user_id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound("keys-missing")
    keys: dict[str, Any] = row_to_dict(row)  # type: ignore[assignment]
    for name in ("encryption_public", "signing_public", "wrapped_private"):
        keys[name] = bytes(keys[name])
    return keys


def retire_account_keys(conn: Connection, user_id: str, now: int) -> None:
    """Move a person's keys to their former keys (a passphrase reset, inside its transaction):
    the app then publishes new ones, and the former pair stays known so that a revocation
    signed over it is still accepted."""
    conn.execute(
        "INSERT INTO former_account_keys (user_id, encryption_public, signing_public, wrapped_private, created_at,"
        " retired_at) SELECT user_id, encryption_public, signing_public, wrapped_private, created_at, ?"
        " FROM account_keys WHERE user_id = ?", (now, user_id))
    conn.execute("DELETE FROM account_keys WHERE user_id = ?", (user_id,))


def known_key_pairs(conn: Connection, user_id: str) -> tuple[tuple[bytes, bytes] | None, set[tuple[bytes, bytes]]]:
    """A person's current public keys (or None), and every former pair of theirs."""
    current = conn.execute("SELECT encryption_public, signing_public FROM account_keys WHERE user_id = ?",
                           (user_id,)).fetchone()
    former = conn.execute("SELECT encryption_public, signing_public FROM former_account_keys WHERE user_id = ?",
                          (user_id,)).fetchall()
    pair = (bytes(current[0]), bytes(current[1])) if current else None
    return pair, {(bytes(r[0]), bytes(r[1])) for r in former}


CERTIFICATIONS = ("certified", "outdated", "revoked", "not-certified", "no-keys", "invalid")
# Where a roster entry's status byte sits (PROTOCOL 6.2), and its value for a revocation.
ROSTER_STATUS_OFFSET = 25
REVOKED_BYTE = bytes([protocol_roster.Status.REVOKED])


def certification(conn: Connection, user_id: str) -> str:
    """Where a person's certification stands, from their latest roster entry: ``certified`` (for
    their current keys), ``outdated`` (for other keys, or another role or team), ``revoked``,
    ``not-certified`` (keys but no entry), ``no-keys``, ``invalid`` (the stored entry no longer
    verifies: the database was changed)."""
    current, _former = known_key_pairs(conn, user_id)
    latest = latest_roster_entry(conn, user_id)
    if latest is None:
        return "no-keys" if current is None else "not-certified"
    try:
        entry = stored_entry(conn, bytes(latest["raw"]))
    except CarnetCryptoError:
        return "invalid"
    if entry.status == protocol_roster.Status.REVOKED:
        return "revoked"
    person = conn.execute("SELECT role, team_id FROM users WHERE id = ?", (user_id,)).fetchone()
    if current != (entry.encryption_public, entry.signing_public) or not entry_matches_person(entry, person):
        return "outdated" if current is not None else "no-keys"
    return "certified"


def stored_entry(conn: Connection, raw: bytes) -> protocol_roster.RosterEntry:
    """A roster entry the server accepted, read back (its signature checked again on the way)."""
    public_key = association_public_key(conn)
    if public_key is None:
        raise Conflict("association-missing")
    return protocol_roster.verify_roster_entry(raw, check_ed25519_public_key(public_key))


def expected_team(person: Any) -> bytes:
    return b64url_decode(person["team_id"]) if person["team_id"] else protocol_roster.NO_TEAM


def entry_matches_person(entry: protocol_roster.RosterEntry, person: Any) -> bool:
    return entry.role == ROLE_CODES[person["role"]] and entry.team_id == expected_team(person)


# The roster ------------------------------------------------------------------------------------

def latest_roster_entry(conn: Connection, user_id: str) -> dict[str, Any] | None:
    entry = row_to_dict(conn.execute(
        "SELECT * FROM roster_entries WHERE user_id = ? ORDER BY serial DESC LIMIT 1", (user_id,)).fetchone())
    if entry is not None:
        entry["raw"] = bytes(entry["raw"])
    return entry


def accept_roster_entry(conn: Connection, raw: bytes, signed_by: str, now: int) -> dict[str, Any]:
    """Check a roster entry against everything the server knows, then keep it.

    It must verify under the association key, name an existing person with the role, team and
    public keys the server holds for them, and carry a serial above the last one.
    """
    public_key = association_public_key(conn)
    if public_key is None:
        raise Conflict("association-missing")
    try:
        entry = protocol_roster.verify_roster_entry(raw, check_ed25519_public_key(public_key))
    except CarnetCryptoError as exc:
        raise InvalidInput("roster-invalid", detail=str(exc)) from exc
    user_id = b64url_encode(entry.user_id)
    with transaction(conn):
        person = conn.execute("SELECT role, team_id, status FROM users WHERE id = ?", (user_id,)).fetchone()
        if person is None:
            raise Conflict("roster-mismatch", detail="no such person")
        check_entry_against_directory(conn, entry, user_id, person)
        latest = latest_roster_entry(conn, user_id)
        if latest is not None and entry.serial <= latest["serial"]:
            raise Conflict("roster-stale", latest_serial=latest["serial"])
        conn.execute("INSERT INTO roster_entries (user_id, serial, raw, signed_by, created_at) VALUES (?, ?, ?, ?, ?)",
                     (user_id, entry.serial, raw, signed_by, now))
        audit.record(conn, Action.ROSTER_ENTRY, now, actor=signed_by, subject=user_id, digest=audit.digest_of(raw))
    return {"user_id": user_id, "serial": entry.serial}


def check_entry_against_directory(conn: Connection, entry: protocol_roster.RosterEntry, user_id: str,
                                  person: Any) -> None:
    """An active entry: an active person, their current keys. A revoked entry: their current keys
    or a former pair (a reset's old keys), whatever the account's status. Either way, the
    person's current role and team."""
    current, former = known_key_pairs(conn, user_id)
    pair = (entry.encryption_public, entry.signing_public)
    if entry.status == protocol_roster.Status.REVOKED:
        keys_known = pair == current or pair in former
    else:
        keys_known = pair == current and person["status"] == "active"
    if current is None and not former:
        raise Conflict("roster-mismatch", detail="no published keys")
    if not keys_known or not entry_matches_person(entry, person):
        raise Conflict("roster-mismatch", detail="role, team, status or keys differ from the directory")


def revoking_roster_entries(conn: Connection, association: Ed25519PublicKey
                            ) -> list[protocol_roster.RosterEntry]:
    """The revoking roster entries the server holds, each verified again under the association key.

    A push needs only these (PROTOCOL 9.2), so its cost does not grow with the roster.
    """
    rows = conn.execute("SELECT raw FROM roster_entries WHERE substr(raw, ?, 1) = ? ORDER BY user_id, serial",
                        (ROSTER_STATUS_OFFSET + 1, REVOKED_BYTE))
    return [protocol_roster.verify_roster_entry(bytes(row["raw"]), association) for row in rows]


def directory(conn: Connection) -> list[dict[str, Any]]:
    """Everyone with their public keys, fingerprint and latest signed roster entry."""
    rows = conn.execute(
        "SELECT u.id, u.display_name, u.role, u.team_id, u.status, k.encryption_public, k.signing_public,"
        " (SELECT raw FROM roster_entries r WHERE r.user_id = u.id ORDER BY serial DESC LIMIT 1) AS roster"
        " FROM users u LEFT JOIN account_keys k ON k.user_id = u.id ORDER BY lower(u.display_name), u.created_at, u.id"
    ).fetchall()
    revoked = revoked_entries(conn)
    return [dict(directory_row(row), revocations=revoked.get(row["id"], [])) for row in rows]


def revoked_entries(conn: Connection) -> dict[str, list[str]]:
    """Every revoked roster entry, per person, in serial order: the latest entry alone would hide
    a revocation once a newer active serial exists (PROTOCOL 9.2).

    Served as stored, as the latest entry is: readers verify each one. The status is read at its
    offset (byte 25, PROTOCOL 6.2) rather than by verifying again, so that an entry that no longer
    verifies still reaches the readers who must refuse it."""
    found: dict[str, list[str]] = {}
    for row in conn.execute("SELECT user_id, raw FROM roster_entries WHERE substr(raw, ?, 1) = ?"
                            " ORDER BY user_id, serial", (ROSTER_STATUS_OFFSET + 1, REVOKED_BYTE)):
        found.setdefault(row["user_id"], []).append(b64url_encode(bytes(row["raw"])))
    return found


def directory_row(row: Any) -> dict[str, Any]:
    person = {"user_id": row["id"], "display_name": row["display_name"], "role": row["role"],
              "team_id": row["team_id"], "status": row["status"], "keys": None, "roster": None}
    if row["encryption_public"] is not None:
        enc, sig = bytes(row["encryption_public"]), bytes(row["signing_public"])
        digest = user_fingerprint(b64url_decode(row["id"]), enc, sig)
        person["keys"] = {"encryption_public": b64url_encode(enc), "signing_public": b64url_encode(sig),
                          "fingerprint": b64url_encode(digest), "spoken": spoken_fingerprint(digest)}
    if row["roster"] is not None:
        person["roster"] = b64url_encode(bytes(row["roster"]))
    return person

