"""The case log: honest flows verify and open; each rule refuses what breaks it.

The attack suite (tests/attacks/) proves the defences against the threat model's attacks; this
file covers the honest paths and the remaining rules of docs/PROTOCOL.md section 9.
"""

import pytest

from crypto.caselog import CaseLog, Checkpoint, open_case_log_as_member, verify_case_log
from crypto.casekeys import case_key_commitment, seal_previous_case_key, wrap_case_key_for_member
from crypto.control import AddMember, Genesis, MemberGrant, RemoveMember, RotateKey, Rotation, RotationMode
from crypto.encoding import Writer
from crypto.entry import Kind
from crypto.errors import (
    BrokenChain,
    EpochMismatch,
    ForkDetected,
    InvalidControlEntry,
    InvalidEncoding,
    InvalidLog,
    KeyCommitmentMismatch,
    NotAMember,
    ReplayedEntry,
    ResealMismatch,
    Unauthorized,
    WrongCase,
)
from crypto.roster import Role, Status, sign_roster_entry_as_admin
from crypto.writer import (
    add_member_as_coordinator,
    create_case_as_member,
    reencrypt_case_as_coordinator,
    remove_member_as_coordinator,
    reseal_entry_as_coordinator,
    seal_entry_as_author,
    stub_of,
)
from crypto.keys import generate_account_keys
from tests.crypto.scenario import T0, Case, Person, World, body, craft, craft_genesis, open_case, replay, seed


def association(world: World):
    return world.association.public_key


def test_standard_case_verifies_without_keys_and_opens_with_them(world: World, standard: Case) -> None:
    log = verify_case_log(standard.case_id, standard.envelopes, association(world))
    assert [v.entry.header.kind for v in log.entries] == [
        Kind.GENESIS, Kind.CONTENT, Kind.ADD, Kind.CONTENT, Kind.CONTENT, Kind.ROTATE, Kind.CONTENT, Kind.REMOVE,
        Kind.CONTENT, Kind.CONTENT]
    assert log.state.epoch == 3 and sorted(log.state.members) == sorted(
        [world["alice"].user_id, world["carol"].user_id])
    bodies = log.open_with(standard.keys)
    assert len(bodies) == 6 and b'"alias":"M. K."' in bodies[log.entries[1].hash]
    verify_case_log(standard.case_id, standard.envelopes, association(world), case_keys=standard.keys)


def test_members_recover_the_keys_they_are_entitled_to(world: World, standard: Case) -> None:
    for name, epochs, readable in (("alice", [1, 2, 3], 6), ("carol", [1, 2, 3], 6), ("bob", [1, 2], 4)):
        _, keys, bodies = open_case_log_as_member(standard.case_id, standard.envelopes, association(world),
                                                  world[name].keys)
        assert sorted(keys) == epochs and len(bodies) == readable, name
        assert all(keys[e] == standard.keys[e] for e in epochs)
    _, keys, bodies = open_case_log_as_member(standard.case_id, standard.envelopes, association(world),
                                              world["dan"].keys)
    assert keys == {} and bodies == {}


def test_a_member_added_late_reads_all_history_through_history_boxes(world: World) -> None:
    # Given a case rotated twice, when dan is added in epoch 3, then the history boxes give
    # him epochs 2 and 1, and he opens every entry ever written.
    case = open_case(world)
    case.write("alice", body("intake"), "intake")
    case.rotate("carol")
    case.write("alice", body("edit"), "edit")
    case.rotate("carol")
    case.add("carol", "dan")
    case.write("dan", body("note"), "note")
    _, keys, bodies = open_case_log_as_member(case.case_id, case.envelopes, association(world), world["dan"].keys)
    assert keys == case.keys and len(bodies) == 3


