"""Verifying a case log: every rule a client checks, in one pass, from the bytes the server sends.

A case is an append-only log. Each device of each member keeps its own hash chain (sequence
numbers 1, 2, 3... each entry naming its predecessor's hash), so a server cannot drop, reorder
or replay a writer's entries. Control entries (genesis, add, remove, rotate) form one more
chain, the control chain; every entry names the control entry it builds on, which fixes its
epoch and the membership it claims. A client remembers a checkpoint (the head of every chain
it has verified) and refuses a later log that does not extend it, which turns a rollback into
an error; two members comparing checkpoints detect a server that showed them different logs.

Without any key the verifier checks structure, signatures, membership, authorization and the
consistency of every control payload; this is what a server-side verifier runs. With case
keys it also opens every sealed entry and checks key commitments and history boxes.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto import labels
from crypto.casekeys import (
    WrappedCaseKey,
    check_case_key_commitment,
    open_previous_case_key,
    unwrap_case_key_as_member,
)
from crypto.control import (
    AddMember,
    ControlPayload,
    DeviceHead,
    Genesis,
    RemoveMember,
    RotateKey,
    Rotation,
    RotationMode,
    entry_payload,
)
from crypto.encoding import Reader, Writer
from crypto.entry import CONTROL_KINDS, HASH_BYTES, ZERO_HASH, Entry, Kind, open_entry_body, parse_entry
from crypto.errors import (
    BrokenChain,
    CounterOutOfRange,
    EpochMismatch,
    ForkDetected,
    IncompleteLog,
    InvalidControlEntry,
    InvalidEncoding,
    InvalidLog,
    NotAMember,
    ReplayedEntry,
    ResealMismatch,
    RollbackDetected,
    StaleEpoch,
    Unauthorized,
    WrongCase,
)
from crypto.keys import ID_BYTES, AccountKeys, check_id, spoken_fingerprint
from crypto.roster import ROSTER_ENTRY_BYTES, TEAM_ROLES, Role, RosterEntry, restore_roster_entry

CHECKPOINT_TAG = b"CNC"
FRONTIER_TAG = b"CNF"
MAX_CHECKPOINT_DEVICES = 1 << 16
# An honest writer's Lamport clock is one more than the largest in its view, and its view is
# part of the log it appends to, so it steps by 1 over the log. The bound leaves room for views
# the server no longer has (a restored backup) while keeping the clock ~2**33 entries from the
# largest integer every implementation holds exactly (docs/PROTOCOL.md 9, step 8).
MAX_LAMPORT_STEP = 1 << 20


@dataclass(frozen=True)
class CaseState:
    """The case as a control entry leaves it: epoch, members (with pinned roster entries), keys."""

    index: int
    entry_hash: bytes
    lamport: int
    team_id: bytes
    epoch: int
    members: Mapping[bytes, RosterEntry]
    commitment: bytes
    full_epoch: int


@dataclass(frozen=True)
class VerifiedEntry:
    """An entry that passed every rule, with the control state it builds on (or creates)."""

    entry: Entry
    position: int
    base: int
    payload: ControlPayload | None = None
    ref: bytes | None = None

    @property
    def hash(self) -> bytes:
        return self.entry.hash


@dataclass(frozen=True)
class Checkpoint:
    """What a client remembers of a verified log: the head of every chain, as a high-water mark."""

    case_id: bytes
    control_count: int
    control_tip: bytes
    devices: tuple[DeviceHead, ...]

    def to_bytes(self) -> bytes:
        writer = Writer().prefix(CHECKPOINT_TAG).fixed(self.case_id, ID_BYTES).u32(self.control_count) \
            .fixed(self.control_tip, HASH_BYTES).u32(len(self.devices))
        for head in self.devices:
            head.write(writer)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Checkpoint":
        reader = Reader(raw, "checkpoint")
        reader.prefix(CHECKPOINT_TAG)
        case_id = reader.take(ID_BYTES)
        control_count = reader.u32(minimum=1)
        control_tip = reader.take(HASH_BYTES)
        count = reader.u32(minimum=1, maximum=MAX_CHECKPOINT_DEVICES)
        devices = tuple(DeviceHead.read(reader) for _ in range(count))
        reader.finish()
        if any(a.device_id >= b.device_id for a, b in zip(devices, devices[1:])):
            raise InvalidEncoding("checkpoint devices must be sorted by id, without duplicates")
        return cls(case_id, control_count, control_tip, devices)

    def head(self) -> bytes:
        """One digest of the whole view; equal heads mean the same log, to compare aloud or by app."""
        return hashlib.sha256(labels.HASH_CASE_HEAD + self.to_bytes()).digest()

    def spoken_head(self) -> str:
        return spoken_fingerprint(self.head())


class PastEntries(Protocol):
    """What a log resumed from a frontier asks about the entries before it, which it does not hold."""

    def holds(self, entry_hash: bytes, entry_id: bytes) -> bool:
        """Whether an earlier entry has this hash, or this entry id."""

    def kind_and_epoch(self, entry_hash: bytes) -> tuple[int, int] | None:
        """The kind and epoch of the earlier entry with this hash; None if there is none."""

    def resealed(self, ref: bytes, full_epoch: int) -> bool:
        """Whether an earlier whole reseal names ``ref`` under a state of this full epoch."""


class _NoPast:
    """A log verified from its genesis holds every earlier entry itself."""

    def holds(self, entry_hash: bytes, entry_id: bytes) -> bool:
        return False

    def kind_and_epoch(self, entry_hash: bytes) -> tuple[int, int] | None:
        return None

    def resealed(self, ref: bytes, full_epoch: int) -> bool:
        return False


@dataclass(frozen=True)
class DeviceFrontier:
    """What the next entry of one device is checked against (docs/PROTOCOL.md 9.3)."""

    device_id: bytes
    author: bytes
    count: int
    last: bytes
    lamport: int
    base: int


@dataclass(frozen=True)
class Frontier:
    """All ``append`` checks a next entry against, without the entries (docs/PROTOCOL.md 9.3).

    An implementation that stores a log (a server) may keep this instead of replaying the whole
    log before each append; the old entries it is asked about go through ``PastEntries``. It is
    the implementation's own record: it is never sent, and a verifier never needs it.
    """

    case_id: bytes
    count: int
    max_lamport: int
    states: tuple[CaseState, ...]
    devices: tuple[DeviceFrontier, ...]

    def to_bytes(self) -> bytes:
        roster: dict[bytes, int] = {}
        for state in self.states:
            for user_id in sorted(state.members):
                roster.setdefault(state.members[user_id].raw, len(roster))
        writer = Writer().prefix(FRONTIER_TAG).fixed(self.case_id, ID_BYTES).u64(self.count) \
            .u64(self.max_lamport).u32(len(roster))
        for raw in roster:
            writer.fixed(raw, ROSTER_ENTRY_BYTES)
        writer.u32(len(self.states))
        for state in self.states:
            writer.fixed(state.entry_hash, HASH_BYTES).u64(state.lamport).fixed(state.team_id, ID_BYTES) \
                .u32(state.epoch).fixed(state.commitment, HASH_BYTES).u32(state.full_epoch) \
                .u32(len(state.members))
            for user_id in sorted(state.members):
                writer.u32(roster[state.members[user_id].raw])
        writer.u32(len(self.devices))
        for device in self.devices:
            writer.fixed(device.device_id, ID_BYTES).fixed(device.author, ID_BYTES).u64(device.count) \
                .fixed(device.last, HASH_BYTES).u64(device.lamport).u32(device.base)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Frontier":
        """Parse a frontier this implementation wrote; only the canonical encoding is taken."""
        reader = Reader(raw, "frontier")
        reader.prefix(FRONTIER_TAG)
        case_id, count, max_lamport = reader.take(ID_BYTES), reader.u64(), reader.u64()
        roster = [restore_roster_entry(reader.take(ROSTER_ENTRY_BYTES)) for _ in range(reader.u32())]
        states = tuple(_read_state(reader, index, roster) for index in range(reader.u32()))
        devices = tuple(DeviceFrontier(reader.take(ID_BYTES), reader.take(ID_BYTES), reader.u64(minimum=1),
                                       reader.take(HASH_BYTES), reader.u64(), reader.u32(maximum=len(states) - 1))
                        for _ in range(reader.u32()))
        reader.finish()
        frontier = cls(case_id, count, max_lamport, states, devices)
        # Members, devices and the roster table have one order each: anything else is refused.
        if frontier.to_bytes() != raw:
            raise InvalidEncoding("not the canonical encoding of a frontier")
        return frontier


def _read_state(reader: Reader, index: int, roster: list[RosterEntry]) -> CaseState:
    entry_hash, lamport, team_id = reader.take(HASH_BYTES), reader.u64(), reader.take(ID_BYTES)
    epoch, commitment, full_epoch = reader.u32(minimum=1), reader.take(HASH_BYTES), reader.u32()
    members = [roster[reader.u32(maximum=len(roster) - 1)] for _ in range(reader.u32(minimum=1))]
    return CaseState(index, entry_hash, lamport, team_id, epoch, {m.user_id: m for m in members}, commitment,
                     full_epoch)


class CaseLog:
    """One case's log as one client has verified it; ``append`` takes entries in log order.

    ``append`` checks everything before changing anything, so a refused entry leaves the log as
    it was. The order of a log is the server's order, which must put every entry after its
    device predecessor and after the control entry it builds on, as appending does naturally.
    """

    def __init__(self, case_id: bytes, association_key: Ed25519PublicKey) -> None:
        self.case_id = check_id(case_id)
        self.association_key = association_key
        self.entries: list[VerifiedEntry] = []
        self.states: list[CaseState] = []
        self._by_hash: dict[bytes, VerifiedEntry] = {}
        self._entry_ids: set[bytes] = set()
        self._controls: dict[bytes, int] = {}
        self._devices: dict[bytes, DeviceFrontier] = {}
        self._removals: dict[bytes, list[int]] = {}
        self._resealed: set[tuple[bytes, int]] = set()
        self._rotations: dict[int, Rotation] = {}
        self.max_lamport = 0
        # A resumed log holds only the entries appended since its frontier; the rest is asked of past.
        self._past: PastEntries = _NoPast()
        self._skipped = 0

    @classmethod
    def resume(cls, frontier: Frontier, association_key: Ed25519PublicKey, past: PastEntries) -> "CaseLog":
        """A log that appends exactly as the whole log the frontier was taken from would."""
        log = cls(frontier.case_id, association_key)
        log._past, log._skipped, log.max_lamport = past, frontier.count, frontier.max_lamport
        log.states = list(frontier.states)
        log._controls = {state.entry_hash: state.index for state in log.states}
        for before, after in zip(log.states, log.states[1:]):
            # Only a REMOVE drops a member, so the drops are the removals.
            for user_id in before.members.keys() - after.members.keys():
                log._removals.setdefault(user_id, []).append(after.index)
        log._devices = {device.device_id: device for device in frontier.devices}
        return log

    def frontier(self) -> Frontier:
        devices = tuple(device for _, device in sorted(self._devices.items()))
        return Frontier(self.case_id, self._skipped + len(self.entries), self.max_lamport, tuple(self.states),
                        devices)

    def _check_whole(self) -> None:
        if self._skipped:
            raise InvalidLog("a log resumed from a frontier does not hold its earlier entries")

    # Reading the state.

    @property
    def state(self) -> CaseState:
        if not self.states:
            raise InvalidLog("the case log is empty")
        return self.states[-1]

    def device_position(self, device_id: bytes) -> tuple[int, bytes]:
        """The last sequence number and hash of a device's chain; (0, zero hash) if none yet."""
        chain = self._devices.get(device_id)
        return (chain.count, chain.last) if chain else (0, ZERO_HASH)

    def device_heads_of(self, user_id: bytes) -> tuple[DeviceHead, ...]:
        return tuple(DeviceHead(device_id, chain.count, chain.last)
                     for device_id, chain in sorted(self._devices.items()) if chain.author == user_id)

    def checkpoint(self) -> Checkpoint:
        devices = tuple(DeviceHead(device_id, chain.count, chain.last)
                        for device_id, chain in sorted(self._devices.items()))
        return Checkpoint(self.case_id, len(self.states), self.state.entry_hash, devices)

    def entry(self, entry_hash: bytes) -> VerifiedEntry:
        found = self._by_hash.get(entry_hash)
        if found is None:
            raise BrokenChain("no entry with this hash in the log")
        return found

    def control_state(self, control_head: bytes) -> CaseState:
        """The state the named control entry leaves the case in; BrokenChain if the log lacks it."""
        return self.states[self._control_index(control_head)]

    # Appending.

    def append(self, raw: bytes | Entry) -> VerifiedEntry:
        """Verify and append one entry, given as its bytes or already parsed."""
        entry = raw if isinstance(raw, Entry) else parse_entry(raw)
        header = entry.header
        if header.case_id != self.case_id:
            raise WrongCase("this entry belongs to another case")
        if (entry.hash in self._by_hash or header.entry_id in self._entry_ids
                or self._past.holds(entry.hash, header.entry_id)):
            raise ReplayedEntry("this entry, or its entry id, is already in the log")

        payload: ControlPayload | None = None
        if header.kind == Kind.GENESIS:
            if self.states:
                raise InvalidLog("a case has exactly one genesis entry")
            payload = entry_payload(entry, self.association_key)
            base = self._genesis_state(entry, payload)
            base_index = 0
        else:
            if not self.states:
                raise InvalidLog("a case log starts with its genesis entry")
            base_index = self._control_index(header.control_head)
            base = self.states[base_index]

        author = base.members.get(header.author)
        if author is None:
            raise NotAMember("the author is not a member at the point this entry builds on")
        if any(removed > base_index for removed in self._removals.get(header.author, ())):
            raise NotAMember("the author was removed after the point this entry builds on")
        entry.verify_signature(author.signing_key)
        self._check_device_chain(entry, base_index)
        if header.kind != Kind.GENESIS and header.lamport <= base.lamport:
            raise InvalidLog("the Lamport clock must exceed the control entry's")
        if header.lamport > self.max_lamport + MAX_LAMPORT_STEP:
            raise CounterOutOfRange(f"the Lamport clock steps more than {MAX_LAMPORT_STEP} past the log's")

        new_state: CaseState | None = None
        ref: bytes | None = None
        if header.kind == Kind.GENESIS:
            new_state = base
        elif header.kind in CONTROL_KINDS:
            payload = entry_payload(entry, self.association_key)
            new_state = self._apply_control(entry, author, base_index, payload)
        else:
            if header.epoch != base.epoch:
                raise EpochMismatch(f"sealed under epoch {header.epoch}, the log is at epoch {base.epoch}")
            if header.kind == Kind.RESEAL:
                ref = self._check_reseal(entry, author, base)

        # Every check passed: commit.
        verified = VerifiedEntry(entry, self._skipped + len(self.entries),
                                 len(self.states) if new_state else base_index, payload, ref)
        self._commit(verified, new_state)
        return verified

    def _control_index(self, control_head: bytes) -> int:
        found = self._controls.get(control_head)
        if found is None:
            raise BrokenChain("the entry builds on a control entry that is not in the log before it")
        return found

    def _check_device_chain(self, entry: Entry, base_index: int) -> None:
        header = entry.header
        chain = self._devices.get(header.device_id)
        if chain is None:
            if header.device_seq != 1:
                raise BrokenChain("earlier entries of this device are missing")
            return
        if chain.author != header.author:
            raise InvalidLog("a device writes for one author only")
        if header.device_seq <= chain.count:
            raise ForkDetected("two entries claim the same place in this device's chain")
        if header.device_seq > chain.count + 1 or header.prev_hash != chain.last:
            raise BrokenChain("this device's chain has a gap or a wrong previous hash")
        if base_index < chain.base:
            raise StaleEpoch("the device builds on an older control entry than it already did")
        if header.lamport <= chain.lamport:
            raise InvalidLog("the Lamport clock must grow along a device's chain")

    def _check_member_grant(self, roster: RosterEntry, wrapped: WrappedCaseKey, team_id: bytes,
                            epoch: int) -> None:
        if not roster.active or roster.role not in TEAM_ROLES or roster.team_id != team_id:
            raise InvalidControlEntry("members are active volunteers or coordinators of the case's team")
        self._check_wrap(wrapped, epoch, roster.user_id)

    def _check_wrap(self, wrapped: WrappedCaseKey, epoch: int, recipient: bytes) -> None:
        if wrapped.case_id != self.case_id or wrapped.epoch != epoch or wrapped.recipient != recipient:
            raise InvalidControlEntry("a wrapped key names another case, epoch or member")

    def _genesis_state(self, entry: Entry, payload: ControlPayload) -> CaseState:
        assert isinstance(payload, Genesis)
        for grant in payload.grants:
            self._check_member_grant(grant.roster, grant.wrapped, payload.team_id, 1)
        members = {grant.roster.user_id: grant.roster for grant in payload.grants}
        return CaseState(0, entry.hash, entry.header.lamport, payload.team_id, 1, members,
                         payload.commitment, 0)

    def _apply_control(self, entry: Entry, author: RosterEntry, base_index: int,
                       payload: ControlPayload) -> CaseState:
        header = entry.header
        base = self.states[base_index]
        if author.role != Role.COORDINATOR and not _grants_a_coordinator(payload):
            raise Unauthorized("only a coordinator changes membership or keys; a volunteer adds only a coordinator")
        if base_index != len(self.states) - 1:
            raise ForkDetected("this control entry does not extend the latest control entry")
        members = dict(base.members)
        if isinstance(payload, AddMember):
            if header.epoch != base.epoch:
                raise EpochMismatch("adding a member keeps the epoch")
            grant = payload.grant
            if grant.roster.user_id in members:
                raise InvalidControlEntry("this user is already a member")
            self._check_member_grant(grant.roster, grant.wrapped, base.team_id, base.epoch)
            members[grant.roster.user_id] = grant.roster
            return CaseState(len(self.states), entry.hash, header.lamport, base.team_id, base.epoch, members,
                             base.commitment, base.full_epoch)
        if isinstance(payload, RemoveMember):
            if members.pop(payload.user_id, None) is None:
                raise InvalidControlEntry("this user is not a member")
            if payload.heads != self.device_heads_of(payload.user_id):
                raise InvalidControlEntry("the frozen heads differ from the removed member's chains")
            rotation = payload.rotation
        else:
            assert isinstance(payload, RotateKey)
            rotation = payload.rotation
        if header.epoch != base.epoch + 1:
            raise EpochMismatch("a rotation moves to the next epoch")
        if not members:
            raise InvalidControlEntry("a case keeps at least one member")
        if [w.recipient for w in rotation.wraps] != sorted(members):
            raise InvalidControlEntry("the new key is wrapped to exactly the remaining members")
        for wrapped in rotation.wraps:
            self._check_wrap(wrapped, header.epoch, wrapped.recipient)
        full_epoch = header.epoch if rotation.mode == RotationMode.FULL else base.full_epoch
        return CaseState(len(self.states), entry.hash, header.lamport, base.team_id, header.epoch, members,
                         rotation.commitment, full_epoch)

    def _check_reseal(self, entry: Entry, author: RosterEntry, base: CaseState) -> bytes | None:
        if author.role != Role.COORDINATOR:
            raise Unauthorized("only a coordinator reseals entries")
        if entry.body is None:
            return None
        ref = entry.body[:HASH_BYTES]
        original = self._by_hash.get(ref)
        kind_epoch = (original.entry.header.kind, original.entry.header.epoch) if original \
            else self._past.kind_and_epoch(ref)
        if kind_epoch is None or kind_epoch[0] != Kind.CONTENT:
            raise InvalidLog("a reseal refers to an earlier content entry of the log")
        if kind_epoch[1] >= base.full_epoch:
            raise InvalidLog("only entries older than the latest full re-encryption are resealed")
        if (ref, base.full_epoch) in self._resealed or self._past.resealed(ref, base.full_epoch):
            raise ReplayedEntry("this entry is already resealed for this re-encryption")
        return ref

    def _commit(self, verified: VerifiedEntry, new_state: CaseState | None) -> None:
        entry = verified.entry
        header = entry.header
        self.entries.append(verified)
        self._by_hash[entry.hash] = verified
        self._entry_ids.add(header.entry_id)
        count = self._devices[header.device_id].count if header.device_id in self._devices else 0
        self._devices[header.device_id] = DeviceFrontier(header.device_id, header.author, count + 1, entry.hash,
                                                         header.lamport, verified.base)
        self.max_lamport = max(self.max_lamport, header.lamport)
        if verified.ref is not None:
            self._resealed.add((verified.ref, self.states[verified.base].full_epoch))
        if new_state is not None:
            self.states.append(new_state)
            self._controls[entry.hash] = new_state.index
            if isinstance(verified.payload, RemoveMember):
                self._removals.setdefault(verified.payload.user_id, []).append(new_state.index)
            if isinstance(verified.payload, RemoveMember | RotateKey):
                self._rotations[new_state.epoch] = verified.payload.rotation

    # Checks over the whole log.

    def check_complete(self) -> None:
        """Every stub must be accounted for: a content stub by a reseal, a reseal stub by a newer one.

        The reseals of one full re-encryption are stubbed together or not at all: a stub hides
        which entry its reseal named, so a whole reseal beside it could be a second one.
        """
        self._check_whole()
        referenced = {ref for ref, _ in self._resealed}
        full_epoch = self.state.full_epoch
        stubbed = {self.states[v.base].full_epoch for v in self.entries
                   if v.entry.header.kind == Kind.RESEAL and v.entry.is_stub}
        for verified in self.entries:
            header = verified.entry.header
            if header.kind == Kind.RESEAL and not verified.entry.is_stub \
                    and self.states[verified.base].full_epoch in stubbed:
                raise IncompleteLog("a reseal kept its body while another of the same re-encryption lost it")
            if not verified.entry.is_stub:
                continue
            if header.kind == Kind.CONTENT and verified.hash not in referenced:
                raise IncompleteLog("a content entry lost its body without being resealed")
            if header.kind == Kind.RESEAL and header.epoch >= full_epoch:
                raise IncompleteLog("a reseal lost its body without a newer full re-encryption")

    def check_against(self, checkpoint: Checkpoint) -> None:
        """Refuse a log that does not extend a checkpoint verified earlier (or shown by another member)."""
        self._check_whole()
        if checkpoint.case_id != self.case_id:
            raise WrongCase("this checkpoint belongs to another case")
        if len(self.states) < checkpoint.control_count:
            raise RollbackDetected("the control chain is shorter than the checkpoint")
        if self.states[checkpoint.control_count - 1].entry_hash != checkpoint.control_tip:
            raise ForkDetected("the control chain differs from the checkpoint")
        hashes = {(v.entry.header.device_id, v.entry.header.device_seq): v.hash for v in self.entries}
        for head in checkpoint.devices:
            chain = self._devices.get(head.device_id)
            if chain is None or chain.count < head.seq:
                raise RollbackDetected("a device's chain is shorter than the checkpoint")
            if hashes[head.device_id, head.seq] != head.hash:
                raise ForkDetected("a device's chain differs from the checkpoint")

    # Keys.

    def _wraps(self) -> Iterable[tuple[WrappedCaseKey, RosterEntry]]:
        """Every wrapped key with the roster entry its recipient is pinned to in the state it makes."""
        for verified in self.entries:
            payload = verified.payload
            if isinstance(payload, Genesis):
                wraps = [grant.wrapped for grant in payload.grants]
            elif isinstance(payload, AddMember):
                wraps = [payload.grant.wrapped]
            elif isinstance(payload, RemoveMember | RotateKey):
                wraps = list(payload.rotation.wraps)
            else:
                continue
            members = self.states[verified.base].members
            yield from ((wrapped, members[wrapped.recipient]) for wrapped in wraps)

    def _commitment(self, epoch: int) -> bytes:
        return next(state.commitment for state in self.states if state.epoch == epoch)

    def recover_case_keys_as_member(self, member: AccountKeys) -> dict[int, bytes]:
        """Every epoch key this member can reach: their own wrapped keys, then history boxes back."""
        self._check_whole()
        keys: dict[int, bytes] = {}
        for wrapped, recipient in self._wraps():
            # A key wrapped to this person's earlier keys (before a passphrase reset) is not theirs now.
            if (wrapped.recipient == member.user_id and wrapped.epoch not in keys
                    and recipient.encryption_public == member.encryption_public):
                key = unwrap_case_key_as_member(wrapped, member, case_id=self.case_id, epoch=wrapped.epoch)
                check_case_key_commitment(key, self._commitment(wrapped.epoch), case_id=self.case_id,
                                          epoch=wrapped.epoch)
                keys[wrapped.epoch] = key
        for epoch in range(self.state.epoch, 1, -1):
            rotation = self._rotations[epoch]
            if epoch in keys and epoch - 1 not in keys and rotation.history is not None:
                keys[epoch - 1] = self._open_history(rotation, keys[epoch], epoch)
        return keys

    def _open_history(self, rotation: Rotation, key: bytes, epoch: int) -> bytes:
        assert rotation.history is not None
        previous = open_previous_case_key(rotation.history, key, case_id=self.case_id, new_epoch=epoch)
        check_case_key_commitment(previous, self._commitment(epoch - 1), case_id=self.case_id, epoch=epoch - 1)
        return previous

    def check_case_keys(self, keys: Mapping[int, bytes]) -> None:
        """Each key matches its epoch's commitment and each history box opens to the previous key."""
        self._check_whole()
        for epoch, key in keys.items():
            if not 1 <= epoch <= self.state.epoch:
                raise EpochMismatch(f"the log has no epoch {epoch}")
            check_case_key_commitment(key, self._commitment(epoch), case_id=self.case_id, epoch=epoch)
            # Whoever holds an epoch's key checks the box it opens: a coordinator who sealed a
            # wrong previous key there is caught by the previous epoch's commitment.
            rotation = self._rotations.get(epoch)
            if rotation is not None and rotation.history is not None:
                self._open_history(rotation, key, epoch)

    def open_with(self, keys: Mapping[int, bytes]) -> dict[bytes, bytes]:
        """Open every sealed entry whose epoch key is given; map content entry hash to body JSON.

        A content entry reduced to a stub takes its body from the reseal that refers to it; a
        reseal whose original is still whole must hold exactly the original's body.
        """
        self.check_case_keys(keys)
        bodies: dict[bytes, bytes] = {}
        for verified in self.entries:
            entry = verified.entry
            key = keys.get(entry.header.epoch)
            if entry.header.kind not in (Kind.CONTENT, Kind.RESEAL) or entry.body is None or key is None:
                continue
            body = open_entry_body(entry.header, entry.body, key)
            if verified.ref is None:
                bodies[verified.hash] = body
            elif verified.ref in bodies and bodies[verified.ref] != body:
                raise ResealMismatch("a reseal does not hold the body of the entry it replaces")
            else:
                bodies[verified.ref] = body
        return bodies


