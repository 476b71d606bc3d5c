"""A small association and one case, built deterministically, for tests, attacks and vectors.

Every secret comes from a labelled seed, every id and nonce is fixed and every write has a fixed
time, so two runs build the same bytes except inside HPKE-wrapped keys (whose ephemeral keys
the library draws itself) and everything that hashes them.
"""

import hashlib
import json
from dataclasses import dataclass, field

from crypto import labels
from crypto.caselog import CaseLog, verify_case_log
from crypto.entry import Entry, EntryHeader, Kind, seal_entry_body
from crypto.keys import AccountKeys, AssociationKey, generate_account_keys, generate_association_key, new_id
from crypto.roster import Role, RosterEntry, sign_roster_entry_as_admin
from crypto.writer import (
    add_member_as_coordinator,
    create_case_as_member,
    remove_member_as_coordinator,
    rotate_case_key_as_coordinator,
    seal_entry_as_author,
)

T0 = 1_800_000_000_000
MINUTE = 60_000


def seed(label: str, size: int = 32) -> bytes:
    """A fixed value for a name: SHA-256 of a label, cut to size."""
    return hashlib.sha256(b"carnet test seed: " + label.encode()).digest()[:size]


@dataclass(frozen=True)
class Person:
    name: str
    keys: AccountKeys
    roster: RosterEntry
    device_id: bytes

    @property
    def user_id(self) -> bytes:
        return self.keys.user_id


@dataclass(frozen=True)
class World:
    association: AssociationKey
    team_id: bytes
    other_team_id: bytes
    people: dict[str, Person]

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


ROLES = {
    "alice": (Role.VOLUNTEER, "team"),
    "bob": (Role.VOLUNTEER, "team"),
    "carol": (Role.COORDINATOR, "team"),
    "dan": (Role.COORDINATOR, "team"),
    "olga": (Role.VOLUNTEER, "other"),
    "oscar": (Role.COORDINATOR, "other"),
    "audrey": (Role.AUDITOR, None),
}


def person(world_association: AssociationKey, name: str, role: Role, team_id: bytes, serial: int = 1,
           now: int = T0) -> Person:
    keys = generate_account_keys(seed(f"{name} user id", 16), encryption_seed=seed(f"{name} x25519"),
                                 signing_seed=seed(f"{name} ed25519"))
    roster = sign_roster_entry_as_admin(world_association, user_id=keys.user_id, serial=serial, role=role,
                                        team_id=team_id, encryption_public=keys.encryption_public,
                                        signing_public=keys.signing_public, now=now)
    return Person(name, keys, roster, seed(f"{name} device", 16))


def make_world() -> World:
    association = generate_association_key(seed=seed("association ed25519"))
    team_id, other_team_id = seed("team Prisons", 16), seed("team Violence support", 16)
    teams = {"team": team_id, "other": other_team_id, None: bytes(16)}
    people = {name: person(association, name, role, teams[team]) for name, (role, team) in ROLES.items()}
    return World(association, team_id, other_team_id, people)


