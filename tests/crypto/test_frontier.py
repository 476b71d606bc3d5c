"""A log resumed from a frontier (docs/PROTOCOL.md 9.3) follows the same rule as the whole log.

Random sequences of honest and hostile entries are offered to a log verified from its genesis;
the same sequence is then offered, from every point, to a log resumed from that point's
frontier, with the earlier entries answered by a lookup as a server answers them. Every entry
gets the same outcome (stored, or refused with the same error) and the frontiers end equal.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.caselog import MAX_LAMPORT_STEP, CaseLog, Frontier, VerifiedEntry
from crypto.casekeys import wrap_case_key_for_member
from crypto.control import AddMember, MemberGrant
from crypto.entry import Kind, parse_entry
from crypto.errors import CarnetCryptoError, InvalidEncoding, InvalidLog
from crypto.roster import ROSTER_ENTRY_BYTES, Role
from crypto.writer import (
    create_case_as_member,
    remove_member_as_coordinator,
    rotate_case_key_as_coordinator,
    seal_entry_as_author,
)
from tests.crypto.scenario import T0, Case, Person, World, body, craft, replay, seed

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
OPERATIONS = 13
Outcome = tuple[str, str] | tuple[int, int, bytes | None]


class MemoryPast:
    """The earlier entries of a whole log, answered the way a server answers from its table."""

    def __init__(self, log: CaseLog, count: int) -> None:
        self.entries = log.entries[:count]
        self.states = log.states

    def holds(self, entry_hash: bytes, entry_id: bytes) -> bool:
        return any(v.hash == entry_hash or v.entry.header.entry_id == entry_id for v in self.entries)

    def kind_and_epoch(self, entry_hash: bytes) -> tuple[int, int] | None:
        return next(((v.entry.header.kind, v.entry.header.epoch) for v in self.entries if v.hash == entry_hash),
                    None)

    def resealed(self, ref: bytes, full_epoch: int) -> bool:
        return any(v.ref == ref and self.states[v.base].full_epoch == full_epoch for v in self.entries)


def outcome(log: CaseLog, envelope: bytes) -> Outcome:
    try:
        verified: VerifiedEntry = log.append(envelope)
    except CarnetCryptoError as exc:
        return type(exc).__name__, str(exc)
    return verified.position, verified.base, verified.ref


class Builder:
    """Offers entries to a whole log, as honest members and as attackers holding members' keys."""

    def __init__(self, world: World) -> None:
        self.world = world
        alice = world["alice"]
        new = create_case_as_member(alice.keys, association_key=world.association.public_key,
                                    team_id=world.team_id, device_id=alice.device_id,
                                    members=[alice.roster, world["carol"].roster], case_id=seed("frontier case", 16),
                                    case_key=seed("frontier key 1"), now=T0)
        self.log, self.keys = new.log, {1: new.case_key}
        self.offered: list[tuple[bytes, Outcome]] = [(new.envelope, (0, 0, None))]
        self.frontiers = [self.log.frontier().to_bytes()]

    def person(self, r: int, among: tuple[str, ...] = ("alice", "bob", "carol", "dan", "olga")) -> Person:
        return self.world[among[r % len(among)]]

    def member(self, r: int) -> Person:
        members = [p for p in self.world.people.values() if p.user_id in self.log.state.members]
        return members[r % len(members)]

    def coordinator(self, r: int) -> Person:
        """Mostly a coordinator member (who may change membership and reseal), sometimes anyone."""
        coordinators = [p for p in self.world.people.values()
                        if p.user_id in self.log.state.members and p.roster.role == Role.COORDINATOR]
        return coordinators[r % len(coordinators)] if coordinators and r % 4 else self.member(r)

    def offer(self, envelope: bytes) -> None:
        self.offered.append((envelope, outcome(self.log, envelope)))
        self.frontiers.append(self.log.frontier().to_bytes())

    def honest(self, write: object) -> None:
        """An honest writer appends itself; a writer's own refusal offers nothing."""
        try:
            envelope = write()  # type: ignore[operator]
        except CarnetCryptoError:
            return
        if isinstance(envelope, tuple):
            envelope, key = envelope
            self.keys[self.log.state.epoch] = key
        self.offered.append((envelope, (len(self.log.entries) - 1, self.log.entries[-1].base, None)))
        self.frontiers.append(self.log.frontier().to_bytes())

    def sealed(self, who: Person, kind: Kind = Kind.CONTENT, **overrides: object) -> bytes:
        epoch = overrides.get("epoch", self.log.state.epoch)
        return craft(self.log, who, kind, body_json=body("note"), case_key=self.keys.get(epoch, bytes(32)),
                     **overrides)

    def step(self, operation: int, r: int) -> None:
        try:
            self.offer_one(operation, r)
        except CarnetCryptoError:
            pass  # A header no parser takes is not worth offering.

    def offer_one(self, operation: int, r: int) -> None:
        log, n = self.log, len(self.offered)
        who = self.coordinator(r) if operation in (2, 3, 4) else self.member(r)
        if operation in (0, 1):
            device = who.device_id if operation == 0 else seed(f"{who.name} second device", 16)
            self.honest(lambda: seal_entry_as_author(log, who.keys, device_id=device, body_json=body("note"),
                                                     case_key=self.keys[log.state.epoch], now=T0))
        elif operation == 2:
            self.honest(lambda: rotate_case_key_as_coordinator(log, who.keys, device_id=who.device_id,
                                                               case_key=self.keys[log.state.epoch], full=r % 2 == 0,
                                                               new_key=seed(f"frontier key {n}"), now=T0))
        elif operation == 3:
            self.honest(lambda: remove_member_as_coordinator(log, who.keys, device_id=who.device_id,
                                                             user_id=self.member(r // 7).user_id,
                                                             case_key=self.keys[log.state.epoch],
                                                             new_key=seed(f"frontier key {n}"), now=T0))
        elif operation == 4:
            # A reseal of any earlier entry: of an old content entry, of a control entry, twice...
            contents = [v.hash for v in log.entries if v.entry.header.kind == Kind.CONTENT]
            resealed = [v.ref for v in log.entries if v.ref is not None] or contents
            refs = ([parse_entry(envelope).hash for envelope, _ in self.offered], resealed, contents)[r % 3]
            ref = refs[r // 3 % len(refs)] if refs else seed("no entry")
            self.offer(self.sealed(who, Kind.RESEAL, ref=ref))
        elif operation == 5:
            self.offer(self.offered[r % n][0])
        elif operation == 6:
            # Anyone, or a removed member building on a point before their removal.
            removed = [p for p in self.world.people.values() if p.user_id not in log.state.members
                       and any(p.user_id in state.members for state in log.states)]
            if r % 2 and removed:
                state = log.states[r % len(log.states)]
                self.offer(self.sealed(removed[r % len(removed)], control_head=state.entry_hash, epoch=state.epoch))
            else:
                self.offer(self.sealed(self.person(r)))
        elif operation == 7:
            seq, last = log.device_position(who.device_id)
            self.offer(self.sealed(who, device_seq=max(1, seq - r % 2), prev_hash=last))
        elif operation == 8:
            state = log.states[r % len(log.states)]
            self.offer(self.sealed(who, control_head=state.entry_hash, epoch=state.epoch))
        elif operation == 9:
            self.offer(self.sealed(who, entry_id=parse_entry(self.offered[r % n][0]).header.entry_id))
        elif operation == 10:
            lamport = (log.max_lamport + MAX_LAMPORT_STEP + r % 2, log.state.lamport, log.max_lamport + 1)[r % 3]
            self.offer(self.sealed(who, lamport=lamport))
        elif operation == 11:
            self.offer(self.add(who, self.person(r // 3, ("bob", "dan", "olga", "audrey", "alice"))))
        else:
            # A write on a device chain another author started.
            self.offer(self.sealed(who, device_id=self.person(r // 5).device_id))

    def add(self, adder: Person, added: Person) -> bytes:
        state = self.log.state
        wrapped = wrap_case_key_for_member(self.keys[state.epoch], case_id=self.log.case_id, epoch=state.epoch,
                                           recipient=added.roster)
        return craft(self.log, adder, Kind.ADD, AddMember(MemberGrant(added.roster, wrapped)).to_bytes())


operations = st.lists(st.tuples(st.integers(0, OPERATIONS - 1), st.integers(0, 10_000)), min_size=8, max_size=40)


@SETTINGS
@given(steps=operations)
def test_a_log_resumed_at_any_point_takes_and_refuses_exactly_what_the_whole_log_does(
        world: World, steps: list[tuple[int, int]]) -> None:
    builder = Builder(world)
    for operation, r in steps:
        builder.step(operation, r)
    check_resumed_everywhere(world, builder)


def check_resumed_everywhere(world: World, builder: Builder) -> None:
    whole = builder.log
    for point, raw in enumerate(builder.frontiers):
        frontier = Frontier.from_bytes(raw)
        assert frontier.to_bytes() == raw
        resumed = CaseLog.resume(frontier, world.association.public_key, MemoryPast(whole, frontier.count))
        for envelope, expected in builder.offered[point + 1:]:
            assert outcome(resumed, envelope) == expected
        assert resumed.frontier().to_bytes() == whole.frontier().to_bytes()
        assert resumed.checkpoint() == whole.checkpoint()


def test_the_sequences_cover_every_refusal_the_log_makes(world: World) -> None:
    # The generated sequences are only worth their variety: this fixed one reaches the refusals.
    builder = Builder(world)
    for step in [(0, 0), (11, 1), (2, 2), (4, 5), (4, 11), (4, 6), (5, 1), (10, 3), (11, 2), (8, 1), (6, 4),
                 (12, 10), (7, 0), (9, 1), (3, 2), (8, 1), (6, 5), (0, 1), (0, 0)]:
        builder.step(*step)
    refusals = {result[0] for _, result in builder.offered if isinstance(result[0], str)}
    assert {"ReplayedEntry", "NotAMember", "ForkDetected", "InvalidLog", "CounterOutOfRange",
            "InvalidControlEntry", "StaleEpoch"} <= refusals
    assert len({result for _, result in builder.offered if isinstance(result[0], str)}) >= 10
    assert any(result[2] is not None for _, result in builder.offered if isinstance(result[0], int))
    check_resumed_everywhere(world, builder)


def test_a_frontier_encodes_one_way_and_refuses_anything_else(world: World, standard: Case) -> None:
    log = replay(world, standard.envelopes)
    raw = log.frontier().to_bytes()
    frontier = Frontier.from_bytes(raw)
    assert frontier.count == len(standard.envelopes) and len(frontier.states) == len(log.states)
    assert [s.members for s in frontier.states] == [s.members for s in log.states]
    # The members of the first state in another order of the roster table: the same content,
    # not the one encoding.
    table = len(b"CNF") + 1 + 16 + 8 + 8 + 4  # tag and version, case, count, clock, table size
    first, second = raw[table:table + ROSTER_ENTRY_BYTES], raw[table + ROSTER_ENTRY_BYTES:table + 2 * ROSTER_ENTRY_BYTES]
    swapped = raw[:table] + second + first + raw[table + 2 * ROSTER_ENTRY_BYTES:]
    with pytest.raises(InvalidEncoding):
        Frontier.from_bytes(swapped)
    with pytest.raises(InvalidEncoding):
        Frontier.from_bytes(raw + b"\0")
    empty = CaseLog(log.case_id, world.association.public_key).frontier()
    assert Frontier.from_bytes(empty.to_bytes()) == empty


def test_a_resumed_log_does_not_pretend_to_hold_its_earlier_entries(world: World, standard: Case) -> None:
    log = replay(world, standard.envelopes)
    resumed = CaseLog.resume(log.frontier(), world.association.public_key, MemoryPast(log, len(log.entries)))
    assert resumed.state == log.state and resumed.device_heads_of(world["alice"].user_id) \
        == log.device_heads_of(world["alice"].user_id)
    for check in (resumed.check_complete, lambda: resumed.check_against(log.checkpoint()),
                  lambda: resumed.recover_case_keys_as_member(world["alice"].keys),
                  lambda: resumed.check_case_keys(standard.keys), lambda: resumed.open_with(standard.keys)):
        with pytest.raises(InvalidLog, match="resumed"):
            check()
    # A frontier taken before any entry resumes a log that is whole.
    fresh = CaseLog.resume(CaseLog(log.case_id, world.association.public_key).frontier(),
                           world.association.public_key, MemoryPast(log, 0))
    for envelope in standard.envelopes:
        fresh.append(envelope)
    fresh.check_complete()
    fresh.check_against(log.checkpoint())


def test_a_resumed_log_finds_the_states_its_control_entries_make(world: World, standard: Case) -> None:
    from crypto.errors import BrokenChain

    log = replay(world, standard.envelopes)
    resumed = CaseLog.resume(log.frontier(), world.association.public_key, MemoryPast(log, len(log.entries)))
    for state in log.states:
        assert resumed.control_state(state.entry_hash) == state
    with pytest.raises(BrokenChain):
        resumed.control_state(log.entries[1].hash)  # a content entry makes no state
