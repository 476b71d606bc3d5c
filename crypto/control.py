"""Payloads of control entries: genesis, adding a member, removing one, rotating the case key.

Control payloads are in clear: the server already knows who may read a case (it enforces it),
and a verifier that holds no key must be able to check every membership change. Secrets in
them are only ever HPKE-wrapped keys, a key commitment and the sealed previous key. A member
enters a case with their roster entry embedded, so the case log itself pins the keys and the
role each member had when added, and verifies without the live roster.
"""

from dataclasses import dataclass
from enum import IntEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.casekeys import HISTORY_BOX_BYTES, WrappedCaseKey
from crypto.encoding import Reader, Writer
from crypto.entry import HASH_BYTES, Entry, Kind
from crypto.errors import InvalidEncoding
from crypto.keys import ID_BYTES
from crypto.roster import ROSTER_ENTRY_BYTES, RosterEntry, verify_roster_entry

MAX_MEMBERS = 1000
MAX_DEVICES = 64
KEY_COMMITMENT_BYTES = 32


class RotationMode(IntEnum):
    """LINKED keeps history readable (the old key rides sealed under the new one); FULL does not.

    FULL is the mode for a compromised key: the new epoch is not linked to the old one, and a
    coordinator then reseals every older entry under the new epoch so the server can delete
    the ciphertexts made under the compromised key.
    """

    LINKED = 1
    FULL = 2


def _check_sorted(ids: list[bytes], what: str) -> None:
    """Lists are sorted strictly ascending by id: one canonical order, no duplicates."""
    if any(a >= b for a, b in zip(ids, ids[1:])):
        raise InvalidEncoding(f"{what} must be sorted by id, without duplicates")


@dataclass(frozen=True)
class MemberGrant:
    """A member's certified roster entry and the current case key wrapped to them."""

    roster: RosterEntry
    wrapped: WrappedCaseKey

    def to_bytes(self) -> bytes:
        return self.roster.raw + self.wrapped.to_bytes()

    @classmethod
    def read(cls, reader: Reader, association_key: Ed25519PublicKey) -> "MemberGrant":
        roster = verify_roster_entry(reader.take(ROSTER_ENTRY_BYTES), association_key)
        return cls(roster, WrappedCaseKey.read(reader))


@dataclass(frozen=True)
class DeviceHead:
    """The last entry (sequence number and hash) of one device's chain in a case."""

    device_id: bytes
    seq: int
    hash: bytes

    def write(self, writer: Writer) -> None:
        writer.fixed(self.device_id, ID_BYTES).u64(self.seq).fixed(self.hash, HASH_BYTES)

    @classmethod
    def read(cls, reader: Reader) -> "DeviceHead":
        return cls(reader.take(ID_BYTES), reader.u64(minimum=1), reader.take(HASH_BYTES))


@dataclass(frozen=True)
class Rotation:
    """A new epoch: its key commitment, its key wrapped to every member, maybe the old key."""

    mode: RotationMode
    commitment: bytes
    wraps: tuple[WrappedCaseKey, ...]
    history: bytes | None

    def write(self, writer: Writer) -> None:
        if (self.history is not None) != (self.mode == RotationMode.LINKED):
            raise InvalidEncoding("a linked rotation carries the previous key, a full one does not")
        _check_sorted([w.recipient for w in self.wraps], "wrapped keys")
        writer.u8(self.mode).fixed(self.commitment, KEY_COMMITMENT_BYTES).u16(len(self.wraps))
        for wrapped in self.wraps:
            writer.raw(wrapped.to_bytes())
        if self.history is not None:
            writer.fixed(self.history, HISTORY_BOX_BYTES)

    @classmethod
    def read(cls, reader: Reader) -> "Rotation":
        mode = reader.u8()
        if mode not in RotationMode._value2member_map_:
            raise InvalidEncoding(f"unknown rotation mode {mode}")
        commitment = reader.take(KEY_COMMITMENT_BYTES)
        count = reader.u16(minimum=1, maximum=MAX_MEMBERS)
        wraps = tuple(WrappedCaseKey.read(reader) for _ in range(count))
        _check_sorted([w.recipient for w in wraps], "wrapped keys")
        history = reader.take(HISTORY_BOX_BYTES) if mode == RotationMode.LINKED else None
        return cls(RotationMode(mode), commitment, wraps, history)


