"""Attacks on who is who: forged signers, unsigned or substituted roster entries, bad public keys,
a wrapped key addressed to someone else, an association key swapped at enrolment."""

import pytest

from crypto import labels
from crypto.caselog import CaseLog, verify_case_log
from crypto.casekeys import unwrap_case_key_as_member, wrap_case_key_for_member
from crypto.control import AddMember, MemberGrant
from crypto.entry import Kind
from crypto.errors import (
    DecryptionFailed,
    InvalidControlEntry,
    InvalidPublicKey,
    InvalidSignature,
    NotAMember,
    UntrustedAssociationKey,
    WrongRecipient,
)
from crypto.keys import (
    ED25519_SMALL_ORDER,
    X25519_SMALL_ORDER,
    association_fingerprint,
    generate_account_keys,
    generate_association_key,
    pin_association_key,
)
from crypto.roster import Role, RosterView, sign_roster_entry_as_admin, verify_roster_entry
from tests.crypto.scenario import T0, Case, World, body, craft, open_case, person, replay

ROSTER_SIGNED_BYTES = 114


def test_signature_by_a_key_not_in_the_roster_is_rejected(world: World, standard: Case) -> None:
    # Given a log, when an entry claims alice as author but is signed by any other key (here
    # a fresh one, as the server or a thief without her key would use), then it is refused.
    log = replay(world, standard.envelopes)
    intruder = generate_account_keys(world["alice"].user_id)
    forged = craft(log, world["alice"], Kind.CONTENT, case_key=standard.keys[3], body_json=body("note"),
                   signer=intruder)
    with pytest.raises(InvalidSignature):
        log.append(forged)
    # A genuine team member who is not in this case cannot sign their way in either.
    with pytest.raises(NotAMember):
        log.append(craft(log, world["dan"], Kind.CONTENT, case_key=standard.keys[3], body_json=body("note")))


def test_roster_entry_not_signed_by_the_association_key_is_rejected(world: World) -> None:
    # Given a roster entry signed by another key (a server making up a member), when a client
    # receives it, or when it is embedded in an ADD entry, then it is refused.
    impostor = generate_association_key()
    mallory = person(impostor, "mallory", Role.VOLUNTEER, world.team_id)
    view = RosterView(world.association.public_key)
    with pytest.raises(InvalidSignature):
        view.accept(mallory.roster.raw)
    case = open_case(world)
    wrapped = wrap_case_key_for_member(case.keys[1], case_id=case.case_id, epoch=1, recipient=mallory.roster)
    add = craft(case.log, world["carol"], Kind.ADD, AddMember(MemberGrant(mallory.roster, wrapped)).to_bytes())
    with pytest.raises(InvalidSignature):
        case.log.append(add)


def test_public_key_substituted_by_the_server_is_rejected(world: World) -> None:
    # Given bob's genuine roster entry, when the server swaps in its own X25519 key (to
    # receive the case keys wrapped to "bob"), then the association's signature no longer
    # verifies and no client wraps anything to it; the fingerprint read aloud differs too.
    server = generate_account_keys(world["bob"].user_id)
    raw = world["bob"].roster.raw
    substituted = raw[:42] + server.encryption_public + raw[74:]
    with pytest.raises(InvalidSignature):
        verify_roster_entry(substituted, world.association.public_key)
    with pytest.raises(InvalidSignature):
        RosterView(world.association.public_key).accept(substituted)
    assert server.fingerprint() != world["bob"].roster.fingerprint()


@pytest.mark.parametrize("raw", sorted(X25519_SMALL_ORDER))
def test_all_zero_or_small_order_x25519_public_key_is_rejected(world: World, raw: bytes) -> None:
    # Given a roster entry whose encryption key is all-zero or of small order (so every
    # "shared secret" with it is public), even when the admin signed it, then it is refused
    # when parsed, and no case key is ever wrapped to it.
    keys = world["bob"].keys
    with pytest.raises(InvalidPublicKey):
        sign_roster_entry_as_admin(world.association, user_id=keys.user_id, serial=2, role=Role.VOLUNTEER,
                                   team_id=world.team_id, encryption_public=raw,
                                   signing_public=keys.signing_public, now=T0)


@pytest.mark.parametrize("raw", sorted(ED25519_SMALL_ORDER))
def test_small_order_ed25519_signing_key_is_rejected(world: World, raw: bytes) -> None:
    keys = world["bob"].keys
    with pytest.raises(InvalidPublicKey):
        sign_roster_entry_as_admin(world.association, user_id=keys.user_id, serial=2, role=Role.VOLUNTEER,
                                   team_id=world.team_id, encryption_public=keys.encryption_public,
                                   signing_public=raw, now=T0)


def test_invalid_x25519_public_key_in_a_signed_roster_entry_is_rejected(world: World) -> None:
    # Given an entry the association signed over a non-canonical key (top bit set), then it
    # is refused at parse time, before its signature is even considered.
    entry = world["bob"].roster
    body = entry.raw[:42] + b"\xff" * 32 + entry.raw[74:ROSTER_SIGNED_BYTES]
    signed = body + world.association.signing_private.sign(labels.SIGN_ROSTER + body)
    with pytest.raises(InvalidPublicKey):
        verify_roster_entry(signed, world.association.public_key)


def test_wrapped_key_addressed_to_someone_else_is_rejected(world: World, standard: Case) -> None:
    # Given carol's wrapped key in the genesis, when the server hands it to alice, then alice
    # refuses it as addressed to another; relabelled for alice, it does not open (the
    # recipient is in the HPKE info and the key is carol's); and a control entry that wraps a
    # new member's key to someone else is refused by every verifier.
    log = replay(world, standard.envelopes)
    grants = {g.roster.user_id: g for g in log.entries[0].payload.grants}
    carols = grants[world["carol"].user_id].wrapped
    with pytest.raises(WrongRecipient):
        unwrap_case_key_as_member(carols, world["alice"].keys, case_id=log.case_id, epoch=1)
    relabelled = type(carols)(carols.case_id, carols.epoch, world["alice"].user_id, carols.sealed)
    with pytest.raises(DecryptionFailed):
        unwrap_case_key_as_member(relabelled, world["alice"].keys, case_id=log.case_id, epoch=1)
    to_bob = wrap_case_key_for_member(standard.keys[3], case_id=log.case_id, epoch=3, recipient=world["bob"].roster)
    add = craft(log, world["carol"], Kind.ADD, AddMember(MemberGrant(world["dan"].roster, to_bob)).to_bytes())
    with pytest.raises(InvalidControlEntry):
        log.append(add)


def test_association_key_substituted_at_enrolment_is_rejected(world: World) -> None:
    # Given the fingerprint carried by the enrolment link, when the server offers its own
    # association key, then the new member's app refuses to pin it.
    link_fingerprint = association_fingerprint(world.association.public)
    with pytest.raises(UntrustedAssociationKey):
        pin_association_key(generate_association_key().public, link_fingerprint)
    pin_association_key(world.association.public, link_fingerprint)


def test_log_verified_under_another_association_key_is_rejected(world: World, standard: Case) -> None:
    # Given a whole case made up by a server under its own association key, when a client
    # verifies it with the pinned key, then the genesis members' roster entries do not verify.
    with pytest.raises(InvalidSignature):
        verify_case_log(standard.case_id, standard.envelopes, generate_association_key().public_key)
    with pytest.raises(InvalidSignature):
        CaseLog(standard.case_id, generate_association_key().public_key).append(standard.envelopes[0])
