"""Attacks on bytes: flipped bits, moved or replayed entries, bad encodings, old or unknown versions.

Each test names the attack it mounts and fails if the defence listed for it in
docs/THREAT_MODEL.md is removed.
"""

import pytest

from crypto.caselog import CaseLog, Checkpoint, verify_case_log
from crypto.casekeys import WrappedCaseKey
from crypto.control import MAX_MEMBERS
from crypto.encoding import b64url_decode
from crypto.entry import HEADER_BYTES, MAX_BODY, MAX_BODY_JSON, Kind, open_entry_body, parse_entry
from crypto.errors import (
    DecryptionFailed,
    EpochMismatch,
    InvalidEncoding,
    InvalidKdfParameters,
    InvalidSignature,
    OversizedInput,
    ReplayedEntry,
    TrailingBytes,
    TruncatedInput,
    UnsupportedVersion,
    WrongCase,
    WrongFormat,
)
from crypto.kdf import KdfParams
from crypto.keys import unwrap_account_keys_with_kek, wrap_account_keys_with_kek
from crypto.roster import verify_roster_entry
from crypto.writer import seal_entry_as_author
from tests.crypto.scenario import T0, Case, World, craft, craft_genesis, replay, seed

CONTENT = 1  # index in the standard case of alice's intake, a content entry of epoch 1


def flip(raw: bytes, offset: int, mask: int = 0x01) -> bytes:
    changed = bytearray(raw)
    changed[offset] ^= mask
    return bytes(changed)


def test_ciphertext_bit_flip_is_rejected(world: World, standard: Case) -> None:
    # Given alice's intake, when the server flips one bit of its ciphertext, then the
    # signature over the body's digest fails for every verifier, keyless or not.
    prefix, envelope = standard.envelopes[:CONTENT], standard.envelopes[CONTENT]
    tampered = flip(envelope, len(envelope) - 64 - 20)
    with pytest.raises(InvalidSignature):
        verify_case_log(standard.case_id, [*prefix, tampered], world.association.public_key)
    # When the author herself re-signs a flipped ciphertext, the AEAD tag still refuses it.
    log = replay(world, prefix)
    entry = parse_entry(envelope)
    forged = craft(log, world["alice"], Kind.CONTENT, flip(entry.body, 40), entry_id=entry.header.entry_id,
                   time=entry.header.time, lamport=entry.header.lamport)
    with pytest.raises(DecryptionFailed):
        verify_case_log(standard.case_id, [*prefix, forged], world.association.public_key, case_keys={1: standard.keys[1]})


def test_header_bit_flip_is_rejected(world: World, standard: Case) -> None:
    # Given alice's intake, when any bit of its header (time, Lamport clock, author, epoch...)
    # is flipped, then its signature fails; if the author re-signs a changed header over the
    # old ciphertext, the header is the AEAD's associated data and decryption fails.
    prefix, envelope = standard.envelopes[:CONTENT], standard.envelopes[CONTENT]
    for offset in (4 + 150, 4 + 160):  # inside the Lamport clock and the time
        with pytest.raises(InvalidSignature):
            verify_case_log(standard.case_id, [*prefix, flip(envelope, offset)], world.association.public_key)
    entry = parse_entry(envelope)
    log = replay(world, prefix)
    forged = craft(log, world["alice"], Kind.CONTENT, entry.body, entry_id=entry.header.entry_id,
                   lamport=entry.header.lamport, time=entry.header.time + 1)
    with pytest.raises(DecryptionFailed):
        verify_case_log(standard.case_id, [*prefix, forged], world.association.public_key, case_keys={1: standard.keys[1]})


