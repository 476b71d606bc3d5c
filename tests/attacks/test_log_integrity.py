"""Attacks on the order and completeness of a case log, and on who may change it."""

import pytest

from crypto.caselog import Checkpoint, verify_case_log
from crypto.casekeys import wrap_case_key_for_member
from crypto.control import AddMember, MemberGrant
from crypto.entry import Kind
from crypto.errors import (
    BrokenChain,
    EpochMismatch,
    ForkDetected,
    InvalidSignature,
    KeyCommitmentMismatch,
    NotAMember,
    RollbackDetected,
    StaleEpoch,
    Unauthorized,
)
from crypto.writer import add_member_as_coordinator, rotate_case_key_as_coordinator, seal_entry_as_author
from tests.crypto.scenario import T0, Case, World, body, craft, open_case, replay, seed


def verify(world: World, case: Case, envelopes: list[bytes], **kwargs) -> None:
    verify_case_log(case.case_id, envelopes, world.association.public_key, **kwargs)


def test_a_writers_entry_dropped_from_the_middle_is_detected(world: World, standard: Case) -> None:
    # Given alice's chain (genesis, intake, edit, status), when the server drops her intake,
    # then her next entry names a predecessor that is missing and the log is refused.
    dropped = [e for i, e in enumerate(standard.envelopes) if i != 1]
    with pytest.raises(BrokenChain):
        verify(world, standard, dropped)
    # The first entries of a device can be dropped too: its next entry then has no predecessor.
    log = replay(world, standard.envelopes)
    tablet = dict(device_id=seed("alice's tablet", 16))
    first = craft(log, world["alice"], Kind.CONTENT, case_key=standard.keys[3], body_json=body("one"), **tablet)
    log.append(first)
    second = craft(log, world["alice"], Kind.CONTENT, case_key=standard.keys[3], body_json=body("two"), **tablet)
    verify(world, standard, [*standard.envelopes, first, second])
    with pytest.raises(BrokenChain):
        verify(world, standard, [*standard.envelopes, second])


def test_two_entries_reordered_are_detected(world: World, standard: Case) -> None:
    # Given alice's edit (epoch 2) and her status (epoch 3), when the server swaps them, then
    # the sequence numbers and hash links no longer follow.
    reordered = list(standard.envelopes)
    reordered[6], reordered[8] = reordered[8], reordered[6]
    with pytest.raises(BrokenChain):
        verify(world, standard, reordered)
    # An entry served before the control entry it builds on is refused as well.
    early = list(standard.envelopes)
    early[5], early[6] = early[6], early[5]
    with pytest.raises(BrokenChain):
        verify(world, standard, early)


def test_a_rollback_to_an_older_head_the_client_has_seen_is_detected(world: World, standard: Case) -> None:
    # Given a client that verified the whole log and kept its checkpoint, when the server
    # later serves an older prefix (before the removal of bob), then the client refuses it.
    seen = replay(world, standard.envelopes).checkpoint()
    stored = Checkpoint.from_bytes(seen.to_bytes())
    for cut in (7, 9):
        with pytest.raises(RollbackDetected):
            verify(world, standard, standard.envelopes[:cut], checkpoint=stored)
    verify(world, standard, standard.envelopes, checkpoint=stored)
    # A device the checkpoint knows but the served log lacks entirely is a rollback too.
    with pytest.raises(RollbackDetected):
        verify(world, standard, standard.envelopes[:2], checkpoint=replay(world, standard.envelopes[:3]).checkpoint())


def test_two_members_shown_different_heads_detect_the_fork_when_they_compare(world: World) -> None:
    # Given carol and dan, both coordinators, each rotating offline from the same state, when
    # the server shows alice a log with carol's rotation and bob one with dan's, then each log
    # verifies alone, but their heads differ and each refuses the other's checkpoint.
    case = open_case(world, members=("alice", "bob", "carol", "dan"))
    base = list(case.envelopes)
    dan = world["dan"]
    dans_rotation, _ = rotate_case_key_as_coordinator(replay(world, base), dan.keys, device_id=dan.device_id,
                                                      case_key=case.keys[1], now=T0)
    for_alice = base + [case.rotate("carol")]
    for_bob = base + [dans_rotation]
    alice_view, bob_view = replay(world, for_alice), replay(world, for_bob)
    assert alice_view.checkpoint().head() != bob_view.checkpoint().head()
    assert alice_view.checkpoint().spoken_head() != bob_view.checkpoint().spoken_head()
    with pytest.raises(ForkDetected):
        verify(world, case, for_alice, checkpoint=bob_view.checkpoint())
    with pytest.raises(ForkDetected):
        verify(world, case, for_bob, checkpoint=alice_view.checkpoint())
    # Both rotations in one log: the second does not extend the latest control entry.
    with pytest.raises(ForkDetected):
        verify(world, case, for_alice + for_bob[-1:])


