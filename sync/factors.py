"""The second factor: WebAuthn credentials (passkeys, security keys) and one-time recovery codes.

Tables ``webauthn_credentials`` and ``recovery_codes`` (sync/migrations/0011_second_factor.sql).
A second factor is required of admins and auditors always, and of a team's volunteers and
coordinators when the team's policy says so (``teams.second_factor``).

The WebAuthn ceremonies (options, verification) use py_webauthn; this module gives them the
relying party of the server's base URL and keeps what they produce. Every registration, use,
failure, removal, reset and use or renewal of recovery codes is an audit record.

Recovery codes are 60 random bits each, so a single SHA-256 is enough to store them: nothing can
be guessed from the hash faster than by trying 2^60 codes (a passphrase would need a slow hash;
these are not chosen by people). They are compared through their hash, in the database, and once
more in constant time.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import webauthn
from webauthn.helpers import parse_authentication_credential_json, parse_registration_credential_json
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier

from crypto.audit import Action
from crypto.encoding import b64url_encode
from sync import audit
from sync.db import Connection, IntegrityError
from sync.errors import Conflict, InvalidInput, NotFound

ALWAYS_REQUIRED_ROLES = frozenset({"admin", "auditor"})
TEAM_ROLES = frozenset({"volunteer", "coordinator"})
RP_NAME = "Carnet"
CHALLENGE_BYTES = 32
CEREMONY_TIMEOUT_MS = 120_000
RECOVERY_CODE_COUNT = 10
# 60 bits: 12 characters of a 32-letter alphabet, in three groups of four.
# 32 signs (5 bits each) without i, l, o and u, which are read for 1, 0 or v.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstvwxyz0123456789"
RECOVERY_GROUPS = 3
RECOVERY_GROUP_LENGTH = 4
ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA,
              COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]
MAX_NAME_LENGTH = 80
KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}


class FactorRefused(Exception):
    """A credential or a recovery code that does not verify (the caller answers and audits)."""


@dataclass(frozen=True)
class RelyingParty:
    """The relying party of the server's base URL: its host is the rp id, scheme://host[:port]
    the only origin accepted."""

    rp_id: str
    origin: str

    @classmethod
    def of(cls, base_url: str) -> "RelyingParty":
        parts = urlsplit(base_url)
        return cls(rp_id=parts.hostname or "", origin=f"{parts.scheme}://{parts.netloc}")


# Policy -----------------------------------------------------------------------------------------

def required(conn: Connection, user: dict[str, Any]) -> bool:
    """Whether this person must log in with a second factor."""
    if user["role"] in ALWAYS_REQUIRED_ROLES:
        return True
    if user["role"] not in TEAM_ROLES or not user.get("team_id"):
        return False
    row = conn.execute("SELECT second_factor FROM teams WHERE id = ?", (user["team_id"],)).fetchone()
    return bool(row and row["second_factor"])


# Credentials ------------------------------------------------------------------------------------

def factor_json(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "created_at": row["created_at"],
            "last_used_at": row["last_used_at"], "transports": json.loads(row["transports"])}


def list_factors(conn: Connection, user_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, name, created_at, last_used_at, transports FROM webauthn_credentials"
                        " WHERE user_id = ? ORDER BY created_at, id", (user_id,)).fetchall()
    return [factor_json(r) for r in rows]


def has_factors(conn: Connection, user_id: str) -> bool:
    return conn.execute("SELECT 1 FROM webauthn_credentials WHERE user_id = ? LIMIT 1", (user_id,)).fetchone() is not None


def credential_ids(conn: Connection, user_id: str) -> list[tuple[bytes, list[str]]]:
    rows = conn.execute("SELECT credential_id, transports FROM webauthn_credentials WHERE user_id = ?"
                        " ORDER BY created_at, id", (user_id,)).fetchall()
    return [(bytes(r["credential_id"]), json.loads(r["transports"])) for r in rows]


def add_credential(conn: Connection, user_id: str, *, credential_id: bytes, public_key: bytes, sign_count: int,
                   transports: list[str], name: str, now: int) -> dict[str, Any]:
    """Store a verified credential (``verify_registration``) and audit it, in one transaction."""
    factor_id = b64url_encode(secrets.token_bytes(16))
    try:
        with audit.within_transaction(conn):
            conn.execute(
                "INSERT INTO webauthn_credentials (id, user_id, credential_id, public_key, sign_count, transports,"
                " name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (factor_id, user_id, credential_id, public_key, sign_count, json.dumps(transports), name, now))
            audit.record(conn, Action.FACTOR_REGISTERED, now, actor=user_id, subject=user_id,
                         digest=audit.digest_of(credential_id))
    except IntegrityError as exc:
        # The credential id is unique: an authenticator registered once (by anyone) stays theirs.
        raise Conflict("factor-exists") from exc
    return {"id": factor_id, "name": name, "created_at": now, "last_used_at": None, "transports": transports}


def stored_credential(conn: Connection, user_id: str, credential_id: bytes) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, public_key, sign_count FROM webauthn_credentials"
                       " WHERE user_id = ? AND credential_id = ?", (user_id, credential_id)).fetchone()
    return dict(row) if row else None


def record_use(conn: Connection, user_id: str, factor_id: str, credential_id: bytes, sign_count: int,
               now: int) -> None:
    """A credential verified: its new count and time, audited. The update's condition keeps
    the count growing even if two assertions race (the second then fails)."""
    with audit.within_transaction(conn):
        updated = conn.execute(
            "UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? WHERE id = ?"
            " AND (sign_count < ? OR (sign_count = 0 AND ? = 0))",
            (sign_count, now, factor_id, sign_count, sign_count)).rowcount
        if updated != 1:
            raise FactorRefused("the signature counter did not grow")
        audit.record(conn, Action.FACTOR_USED, now, actor=user_id, subject=user_id,
                     digest=audit.digest_of(credential_id))


def record_pending(conn: Connection, user_id: str, now: int) -> None:
    """The passphrase was right (or the person just enrolled): the login waits for the second
    factor. Recorded, so that a passphrase known to someone who lacks the factor shows."""
    with audit.within_transaction(conn):
        audit.record(conn, Action.SECOND_FACTOR_PENDING, now, subject=user_id)


def record_failure(conn: Connection, user_id: str, now: int) -> None:
    with audit.within_transaction(conn):
        audit.record(conn, Action.FACTOR_FAILED, now, subject=user_id)


def remove(conn: Connection, user_id: str, factor_id: str, *, policy_requires: bool, now: int) -> None:
    """Remove one of the person's credentials; the last one is kept while the policy requires
    a factor (checked inside the transaction)."""
    with audit.within_transaction(conn):
        row = conn.execute("SELECT credential_id FROM webauthn_credentials WHERE id = ? AND user_id = ?",
                           (factor_id, user_id)).fetchone()
        if row is None:
            raise NotFound("not-found")
        count = conn.execute("SELECT count(*) FROM webauthn_credentials WHERE user_id = ?", (user_id,)).fetchone()[0]
        if policy_requires and count <= 1:
            raise Conflict("last-factor-required")
        conn.execute("DELETE FROM webauthn_credentials WHERE id = ?", (factor_id,))
        audit.record(conn, Action.FACTOR_REMOVED, now, actor=user_id, subject=user_id,
                     digest=audit.digest_of(bytes(row["credential_id"])))


def reset(conn: Connection, user_id: str, *, actor: str | None, now: int) -> None:
    """An admin's reset: every credential and recovery code of the person goes, and every session
    of theirs ends, in one transaction (the next login registers a first authenticator again)."""
    with audit.within_transaction(conn):
        conn.execute("DELETE FROM webauthn_credentials WHERE user_id = ?", (user_id,))
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        ended = conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount
        audit.record(conn, Action.FACTORS_RESET, now, actor=actor, subject=user_id)
        if ended:
            audit.record(conn, Action.SESSIONS_ENDED, now, actor=actor, subject=user_id)


# Recovery codes ---------------------------------------------------------------------------------

def new_recovery_code() -> str:
    letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH))
    return "-".join(letters[i:i + RECOVERY_GROUP_LENGTH] for i in range(0, len(letters), RECOVERY_GROUP_LENGTH))


def normalise_code(code: str) -> str:
    """What people type: any case, spaces or no dashes."""
    letters = "".join(c for c in code.lower() if c.isalnum())
    return "-".join(letters[i:i + RECOVERY_GROUP_LENGTH] for i in range(0, len(letters), RECOVERY_GROUP_LENGTH))


def hash_code(code: str) -> str:
    return hashlib.sha256(b"carnet/v1/recovery-code/" + normalise_code(code).encode("ascii", "replace")).hexdigest()


def renew_recovery_codes(conn: Connection, user_id: str, *, now: int) -> list[str]:
    """A new set of codes (returned once, stored hashed); the old ones stop working."""
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with audit.within_transaction(conn):
        conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        for code in codes:
            conn.execute("INSERT INTO recovery_codes (user_id, hash, created_at) VALUES (?, ?, ?)",
                         (user_id, hash_code(code), now))
        audit.record(conn, Action.RECOVERY_CODES_RENEWED, now, actor=user_id, subject=user_id)
    return codes


def recovery_codes_left(conn: Connection, user_id: str) -> int:
    return conn.execute("SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
                        (user_id,)).fetchone()[0]


def use_recovery_code(conn: Connection, user_id: str, code: str, now: int) -> None:
    """Spend one code, or raise FactorRefused. Marking it used is the update's condition, so a
    code works once even when two requests bring it at the same moment."""
    wanted = hash_code(code)
    with audit.within_transaction(conn):
        rows = conn.execute("SELECT hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
                            (user_id,)).fetchall()
        match = next((r["hash"] for r in rows if hmac.compare_digest(r["hash"], wanted)), None)
        if match is None or conn.execute("UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ?"
                                         " AND used_at IS NULL", (now, user_id, match)).rowcount != 1:
            raise FactorRefused("no such unused recovery code")
        audit.record(conn, Action.RECOVERY_CODE_USED, now, actor=user_id, subject=user_id)


# Ceremonies -------------------------------------------------------------------------------------

def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def registration_options(conn: Connection, rp: RelyingParty, user: dict[str, Any], challenge: bytes) -> str:
    """Creation options (JSON text) for a new credential of ``user``; their credentials excluded."""
    options = webauthn.generate_registration_options(
        rp_id=rp.rp_id, rp_name=RP_NAME, user_name=user["email"], user_id=user["id"].encode("ascii"),
        user_display_name=user["display_name"], challenge=challenge, timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[descriptor(cid, transports) for cid, transports in credential_ids(conn, user["id"])],
        supported_pub_key_algs=ALGORITHMS)
    return webauthn.options_to_json(options)


def authentication_options(conn: Connection, rp: RelyingParty, user_id: str, challenge: bytes) -> str:
    options = webauthn.generate_authentication_options(
        rp_id=rp.rp_id, challenge=challenge, timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=[descriptor(cid, transports) for cid, transports in credential_ids(conn, user_id)],
        user_verification=UserVerificationRequirement.REQUIRED)
    return webauthn.options_to_json(options)


def descriptor(credential_id: bytes, transports: list[str]) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=credential_id, transports=[AuthenticatorTransport(t) for t in transports if t in KNOWN_TRANSPORTS])


@dataclass(frozen=True)
class NewCredential:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str]


def verify_registration(rp: RelyingParty, credential: Any, challenge: bytes) -> NewCredential:
    """Check a RegistrationResponseJSON against the challenge, rp id and origin; FactorRefused if not."""
    try:
        parsed = parse_registration_credential_json(json.dumps(credential))
        verified = webauthn.verify_registration_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp.rp_id, expected_origin=rp.origin,
            require_user_verification=True, supported_pub_key_algs=ALGORITHMS)
    except Exception as exc:  # noqa: BLE001 - whatever malformed input makes the library raise is a refusal
        raise FactorRefused(str(exc)) from None
    transports = [t.value for t in (parsed.response.transports or []) if t.value in KNOWN_TRANSPORTS]
    return NewCredential(verified.credential_id, verified.credential_public_key, verified.sign_count, transports)


def credential_id_of(credential: Any) -> bytes:
    try:
        return parse_authentication_credential_json(json.dumps(credential)).raw_id
    except Exception as exc:  # noqa: BLE001 - a malformed response is a refusal
        raise FactorRefused(str(exc)) from None


def verify_authentication(conn: Connection, rp: RelyingParty, user_id: str, credential: Any, challenge: bytes,
                          now: int) -> None:
    """Check an AuthenticationResponseJSON by one of the person's credentials; record its use.
    A signature counter that does not grow (a cloned authenticator) is refused by the library."""
    credential_id = credential_id_of(credential)
    stored = stored_credential(conn, user_id, credential_id)
    if stored is None:
        raise FactorRefused("not a credential of this person")
    try:
        verified = webauthn.verify_authentication_response(
            credential=parse_authentication_credential_json(json.dumps(credential)), expected_challenge=challenge,
            expected_rp_id=rp.rp_id, expected_origin=rp.origin, credential_public_key=bytes(stored["public_key"]),
            credential_current_sign_count=stored["sign_count"], require_user_verification=True)
    except Exception as exc:  # noqa: BLE001 - bad signatures and malformed input alike are refusals
        raise FactorRefused(str(exc)) from None
    record_use(conn, user_id, stored["id"], credential_id, verified.new_sign_count, now)


def valid_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
        raise InvalidInput("validation-failed", fields={"name": f"1 to {MAX_NAME_LENGTH} characters"})
    return value.strip()