def test_entry_moved_to_another_case_is_rejected(world: World, standard: Case) -> None:
    # Given an entry of this case, when the server serves it in another case's log, then the
    # header's case id differs and it is refused; re-signed with the other case id by its
    # author, it no longer opens, because the case id is in the associated data and the key.
    other = seed("another case", 16)
    with pytest.raises(WrongCase):
        CaseLog(other, world.association.public_key).append(standard.envelopes[0])
    log = replay(world, standard.envelopes[:CONTENT])
    entry = parse_entry(standard.envelopes[CONTENT])
    moved = craft(log, world["alice"], Kind.CONTENT, entry.body, case_id=other)
    with pytest.raises(WrongCase):
        log.append(moved)
    with pytest.raises(DecryptionFailed):
        open_entry_body(parse_entry(moved).header, entry.body, standard.keys[1])


def test_entry_replayed_into_another_epoch_is_rejected(world: World, standard: Case) -> None:
    # Given alice's epoch-1 intake, when the server replays the same envelope after the
    # rotation, then it is a replay; when its author re-signs the old ciphertext with an epoch-2
    # header, the epoch is in the associated data and the entry key, so nothing opens.
    upto_rotation = standard.envelopes[:6]
    with pytest.raises(ReplayedEntry):
        verify_case_log(standard.case_id, [*upto_rotation, standard.envelopes[CONTENT]], world.association.public_key)
    log = replay(world, upto_rotation)
    entry = parse_entry(standard.envelopes[CONTENT])
    replayed = craft(log, world["alice"], Kind.CONTENT, entry.body, entry_id=seed("replayed", 16))
    assert parse_entry(replayed).header.epoch == 2
    log.append(replayed)
    with pytest.raises(DecryptionFailed):
        log.open_with({1: standard.keys[1], 2: standard.keys[2]})
    # And claiming epoch 1 while building on the epoch-2 control entry is refused outright.
    with pytest.raises(EpochMismatch):
        log.append(craft(log, world["alice"], Kind.CONTENT, entry.body, epoch=1))


def test_non_canonical_encodings_and_trailing_bytes_are_rejected(world: World, standard: Case) -> None:
    # Given each format, when one byte is appended, or a value is spelled another way, then
    # the parser refuses it: there is one encoding per value.
    with pytest.raises(TrailingBytes):
        CaseLog(standard.case_id, world.association.public_key).append(standard.envelopes[0] + b"\x00")
    with pytest.raises(TrailingBytes):
        verify_roster_entry(world["alice"].roster.raw + b"\x00", world.association.public_key)
    wrapped = replay(world, standard.envelopes).entries[0].payload.grants[0].wrapped.to_bytes()
    with pytest.raises(TrailingBytes):
        WrappedCaseKey.from_bytes(wrapped + b"\x00")
    with pytest.raises(TrailingBytes):
        Checkpoint.from_bytes(replay(world, standard.envelopes).checkpoint().to_bytes() + b"\x00")
    # A control payload with a trailing byte, re-signed by a genuine coordinator, is still refused.
    log = replay(world, standard.envelopes)
    add = replay(world, standard.envelopes[:3]).entries[2].entry.body
    with pytest.raises(TrailingBytes):
        log.append(craft(log, world["carol"], Kind.ADD, add + b"\x00"))
    # An unknown rotation mode is refused even when a genuine coordinator signed it.
    rotate = replay(world, standard.envelopes[:6]).entries[5].entry.body
    with pytest.raises(InvalidEncoding):
        log.append(craft(log, world["carol"], Kind.ROTATE, b"\x03" + rotate[1:], epoch=4))
    # The genesis payload lists its members sorted by user id; another order is refused.
    genesis = parse_entry(standard.envelopes[0]).body
    grants = genesis[50:]
    assert len(grants) == 2 * 298
    swapped = genesis[:50] + grants[298:] + grants[:298]
    with pytest.raises(InvalidEncoding):
        CaseLog(standard.case_id, world.association.public_key).append(
            craft_genesis(world["alice"], swapped, standard.case_id))
    # Base64url text: padding, and a last character with stray low bits, are refused.
    for text in ("AA==", "AB"):
        with pytest.raises(InvalidEncoding):
            b64url_decode(text)
    # A sealed body whose size is not a padded size is refused before any key is used.
    envelope = standard.envelopes[CONTENT]
    body_len = int.from_bytes(envelope[4 + HEADER_BYTES:8 + HEADER_BYTES], "big")
    longer = envelope[:4 + HEADER_BYTES] + (body_len + 1).to_bytes(4, "big") + \
        envelope[8 + HEADER_BYTES:-64] + b"\x00" + envelope[-64:]
    with pytest.raises(InvalidEncoding):
        parse_entry(longer)


