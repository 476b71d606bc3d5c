"""One person's device syncing a case log with the server, as docs/PROTOCOL.md 8.12 says.

The model is the reference for the algorithm (the app's is static/js/sync/engine.js): a case
record holds a **confirmed** part (the server's log, in its order, as far as pulled) and a
**pending** part (this device's own entries not yet pulled back). Every write goes through
``crypto.writer`` on the view confirmed + pending, so the device never sends what its own
verifier refuses. A pull extends the confirmed part and **rebases** the pending part on it:
entries that still append are kept, the others are replaced by their intent applied again
(or become refused entries, kept with their body so nothing typed is lost).

``Server`` calls the server's own functions (``sync.cases``) on a real SQLCipher database, on a
connection opened as the app opens one: the same code the HTTP API runs, without the cost of
HTTP and of a new connection per call.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto import writer
from crypto.caselog import CaseLog
from crypto.casekeys import case_key_commitment
from crypto.control import AddMember, RemoveMember, RotateKey, RotationMode, parse_control_payload
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import Kind, open_entry_body, parse_entry
from crypto.errors import CarnetCryptoError
from crypto.keys import AccountKeys, new_id
from crypto.roster import Role, RosterEntry
from sync import cases as server_cases
from sync.cases import PushResult
from sync.db import connect
from sync.problems import ApiError

DAY_MS = 86_400_000
# A refusal the device cannot fix by writing again: the person was removed, or the entry's time
# lies outside the server's window. Its body is kept as a refused entry for the person to decide.
REFUSED_FOR_GOOD = frozenset({"not-a-member", "NotAMember", "ClockOutOfRange"})
EPOCH_KINDS = (Kind.GENESIS, Kind.ROTATE, Kind.REMOVE)


def body_of(text: str) -> bytes:
    return json.dumps({"text": text}, separators=(",", ":")).encode()


def text_of(body_json: bytes) -> str:
    return json.loads(body_json)["text"]


def entry_hash(raw: bytes) -> bytes:
    return parse_entry(raw).hash


# The server.


class Server:
    """The server's push, pull and fetch functions on its real database, one call per request."""

    def __init__(self, database: Path, key: bytes, clock: Callable[[], float]) -> None:
        self.clock = clock
        # One connection, opened as the app opens each request's (sync.db.connect): a new one per
        # call would cost more than the calls themselves.
        self.conn = connect(database, key)
        # A fault to inject: the next pull of these users gets one envelope with a flipped byte,
        # as a faulty proxy or storage would serve it (set-aside and repair, 8.12 item 7).
        self.tamper_next_pull: set[str] = set()

    @contextmanager
    def connection(self) -> Iterator[sqlcipher3.Connection]:
        yield self.conn

    def close(self) -> None:
        self.conn.close()

    def now(self) -> int:
        return int(self.clock())

    def push(self, caller: dict[str, Any], envelopes: list[bytes]) -> list[PushResult]:
        with self.connection() as conn:
            return server_cases.push_entries(conn, caller, envelopes, self.now())

    def pull(self, caller: dict[str, Any], cursor: int) -> tuple[list[tuple[int, bytes, bytes]], int, bool]:
        """One page after the cursor: (seq, case id, envelope) in the server's order."""
        with self.connection() as conn:
            rows, cursor, more = server_cases.pull_entries(conn, caller, cursor, 50, 4_000_000)
        entries = [(row["seq"], b64url_decode(row["case_id"]), b64url_decode(row["envelope"])) for row in rows]
        if entries and caller["id"] in self.tamper_next_pull:
            self.tamper_next_pull.discard(caller["id"])
            seq, case_id, raw = entries[0]
            entries[0] = (seq, case_id, raw[:-1] + bytes([raw[-1] ^ 1]))
        return entries, cursor, more

    def case_entries(self, caller: dict[str, Any], case_id: bytes, after: int = 0) -> list[tuple[int, bytes]]:
        """Every entry of one case after a position that the caller may read; LookupError if none."""
        found: list[tuple[int, bytes]] = []
        while True:
            with self.connection() as conn:
                try:
                    rows, after, more = server_cases.case_entries(conn, caller, b64url_encode(case_id), after,
                                                                  50, 4_000_000)
                except ApiError as exc:
                    raise LookupError(exc.code) from exc
            found += [(row["seq"], b64url_decode(row["envelope"])) for row in rows]
            if not more:
                return found

    def listed_cases(self, caller: dict[str, Any]) -> list[bytes]:
        with self.connection() as conn:
            return [b64url_decode(row["id"]) for row in server_cases.list_cases(conn, caller)]

    def stored(self, case_id: bytes) -> list[tuple[bytes, int]]:
        """What the server holds of a case, in order: (envelope, received_at in seconds)."""
        with self.connection() as conn:
            rows = conn.execute("SELECT envelope, received_at FROM entries WHERE case_id = ? ORDER BY seq",
                                (b64url_encode(case_id),)).fetchall()
        return [(bytes(row["envelope"]), row["received_at"]) for row in rows]

    def case_ids(self) -> list[bytes]:
        with self.connection() as conn:
            return [b64url_decode(row["id"]) for row in conn.execute("SELECT id FROM cases ORDER BY id")]


