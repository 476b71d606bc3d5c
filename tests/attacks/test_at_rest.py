"""Attackers who only read: a passive server, a device thief, an auditor."""

import pytest

from crypto.caselog import verify_case_log
from crypto.casekeys import wrap_case_key_for_member
from crypto.control import AddMember, MemberGrant
from crypto.entry import Kind, parse_entry
from crypto.errors import DecryptionFailed, InvalidControlEntry
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.keys import unwrap_account_keys_with_kek, wrap_account_keys_with_kek
from tests.crypto.scenario import Case, World, craft, replay, seed


def test_passive_server_stores_no_plaintext_and_sizes_leak_only_padding_buckets(world: World,
                                                                               standard: Case) -> None:
    # Given everything the server stores for the standard case, when it is searched for the
    # content, then no body, and no 12-byte piece of any body, appears in it; and bodies of
    # different lengths under 252 bytes all have the same stored size.
    stored = b"".join(standard.envelopes)
    bodies = replay(world, standard.envelopes).open_with(standard.keys).values()
    for body_json in bodies:
        for start in range(0, len(body_json) - 12):
            assert body_json[start:start + 12] not in stored
    sizes = {len(parse_entry(e).body) for e in standard.envelopes if parse_entry(e).header.kind == Kind.CONTENT}
    assert len({len(b) for b in bodies}) > 1 and sizes == {12 + 256 + 16}


def test_device_thief_without_the_passphrase_cannot_unwrap_the_keys(world: World) -> None:
    # Given a stolen device holding the key blob and the KDF parameters, when the thief tries
    # a wrong passphrase, then the kek it derives does not open the blob.
    params = KdfParams(iterations=600_000, salt=seed("alice salt", 16))
    alice = world["alice"].keys
    blob = wrap_account_keys_with_kek(alice, derive_account_secrets("la vraie phrase de passe", params).kek)
    guess = derive_account_secrets("une phrase devinée", params).kek
    with pytest.raises(DecryptionFailed):
        unwrap_account_keys_with_kek(blob, guess, user_id=alice.user_id)


def test_auditor_verifies_a_case_without_any_key_and_can_never_be_given_one(world: World, standard: Case) -> None:
    # Given the auditor, who holds no case key, when they verify the standard case, then every
    # signature, chain and membership change checks out from ciphertext alone; and an ADD that
    # would make the auditor (or an admin) a member is refused, so they never read content.
    log = verify_case_log(standard.case_id, standard.envelopes, world.association.public_key)
    assert log.recover_case_keys_as_member(world["audrey"].keys) == {}
    wrapped = wrap_case_key_for_member(standard.keys[3], case_id=log.case_id, epoch=3,
                                       recipient=world["audrey"].roster)
    with pytest.raises(InvalidControlEntry):
        log.append(craft(log, world["carol"], Kind.ADD,
                         AddMember(MemberGrant(world["audrey"].roster, wrapped)).to_bytes()))