def test_truncated_inputs_are_rejected(world: World, standard: Case) -> None:
    # Given every proper prefix of an envelope, a roster entry and a wrapped key, when parsed,
    # then each is refused as truncated (or, for the shortest, as not even the right format).
    for raw, parse in ((standard.envelopes[2], parse_entry),
                       (world["alice"].roster.raw, lambda r: verify_roster_entry(r, world.association.public_key)),
                       (replay(world, standard.envelopes[:1]).entries[0].payload.grants[0].wrapped.to_bytes(),
                        WrappedCaseKey.from_bytes)):
        for end in range(len(raw)):
            with pytest.raises((TruncatedInput, WrongFormat)):
                parse(raw[:end])


def test_oversized_inputs_are_rejected(world: World, standard: Case) -> None:
    # Given a length or count field larger than the protocol allows, when parsed, then it is
    # refused before anything that large is read or allocated.
    envelope = standard.envelopes[CONTENT]
    huge = envelope[:4 + HEADER_BYTES] + (MAX_BODY + 1).to_bytes(4, "big") + envelope[8 + HEADER_BYTES:]
    with pytest.raises(OversizedInput):
        parse_entry(huge)
    genesis = parse_entry(standard.envelopes[0]).body
    too_many = genesis[:48] + (MAX_MEMBERS + 1).to_bytes(2, "big") + genesis[50:]
    with pytest.raises(OversizedInput):
        CaseLog(standard.case_id, world.association.public_key).append(
            craft_genesis(world["alice"], too_many, standard.case_id))
    log = replay(world, standard.envelopes)
    with pytest.raises(OversizedInput):
        seal_entry_as_author(log, world["alice"].keys, device_id=world["alice"].device_id,
                             case_key=standard.keys[3], body_json=b'{"a":"' + b"x" * MAX_BODY_JSON + b'"}', now=T0)


def test_downgraded_or_unknown_versions_and_weaker_kdf_parameters_are_rejected(world: World,
                                                                             standard: Case) -> None:
    # Given each format, when its version byte says 0 or 2, then it is refused as unsupported;
    # given KDF parameters below the policy, the client refuses to derive with them.
    envelope = standard.envelopes[CONTENT]
    for version in (0, 2):
        for offset in (3, 7):  # the envelope's version, then the header's
            changed = bytearray(envelope)
            changed[offset] = version
            with pytest.raises(UnsupportedVersion):
                parse_entry(bytes(changed))
        roster = bytearray(world["alice"].roster.raw)
        roster[3] = version
        with pytest.raises(UnsupportedVersion):
            verify_roster_entry(bytes(roster), world.association.public_key)
        blob = bytearray(wrap_account_keys_with_kek(world["alice"].keys, seed("kek")))
        blob[3] = version
        with pytest.raises(UnsupportedVersion):
            unwrap_account_keys_with_kek(bytes(blob), seed("kek"), user_id=world["alice"].user_id)
    weaker = {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 100_000, "salt": "AAECAwQFBgcICQoLDA0ODw"}
    with pytest.raises(InvalidKdfParameters):
        KdfParams.from_json(weaker)
    with pytest.raises(InvalidKdfParameters):
        KdfParams.from_json({**weaker, "iterations": 600_000, "v": 0})
    with pytest.raises(InvalidKdfParameters):
        KdfParams.from_json({**weaker, "iterations": 600_000, "alg": "PBKDF2-HMAC-SHA1"})

