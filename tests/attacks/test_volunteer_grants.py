"""Attacks on the one grant a volunteer may write (docs/PROTOCOL.md 8.6): an ADD whose new member
is an active coordinator of the case's team. Each test fails if the rule is widened (checked by
letting a volunteer add anyone: ``_grants_a_coordinator`` returning True)."""

import pytest

from crypto.casekeys import wrap_case_key_for_member
from crypto.control import AddMember, MemberGrant
from crypto.entry import Kind
from crypto.errors import InvalidControlEntry, Unauthorized
from crypto.roster import Role, RosterEntry, Status, sign_roster_entry_as_admin
from crypto.writer import add_member_as_coordinator, remove_member_as_coordinator, rotate_case_key_as_coordinator
from tests.crypto.scenario import T0, Case, World, craft, open_case, replay, seed


@pytest.fixture
def alone(world: World) -> Case:
    """A case alice opened before her team had a certified coordinator: she is its only member."""
    return open_case(world, members=("alice",), case_id=seed("a case alone", 16))


def add_by_alice(world: World, case: Case, roster: RosterEntry, wrap_to: RosterEntry | None = None) -> bytes:
    log = replay(world, case.envelopes, case.case_id)
    wrapped = wrap_case_key_for_member(case.keys[1], case_id=case.case_id, epoch=1, recipient=wrap_to or roster)
    return craft(log, world["alice"], Kind.ADD, AddMember(MemberGrant(roster, wrapped)).to_bytes())


def test_a_volunteer_shares_her_case_with_her_teams_coordinator(world: World, alone: Case) -> None:
    # Given alice alone in her case, when her device adds carol, a coordinator of the team, the
    # log accepts it and carol can read every key; the honest writer makes the same entry.
    log = replay(world, alone.envelopes, alone.case_id)
    log.append(add_by_alice(world, alone, world["carol"].roster))
    assert set(log.state.members) == {world["alice"].user_id, world["carol"].user_id}
    honest = replay(world, alone.envelopes, alone.case_id)
    add_member_as_coordinator(honest, world["alice"].keys, device_id=world["alice"].device_id,
                              new_member=world["dan"].roster, case_key=alone.keys[1], now=T0)
    assert honest.recover_case_keys_as_member(world["dan"].keys) == {1: alone.keys[1]}


@pytest.mark.parametrize("name", ["bob", "audrey"])
def test_a_volunteer_cannot_add_a_volunteer_or_an_auditor(world: World, alone: Case, name: str) -> None:
    # Given alice, when she adds bob (a volunteer of her team) or audrey (an auditor), the log
    # refuses it: a volunteer's grant goes to coordinators only.
    log = replay(world, alone.envelopes, alone.case_id)
    with pytest.raises(Unauthorized):
        log.append(add_by_alice(world, alone, world[name].roster))
    assert len(log.entries) == 1


def test_a_volunteer_cannot_add_a_coordinator_of_another_team_or_a_revoked_one(world: World, alone: Case) -> None:
    # Given alice, when she adds oscar (a coordinator of another team), or carol's revoked roster
    # entry, the ADD is refused as every such grant is, whoever writes it.
    log = replay(world, alone.envelopes, alone.case_id)
    with pytest.raises(InvalidControlEntry):
        log.append(add_by_alice(world, alone, world["oscar"].roster))
    carol = world["carol"]
    revoked = sign_roster_entry_as_admin(world.association, user_id=carol.user_id, serial=2, role=Role.COORDINATOR,
                                         team_id=world.team_id, encryption_public=carol.keys.encryption_public,
                                         signing_public=carol.keys.signing_public, status=Status.REVOKED, now=T0)
    with pytest.raises(InvalidControlEntry):
        log.append(add_by_alice(world, alone, revoked, wrap_to=carol.roster))


def test_a_volunteer_still_cannot_remove_or_rotate(world: World, standard: Case) -> None:
    # Given alice a member of the standard case, when she removes carol or rotates the key (the
    # writer builds the entries, the log refuses them before they are kept), both are refused.
    alice = world["alice"]
    for write in (
        lambda log: remove_member_as_coordinator(log, alice.keys, device_id=alice.device_id,
                                                 user_id=world["carol"].user_id, case_key=standard.keys[3], now=T0),
        lambda log: rotate_case_key_as_coordinator(log, alice.keys, device_id=alice.device_id,
                                                   case_key=standard.keys[3], now=T0),
    ):
        log = replay(world, standard.envelopes)
        with pytest.raises(Unauthorized):
            write(log)
        assert len(log.entries) == len(standard.envelopes)