def test_two_entries_at_the_same_place_of_a_device_chain_are_a_fork(world: World, standard: Case) -> None:
    # Given alice's device at sequence n, when a second, different entry claims sequence n
    # (a cloned device, or a server replaying an equivocation), then the verifier reports a fork;
    # a checkpoint naming the other entry at that place is a fork too.
    log = replay(world, standard.envelopes)
    seq, _ = log.device_position(world["alice"].device_id)
    prev = log.entries[6].hash
    twin = craft(log, world["alice"], Kind.CONTENT, case_key=standard.keys[2], body_json=body("twin"),
                 device_seq=seq, prev_hash=prev, control_head=log.states[2].entry_hash, epoch=2)
    with pytest.raises(ForkDetected):
        log.append(twin)
    other_view = replay(world, standard.envelopes[:8])
    other_view.append(twin)
    with pytest.raises(ForkDetected):
        verify(world, standard, standard.envelopes, checkpoint=other_view.checkpoint())


def test_a_member_added_without_a_coordinators_signature_is_refused(world: World, standard: Case) -> None:
    # Given the case, when a volunteer member signs an ADD (for her friend bob, a volunteer),
    # then it is refused; when a coordinator of another team signs one, they are not a member;
    # when the server forges carol's signature, the signature fails.
    log = replay(world, standard.envelopes)
    to_bob = wrap_case_key_for_member(standard.keys[3], case_id=log.case_id, epoch=3, recipient=world["bob"].roster)
    with pytest.raises(Unauthorized):
        log.append(craft(log, world["alice"], Kind.ADD, AddMember(MemberGrant(world["bob"].roster, to_bob)).to_bytes()))
    wrapped = wrap_case_key_for_member(standard.keys[3], case_id=log.case_id, epoch=3, recipient=world["dan"].roster)
    payload = AddMember(MemberGrant(world["dan"].roster, wrapped)).to_bytes()
    with pytest.raises(NotAMember):
        log.append(craft(log, world["oscar"], Kind.ADD, payload))
    with pytest.raises(InvalidSignature):
        log.append(craft(log, world["carol"], Kind.ADD, payload, signer=world["dan"].keys))
    log.append(craft(log, world["carol"], Kind.ADD, payload))


def test_an_entry_sealed_under_an_old_epoch_key_after_a_rotation_is_refused(world: World, standard: Case) -> None:
    # Given alice, whose device already wrote in epoch 3, when an entry of hers built on an
    # older control entry and sealed with the epoch-2 key appears, then it is refused; an
    # entry claiming the old epoch on the new control entry is refused; and an honest writer
    # cannot even make one, as the old key does not match the current commitment.
    log = replay(world, standard.envelopes)
    alice = world["alice"]
    stale = craft(log, alice, Kind.CONTENT, case_key=standard.keys[2], body_json=body("late"),
                  control_head=log.states[2].entry_hash, epoch=2)
    with pytest.raises(StaleEpoch):
        log.append(stale)
    with pytest.raises(EpochMismatch):
        log.append(craft(log, alice, Kind.CONTENT, case_key=standard.keys[2], body_json=body("late"), epoch=2))
    with pytest.raises(KeyCommitmentMismatch):
        seal_entry_as_author(log, alice.keys, device_id=alice.device_id, case_key=standard.keys[2],
                             body_json=body("late"), now=T0)
    with pytest.raises(KeyCommitmentMismatch):
        add_member_as_coordinator(log, world["carol"].keys, device_id=world["carol"].device_id,
                                  new_member=world["dan"].roster, case_key=standard.keys[2], now=T0)


def test_an_entry_from_a_member_removed_before_that_epoch_is_refused(world: World, standard: Case) -> None:
    # Given bob removed at epoch 3, when an entry of his claims epoch 3 (built on his removal),
    # then he is not a member there; when he backdates one onto the control entry before his
    # removal, from his frozen device or a new one, then it is refused as written after removal.
    log = replay(world, standard.envelopes)
    bob = world["bob"]
    with pytest.raises(NotAMember):
        log.append(craft(log, bob, Kind.CONTENT, case_key=standard.keys[3], body_json=body("after")))
    backdated = dict(control_head=log.states[2].entry_hash, epoch=2, lamport=log.max_lamport + 1)
    with pytest.raises(NotAMember):
        log.append(craft(log, bob, Kind.CONTENT, case_key=standard.keys[2], body_json=body("late"), **backdated))
    with pytest.raises(NotAMember):
        log.append(craft(log, bob, Kind.CONTENT, case_key=standard.keys[2], body_json=body("late"),
                         device_id=seed("bob's new phone", 16), device_seq=1, prev_hash=bytes(32), **backdated))