def body(kind: str, **fields: object) -> bytes:
    return json.dumps({"t": kind, **fields}, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Case:
    """The standard case, step by step; ``envelopes`` is the log in server order."""

    world: World
    log: CaseLog
    keys: dict[int, bytes]
    envelopes: list[bytes] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    clock: int = T0

    @property
    def case_id(self) -> bytes:
        return self.log.case_id

    def tick(self) -> int:
        self.clock += MINUTE
        return self.clock

    def record(self, step: str, envelope: bytes) -> bytes:
        self.envelopes.append(envelope)
        self.steps.append(step)
        return envelope

    def write(self, name: str, body_json: bytes, step: str) -> bytes:
        who = self.world[name]
        n = len(self.envelopes)
        envelope = seal_entry_as_author(self.log, who.keys, device_id=who.device_id,
                                        case_key=self.keys[self.log.state.epoch], body_json=body_json,
                                        entry_id=seed(f"entry {n}", 16), nonce=seed(f"nonce {n}", 12),
                                        now=self.tick())
        return self.record(step, envelope)

    def add(self, coordinator: str, name: str) -> bytes:
        who = self.world[coordinator]
        envelope = add_member_as_coordinator(self.log, who.keys, device_id=who.device_id,
                                             new_member=self.world[name].roster,
                                             case_key=self.keys[self.log.state.epoch],
                                             entry_id=seed(f"entry {len(self.envelopes)}", 16), now=self.tick())
        return self.record(f"{coordinator} adds {name}", envelope)

    def rotate(self, coordinator: str, *, full: bool = False) -> bytes:
        who = self.world[coordinator]
        n = len(self.envelopes)
        envelope, key = rotate_case_key_as_coordinator(
            self.log, who.keys, device_id=who.device_id, case_key=self.keys[self.log.state.epoch], full=full,
            new_key=seed(f"case key {self.log.state.epoch + 1}"), history_nonce=seed(f"history nonce {n}", 12),
            entry_id=seed(f"entry {n}", 16), now=self.tick())
        self.keys[self.log.state.epoch] = key
        return self.record(f"{coordinator} rotates{' fully' if full else ''}", envelope)

    def remove(self, coordinator: str, name: str) -> bytes:
        who = self.world[coordinator]
        n = len(self.envelopes)
        envelope, key = remove_member_as_coordinator(
            self.log, who.keys, device_id=who.device_id, user_id=self.world[name].user_id,
            case_key=self.keys[self.log.state.epoch], new_key=seed(f"case key {self.log.state.epoch + 1}"),
            history_nonce=seed(f"history nonce {n}", 12), entry_id=seed(f"entry {n}", 16), now=self.tick())
        self.keys[self.log.state.epoch] = key
        return self.record(f"{coordinator} removes {name}", envelope)


def open_case(world: World, author: str = "alice", members: tuple[str, ...] = ("alice", "carol"),
              case_id: bytes | None = None) -> Case:
    who = world[author]
    new = create_case_as_member(who.keys, association_key=world.association.public_key, team_id=world.team_id,
                                device_id=who.device_id, members=[world[m].roster for m in members],
                                case_id=case_id or seed("case id", 16), case_key=seed("case key 1"),
                                entry_id=seed("entry 0", 16), now=T0)
    case = Case(world, new.log, {1: new.case_key})
    case.record(f"{author} opens the case", new.envelope)
    return case


def standard_case(world: World) -> Case:
    """Genesis, intake, a member added, a rotation, a member removed, writes in every epoch."""
    case = open_case(world)
    case.write("alice", body("intake", alias="M. K.", place="CRA 2", languages=["ar", "fr"]), "alice: intake")
    case.add("carol", "bob")
    case.write("bob", body("edit", field="appeal_deadline", value="2027-02-03"), "bob: field edit")
    case.write("carol", body("note", text="Avocat prévenu, audience JLD demain."), "carol: note")
    case.rotate("carol")
    case.write("alice", body("edit", field="consent", value="oral, in Arabic"), "alice: edit in epoch 2")
    case.remove("carol", "bob")
    case.write("alice", body("status", value="released"), "alice: status in epoch 3")
    case.write("carol", body("note", text="Dossier transmis au partenaire."), "carol: note in epoch 3")
    return case


def replay(world: World, envelopes: list[bytes], case_id: bytes | None = None) -> CaseLog:
    """A fresh verified view of a log, to build on without touching a shared one."""
    return verify_case_log(case_id or seed("case id", 16), envelopes, world.association.public_key)


def craft(log: CaseLog, who: Person, kind: Kind, body: bytes = b"", *, case_key: bytes | None = None,
          body_json: bytes | None = None, ref: bytes | None = None, signer: AccountKeys | None = None,
          **overrides: object) -> bytes:
    """Build and sign an entry the way an attacker holding ``who``'s (or ``signer``'s) key would.

    Header fields default to the honest next position of ``who``'s device in ``log``; any can be
    overridden. Nothing is appended and no writer-side check runs, so the verifier alone decides.
    """
    device_id = overrides.get("device_id", who.device_id)
    seq, prev = log.device_position(device_id)  # type: ignore[arg-type]
    fields: dict[str, object] = dict(
        kind=kind, case_id=log.case_id, entry_id=new_id(), epoch=log.state.epoch, author=who.user_id,
        device_id=device_id, device_seq=seq + 1, prev_hash=prev, control_head=log.state.entry_hash,
        lamport=log.max_lamport + 1, time=T0)
    fields.update(overrides)
    header = EntryHeader(**fields)  # type: ignore[arg-type]
    if body_json is not None:
        assert case_key is not None
        body = seal_entry_body(header, body_json, case_key, ref=ref)
    return sign_crafted(header, body, signer or who.keys)


def craft_genesis(who: Person, payload: bytes, case_id: bytes, **overrides: object) -> bytes:
    """A genesis entry with any payload, signed by ``who``."""
    fields: dict[str, object] = dict(
        kind=Kind.GENESIS, case_id=case_id, entry_id=new_id(), epoch=1, author=who.user_id,
        device_id=who.device_id, device_seq=1, prev_hash=bytes(32), control_head=bytes(32), lamport=1, time=T0)
    fields.update(overrides)
    return sign_crafted(EntryHeader(**fields), payload, who.keys)  # type: ignore[arg-type]


def sign_crafted(header: EntryHeader, body: bytes, signer: AccountKeys) -> bytes:
    digest = hashlib.sha256(body).digest()
    signature = signer.signing_private.sign(labels.SIGN_ENTRY + header.raw + digest)
    return Entry(header, body, digest, signature).to_bytes()