def test_offline_writer_who_has_not_seen_a_rotation_still_writes_in_the_old_epoch(world: World) -> None:
    # Given alice offline in epoch 1 while carol rotates, when alice's entry arrives after the
    # rotation, then it is accepted: she built on the control entry she knew.
    case = open_case(world)
    offline = replay(world, case.envelopes)
    case.rotate("carol")
    late = seal_entry_as_author(offline, world["alice"].keys, device_id=world["alice"].device_id,
                                case_key=case.keys[1], body_json=body("intake"), now=T0)
    log = verify_case_log(case.case_id, [*case.envelopes, late], association(world), case_keys=case.keys)
    assert log.entries[-1].entry.header.epoch == 1 and log.entries[-1].base == 0
    # Her next entry, built on the rotation, moves to epoch 2.
    seal_entry_as_author(log, world["alice"].keys, device_id=world["alice"].device_id, case_key=case.keys[2],
                         body_json=body("edit"), now=T0)
    assert log.entries[-1].entry.header.epoch == 2


def test_a_removed_member_can_be_added_again_and_continue_their_chain(world: World) -> None:
    case = open_case(world, members=("alice", "bob", "carol"))
    case.write("bob", body("intake"), "bob writes")
    case.remove("carol", "bob")
    case.add("carol", "bob")
    case.write("bob", body("edit"), "bob writes again")
    log = verify_case_log(case.case_id, case.envelopes, association(world), case_keys=case.keys)
    assert log.device_position(world["bob"].device_id)[0] == 2


def full_reencryption(world: World) -> tuple[Case, list[bytes], bytes]:
    case = open_case(world, members=("alice", "bob", "carol"))
    case.write("alice", body("intake"), "intake")
    case.write("bob", body("edit"), "edit")
    case.rotate("carol")
    case.write("alice", body("status"), "status")
    carol = world["carol"]
    envelopes, key = reencrypt_case_as_coordinator(case.log, carol.keys, device_id=carol.device_id,
                                                   case_keys=case.keys, now=T0)
    case.keys[3] = key
    return case, envelopes, key


def test_full_reencryption_reseals_every_entry_and_lets_the_server_keep_stubs(world: World) -> None:
    # Given a full re-encryption, when the server replaces every old content envelope by its
    # stub, then the log still verifies and the new key alone opens all content.
    case, reseals, key = full_reencryption(world)
    assert len(reseals) == 1 + 3
    stubbed = [stub_of(e) if replay(world, case.envelopes[:i + 1]).entries[-1].entry.header.kind == Kind.CONTENT
               else e for i, e in enumerate(case.envelopes)]
    log = verify_case_log(case.case_id, [*stubbed, *reseals], association(world))
    bodies = log.open_with({3: key})
    assert len(bodies) == 3 and set(bodies) == {v.hash for v in log.entries if v.entry.header.kind == Kind.CONTENT}
    # A member added after the re-encryption gets only the new key and still reads everything.
    add_member_as_coordinator(log, world["carol"].keys, device_id=world["carol"].device_id,
                              new_member=world["dan"].roster, case_key=key, now=T0)
    _, keys, bodies = open_case_log_as_member(case.case_id, [*stubbed, *reseals, log.entries[-1].entry.to_bytes()],
                                              association(world), world["dan"].keys)
    assert keys == {3: key} and len(bodies) == 3


def test_a_second_full_reencryption_reseals_the_originals_again(world: World) -> None:
    case, reseals, key = full_reencryption(world)
    log = replay(world, [*case.envelopes, *reseals])
    carol = world["carol"]
    more, key4 = reencrypt_case_as_coordinator(log, carol.keys, device_id=carol.device_id,
                                               case_keys=case.keys, now=T0)
    assert len(more) == 4
    everything = [*case.envelopes, *reseals, *more]
    kinds = [v.entry.header.kind for v in replay(world, everything).entries]
    stubbed = [stub_of(e) if k in (Kind.CONTENT, Kind.RESEAL) and i < len(case.envelopes) + len(reseals) else e
               for i, (e, k) in enumerate(zip(everything, kinds))]
    assert len(verify_case_log(case.case_id, stubbed, association(world)).open_with({4: key4})) == 3


def test_stubs_must_be_accounted_for(world: World) -> None:
    case, reseals, _ = full_reencryption(world)
    # A content entry stubbed without any reseal lost its body: refused.
    with pytest.raises(InvalidLog):
        verify_case_log(case.case_id, [*case.envelopes[:1], stub_of(case.envelopes[1]), *case.envelopes[2:]],
                        association(world))
    # A reseal stubbed while it is still the newest copy: refused.
    with pytest.raises(InvalidLog):
        verify_case_log(case.case_id, [*case.envelopes, reseals[0], stub_of(reseals[1]), *reseals[2:]],
                        association(world))


