"""Cases on the server: envelopes stored in order after the same checks a client makes.

The server holds no key. It runs the protocol's case-log verifier without keys (signatures,
membership, chains, epochs; docs/PROTOCOL.md section 9), so it refuses at once what every
client would refuse later, and it knows the current members of each case, which is what access
control needs. Content stays ciphertext.

A push does not replay the case: the server keeps each case's frontier (PROTOCOL 9.3) in
``case_state``, written in the same transaction as the entries, resumes the log from it and
answers the log's questions about older entries from indexed columns of ``entries``.
"""

import contextlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.acceptance import accept_entry_with_roster, check_not_revoked, granted_entries, revocations_of
from crypto.caselog import CaseLog, Frontier, VerifiedEntry
from crypto.control import Genesis, entry_payload
from crypto.encoding import b64url_encode
from crypto.entry import CONTROL_KINDS, Entry, Kind, parse_entry
from crypto.errors import CarnetCryptoError
from crypto.roster import RosterEntry
from sync import audit, directory, faults
from sync.db import Connection, transaction
from sync.problems import ApiError


MAX_SEQ = 2**63 - 1


@dataclass(frozen=True)
class PushResult:
    entry_id: str
    status: str  # stored, duplicate, conflict, rejected
    code: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}


def association_key(conn: Connection) -> Ed25519PublicKey:
    public_key = directory.association_public_key(conn)
    if public_key is None:
        raise ApiError("association-missing")
    return Ed25519PublicKey.from_public_bytes(public_key)


def load_log(conn: Connection, case_id: bytes, key: Ed25519PublicKey) -> CaseLog:
    """Rebuild the verified log of one case from what is stored (it was verified on the way in)."""
    log = CaseLog(case_id, key)
    for row in conn.execute("SELECT envelope FROM entries WHERE case_id = ? ORDER BY seq",
                            (b64url_encode(case_id),)):
        log.append(bytes(row["envelope"]))
    return log


class StoredEntries:
    """A case's stored entries, as a log resumed from its frontier asks about them (PastEntries).

    Each question is one lookup by a unique column (entry hash or entry id) or by primary key.
    """

    def __init__(self, conn: Connection, case_id: bytes) -> None:
        self.conn = conn
        self.case_id = b64url_encode(case_id)

    def holds(self, entry_hash: bytes, entry_id: bytes) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM entries WHERE entry_hash = ? AND case_id = ?"
            " UNION ALL SELECT 1 FROM entries WHERE entry_id = ? AND case_id = ?",
            (entry_hash, self.case_id, b64url_encode(entry_id), self.case_id)).fetchone() is not None

    def kind_and_epoch(self, entry_hash: bytes) -> tuple[int, int] | None:
        row = self.conn.execute("SELECT kind, epoch FROM entries WHERE entry_hash = ? AND case_id = ?",
                                (entry_hash, self.case_id)).fetchone()
        return None if row is None else (row["kind"], row["epoch"])

    def resealed(self, ref: bytes, full_epoch: int) -> bool:
        return self.conn.execute("SELECT 1 FROM case_reseals WHERE case_id = ? AND ref = ? AND full_epoch = ?",
                                 (self.case_id, ref, full_epoch)).fetchone() is not None


def open_log(conn: Connection, case_id: bytes, key: Ed25519PublicKey) -> CaseLog:
    """The verified log of a stored case, resumed from its frontier, or replayed once if it has none.

    A frontier that covers another number of entries than the case holds (entries copied in
    without it) is not trusted: the case is replayed and its frontier written again.
    """
    row = conn.execute("SELECT s.frontier FROM case_state s JOIN cases c ON c.id = s.case_id"
                       " WHERE s.case_id = ? AND s.entry_count = c.entry_count", (b64url_encode(case_id),)).fetchone()
    if row is not None:
        return CaseLog.resume(Frontier.from_bytes(bytes(row["frontier"])), key, StoredEntries(conn, case_id))
    log = load_log(conn, case_id, key)
    for verified in log.entries:
        record_reseal(conn, log, verified)
    return log


