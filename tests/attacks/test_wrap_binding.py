"""Attacks on the binding of a wrapped case key: HPKE info naming another case, epoch or member.

A wrapped key carries its case id, epoch and recipient twice: in clear (the labels every
verifier checks) and inside HPKE's ``info``. Each attack here keeps the labels right and the
case key right, and seals it under the info the code computes for another case, another epoch
or another recipient, with ``cryptography``'s HPKE directly. The recipient must refuse it, and a
member reading a case log that grants them such a wrap must obtain no key.

The forged info is captured from ``wrap_case_key_for_member`` itself rather than rebuilt here, so
that if the code ever stopped putting one of the three in the info, the forged wrap would open
and the matching test would fail.
"""

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from crypto import casekeys, labels
from crypto.caselog import open_case_log_as_member, verify_case_log
from crypto.casekeys import WrappedCaseKey, unwrap_case_key_as_member, wrap_case_key_for_member
from crypto.control import AddMember, MemberGrant
from crypto.entry import Kind
from crypto.errors import DecryptionFailed
from crypto.roster import RosterEntry
from tests.crypto.scenario import Case, World, craft, replay, seed

EPOCH = 3  # the standard case's last epoch: dan is granted its key


class RecordingSuite:
    """Stands in for the code's HPKE suite and records the info of each encryption."""

    def __init__(self, suite: hpke.Suite) -> None:
        self.suite = suite
        self.infos: list[bytes] = []

    def encrypt(self, plaintext: bytes, public_key: X25519PublicKey, info: bytes) -> bytes:
        self.infos.append(info)
        return self.suite.encrypt(plaintext, public_key, info)


def info_the_code_computes(case_key: bytes, *, case_id: bytes, epoch: int, recipient: RosterEntry) -> bytes:
    """The HPKE info wrap_case_key_for_member passes for this case, epoch and recipient."""
    recorder = RecordingSuite(casekeys.HPKE_SUITE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(casekeys, "HPKE_SUITE", recorder)
        wrap_case_key_for_member(case_key, case_id=case_id, epoch=epoch, recipient=recipient)
    (info,) = recorder.infos
    assert info.startswith(labels.HPKE_CASE_KEY)
    return info


def forge_wrap(case_key: bytes, *, sealed_to: RosterEntry, info: bytes, case_id: bytes, epoch: int,
               recipient: bytes) -> WrappedCaseKey:
    """HPKE base mode to the member's certified key under any info, with any labels in clear."""
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    sealed = suite.encrypt(case_key, X25519PublicKey.from_public_bytes(sealed_to.encryption_public), info)
    return WrappedCaseKey(case_id, epoch, recipient, sealed)


def grant_to_dan(world: World, standard: Case, wrapped: WrappedCaseKey) -> list[bytes]:
    """The standard case with carol adding dan, whose grant is the given wrap."""
    log = replay(world, standard.envelopes)
    add = craft(log, world["carol"], Kind.ADD, AddMember(MemberGrant(world["dan"].roster, wrapped)).to_bytes())
    return [*standard.envelopes, add]


def assert_dan_cannot_obtain_the_key(world: World, standard: Case, *, info: bytes) -> None:
    """Dan is handed the right key of epoch 3, labelled for him, case and epoch 3, sealed under ``info``.

    As a control, the same forgery under the info the code computes for the right labels opens.
    """
    dan, key = world["dan"], standard.keys[EPOCH]
    labels_in_clear = dict(case_id=standard.case_id, epoch=EPOCH, recipient=dan.user_id)
    honest_info = info_the_code_computes(key, case_id=standard.case_id, epoch=EPOCH, recipient=dan.roster)
    honest = forge_wrap(key, sealed_to=dan.roster, info=honest_info, **labels_in_clear)
    assert unwrap_case_key_as_member(honest, dan.keys, case_id=standard.case_id, epoch=EPOCH) == key
    forged = forge_wrap(key, sealed_to=dan.roster, info=info, **labels_in_clear)

    # When dan unwraps it, then it is refused.
    with pytest.raises(DecryptionFailed):
        unwrap_case_key_as_member(forged, dan.keys, case_id=standard.case_id, epoch=EPOCH)
    # When carol grants it to dan in the case log, then a keyless verifier sees nothing wrong
    # (every label is right), but dan reading the log obtains no key.
    envelopes = grant_to_dan(world, standard, forged)
    verify_case_log(standard.case_id, envelopes, world.association.public_key)
    with pytest.raises(DecryptionFailed):
        open_case_log_as_member(standard.case_id, envelopes, world.association.public_key, dan.keys)
    _, keys, _ = open_case_log_as_member(standard.case_id, grant_to_dan(world, standard, honest),
                                         world.association.public_key, dan.keys)
    assert keys[EPOCH] == key


def test_wrap_sealed_under_another_cases_info_is_refused(world: World, standard: Case) -> None:
    # Given the right key of epoch 3, labelled for the standard case, when it is sealed to dan
    # under the info the code computes for another case (same epoch, same recipient), then
    # dan refuses it and cannot obtain the key from the log.
    other_case = seed("another case id", 16)
    info = info_the_code_computes(standard.keys[EPOCH], case_id=other_case, epoch=EPOCH, recipient=world["dan"].roster)
    assert_dan_cannot_obtain_the_key(world, standard, info=info)


def test_wrap_sealed_under_another_epochs_info_is_refused(world: World, standard: Case) -> None:
    # Given the right key of epoch 3, labelled epoch 3, when it is sealed to dan under the info
    # the code computes for epoch 2 of the same case (same recipient), then dan refuses it and
    # cannot obtain the key from the log.
    info = info_the_code_computes(standard.keys[EPOCH], case_id=standard.case_id, epoch=EPOCH - 1,
                                  recipient=world["dan"].roster)
    assert_dan_cannot_obtain_the_key(world, standard, info=info)


def test_wrap_sealed_under_another_recipients_info_is_refused(world: World, standard: Case) -> None:
    # Given the right key of epoch 3, labelled for dan and sealed to dan's certified key, when
    # the info is the one the code computes for alice (same case, same epoch), then dan refuses
    # it and cannot obtain the key from the log.
    info = info_the_code_computes(standard.keys[EPOCH], case_id=standard.case_id, epoch=EPOCH,
                                  recipient=world["alice"].roster)
    assert_dan_cannot_obtain_the_key(world, standard, info=info)
