"""Wrapped case keys, history boxes, the entry header, padding, sealing and envelopes."""

import json

import pytest

from crypto.casekeys import (
    HISTORY_BOX_BYTES,
    WRAPPED_KEY_BYTES,
    WrappedCaseKey,
    case_key_commitment,
    check_case_key_commitment,
    new_case_key,
    open_previous_case_key,
    seal_previous_case_key,
    unwrap_case_key_as_member,
    wrap_case_key_for_member,
)
from crypto.entry import (
    HEADER_BYTES,
    MAX_BODY_JSON,
    MAX_JSON_DEPTH,
    MAX_PADDED,
    MIN_PADDED,
    ZERO_HASH,
    Entry,
    EntryHeader,
    Kind,
    check_json_body,
    entry_key,
    is_padded_size,
    make_entry_as_author,
    open_entry_body,
    pad_body,
    padded_size,
    padme,
    parse_entry,
    seal_entry_body,
    unpad_body,
)
from crypto.errors import (
    DecryptionFailed,
    EpochMismatch,
    InvalidBody,
    InvalidEncoding,
    KeyCommitmentMismatch,
    OversizedInput,
    RevokedUser,
    WrongCase,
    WrongFormat,
    WrongRecipient,
)
from crypto.roster import Role, Status, sign_roster_entry_as_admin
from tests.crypto.scenario import T0, World, seed

CASE = seed("a case", 16)
KEY = seed("a case key")


def header(**changes: object) -> EntryHeader:
    fields = dict(kind=Kind.CONTENT, case_id=CASE, entry_id=seed("an entry", 16), epoch=2,
                  author=seed("alice user id", 16), device_id=seed("a device", 16), device_seq=3,
                  prev_hash=seed("previous"), control_head=seed("control"), lamport=9, time=T0)
    fields.update(changes)
    return EntryHeader(**fields)  # type: ignore[arg-type]


def test_case_key_wraps_to_one_member_for_one_case_and_epoch(world: World) -> None:
    alice, bob = world["alice"], world["bob"]
    key = new_case_key()
    wrapped = wrap_case_key_for_member(key, case_id=CASE, epoch=3, recipient=alice.roster)
    raw = wrapped.to_bytes()
    assert len(raw) == WRAPPED_KEY_BYTES == 120 and raw[:4] == b"CNW\x01"
    assert WrappedCaseKey.from_bytes(raw).to_bytes() == raw
    assert unwrap_case_key_as_member(WrappedCaseKey.from_bytes(raw), alice.keys, case_id=CASE, epoch=3) == key
    with pytest.raises(WrongRecipient):
        unwrap_case_key_as_member(wrapped, bob.keys, case_id=CASE, epoch=3)
    with pytest.raises(WrongCase):
        unwrap_case_key_as_member(wrapped, alice.keys, case_id=seed("other case", 16), epoch=3)
    with pytest.raises(EpochMismatch):
        unwrap_case_key_as_member(wrapped, alice.keys, case_id=CASE, epoch=4)
    relabelled = WrappedCaseKey(CASE, 3, bob.user_id, wrapped.sealed)
    with pytest.raises(DecryptionFailed):
        unwrap_case_key_as_member(relabelled, bob.keys, case_id=CASE, epoch=3)


def test_wrapping_refuses_bad_keys_epochs_and_revoked_members(world: World) -> None:
    alice = world["alice"]
    with pytest.raises(InvalidEncoding):
        wrap_case_key_for_member(b"short", case_id=CASE, epoch=1, recipient=alice.roster)
    with pytest.raises(InvalidEncoding):
        wrap_case_key_for_member(KEY, case_id=CASE, epoch=0, recipient=alice.roster)
    revoked = sign_roster_entry_as_admin(world.association, user_id=alice.user_id, serial=2, role=Role.VOLUNTEER,
                                         team_id=world.team_id, encryption_public=alice.keys.encryption_public,
                                         signing_public=alice.keys.signing_public, status=Status.REVOKED, now=T0)
    with pytest.raises(RevokedUser):
        wrap_case_key_for_member(KEY, case_id=CASE, epoch=1, recipient=revoked)


def test_key_commitment_binds_key_case_and_epoch() -> None:
    commitment = case_key_commitment(KEY, case_id=CASE, epoch=1)
    check_case_key_commitment(KEY, commitment, case_id=CASE, epoch=1)
    for key, case_id, epoch in ((seed("x"), CASE, 1), (KEY, seed("x", 16), 1), (KEY, CASE, 2)):
        with pytest.raises(KeyCommitmentMismatch):
            check_case_key_commitment(key, commitment, case_id=case_id, epoch=epoch)


