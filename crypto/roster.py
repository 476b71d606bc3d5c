"""The signed roster: who holds which keys, with which role, in which team.

The association key signs one roster entry per user and serial. A client never wraps a case
key to a public key it has not seen in an entry that verifies under the pinned association
key, so a server that substitutes its own key for a member's is caught before any secret is
encrypted to it. Serials only grow: a client that has seen serial n for a user refuses any
older entry for that user, so the server cannot replay a superseded key.
"""

import time
from dataclasses import dataclass, field
from enum import IntEnum

from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto import labels
from crypto.encoding import Reader, Writer
from crypto.errors import (
    InvalidEncoding,
    InvalidSignature,
    RevokedUser,
    RosterConflict,
    RosterRollback,
    UnknownUser,
)
from crypto.keys import (
    ID_BYTES,
    KEY_BYTES,
    AccountKeys,
    AssociationKey,
    check_account_keys_match,
    check_ed25519_public_key,
    check_x25519_public_key,
    user_fingerprint,
)

ROSTER_TAG = b"CNR"
SIGNATURE_BYTES = 64
ROSTER_BODY_BYTES = 114
ROSTER_ENTRY_BYTES = ROSTER_BODY_BYTES + SIGNATURE_BYTES
NO_TEAM = bytes(ID_BYTES)


class Role(IntEnum):
    VOLUNTEER = 1
    COORDINATOR = 2
    AUDITOR = 3
    ADMIN = 4


# Volunteers and coordinators belong to one team and can be case members; auditors and admins
# act for the whole association and never hold a case key.
TEAM_ROLES = frozenset({Role.VOLUNTEER, Role.COORDINATOR})


class Status(IntEnum):
    ACTIVE = 1
    REVOKED = 2


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class RosterEntry:
    """One verified roster entry; only this module's functions make them."""

    user_id: bytes
    serial: int
    role: Role
    status: Status
    team_id: bytes
    encryption_public: bytes
    signing_public: bytes
    issued_at: int
    signature: bytes
    raw: bytes = field(repr=False)
    # The signing key decoded once, strictly, when the entry was parsed: every entry signature a
    # log checks against this member uses it.
    signing_key: Ed25519PublicKey = field(repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == Status.ACTIVE

    def fingerprint(self) -> bytes:
        return user_fingerprint(self.user_id, self.encryption_public, self.signing_public)


def _roster_body(*, user_id: bytes, serial: int, role: int, status: int, team_id: bytes,
                 encryption_public: bytes, signing_public: bytes, issued_at: int) -> bytes:
    return (Writer().prefix(ROSTER_TAG).fixed(user_id, ID_BYTES).u32(serial).u8(role).u8(status)
            .fixed(team_id, ID_BYTES).fixed(encryption_public, KEY_BYTES).fixed(signing_public, KEY_BYTES)
            .u64(issued_at).getvalue())


def _parse_roster_entry(raw: bytes, *, check_keys: bool = True) -> tuple[RosterEntry, bytes]:
    """Parse without checking the signature; returns the entry and the signed body."""
    reader = Reader(raw, "roster entry")
    reader.prefix(ROSTER_TAG)
    user_id = reader.take(ID_BYTES)
    serial = reader.u32(minimum=1)
    role_value = reader.u8()
    status_value = reader.u8()
    team_id = reader.take(ID_BYTES)
    encryption_public = reader.take(KEY_BYTES)
    signing_public = reader.take(KEY_BYTES)
    issued_at = reader.u64()
    signature = reader.take(SIGNATURE_BYTES)
    reader.finish()
    if role_value not in Role._value2member_map_:
        raise InvalidEncoding(f"unknown role {role_value}")
    if status_value not in Status._value2member_map_:
        raise InvalidEncoding(f"unknown status {status_value}")
    role = Role(role_value)
    if (role in TEAM_ROLES) == (team_id == NO_TEAM):
        raise InvalidEncoding("volunteers and coordinators have a team; auditors and admins have none")
    if check_keys:
        check_x25519_public_key(encryption_public)
        signing_key = check_ed25519_public_key(signing_public)
    else:
        signing_key = Ed25519PublicKey.from_public_bytes(signing_public)
    entry = RosterEntry(user_id=user_id, serial=serial, role=role, status=Status(status_value),
                        team_id=team_id, encryption_public=encryption_public,
                        signing_public=signing_public, issued_at=issued_at, signature=signature, raw=raw,
                        signing_key=signing_key)
    return entry, raw[:ROSTER_BODY_BYTES]


def restore_roster_entry(raw: bytes) -> RosterEntry:
    """A roster entry from an implementation's own record of entries it verified (a frontier).

    Such a record is never received from another party: the signature and the strict key
    checks ran when the entry first arrived, so only the structure is parsed again.
    """
    return _parse_roster_entry(raw, check_keys=False)[0]


def sign_roster_entry_as_admin(association: AssociationKey, *, user_id: bytes, serial: int, role: Role,
                               team_id: bytes, encryption_public: bytes, signing_public: bytes,
                               status: Status = Status.ACTIVE, now: int | None = None) -> RosterEntry:
    """The admin certifies a user's public keys, role and team under the association key.

    The admin compares the user's spoken fingerprint with the one of the keys about to be
    signed before calling this: it is the only defence against a server that substitutes keys
    during enrolment.
    """
    body = _roster_body(user_id=user_id, serial=serial, role=role, status=status, team_id=team_id,
                        encryption_public=encryption_public, signing_public=signing_public,
                        issued_at=now_ms() if now is None else now)
    raw = body + association.signing_private.sign(labels.SIGN_ROSTER + body)
    return verify_roster_entry(raw, association.public_key)


def verify_roster_entry(raw: bytes, association_key: Ed25519PublicKey) -> RosterEntry:
    """Parse a roster entry and check the association signed it; raise on anything else."""
    entry, body = _parse_roster_entry(raw)
    try:
        association_key.verify(entry.signature, labels.SIGN_ROSTER + body)
    except _BadSignature as exc:
        raise InvalidSignature("roster entry is not signed by the association key") from exc
    return entry


def check_account_keys_match_roster_entry(keys: AccountKeys, entry: RosterEntry) -> None:
    """A device checks that the roster certifies exactly the keys it holds for its user."""
    if keys.user_id != entry.user_id:
        raise UnknownUser("this roster entry is for another user")
    check_account_keys_match(keys, entry.encryption_public, entry.signing_public)


class RosterView:
    """What one client knows of the roster: the latest verified entry per user, never older."""

    def __init__(self, association_key: Ed25519PublicKey) -> None:
        self.association_key = association_key
        self._latest: dict[bytes, RosterEntry] = {}

    def accept(self, raw: bytes) -> RosterEntry:
        """Verify and remember an entry; an older serial or a conflicting one is refused."""
        entry = verify_roster_entry(raw, self.association_key)
        known = self._latest.get(entry.user_id)
        if known is not None:
            if entry.serial < known.serial:
                raise RosterRollback(f"serial {entry.serial} is older than {known.serial}")
            if entry.serial == known.serial and entry.raw != known.raw:
                raise RosterConflict("two different entries for the same user and serial")
            if entry.serial == known.serial:
                return known
        self._latest[entry.user_id] = entry
        return entry

    def current(self, user_id: bytes) -> RosterEntry:
        """The entry to use now for a user; a revoked user gets no new key."""
        entry = self._latest.get(user_id)
        if entry is None:
            raise UnknownUser("no roster entry for this user")
        if not entry.active:
            raise RevokedUser("this user's roster entry is revoked")
        return entry

    def __len__(self) -> int:
        return len(self._latest)