def test_reseal_rules(world: World) -> None:
    case, reseals, key = full_reencryption(world)
    log = replay(world, [*case.envelopes, *reseals])
    alice, carol = world["alice"], world["carol"]
    intake = log.entries[1].hash
    # Only a coordinator reseals.
    with pytest.raises(Unauthorized):
        log.append(craft(log, alice, Kind.RESEAL, case_key=key, body_json=body("intake"), ref=intake))
    # Each original is resealed once per full re-encryption.
    with pytest.raises(ReplayedEntry):
        log.append(craft(log, carol, Kind.RESEAL, case_key=key, body_json=body("intake"), ref=intake))
    # A reseal refers to a content entry of the log...
    for ref in (seed("nothing"), log.entries[0].hash):
        with pytest.raises(InvalidLog):
            log.append(craft(log, carol, Kind.RESEAL, case_key=key, body_json=b"{}", ref=ref))
    # ...older than the latest full re-encryption.
    seal_entry_as_author(log, alice.keys, device_id=alice.device_id, case_key=key, body_json=body("new"), now=T0)
    with pytest.raises(InvalidLog):
        log.append(craft(log, carol, Kind.RESEAL, case_key=key, body_json=body("new"), ref=log.entries[-1].hash))
    # A reseal that changes the content is caught by anyone holding both keys.
    lying = reseal_entry_as_coordinator(replay(world, case.envelopes + reseals[:1]), carol.keys,
                                        device_id=carol.device_id, case_key=key, content_hash=intake,
                                        body_json=body("forged"), now=T0)
    with pytest.raises(ResealMismatch):
        verify_case_log(case.case_id, [*case.envelopes, reseals[0], lying], association(world), case_keys=case.keys)


def test_checkpoint_round_trips_and_its_head_is_spoken(world: World, standard: Case) -> None:
    log = replay(world, standard.envelopes)
    checkpoint = log.checkpoint()
    raw = checkpoint.to_bytes()
    assert raw[:4] == b"CNC\x01" and Checkpoint.from_bytes(raw) == checkpoint
    assert checkpoint.control_count == 4 and len(checkpoint.devices) == 3
    assert len(checkpoint.head()) == 32 and len(checkpoint.spoken_head().split()) == 6
    log.check_against(checkpoint)
    unsorted = Checkpoint(checkpoint.case_id, 4, checkpoint.control_tip, checkpoint.devices[::-1]).to_bytes()
    with pytest.raises(InvalidEncoding):
        Checkpoint.from_bytes(unsorted)
    with pytest.raises(WrongCase):
        replay(world, standard.envelopes).check_against(Checkpoint(seed("x", 16), 1, bytes(32), ()))


def test_log_structure_rules(world: World, standard: Case) -> None:
    empty = CaseLog(standard.case_id, association(world))
    with pytest.raises(InvalidLog):
        empty.state
    with pytest.raises(InvalidLog):
        empty.append(standard.envelopes[1])
    log = replay(world, standard.envelopes)
    alice, carol = world["alice"], world["carol"]
    second_genesis = craft(log, alice, Kind.GENESIS, log.entries[0].entry.body, epoch=1, device_seq=1,
                           device_id=seed("alice's second phone", 16), prev_hash=bytes(32), control_head=bytes(32))
    with pytest.raises(InvalidLog):
        log.append(second_genesis)
    with pytest.raises(BrokenChain):
        log.entry(seed("no such entry"))
    assert log.entry(log.entries[3].hash) is log.entries[3]
    key = standard.keys[3]
    # A device writes for one author.
    with pytest.raises(InvalidLog):
        log.append(craft(log, alice, Kind.CONTENT, case_key=key, body_json=b"{}", device_id=carol.device_id,
                         device_seq=log.device_position(carol.device_id)[0] + 1,
                         prev_hash=log.device_position(carol.device_id)[1]))
    # The Lamport clock grows along a device's chain and past the control entry built on.
    with pytest.raises(InvalidLog):
        log.append(craft(log, alice, Kind.CONTENT, case_key=key, body_json=b"{}", lamport=1))
    with pytest.raises(InvalidLog):
        log.append(craft(log, carol, Kind.CONTENT, case_key=key, body_json=b"{}",
                         lamport=log.state.lamport, device_id=seed("carol's new phone", 16), device_seq=1,
                         prev_hash=bytes(32)))
    # An entry builds on a control entry, not on a content entry.
    with pytest.raises(BrokenChain):
        log.append(craft(log, alice, Kind.CONTENT, case_key=key, body_json=b"{}", control_head=log.entries[1].hash))
    # A content entry carries the epoch of the control entry it builds on.
    with pytest.raises(EpochMismatch):
        log.append(craft(log, alice, Kind.CONTENT, case_key=standard.keys[2], body_json=b"{}", epoch=2))