def test_history_box_gives_the_previous_key_to_holders_of_the_new_one() -> None:
    new = seed("new key")
    box = seal_previous_case_key(KEY, new, case_id=CASE, new_epoch=5)
    assert len(box) == HISTORY_BOX_BYTES == 60
    assert open_previous_case_key(box, new, case_id=CASE, new_epoch=5) == KEY
    with pytest.raises(DecryptionFailed):
        open_previous_case_key(box, KEY, case_id=CASE, new_epoch=5)
    with pytest.raises(DecryptionFailed):
        open_previous_case_key(box, new, case_id=CASE, new_epoch=6)
    with pytest.raises(InvalidEncoding):
        open_previous_case_key(box[:-1], new, case_id=CASE, new_epoch=5)
    with pytest.raises(InvalidEncoding):
        seal_previous_case_key(KEY[:5], new, case_id=CASE, new_epoch=5)


def test_header_is_161_bytes_and_parses_back() -> None:
    h = header()
    assert len(h.to_bytes()) == HEADER_BYTES and h.to_bytes()[:5] == b"CNH\x01\x10"
    assert EntryHeader.from_bytes(h.to_bytes()) == h


@pytest.mark.parametrize("changes", [
    {"epoch": 0}, {"device_seq": 0}, {"lamport": 0},
    {"device_seq": 1},                                   # a first entry with a previous hash
    {"prev_hash": ZERO_HASH},                            # a later entry without one
    {"control_head": ZERO_HASH},                         # a non-genesis entry without control head
    {"kind": Kind.GENESIS},                              # a genesis with a control head
    {"kind": Kind.GENESIS, "control_head": ZERO_HASH, "device_seq": 1, "prev_hash": ZERO_HASH},  # epoch 2
    {"epoch": 2**32}, {"time": 2**53},
])
def test_header_rules_refuse_impossible_headers(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidEncoding):
        header(**changes)


def test_header_refuses_unknown_kinds() -> None:
    raw = bytearray(header().to_bytes())
    raw[4] = 5
    with pytest.raises(InvalidEncoding):
        EntryHeader.from_bytes(bytes(raw))


def test_padme_leaks_little_and_has_one_canonical_form() -> None:
    assert [padme(n) for n in (256, 257, 300, 1000, 1025, 5000)] == [256, 272, 304, 1024, 1088, 5120]
    assert padded_size(0) == MIN_PADDED == padded_size(252) and padded_size(253) == 272
    for n in range(256, 70_000, 37):
        size = padme(n)
        assert n <= size <= n * 1.12 + 1 and padme(size) == size and is_padded_size(size)
    assert MAX_PADDED == 1_081_344 and not is_padded_size(MAX_PADDED + 65536) and not is_padded_size(257)


def test_padding_round_trips_and_refuses_every_other_form() -> None:
    body = b'{"t":"note"}'
    padded = pad_body(body)
    assert len(padded) == 256 and unpad_body(padded) == body
    wrong_length = len(body).to_bytes(4, "big") + body + bytes(300 - 4 - len(body))
    nonzero = padded[:-1] + b"\x01"
    huge_length = (MAX_BODY_JSON + 1).to_bytes(4, "big") + padded[4:]
    for bad in (wrong_length, nonzero, huge_length):
        with pytest.raises(InvalidBody):
            unpad_body(bad)


@pytest.mark.parametrize("bad", [
    b"[1]", b'"text"', b"\xef\xbb\xbf{}", b"{\"a\":1,\"a\":2}", b'{"a":NaN}', b"{", b"\xff",
    b"[" * 100000, ("{\"a\":" * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)).encode(),
])
def test_bodies_are_one_json_object_of_bounded_depth(bad: bytes) -> None:
    with pytest.raises(InvalidBody):
        check_json_body(bad)


def test_body_size_and_type_limits() -> None:
    check_json_body(("{\"a\":" * (MAX_JSON_DEPTH - 2) + "[[1]]" + "}" * (MAX_JSON_DEPTH - 2)).encode())
    check_json_body(json.dumps({"a": [{"b": []}], "c": "\u00e9"}).encode())
    with pytest.raises(InvalidBody):
        check_json_body("{}")  # type: ignore[arg-type]
    with pytest.raises(OversizedInput):
        check_json_body(b"{}" + b" " * MAX_BODY_JSON)


