"""Writing a case: each function is one party's action, producing one signed entry.

Every function builds the entry on the writer's own verified view of the case (a ``CaseLog``),
appends it there through the same ``append`` a reader uses, and returns the bytes to upload.
So a device never sends an entry its own verifier would refuse, and its view always includes
what it wrote while offline. Randomness (ids, keys, nonces) and time can be passed in, which is
how the vectors get exact bytes; only the HPKE ephemeral keys inside wrapped keys cannot.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.caselog import CaseLog
from crypto.casekeys import (
    case_key_commitment,
    check_case_key_commitment,
    new_case_key,
    seal_previous_case_key,
    wrap_case_key_for_member,
)
from crypto.control import AddMember, Genesis, MemberGrant, RemoveMember, RotateKey, Rotation, RotationMode
from crypto.entry import ZERO_HASH, EntryHeader, Kind, make_entry_as_author, parse_entry, seal_entry_body
from crypto.errors import InvalidControlEntry, NotAMember
from crypto.keys import AccountKeys, new_id
from crypto.roster import RosterEntry, now_ms


@dataclass(frozen=True)
class NewCase:
    case_id: bytes
    case_key: bytes
    envelope: bytes
    log: CaseLog


def _header(log: CaseLog, kind: Kind, author: AccountKeys, device_id: bytes, epoch: int,
            entry_id: bytes | None, now: int | None) -> EntryHeader:
    seq, prev_hash = log.device_position(device_id)
    return EntryHeader(kind=kind, case_id=log.case_id, entry_id=new_id(entry_id), epoch=epoch,
                       author=author.user_id, device_id=device_id, device_seq=seq + 1, prev_hash=prev_hash,
                       control_head=log.state.entry_hash, lamport=log.max_lamport + 1,
                       time=now_ms() if now is None else now)


def _sign_and_append(log: CaseLog, header: EntryHeader, body: bytes, author: AccountKeys) -> bytes:
    envelope = make_entry_as_author(header, body, author).to_bytes()
    log.append(envelope)
    return envelope


def create_case_as_member(author: AccountKeys, *, association_key: Ed25519PublicKey, team_id: bytes,
                          device_id: bytes, members: Sequence[RosterEntry], case_id: bytes | None = None,
                          case_key: bytes | None = None, entry_id: bytes | None = None,
                          now: int | None = None) -> NewCase:
    """A volunteer or coordinator opens a case, offline if need be, for themselves and others.

    ``members`` are roster entries the author's client verified and holds as current; the
    author should include the team's coordinators so the case can be reviewed and managed.
    """
    case_id = new_id(case_id)
    case_key = new_case_key(case_key)
    if author.user_id not in {m.user_id for m in members}:
        raise NotAMember("the author of a case is one of its members")
    grants = tuple(MemberGrant(m, wrap_case_key_for_member(case_key, case_id=case_id, epoch=1, recipient=m))
                   for m in sorted(members, key=lambda m: m.user_id))
    body = Genesis(team_id, case_key_commitment(case_key, case_id=case_id, epoch=1), grants).to_bytes()
    header = EntryHeader(kind=Kind.GENESIS, case_id=case_id, entry_id=new_id(entry_id), epoch=1,
                         author=author.user_id, device_id=device_id, device_seq=1, prev_hash=ZERO_HASH,
                         control_head=ZERO_HASH, lamport=1, time=now_ms() if now is None else now)
    log = CaseLog(case_id, association_key)
    envelope = _sign_and_append(log, header, body, author)
    return NewCase(case_id, case_key, envelope, log)


def seal_entry_as_author(log: CaseLog, author: AccountKeys, *, device_id: bytes, case_key: bytes,
                         body_json: bytes, entry_id: bytes | None = None, nonce: bytes | None = None,
                         now: int | None = None) -> bytes:
    """A member writes an entry (intake, field edit, attachment chunk, status...) in the current epoch.

    The key must match the current epoch's commitment, so a device that has seen a rotation
    can never seal under the old key.
    """
    state = log.state
    check_case_key_commitment(case_key, state.commitment, case_id=log.case_id, epoch=state.epoch)
    header = _header(log, Kind.CONTENT, author, device_id, state.epoch, entry_id, now)
    return _sign_and_append(log, header, seal_entry_body(header, body_json, case_key, nonce=nonce), author)


def add_member_as_coordinator(log: CaseLog, coordinator: AccountKeys, *, device_id: bytes,
                              new_member: RosterEntry, case_key: bytes, entry_id: bytes | None = None,
                              now: int | None = None) -> bytes:
    """A coordinator grants a member the current key; history comes through the history boxes."""
    state = log.state
    check_case_key_commitment(case_key, state.commitment, case_id=log.case_id, epoch=state.epoch)
    wrapped = wrap_case_key_for_member(case_key, case_id=log.case_id, epoch=state.epoch, recipient=new_member)
    body = AddMember(MemberGrant(new_member, wrapped)).to_bytes()
    return _sign_and_append(log, _header(log, Kind.ADD, coordinator, device_id, state.epoch, entry_id, now),
                            body, coordinator)


def _rotation(log: CaseLog, members: Mapping[bytes, RosterEntry], case_key: bytes, new_key: bytes,
              full: bool, history_nonce: bytes | None) -> Rotation:
    state = log.state
    check_case_key_commitment(case_key, state.commitment, case_id=log.case_id, epoch=state.epoch)
    epoch = state.epoch + 1
    wraps = tuple(wrap_case_key_for_member(new_key, case_id=log.case_id, epoch=epoch, recipient=members[user_id])
                  for user_id in sorted(members))
    history = None if full else seal_previous_case_key(case_key, new_key, case_id=log.case_id, new_epoch=epoch,
                                                        nonce=history_nonce)
    return Rotation(RotationMode.FULL if full else RotationMode.LINKED,
                    case_key_commitment(new_key, case_id=log.case_id, epoch=epoch), wraps, history)


def remove_member_as_coordinator(log: CaseLog, coordinator: AccountKeys, *, device_id: bytes, user_id: bytes,
                                 case_key: bytes, full: bool = False, new_key: bytes | None = None,
                                 history_nonce: bytes | None = None, entry_id: bytes | None = None,
                                 now: int | None = None) -> tuple[bytes, bytes]:
    """A coordinator removes a member and rotates in the same entry; returns (envelope, new key).

    The entry freezes the removed member's device chains at the heads the coordinator has
    verified, so nothing they write afterwards, backdated or not, is accepted.
    """
    members = dict(log.state.members)
    if members.pop(user_id, None) is None:
        raise InvalidControlEntry("this user is not a member")
    new_key = new_case_key(new_key)
    rotation = _rotation(log, members, case_key, new_key, full, history_nonce)
    body = RemoveMember(user_id, log.device_heads_of(user_id), rotation).to_bytes()
    header = _header(log, Kind.REMOVE, coordinator, device_id, log.state.epoch + 1, entry_id, now)
    return _sign_and_append(log, header, body, coordinator), new_key


def rotate_case_key_as_coordinator(log: CaseLog, coordinator: AccountKeys, *, device_id: bytes, case_key: bytes,
                                   full: bool = False, new_key: bytes | None = None,
                                   history_nonce: bytes | None = None, entry_id: bytes | None = None,
                                   now: int | None = None) -> tuple[bytes, bytes]:
    """A coordinator moves the case to a new epoch key for the same members; returns (envelope, new key)."""
    new_key = new_case_key(new_key)
    rotation = _rotation(log, log.state.members, case_key, new_key, full, history_nonce)
    header = _header(log, Kind.ROTATE, coordinator, device_id, log.state.epoch + 1, entry_id, now)
    return _sign_and_append(log, header, RotateKey(rotation).to_bytes(), coordinator), new_key


def reencrypt_case_as_coordinator(log: CaseLog, coordinator: AccountKeys, *, device_id: bytes,
                                  case_keys: Mapping[int, bytes], new_key: bytes | None = None,
                                  now: int | None = None) -> tuple[list[bytes], bytes]:
    """Full re-encryption after a key compromise: an unlinked rotation, then a reseal of every entry.

    Each content entry of an older epoch is sealed again under the new epoch as a RESEAL entry
    that names it; once those are uploaded, the server may replace the old envelopes by stubs,
    and nothing stored is readable with the compromised keys any more. Returns the envelopes in
    upload order and the new key.
    """
    bodies = log.open_with(case_keys)
    envelopes = []
    envelope, new_key = rotate_case_key_as_coordinator(log, coordinator, device_id=device_id,
                                                       case_key=case_keys[log.state.epoch], full=True,
                                                       new_key=new_key, now=now)
    envelopes.append(envelope)
    for content_hash, body_json in bodies.items():
        envelopes.append(reseal_entry_as_coordinator(log, coordinator, device_id=device_id, case_key=new_key,
                                                     content_hash=content_hash, body_json=body_json, now=now))
    return envelopes, new_key


def reseal_entry_as_coordinator(log: CaseLog, coordinator: AccountKeys, *, device_id: bytes, case_key: bytes,
                                content_hash: bytes, body_json: bytes, entry_id: bytes | None = None,
                                nonce: bytes | None = None, now: int | None = None) -> bytes:
    """Reseal one content entry under the current (post full re-encryption) epoch key."""
    state = log.state
    check_case_key_commitment(case_key, state.commitment, case_id=log.case_id, epoch=state.epoch)
    header = _header(log, Kind.RESEAL, coordinator, device_id, state.epoch, entry_id, now)
    body = seal_entry_body(header, body_json, case_key, nonce=nonce, ref=content_hash)
    return _sign_and_append(log, header, body, coordinator)


def stub_of(envelope: bytes) -> bytes:
    """What the server keeps of a resealed entry: header, body digest and signature, no ciphertext."""
    return parse_entry(envelope).stub().to_bytes()