def grant(world: World, name: str, case_id: bytes, key: bytes, epoch: int) -> MemberGrant:
    return MemberGrant(world[name].roster, wrap_case_key_for_member(key, case_id=case_id, epoch=epoch,
                                                                      recipient=world[name].roster))


def test_genesis_rules(world: World) -> None:
    alice = world["alice"]
    case_id, key = seed("genesis case", 16), seed("genesis key")
    commitment = case_key_commitment(key, case_id=case_id, epoch=1)

    def genesis(payload: Genesis) -> bytes:
        return craft_genesis(alice, payload.to_bytes(), case_id)

    ok = Genesis(world.team_id, commitment, (grant(world, "alice", case_id, key, 1),))
    CaseLog(case_id, association(world)).append(genesis(ok))
    # The author is one of the members.
    with pytest.raises(NotAMember):
        CaseLog(case_id, association(world)).append(
            genesis(Genesis(world.team_id, commitment, (grant(world, "carol", case_id, key, 1),))))
    # Members are active volunteers or coordinators of the case's team.
    for bad in (grant(world, "olga", case_id, key, 1), grant(world, "audrey", case_id, key, 1)):
        payload = Genesis(world.team_id, commitment, tuple(sorted((ok.grants[0], bad),
                                                                  key=lambda g: g.roster.user_id)))
        with pytest.raises(InvalidControlEntry):
            CaseLog(case_id, association(world)).append(genesis(payload))
    # Wrapped keys name this case, epoch 1 and their member.
    for wrong in (grant(world, "alice", seed("x", 16), key, 1), grant(world, "alice", case_id, key, 2)):
        with pytest.raises(InvalidControlEntry):
            CaseLog(case_id, association(world)).append(genesis(Genesis(world.team_id, commitment, (wrong,))))
    # Members are listed once, sorted by id.
    with pytest.raises(InvalidEncoding):
        Genesis(world.team_id, commitment, (ok.grants[0], ok.grants[0])).to_bytes()


def test_create_case_requires_the_author_among_members(world: World) -> None:
    with pytest.raises(NotAMember):
        create_case_as_member(world["alice"].keys, association_key=association(world), team_id=world.team_id,
                              device_id=world["alice"].device_id, members=[world["carol"].roster])


def test_add_member_rules(world: World, standard: Case) -> None:
    log = replay(world, standard.envelopes)
    carol = world["carol"]
    key, epoch = standard.keys[3], 3

    def add(name: str, roster=None, wrapped_for: str | None = None, **overrides) -> bytes:
        entry = roster or world[name].roster
        wrapped = wrap_case_key_for_member(key, case_id=log.case_id, epoch=overrides.get("wrap_epoch", epoch),
                                           recipient=world[wrapped_for or name].roster)
        overrides.pop("wrap_epoch", None)
        return craft(log, carol, Kind.ADD, AddMember(MemberGrant(entry, wrapped)).to_bytes(), **overrides)

    with pytest.raises(InvalidControlEntry):
        log.append(add("alice"))                         # already a member
    with pytest.raises(InvalidControlEntry):
        log.append(add("olga"))                          # another team
    with pytest.raises(InvalidControlEntry):
        log.append(add("dan", wrapped_for="bob"))        # key wrapped to someone else
    with pytest.raises(InvalidControlEntry):
        log.append(add("dan", wrap_epoch=2))             # key of another epoch
    with pytest.raises(EpochMismatch):
        log.append(add("dan", epoch=4))                  # adding keeps the epoch
    revoked = sign_roster_entry_as_admin(world.association, user_id=world["dan"].user_id, serial=2,
                                         role=Role.COORDINATOR, team_id=world.team_id,
                                         encryption_public=world["dan"].keys.encryption_public,
                                         signing_public=world["dan"].keys.signing_public, status=Status.REVOKED,
                                         now=T0)
    with pytest.raises(InvalidControlEntry):
        log.append(add("dan", roster=revoked))
    log.append(add("dan"))