def save_state(conn: Connection, log: CaseLog) -> None:
    frontier = log.frontier()
    conn.execute("INSERT INTO case_state (case_id, entry_count, frontier) VALUES (?, ?, ?)"
                 " ON CONFLICT (case_id) DO UPDATE SET entry_count = excluded.entry_count,"
                 " frontier = excluded.frontier",
                 (b64url_encode(log.case_id), frontier.count, frontier.to_bytes()))


def record_reseal(conn: Connection, log: CaseLog, verified: VerifiedEntry) -> None:
    """Remember which entry a whole reseal names, under its state's full epoch."""
    if verified.ref is not None:
        conn.execute("INSERT INTO case_reseals (case_id, ref, full_epoch) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                     (b64url_encode(log.case_id), verified.ref, log.states[verified.base].full_epoch))


def push_entries(conn: Connection, caller: dict[str, Any], envelopes: list[bytes],
                 now: int) -> list[PushResult]:
    """Store each envelope the caller wrote, in order; one result per envelope.

    The whole batch runs in one write transaction: the logs are read, checked and extended
    while no other push can change them (two pushes to one case cannot both build on a view the
    other made stale), and a crash part-way stores nothing of the batch, so the client's retry
    stores it whole, once. The costly checks that depend on no stored state (signatures under
    the caller's published key, control payloads) run first, outside the lock, so the workers of
    a server do them in parallel; the log's rules inside repeat nothing for the same bytes.
    """
    key = association_key(conn)
    author_key = signing_key(conn, caller)
    parsed = [parse_ahead(raw, key, author_key) for raw in envelopes]
    logs: dict[bytes, CaseLog] = {}
    with transaction(conn):
        # The revocations the server holds refuse grants to, and writes by, revoked people (9.2).
        roster = directory.revoking_roster_entries(conn, key)
        results = [push_one(conn, caller, raw, entry, key, logs, now, roster) for raw, entry in zip(envelopes, parsed)]
        for log in logs.values():
            # A log that appended nothing and was resumed has nothing new to keep; one replayed
            # from its entries keeps the frontier it lacked.
            if log.entries:
                save_state(conn, log)
        return results


def signing_key(conn: Connection, caller: dict[str, Any]) -> bytes | None:
    row = conn.execute("SELECT signing_public FROM account_keys WHERE user_id = ?", (caller["id"],)).fetchone()
    return None if row is None else bytes(row["signing_public"])


def parse_ahead(raw: bytes, key: Ed25519PublicKey, author_key: bytes | None) -> Entry | CarnetCryptoError:
    """Parse an envelope and do the checks that need no stored state; a failed check is left for
    the log's rule to make again, so the answer is the protocol's."""
    try:
        entry = parse_entry(raw)
    except CarnetCryptoError as exc:
        return exc
    with contextlib.suppress(CarnetCryptoError):
        if author_key is not None:
            entry.verify_signature(author_key)
        if entry.header.kind in CONTROL_KINDS and entry.body is not None:
            entry_payload(entry, key)
    return entry


def push_one(conn: Connection, caller: dict[str, Any], raw: bytes, entry: Entry | CarnetCryptoError,
             key: Ed25519PublicKey, logs: dict[bytes, CaseLog], now: int, roster: list[RosterEntry]) -> PushResult:
    if isinstance(entry, CarnetCryptoError):
        return PushResult("", "rejected", type(entry).__name__, str(entry))
    header = entry.header
    entry_id = b64url_encode(header.entry_id)
    case_id = b64url_encode(header.case_id)
    stored = conn.execute("SELECT envelope FROM entries WHERE entry_id = ?", (entry_id,)).fetchone()
    if stored is not None:
        # Idempotent by entry id: the same bytes again is success; other bytes are a conflict.
        same = bytes(stored["envelope"]) == raw
        return PushResult(entry_id, "duplicate" if same else "conflict", None if same else "entry-id-taken")
    if b64url_encode(header.author) != caller["id"]:
        return PushResult(entry_id, "rejected", "not-the-author", "a person pushes only the entries they wrote")
    exists = conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None
    if exists and not is_member(conn, case_id, caller["id"]):
        return PushResult(entry_id, "rejected", "not-a-member")
    if not exists and header.kind != Kind.GENESIS:
        return PushResult(entry_id, "rejected", "unknown-case")
    try:
        if header.kind == Kind.GENESIS and entry.body is not None:
            # A case is opened in its author's own team, checked before anything is appended.
            genesis = entry_payload(entry, key)
            if not isinstance(genesis, Genesis) or b64url_encode(genesis.team_id) != caller["team_id"]:
                return PushResult(entry_id, "rejected", "other-team", "a case is opened in the author's own team")
        log = logs.get(header.case_id)
        if log is None:
            log = logs[header.case_id] = open_log(conn, header.case_id, key) if exists else CaseLog(header.case_id, key)
        if grants_a_disabled_person(conn, log, entry):
            # A revocation is the association's signed word and says more: it is named first.
            check_not_revoked(log, entry, revocations_of(roster), known=lambda _revocation: True)
            return PushResult(entry_id, "rejected", "member-disabled", "a case is not granted to a disabled account")
        verified = accept_entry_with_roster(log, entry, roster, now_ms=now * 1000)
    except CarnetCryptoError as exc:
        return PushResult(entry_id, "rejected", type(exc).__name__, str(exc))
    store_entry(conn, log, raw, entry, now, created=not exists)
    record_reseal(conn, log, verified)
    return PushResult(entry_id, "stored")


def grants_a_disabled_person(conn: Connection, log: CaseLog, entry: Entry) -> bool:
    """Whether a GENESIS or an ADD gives the case key to someone whose account is disabled here.

    The roster entry may still be active (disabling is the server's act, revoking the
    association's), so this is the server's own refusal, before the protocol's rule (9.1).
    """
    granted = [b64url_encode(roster.user_id) for roster in granted_entries(log, entry)]
    if not granted:
        return False
    marks = ",".join("?" * len(granted))
    return conn.execute(f"SELECT 1 FROM users WHERE status = 'disabled' AND id IN ({marks})", granted) \
        .fetchone() is not None


def store_entry(conn: Connection, log: CaseLog, raw: bytes, entry: Any, now: int, *, created: bool) -> None:
    header = entry.header
    case_id = b64url_encode(header.case_id)
    state = log.state
    if created:
        conn.execute("INSERT INTO cases (id, team_id, epoch, entry_count, created_at, updated_at)"
                     " VALUES (?, ?, ?, 0, ?, ?)", (case_id, b64url_encode(state.team_id), state.epoch, now, now))
    faults.point("before-entry-insert", conn)
    seq = conn.execute(
        "INSERT INTO entries (case_id, entry_id, entry_hash, kind, epoch, author, device_id, device_seq,"
        " envelope, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        (case_id, b64url_encode(header.entry_id), entry.hash, int(header.kind), header.epoch,
         b64url_encode(header.author), b64url_encode(header.device_id), header.device_seq, raw, now),
    ).fetchone()[0]
    conn.execute("UPDATE cases SET epoch = ?, entry_count = entry_count + 1, updated_at = ? WHERE id = ?",
                 (state.epoch, now, case_id))
    audit.record(conn, audit.ENTRY_ACTIONS[header.kind], now, actor=header.author, subject=header.case_id,
                 digest=entry.hash)
    if header.kind in (Kind.GENESIS, Kind.ADD, Kind.REMOVE, Kind.ROTATE):
        update_members(conn, case_id, {b64url_encode(user) for user in state.members}, seq)


