"""A removed member keeps every key they ever had; the protocol must still lock them out."""

import pytest

from crypto.caselog import open_case_log_as_member, verify_case_log
from crypto.casekeys import unwrap_case_key_as_member
from crypto.entry import Kind, open_entry_body
from crypto.errors import DecryptionFailed, WrongRecipient
from crypto.writer import reencrypt_case_as_coordinator, stub_of
from tests.crypto.scenario import T0, Case, World, body, open_case, replay


def test_removed_member_holding_every_key_cannot_open_entries_after_the_rotation(world: World,
                                                                                standard: Case) -> None:
    # Given bob removed at epoch 3, holding every key he ever received (epochs 1 and 2), when he
    # tries each of them on every entry sealed after his removal, then none opens; none of the
    # wrapped keys of the removal is addressed to him, and opening one anyway fails.
    log = replay(world, standard.envelopes)
    bob = world["bob"]
    bobs_keys = log.recover_case_keys_as_member(bob.keys)
    assert sorted(bobs_keys) == [1, 2]
    after = [v for v in log.entries if v.entry.header.kind == Kind.CONTENT and v.entry.header.epoch == 3]
    assert len(after) == 2
    for verified in after:
        for key in bobs_keys.values():
            with pytest.raises(DecryptionFailed):
                open_entry_body(verified.entry.header, verified.entry.body, key)
    removal = log.entries[7].payload
    assert bob.user_id not in {w.recipient for w in removal.rotation.wraps}
    for wrapped in removal.rotation.wraps:
        with pytest.raises(WrongRecipient):
            unwrap_case_key_as_member(wrapped, bob.keys, case_id=log.case_id, epoch=3)


def test_remaining_members_open_all_history(world: World, standard: Case) -> None:
    # Given the same case, when alice and carol open it, then every entry of every epoch opens.
    for name in ("alice", "carol"):
        _, keys, bodies = open_case_log_as_member(standard.case_id, standard.envelopes,
                                                  world.association.public_key, world[name].keys)
        assert sorted(keys) == [1, 2, 3]
        assert len(bodies) == 6


def test_after_full_reencryption_the_compromised_keys_open_nothing_stored(world: World) -> None:
    # Given a key compromised at epoch 2 and a full re-encryption to epoch 3, when the server
    # has replaced the old envelopes by stubs, then every stored ciphertext is under epoch 3
    # only: the compromised keys open nothing, and members still read everything.
    case = open_case(world, members=("alice", "bob", "carol"))
    case.write("alice", body("intake"), "intake")
    case.rotate("carol")
    case.write("bob", body("edit"), "edit")
    carol = world["carol"]
    reseals, key = reencrypt_case_as_coordinator(case.log, carol.keys, device_id=carol.device_id,
                                                 case_keys=case.keys, now=T0)
    kinds = [v.entry.header.kind for v in replay(world, case.envelopes).entries]
    stored = [stub_of(e) if k == Kind.CONTENT else e for e, k in zip(case.envelopes, kinds)] + reseals
    log = verify_case_log(case.case_id, stored, world.association.public_key)
    sealed = [v.entry for v in log.entries if v.entry.body is not None and v.entry.header.kind in
              (Kind.CONTENT, Kind.RESEAL)]
    assert sealed and all(e.header.epoch == 3 for e in sealed)
    for entry in sealed:
        for compromised in (case.keys[1], case.keys[2]):
            with pytest.raises(DecryptionFailed):
                open_entry_body(entry.header, entry.body, compromised)
    _, keys, bodies = open_case_log_as_member(case.case_id, stored, world.association.public_key,
                                              world["bob"].keys)
    assert keys[3] == key and len(bodies) == 2