def test_remove_and_rotate_rules(world: World, standard: Case) -> None:
    log = replay(world, standard.envelopes)
    alice, carol = world["alice"], world["carol"]
    key, new = standard.keys[3], seed("key 4")

    def rotation(members: list[str], mode=RotationMode.LINKED, epoch=4, case_id=None) -> Rotation:
        wraps = tuple(wrap_case_key_for_member(new, case_id=case_id or log.case_id, epoch=epoch,
                                               recipient=world[m].roster)
                      for m in sorted(members, key=lambda m: world[m].user_id))
        history = seal_previous_case_key(key, new, case_id=log.case_id, new_epoch=4) \
            if mode == RotationMode.LINKED else None
        return Rotation(mode, case_key_commitment(new, case_id=log.case_id, epoch=4), wraps, history)

    def remove(name: str, members: list[str], heads=None, **overrides) -> bytes:
        heads = log.device_heads_of(world[name].user_id) if heads is None else heads
        payload = RemoveMember(world[name].user_id, heads, rotation(members))
        return craft(log, carol, Kind.REMOVE, payload.to_bytes(), **{"epoch": 4, **overrides})

    with pytest.raises(InvalidControlEntry):
        log.append(remove("bob", ["alice", "carol"]))             # not a member any more
    with pytest.raises(InvalidControlEntry):
        log.append(remove("alice", ["carol"], heads=()))           # heads do not match her chain
    with pytest.raises(InvalidControlEntry):
        log.append(remove("alice", ["alice", "carol"]))            # the removed member keeps the key
    with pytest.raises(EpochMismatch):
        log.append(remove("alice", ["carol"], epoch=5))
    lonely = replay(world, open_case(world, author="carol", members=("carol",)).envelopes)
    payload = RemoveMember(world["carol"].user_id, lonely.device_heads_of(world["carol"].user_id),
                           Rotation(RotationMode.FULL, bytes(32), (), None))
    with pytest.raises(InvalidEncoding):
        lonely.append(craft(lonely, carol, Kind.REMOVE, payload.to_bytes(), epoch=2))
    payload = RemoveMember(world["carol"].user_id, lonely.device_heads_of(world["carol"].user_id),
                           Rotation(RotationMode.FULL, bytes(32), (wrap_case_key_for_member(
                               new, case_id=lonely.case_id, epoch=2, recipient=world["alice"].roster),), None))
    with pytest.raises(InvalidControlEntry):
        lonely.append(craft(lonely, carol, Kind.REMOVE, payload.to_bytes(), epoch=2))  # nobody would remain
    rotate = RotateKey(rotation(["alice", "carol"], epoch=5))
    with pytest.raises(InvalidControlEntry):
        log.append(craft(log, carol, Kind.ROTATE, rotate.to_bytes(), epoch=4))   # wraps for another epoch
    rotate = RotateKey(rotation(["alice", "carol"], case_id=seed("x", 16)))
    with pytest.raises(InvalidControlEntry):
        log.append(craft(log, carol, Kind.ROTATE, rotate.to_bytes(), epoch=4))   # wraps for another case
    with pytest.raises(InvalidEncoding):
        Rotation(RotationMode.FULL, bytes(32), (), seal_previous_case_key(key, new, case_id=log.case_id,
                                                                         new_epoch=4)).write(Writer())
    with pytest.raises(InvalidControlEntry):
        remove_member_as_coordinator(log, carol.keys, device_id=carol.device_id, user_id=world["bob"].user_id,
                                     case_key=key)
    log.append(remove("alice", ["carol"]))
    assert alice.user_id not in log.state.members