def update_members(conn: Connection, case_id: str, members: set[str], seq: int) -> None:
    """Keep the members of the case's current state, so a removed member is refused at once.

    A removed member's row stays, marked with the seq of the entry that removed them: they may
    still pull the case up to there. Adding them again makes the row current once more.
    """
    rows = conn.execute("SELECT user_id, left_seq FROM case_members WHERE case_id = ?", (case_id,)).fetchall()
    current = {row["user_id"] for row in rows if row["left_seq"] is None}
    former = {row["user_id"] for row in rows if row["left_seq"] is not None}
    for gone in current - members:
        conn.execute("UPDATE case_members SET left_seq = ? WHERE case_id = ? AND user_id = ?", (seq, case_id, gone))
    for new in members - current:
        if new in former:
            conn.execute("UPDATE case_members SET joined_seq = ?, left_seq = NULL WHERE case_id = ? AND user_id = ?",
                         (seq, case_id, new))
        else:
            conn.execute("INSERT INTO case_members (case_id, user_id, joined_seq) VALUES (?, ?, ?)",
                         (case_id, new, seq))


def is_member(conn: Connection, case_id: str, user_id: str) -> bool:
    return conn.execute("SELECT 1 FROM case_members WHERE case_id = ? AND user_id = ? AND left_seq IS NULL",
                        (case_id, user_id)).fetchone() is not None