def _grants_a_coordinator(payload: ControlPayload) -> bool:
    """A volunteer member may share a case with their team's coordinators, and nothing else (8.6).

    The grant's other checks (active, same team, wrap to that person) run as for every ADD.
    """
    return isinstance(payload, AddMember) and payload.grant.roster.role == Role.COORDINATOR


def verify_case_log(case_id: bytes, envelopes: Iterable[bytes], association_key: Ed25519PublicKey, *,
                    checkpoint: Checkpoint | None = None,
                    case_keys: Mapping[int, bytes] | None = None) -> CaseLog:
    """Check a whole case log; with a checkpoint, refuse rollbacks and forks; with keys, open it all.

    This is the one function both a member's client and a server-side verifier call: without
    keys it needs only the association public key and the bytes.
    """
    log = CaseLog(case_id, association_key)
    for raw in envelopes:
        log.append(raw)
    log.check_complete()
    if checkpoint is not None:
        log.check_against(checkpoint)
    if case_keys is not None:
        log.open_with(case_keys)
    return log


def open_case_log_as_member(case_id: bytes, envelopes: Iterable[bytes], association_key: Ed25519PublicKey,
                            member: AccountKeys, *, checkpoint: Checkpoint | None = None
                            ) -> tuple[CaseLog, dict[int, bytes], dict[bytes, bytes]]:
    """A member's whole read path: verify, recover every reachable key, open every entry."""
    log = verify_case_log(case_id, envelopes, association_key, checkpoint=checkpoint)
    keys = log.recover_case_keys_as_member(member)
    return log, keys, log.open_with(keys)