@dataclass(frozen=True)
class Genesis:
    team_id: bytes
    commitment: bytes
    grants: tuple[MemberGrant, ...]

    def to_bytes(self) -> bytes:
        _check_sorted([g.roster.user_id for g in self.grants], "members")
        writer = Writer().fixed(self.team_id, ID_BYTES).fixed(self.commitment, KEY_COMMITMENT_BYTES) \
            .uint(len(self.grants), 2, MAX_MEMBERS)
        for grant in self.grants:
            writer.raw(grant.to_bytes())
        return writer.getvalue()

    @classmethod
    def read(cls, reader: Reader, association_key: Ed25519PublicKey) -> "Genesis":
        team_id = reader.take(ID_BYTES)
        commitment = reader.take(KEY_COMMITMENT_BYTES)
        count = reader.u16(minimum=1, maximum=MAX_MEMBERS)
        grants = tuple(MemberGrant.read(reader, association_key) for _ in range(count))
        _check_sorted([g.roster.user_id for g in grants], "members")
        return cls(team_id, commitment, grants)


@dataclass(frozen=True)
class AddMember:
    grant: MemberGrant

    def to_bytes(self) -> bytes:
        return self.grant.to_bytes()

    @classmethod
    def read(cls, reader: Reader, association_key: Ed25519PublicKey) -> "AddMember":
        return cls(MemberGrant.read(reader, association_key))


@dataclass(frozen=True)
class RemoveMember:
    """Removal always rotates; ``heads`` freeze what the removed member wrote before it."""

    user_id: bytes
    heads: tuple[DeviceHead, ...]
    rotation: Rotation

    def to_bytes(self) -> bytes:
        _check_sorted([h.device_id for h in self.heads], "device heads")
        writer = Writer().fixed(self.user_id, ID_BYTES).uint(len(self.heads), 2, MAX_DEVICES)
        for head in self.heads:
            head.write(writer)
        self.rotation.write(writer)
        return writer.getvalue()

    @classmethod
    def read(cls, reader: Reader, association_key: Ed25519PublicKey) -> "RemoveMember":
        user_id = reader.take(ID_BYTES)
        count = reader.u16(maximum=MAX_DEVICES)
        heads = tuple(DeviceHead.read(reader) for _ in range(count))
        _check_sorted([h.device_id for h in heads], "device heads")
        return cls(user_id, heads, Rotation.read(reader))


@dataclass(frozen=True)
class RotateKey:
    rotation: Rotation

    def to_bytes(self) -> bytes:
        writer = Writer()
        self.rotation.write(writer)
        return writer.getvalue()

    @classmethod
    def read(cls, reader: Reader, association_key: Ed25519PublicKey) -> "RotateKey":
        return cls(Rotation.read(reader))


ControlPayload = Genesis | AddMember | RemoveMember | RotateKey

_PAYLOADS: dict[Kind, type[Genesis] | type[AddMember] | type[RemoveMember] | type[RotateKey]] = {
    Kind.GENESIS: Genesis, Kind.ADD: AddMember, Kind.REMOVE: RemoveMember, Kind.ROTATE: RotateKey,
}


def entry_payload(entry: Entry, association_key: Ed25519PublicKey) -> ControlPayload:
    """The control payload of a control entry, parsed once per entry object and association key."""
    key = association_key.public_bytes_raw()
    found = entry.payloads.get(key)
    if found is None:
        assert entry.body is not None  # Control entries are never stubs (parse_entry refuses).
        found = entry.payloads[key] = parse_control_payload(entry.header.kind, entry.body, association_key)
    return found


def parse_control_payload(kind: Kind, body: bytes, association_key: Ed25519PublicKey) -> ControlPayload:
    """Parse a control body of the given kind; embedded roster entries must verify."""
    reader = Reader(body, f"{kind.name.lower()} payload")
    payload = _PAYLOADS[kind].read(reader, association_key)
    reader.finish()
    return payload