def readable_until(conn: Connection, case_id: str, user_id: str) -> int | None:
    """How far a person may read a case: every entry of a member, up to their removal for a
    former member (0 when they were never one)."""
    row = conn.execute("SELECT left_seq FROM case_members WHERE case_id = ? AND user_id = ?",
                       (case_id, user_id)).fetchone()
    if row is None:
        return 0
    return row["left_seq"]


def pull_entries(conn: Connection, caller: dict[str, Any], cursor: int, limit: int,
                 byte_budget: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Entries after the cursor in the caller's cases (every case for an auditor).

    A member added to a case meets its ADD entry here and fetches the earlier history of that
    case with ``case_entries``: the global cursor has already passed it. A former member gets
    the entries up to the one that removed them, so their device learns of the removal.
    """
    if caller["role"] == "auditor":
        rows = conn.execute("SELECT seq, case_id, envelope FROM entries WHERE seq > ? ORDER BY seq LIMIT ?",
                            (cursor, limit + 1))
    else:
        rows = conn.execute(
            "SELECT e.seq, e.case_id, e.envelope FROM entries e JOIN case_members m"
            " ON m.case_id = e.case_id AND m.user_id = ? WHERE e.seq > ?"
            " AND (m.left_seq IS NULL OR e.seq <= m.left_seq) ORDER BY e.seq LIMIT ?",
            (caller["id"], cursor, limit + 1))
    return page(rows, cursor, limit, byte_budget)


def list_cases(conn: Connection, caller: dict[str, Any]) -> list[dict[str, Any]]:
    """The cases the caller is a member of (every case for an auditor), newest activity first."""
    columns = "c.id, c.team_id, c.epoch, c.entry_count, c.created_at, c.updated_at"
    if caller["role"] == "auditor":
        rows = conn.execute(f"SELECT {columns} FROM cases c ORDER BY c.updated_at DESC, c.id")
    else:
        rows = conn.execute(f"SELECT {columns} FROM cases c JOIN case_members m ON m.case_id = c.id AND m.user_id = ?"
                            " AND m.left_seq IS NULL ORDER BY c.updated_at DESC, c.id", (caller["id"],))
    return [dict(row) for row in rows]


def case_entries(conn: Connection, caller: dict[str, Any], case_id: str, after: int, limit: int,
                 byte_budget: int) -> tuple[list[dict[str, Any]], int, bool]:
    """One case's entries after a position, for its members (and auditors) only; a former member
    gets them up to their removal."""
    until = None if caller["role"] == "auditor" else readable_until(conn, case_id, caller["id"])
    if until == 0:
        # The same answer as for a case that does not exist: ids cannot be probed.
        raise ApiError("not-found")
    rows = conn.execute("SELECT seq, case_id, envelope FROM entries WHERE case_id = ? AND seq > ? AND seq <= ?"
                        " ORDER BY seq LIMIT ?", (case_id, after, until or MAX_SEQ, limit + 1))
    return page(rows, after, limit, byte_budget)


def page(rows: Any, cursor: int, limit: int, byte_budget: int) -> tuple[list[dict[str, Any]], int, bool]:
    entries, size, more = [], 0, False
    for row in rows:
        envelope = bytes(row["envelope"])
        if len(entries) == limit or (entries and size + len(envelope) > byte_budget):
            more = True
            break
        entries.append({"seq": row["seq"], "case_id": row["case_id"], "envelope": b64url_encode(envelope)})
        size += len(envelope)
    return entries, (entries[-1]["seq"] if entries else cursor), more