def test_case_keys_are_checked_against_commitments_and_history(world: World, standard: Case) -> None:
    log = replay(world, standard.envelopes)
    with pytest.raises(EpochMismatch):
        log.check_case_keys({4: seed("x")})
    with pytest.raises(KeyCommitmentMismatch):
        log.check_case_keys({2: standard.keys[1]})
    log.check_case_keys(standard.keys)
    # A coordinator who puts a wrong previous key in a history box is caught.
    case = open_case(world)
    carol = world["carol"]
    new = seed("key 2")
    wraps = tuple(wrap_case_key_for_member(new, case_id=case.case_id, epoch=2, recipient=world[m].roster)
                  for m in sorted(["alice", "carol"], key=lambda m: world[m].user_id))
    bad_history = seal_previous_case_key(seed("not the key of epoch 1"), new, case_id=case.case_id, new_epoch=2)
    rotate = RotateKey(Rotation(RotationMode.LINKED, case_key_commitment(new, case_id=case.case_id, epoch=2),
                                wraps, bad_history))
    case.log.append(craft(case.log, carol, Kind.ROTATE, rotate.to_bytes(), epoch=2))
    with pytest.raises(KeyCommitmentMismatch):
        case.log.check_case_keys({1: case.keys[1], 2: new})
    add_member_as_coordinator(case.log, carol.keys, device_id=carol.device_id, new_member=world["dan"].roster,
                              case_key=new, now=T0)
    with pytest.raises(KeyCommitmentMismatch):
        case.log.recover_case_keys_as_member(world["dan"].keys)


def test_a_wrapped_key_that_does_not_match_the_commitment_is_refused(world: World) -> None:
    case = open_case(world)
    carol = world["carol"]
    wrapped = wrap_case_key_for_member(seed("another key"), case_id=case.case_id, epoch=1,
                                       recipient=world["dan"].roster)
    case.log.append(craft(case.log, carol, Kind.ADD, AddMember(MemberGrant(world["dan"].roster, wrapped)).to_bytes()))
    with pytest.raises(KeyCommitmentMismatch):
        case.log.recover_case_keys_as_member(world["dan"].keys)


def test_control_entries_extend_the_latest_control_entry(world: World, standard: Case) -> None:
    log = replay(world, standard.envelopes)
    carol = world["carol"]
    older = log.states[1].entry_hash
    wrapped = wrap_case_key_for_member(standard.keys[1], case_id=log.case_id, epoch=1,
                                       recipient=world["dan"].roster)
    with pytest.raises(ForkDetected):
        log.append(craft(log, carol, Kind.ADD, AddMember(MemberGrant(world["dan"].roster, wrapped)).to_bytes(),
                         epoch=1, control_head=older, device_id=seed("carol's tablet", 16), device_seq=1,
                         prev_hash=bytes(32)))


def test_a_person_granted_again_under_new_keys_opens_with_them_and_skips_wraps_to_the_old(world: World) -> None:
    # Given alice removed, then granted again under new keys (a passphrase reset, serial 2),
    # when she opens the case with the new keys, then the key wrapped to her old keys is passed
    # over (it would not open) and the history box gives her the first epoch.
    old = world["alice"]
    keys = generate_account_keys(old.user_id, encryption_seed=seed("alice again x25519"),
                                 signing_seed=seed("alice again ed25519"))
    entry = sign_roster_entry_as_admin(world.association, user_id=old.user_id, serial=2, role=Role.VOLUNTEER,
                                       team_id=world.team_id, encryption_public=keys.encryption_public,
                                       signing_public=keys.signing_public, now=T0)
    again = World(world.association, world.team_id, world.other_team_id,
                  {**world.people, "alice again": Person("alice again", keys, entry, seed("alice again device", 16))})
    case = open_case(again)
    case.write("alice", body("intake"), "intake")
    case.remove("carol", "alice")
    case.add("carol", "alice again")
    _, recovered, bodies = open_case_log_as_member(case.case_id, case.envelopes, association(world), keys)
    assert recovered == case.keys and len(bodies) == 1