def test_sealed_body_opens_only_with_its_key_header_and_bytes() -> None:
    h = header()
    body = b'{"t":"intake","alias":"M."}'
    sealed = seal_entry_body(h, body, KEY, nonce=bytes(12))
    assert len(sealed) == 12 + 256 + 16
    assert open_entry_body(h, sealed, KEY) == body
    assert entry_key(KEY, h) != entry_key(KEY, header(entry_id=seed("other entry", 16)))
    for other_header, key in ((header(epoch=3), KEY), (header(lamport=10), KEY), (h, seed("other"))):
        with pytest.raises(DecryptionFailed):
            open_entry_body(other_header, sealed, key)
    with pytest.raises(InvalidEncoding):
        entry_key(KEY[:31], h)


def test_only_sealed_kinds_seal_and_only_reseals_carry_a_reference() -> None:
    with pytest.raises(InvalidEncoding):
        seal_entry_body(header(kind=Kind.ADD), b"{}", KEY)
    with pytest.raises(InvalidEncoding):
        seal_entry_body(header(), b"{}", KEY, ref=bytes(32))
    with pytest.raises(InvalidEncoding):
        seal_entry_body(header(kind=Kind.RESEAL), b"{}", KEY)
    reseal = header(kind=Kind.RESEAL)
    sealed = seal_entry_body(reseal, b"{}", KEY, ref=seed("original"))
    assert sealed[:32] == seed("original") and open_entry_body(reseal, sealed, KEY) == b"{}"
    with pytest.raises(DecryptionFailed):
        open_entry_body(reseal, seed("another original") + sealed[32:], KEY)


def test_envelope_and_stub_round_trip_and_share_hash_and_signature(world: World) -> None:
    alice = world["alice"]
    h = header(author=alice.user_id)
    entry = make_entry_as_author(h, seal_entry_body(h, b"{}", KEY), alice.keys)
    raw = entry.to_bytes()
    assert raw[:4] == b"CNE\x01" and len(raw) == 4 + 161 + 4 + 284 + 64
    parsed = parse_entry(raw)
    assert parsed == entry and parsed.hash == entry.hash
    stub = entry.stub()
    assert stub.is_stub and len(stub.to_bytes()) == 4 + 161 + 32 + 64
    assert parse_entry(stub.to_bytes()).hash == entry.hash
    parse_entry(stub.to_bytes()).verify_signature(alice.keys.signing_public)
    control = Entry(header(kind=Kind.ADD), b"", bytes(32), bytes(64))
    with pytest.raises(InvalidEncoding):
        control.stub()
    forged_stub = bytearray(stub.to_bytes())
    forged_stub[4 + 4] = Kind.ADD
    with pytest.raises(InvalidEncoding):
        parse_entry(bytes(forged_stub))
    with pytest.raises(WrongFormat):
        parse_entry(b"CNH\x01" + raw[4:])


def test_author_signs_only_their_own_well_sized_entries(world: World) -> None:
    alice, bob = world["alice"], world["bob"]
    with pytest.raises(InvalidEncoding):
        make_entry_as_author(header(author=alice.user_id), b"x" * 301, alice.keys)
    with pytest.raises(InvalidEncoding):
        make_entry_as_author(header(author=bob.user_id), seal_entry_body(header(), b"{}", KEY), alice.keys)
    with pytest.raises(OversizedInput):
        make_entry_as_author(header(kind=Kind.ADD, author=alice.user_id), bytes(MAX_PADDED + 100), alice.keys)


def test_a_signature_checks_under_raw_key_bytes_or_a_decoded_key_and_nothing_else(world: World) -> None:
    from crypto.errors import InvalidSignature
    from crypto.roster import restore_roster_entry

    alice, bob = world["alice"], world["bob"]
    h = header(author=alice.user_id, device_seq=2)
    entry = make_entry_as_author(h, seal_entry_body(h, b"{}", KEY), alice.keys)
    entry.verify_signature(alice.keys.signing_public)
    entry.verify_signature(alice.roster.signing_key)
    # A roster entry restored from a frontier decodes the same key.
    entry.verify_signature(restore_roster_entry(alice.roster.raw).signing_key)
    # Once verified under Alice's key, this entry object remembers that key, and that key only.
    assert entry.verified_under == {alice.keys.signing_public}
    for key in (bob.keys.signing_public, bob.roster.signing_key):
        with pytest.raises(InvalidSignature):
            entry.verify_signature(key)
    other = make_entry_as_author(header(author=alice.user_id, device_seq=3), seal_entry_body(h, b"{}", KEY),
                                 alice.keys)
    forged = Entry(entry.header, entry.body, entry.body_digest, other.signature)
    with pytest.raises(InvalidSignature):
        forged.verify_signature(alice.roster.signing_key)
    assert forged.verified_under == set()
