"""The server's audit log: records chained by hash, and a head signed by the server's audit key.

A record says who did what, when, to which case or person, and names the hashes involved;
it never holds content. Each record carries the hash of the one before, so removing,
reordering or changing a record breaks every later link, and anyone holding one record's hash
can check the chain onwards from there. The head (count and last hash) is signed with the
server's own Ed25519 key, so a copy of the log cut short and a head that does not match it
are told apart from the real thing. Formats: docs/PROTOCOL.md section 13.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto.encoding import Reader, Writer
from crypto.errors import BrokenChain, InvalidEncoding, InvalidSignature
from crypto.keys import ID_BYTES

RECORD_TAG = b"CNA"
HEAD_TAG = b"CNT"
RECORD_BYTES = 117
HEAD_BODY_BYTES = 52
HEAD_BYTES = HEAD_BODY_BYTES + 64
HASH_BYTES = 32
ZERO_ID = bytes(ID_BYTES)
ZERO_HASH = bytes(HASH_BYTES)

# These labels are for the server's audit log only; they follow the rules of PROTOCOL section 4.
HASH_AUDIT_RECORD = b"carnet/v1/hash/audit-record\x00"
SIGN_AUDIT_HEAD = b"carnet/v1/sign/audit-head\x00"


class Action(IntEnum):
    """What a record records; the numbers are part of the format."""

    CASE_OPENED = 1
    ENTRY_STORED = 2
    MEMBER_ADDED = 3
    MEMBER_REMOVED = 4
    KEY_ROTATED = 5
    ENTRY_RESEALED = 6
    ASSOCIATION_SET_UP = 16
    ACCOUNT_KEYS_PUBLISHED = 17
    ROSTER_ENTRY = 18
    LOGIN = 32
    LOGIN_FAILED = 33
    ENROLLED = 34
    KDF_CHANGED = 35
    ACCOUNT_CHANGED = 36
    INVITED = 37
    SESSIONS_ENDED = 38
    TEAM_CHANGED = 39
    ACCOUNT_CREATED = 40
    RESET_ISSUED = 41
    RESET_COMPLETED = 42
    MEASURES_CHANGED = 43
    EXPORT = 48
    BACKUP = 49
    RESTORE = 50
    REKEY = 51
    # The second factor (WebAuthn credentials and recovery codes).
    FACTOR_REGISTERED = 56
    FACTOR_USED = 57
    FACTOR_FAILED = 58
    FACTOR_REMOVED = 59
    FACTORS_RESET = 60
    RECOVERY_CODE_USED = 61
    RECOVERY_CODES_RENEWED = 62
    SECOND_FACTOR_PENDING = 63


# The actions that record one stored case entry, whose hash is the record's digest.
ENTRY_ACTIONS = frozenset({Action.CASE_OPENED, Action.ENTRY_STORED, Action.MEMBER_ADDED, Action.MEMBER_REMOVED,
                           Action.KEY_ROTATED, Action.ENTRY_RESEALED})


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    time: int
    action: Action
    actor: bytes
    subject: bytes
    digest: bytes
    prev_hash: bytes

    def to_bytes(self) -> bytes:
        return (Writer().prefix(RECORD_TAG).u64(self.seq).u64(self.time).u8(int(self.action))
                .fixed(self.actor, ID_BYTES).fixed(self.subject, ID_BYTES).fixed(self.digest, HASH_BYTES)
                .fixed(self.prev_hash, HASH_BYTES).getvalue())

    @property
    def hash(self) -> bytes:
        return hashlib.sha256(HASH_AUDIT_RECORD + self.to_bytes()).digest()


def parse_audit_record(raw: bytes) -> AuditRecord:
    reader = Reader(raw, "audit record")
    reader.prefix(RECORD_TAG)
    seq, time, code = reader.u64(minimum=1), reader.u64(), reader.u8()
    try:
        action = Action(code)
    except ValueError as exc:
        raise InvalidEncoding(f"unknown audit action {code}") from exc
    record = AuditRecord(seq, time, action, reader.take(ID_BYTES), reader.take(ID_BYTES), reader.take(HASH_BYTES),
                         reader.take(HASH_BYTES))
    reader.finish()
    if (seq == 1) != (record.prev_hash == ZERO_HASH):
        raise InvalidEncoding("the previous hash is zero for the first record and only for it")
    return record


def next_audit_record(previous: AuditRecord | None, *, time: int, action: Action, actor: bytes = ZERO_ID,
                      subject: bytes = ZERO_ID, digest: bytes = ZERO_HASH) -> AuditRecord:
    """The record that follows ``previous`` (or the first one)."""
    if previous is None:
        return AuditRecord(1, time, action, actor, subject, digest, ZERO_HASH)
    return AuditRecord(previous.seq + 1, time, action, actor, subject, digest, previous.hash)


def check_audit_chain(records: list[AuditRecord], *, after: AuditRecord | None = None) -> None:
    """Each record follows the one before (or ``after``, a record already trusted) by seq and hash."""
    previous = after
    for record in records:
        expected_seq = 1 if previous is None else previous.seq + 1
        expected_prev = ZERO_HASH if previous is None else previous.hash
        if record.seq != expected_seq or record.prev_hash != expected_prev:
            raise BrokenChain(f"audit record {record.seq} does not follow record {expected_seq - 1}")
        previous = record


@dataclass(frozen=True)
class AuditHead:
    count: int
    last_hash: bytes
    time: int
    signature: bytes

    def body(self) -> bytes:
        return (Writer().prefix(HEAD_TAG).u64(self.count).fixed(self.last_hash, HASH_BYTES).u64(self.time)
                .getvalue())

    def to_bytes(self) -> bytes:
        return self.body() + self.signature


def sign_audit_head_as_server(key: Ed25519PrivateKey, *, count: int, last_hash: bytes, time: int) -> AuditHead:
    unsigned = AuditHead(count, last_hash, time, b"")
    return AuditHead(count, last_hash, time, key.sign(SIGN_AUDIT_HEAD + unsigned.body()))


def verify_audit_head(raw: bytes, key: Ed25519PublicKey) -> AuditHead:
    reader = Reader(raw, "audit head")
    reader.prefix(HEAD_TAG)
    head = AuditHead(reader.u64(), reader.take(HASH_BYTES), reader.u64(), b"")
    signature = reader.take(64)
    reader.finish()
    if (head.count == 0) != (head.last_hash == ZERO_HASH):
        raise InvalidEncoding("the last hash is zero for an empty log and only for it")
    try:
        key.verify(signature, SIGN_AUDIT_HEAD + head.body())
    except _BadSignature as exc:
        raise InvalidSignature("the audit head is not signed by this audit key") from exc
    return AuditHead(head.count, head.last_hash, head.time, signature)


# Roster completeness (PROTOCOL 14.2) ---------------------------------------------------------------

def roster_records_missing(records: Iterable[AuditRecord], roster: Iterable[bytes]) -> list[AuditRecord]:
    """The ``roster_entry`` records whose roster entry is not among those held."""
    held = {hashlib.sha256(raw).digest() for raw in roster}
    return [r for r in records if r.action == Action.ROSTER_ENTRY and r.digest not in held]


def serials_contiguous(serials: Iterable[int]) -> bool:
    """A person's serials are 1 to n, each once: a missing one is a roster entry held back."""
    ordered = sorted(serials)
    return ordered == list(range(1, len(ordered) + 1))


def roster_gaps(records: Iterable[AuditRecord], roster: Iterable[bytes],
                serials: Mapping[bytes, list[int]]) -> list[str]:
    """Every way the roster held falls short of the audit log's, in words (for an alert)."""
    gaps = [f"record {r.seq}: the roster entry it records is missing" for r in roster_records_missing(records, roster)]
    return gaps + [f"serials {sorted(s)} are not 1 to {len(s)}" for s in serials.values() if not serials_contiguous(s)]