# The device.


@dataclass
class RefusedEntry:
    """What the person typed, that the server will not take as it was: kept until they decide."""

    body: bytes
    code: str
    at: int


@dataclass
class CaseRecord:
    case_id: bytes
    confirmed: list[bytes] = field(default_factory=list)
    last_seq: int = 0
    pending: list[bytes] = field(default_factory=list)
    outbox: list[bytes] = field(default_factory=list)
    # Refusal codes of pending entries, by entry hash, read by the next rebase (8.12 item 2).
    refusals: dict[bytes, str] = field(default_factory=dict)
    refused: list[RefusedEntry] = field(default_factory=list)
    # Keys valid for the current view: recovered from it, or made here by a rotation.
    keys: dict[int, bytes] = field(default_factory=dict)
    removed_at: int | None = None
    set_aside: tuple[str, int] | None = None
    view: CaseLog | None = None


class Device:
    """One person's device: account keys, a device id, its case records and its pull cursor."""

    def __init__(self, name: str, keys: AccountKeys, roster: RosterEntry, caller: dict[str, Any], server: Server,
                 association: Ed25519PublicKey, *, retention: bool = False, rotation_days: int | None = None) -> None:
        self.name = name
        self.keys = keys
        self.roster = roster
        self.caller = caller
        self.server = server
        self.association = association
        self.device_id = new_id()
        self.retention = retention
        self.rotation_days = rotation_days
        self.cases: dict[bytes, CaseRecord] = {}
        self.cursor = 0
        self.discarded: list[bytes] = []
        self.pushed: list[list[bytes]] = []

    @property
    def user_id(self) -> bytes:
        return self.keys.user_id

    @property
    def coordinator(self) -> bool:
        return self.roster.role == Role.COORDINATOR

    def now(self) -> int:
        return int(self.server.clock() * 1000)

    # Views and keys.

    def _log(self, case_id: bytes, entries: Iterable[bytes]) -> CaseLog:
        """A verified log of these entries, built afresh (a CaseLog only grows)."""
        log = CaseLog(case_id, self.association)
        for raw in entries:
            log.append(raw)
        return log

    def view(self, record: CaseRecord) -> CaseLog:
        if record.view is None:
            record.view = self._log(record.case_id, record.confirmed + record.pending)
        return record.view

    def _valid_keys(self, view: CaseLog, candidates: dict[int, bytes]) -> dict[int, bytes]:
        """Keys recovered from the view, and the candidates that still match its commitments
        (a key made for a rotation that was dropped at a rebase matches nothing any more)."""
        commitments = {state.epoch: state.commitment for state in view.states}
        keys = {epoch: key for epoch, key in candidates.items()
                if epoch in commitments
                and case_key_commitment(key, case_id=view.case_id, epoch=epoch) == commitments[epoch]}
        keys.update(view.recover_case_keys_as_member(self.keys))
        return keys

    def is_member(self, record: CaseRecord) -> bool:
        view = self.view(record)
        return bool(view.states) and self.user_id in view.state.members

    def can_write(self, case_id: bytes) -> bool:
        record = self.cases.get(case_id)
        return (record is not None and record.set_aside is None and record.removed_at is None
                and self.is_member(record))

    # Writing (offline): each write appends to the view and queues the entry.

    def _queue(self, record: CaseRecord, raw: bytes) -> bytes:
        record.pending.append(raw)
        record.outbox.append(raw)
        return raw

    def _writable(self, case_id: bytes) -> tuple[CaseRecord, CaseLog]:
        if not self.can_write(case_id):
            raise PermissionError(f"{self.name} cannot write to this case")
        record = self.cases[case_id]
        return record, self.view(record)

    def open_case(self, members: Iterable[RosterEntry]) -> bytes:
        new = writer.create_case_as_member(self.keys, association_key=self.association, team_id=self.roster.team_id,
                                           device_id=self.device_id, members=list(members), now=self.now())
        record = CaseRecord(new.case_id, keys={1: new.case_key}, view=new.log)
        self.cases[new.case_id] = record
        self._queue(record, new.envelope)
        return new.case_id

    def write(self, case_id: bytes, text: str) -> bytes:
        record, view = self._writable(case_id)
        return self._queue(record, self._seal(record, view, body_of(text)))

    def _seal(self, record: CaseRecord, view: CaseLog, body_json: bytes) -> bytes:
        return writer.seal_entry_as_author(view, self.keys, device_id=self.device_id,
                                           case_key=record.keys[view.state.epoch], body_json=body_json,
                                           now=self.now())

    def add(self, case_id: bytes, member: RosterEntry) -> bytes:
        record, view = self._writable(case_id)
        return self._queue(record, writer.add_member_as_coordinator(
            view, self.keys, device_id=self.device_id, new_member=member, case_key=record.keys[view.state.epoch],
            now=self.now()))

    def remove(self, case_id: bytes, user_id: bytes, *, full: bool = False) -> bytes:
        record, view = self._writable(case_id)
        raw, key = writer.remove_member_as_coordinator(view, self.keys, device_id=self.device_id, user_id=user_id,
                                                       case_key=record.keys[view.state.epoch], full=full,
                                                       now=self.now())
        record.keys[view.state.epoch] = key
        return self._queue(record, raw)

    def rotate(self, case_id: bytes, *, full: bool = False) -> bytes:
        record, view = self._writable(case_id)
        raw, key = writer.rotate_case_key_as_coordinator(view, self.keys, device_id=self.device_id,
                                                         case_key=record.keys[view.state.epoch], full=full,
                                                         now=self.now())
        record.keys[view.state.epoch] = key
        return self._queue(record, raw)

    def to_reseal(self, case_id: bytes) -> list[tuple[bytes, bytes]]:
        """The log is the progress of a full re-encryption (8.9 item 4): CONTENT entries of an
        epoch older than the current full epoch with no RESEAL made since it, with their bodies
        (those this device can open)."""
        record = self.cases[case_id]
        view = self.view(record)
        full_epoch = view.state.full_epoch
        done = {v.ref for v in view.entries if v.ref is not None and view.states[v.base].full_epoch == full_epoch}
        bodies = view.open_with(record.keys)
        return [(v.hash, bodies[v.hash]) for v in view.entries
                if v.entry.header.kind == Kind.CONTENT and v.entry.header.epoch < full_epoch
                and v.hash not in done and v.hash in bodies]

    def reseal(self, case_id: bytes, count: int) -> int:
        """Resume a full re-encryption with at most ``count`` reseals; returns how many were made."""
        record, view = self._writable(case_id)
        todo = self.to_reseal(case_id)[:count]
        for content_hash, body_json in todo:
            self._queue(record, writer.reseal_entry_as_coordinator(
                view, self.keys, device_id=self.device_id, case_key=record.keys[view.state.epoch],
                content_hash=content_hash, body_json=body_json, now=self.now()))
        return len(todo)

    def resend_refused(self, case_id: bytes, index: int = 0) -> bytes:
        """The person sends a refused entry again: a new CONTENT under the current epoch."""
        record, view = self._writable(case_id)
        refused = record.refused.pop(index)
        return self._queue(record, self._seal(record, view, refused.body))

    def discard_refused(self, case_id: bytes, index: int = 0) -> None:
        self.discarded.append(self.cases[case_id].refused.pop(index).body)

    def scheduled_rotations(self) -> None:
        """A coordinator's device rotates, before it pushes, every case whose key is due (8.10.1)."""
        if not self.coordinator or self.rotation_days is None:
            return
        for case_id in list(self.cases):
            if not self.can_write(case_id):
                continue
            view = self.view(self.cases[case_id])
            started = next(v.entry.header.time for v in reversed(view.entries) if v.entry.header.kind in EPOCH_KINDS)
            if self.now() - started >= self.rotation_days * DAY_MS:
                self.rotate(case_id)

    # Syncing.

    def sync(self) -> None:
        self.push()
        self.pull()
        self.push()

    def push(self) -> list[PushResult]:
        self.scheduled_rotations()
        batch = [raw for record in self.cases.values() if record.set_aside is None for raw in record.outbox]
        if not batch:
            return []
        results = self.server.push(self.caller, batch)
        self.pushed.append(batch)
        for raw, result in zip(batch, results, strict=True):
            record = self.cases[parse_entry(raw).header.case_id]
            record.outbox.remove(raw)
            if result.status not in ("stored", "duplicate"):
                record.refusals[entry_hash(raw)] = result.code or result.status
        return results

    def pull(self) -> None:
        pulled: dict[bytes, list[tuple[int, bytes]]] = {}
        while True:
            entries, self.cursor, more = self.server.pull(self.caller, self.cursor)
            for seq, case_id, raw in entries:
                pulled.setdefault(case_id, []).append((seq, raw))
            if not more:
                break
        for case_id, entries in pulled.items():
            self._merge(case_id, entries)
        # A refusal is acted on at this sync even when no entry of its case came back.
        for record in self.cases.values():
            if record.refusals and record.set_aside is None and record.case_id not in pulled:
                self._rebase(record, self._log(record.case_id, record.confirmed))

    def _grants_me(self, raw: bytes) -> bool:
        entry = parse_entry(raw)
        if entry.header.kind != Kind.ADD or entry.body is None:
            return False
        payload = parse_control_payload(Kind.ADD, entry.body, self.association)
        return isinstance(payload, AddMember) and payload.grant.roster.user_id == self.user_id

    def _merge(self, case_id: bytes, entries: list[tuple[int, bytes]]) -> None:
        record = self.cases.get(case_id)
        try:
            grants_me = any(self._grants_me(raw) for _, raw in entries)
            opens = parse_entry(entries[0][1]).header.kind == Kind.GENESIS
        except CarnetCryptoError as exc:
            grants_me = opens = False
            if record is not None:
                record.set_aside = (type(exc).__name__, self.now())
                return
        if record is None:
            # A case this device does not hold is taken when it starts here or grants this
            # person; otherwise it was let go under the retention policy and is opened on demand.
            if not (grants_me or opens):
                return
            record = self.cases[case_id] = CaseRecord(case_id)
        if record.set_aside is not None:
            return
        if grants_me:
            # The global cursor passed what was written while this person was not a member.
            try:
                entries = self.server.case_entries(self.caller, case_id, record.last_seq)
            except LookupError:
                return
        new = [(seq, raw) for seq, raw in entries if seq > record.last_seq]
        if not new:
            return
        try:
            log = self._log(case_id, record.confirmed + [raw for _, raw in new])
            log.check_complete()
        except CarnetCryptoError as exc:
            record.set_aside = (type(exc).__name__, self.now())
            return
        record.confirmed += [raw for _, raw in new]
        record.last_seq = new[-1][0]
        self._rebase(record, log)

    def _rebase(self, record: CaseRecord, log: CaseLog, extra: list[bytes] | None = None) -> None:
        """Put the pending entries (and ``extra``, own entries the server lacks) on the confirmed log."""
        old_keys = dict(record.keys)
        self._note_removal(record, log)
        confirmed = {v.hash for v in log.entries}
        queue = [raw for raw in (extra or []) + record.pending if entry_hash(raw) not in confirmed]
        outbox = {entry_hash(raw) for raw in record.outbox + (extra or [])}
        if log.entries:
            record.keys = {**old_keys, **log.recover_case_keys_as_member(self.keys)}
        pending: list[bytes] = []
        sending: list[bytes] = []
        rewriting = False
        # Why the first entry failed stays the reason of those after it: they were written on
        # the same view, so a refusal that needs the person holds for all of them.
        cause: str | None = None
        for raw in queue:
            digest = entry_hash(raw)
            code = record.refusals.get(digest)
            if not rewriting and code is None:
                try:
                    log.append(raw)
                except CarnetCryptoError as exc:
                    rewriting, cause = True, type(exc).__name__
                else:
                    pending.append(raw)
                    if digest in outbox:
                        sending.append(raw)
                    continue
            if not rewriting:
                rewriting, cause = True, code
            again = self._intent(record, log, raw, cause, old_keys)
            if again is not None:
                pending.append(again)
                sending.append(again)
        record.pending, record.outbox, record.refusals, record.view = pending, sending, {}, log
        if log.entries:
            record.keys = self._valid_keys(log, record.keys)

    def _intent(self, record: CaseRecord, log: CaseLog, raw: bytes, code: str | None,
                old_keys: dict[int, bytes]) -> bytes | None:
        """Apply a pending entry's intent again on the current view, or keep or drop it (8.12 item 4)."""
        entry = parse_entry(raw)
        header = entry.header
        assert entry.body is not None  # A device's own entries are whole.
        if header.kind == Kind.GENESIS or not log.entries:
            # The case is not on the server: what was typed in it is kept, refused.
            if header.kind == Kind.CONTENT:
                record.refused.append(RefusedEntry(open_entry_body(header, entry.body, old_keys[header.epoch]),
                                                   code or "unknown-case", self.now()))
            return None
        member = self.user_id in log.state.members and record.removed_at is None
        if header.kind == Kind.CONTENT:
            body_json = open_entry_body(header, entry.body, old_keys[header.epoch])
            if code in REFUSED_FOR_GOOD or not member:
                record.refused.append(RefusedEntry(body_json, code or "NotAMember", self.now()))
                return None
            return self._seal(record, log, body_json)
        if header.kind == Kind.RESEAL or not member or not self.coordinator:
            return None  # A full re-encryption resumes from the log (8.9 item 4).
        payload = parse_control_payload(header.kind, entry.body, self.association)
        key = record.keys[log.state.epoch]
        if isinstance(payload, AddMember):
            if payload.grant.roster.user_id in log.state.members:
                return None  # Done by someone else.
            return writer.add_member_as_coordinator(log, self.keys, device_id=self.device_id,
                                                    new_member=payload.grant.roster, case_key=key, now=self.now())
        if isinstance(payload, RemoveMember):
            if payload.user_id not in log.state.members:
                return None
            raw, new_key = writer.remove_member_as_coordinator(
                log, self.keys, device_id=self.device_id, user_id=payload.user_id, case_key=key,
                full=payload.rotation.mode == RotationMode.FULL, now=self.now())
        else:
            assert isinstance(payload, RotateKey)
            raw, new_key = writer.rotate_case_key_as_coordinator(
                log, self.keys, device_id=self.device_id, case_key=key,
                full=payload.rotation.mode == RotationMode.FULL, now=self.now())
        record.keys[log.state.epoch] = new_key
        return raw

    def _note_removal(self, record: CaseRecord, log: CaseLog) -> None:
        """The case becomes read-only when its confirmed state no longer has this person (8.12 item 5)."""
        if not log.entries:
            return
        if self.user_id in log.state.members:
            record.removed_at = None
        elif record.removed_at is None:
            record.removed_at = next((v.entry.header.time for v in reversed(log.entries)
                                      if isinstance(v.payload, RemoveMember) and v.payload.user_id == self.user_id),
                                     self.now())

    # Set-aside, repair, retention.

    def fetch_whole(self, case_id: bytes) -> bool:
        """Repair a set-aside case, or open one this device does not hold: fetch it whole, verify
        it from its first entry, make it the confirmed part and rebase the pending entries with
        the device's own confirmed entries the fetched log lacks (8.12 item 7)."""
        record = self.cases.get(case_id) or CaseRecord(case_id)
        try:
            entries = self.server.case_entries(self.caller, case_id)
            log = self._log(case_id, (raw for _, raw in entries))
            log.check_complete()
        except LookupError:
            return False
        except CarnetCryptoError as exc:
            record.set_aside = (type(exc).__name__, self.now())
            self.cases[case_id] = record
            return False
        fetched = {v.hash for v in log.entries}
        missing = [raw for raw in record.confirmed if entry_hash(raw) not in fetched
                   and parse_entry(raw).header.device_id == self.device_id]
        record.confirmed = [raw for _, raw in entries]
        record.last_seq = entries[-1][0] if entries else 0
        record.set_aside = None
        self.cases[case_id] = record
        self._rebase(record, log, missing)
        return True

    def apply_retention(self) -> list[bytes]:
        """Delete every case whose entries are all confirmed and nothing refused waits (8.11 item 7)."""
        if not self.retention:
            return []
        gone = [case_id for case_id, r in self.cases.items()
                if not r.pending and not r.outbox and not r.refused and r.set_aside is None]
        for case_id in gone:
            del self.cases[case_id]
        return gone

    # What the person sees.

    def confirmed_texts(self, case_id: bytes) -> set[str]:
        record = self.cases[case_id]
        log = self._log(case_id, record.confirmed)
        return {text_of(b) for b in log.open_with(self._valid_keys(log, record.keys)).values()}

    def waiting_texts(self) -> set[str]:
        """Texts typed here and not yet confirmed: pending CONTENT bodies and refused entries."""
        texts = {text_of(r.body) for record in self.cases.values() for r in record.refused}
        for record in self.cases.values():
            for raw in record.pending:
                entry = parse_entry(raw)
                if entry.header.kind == Kind.CONTENT and entry.body is not None:
                    texts.add(text_of(open_entry_body(entry.header, entry.body, record.keys[entry.header.epoch])))
        return texts | {text_of(b) for b in self.discarded}
