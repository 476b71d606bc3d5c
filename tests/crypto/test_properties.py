"""Properties over many generated inputs: canonical encodings, unique (key, nonce) pairs, and no
single-byte change to an envelope that goes unnoticed."""

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.caselog import Checkpoint, verify_case_log
from crypto.casekeys import WrappedCaseKey
from crypto.control import parse_control_payload
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import EntryHeader, Kind, entry_key, parse_entry, seal_entry_body
from crypto.errors import CarnetCryptoError
from crypto.roster import verify_roster_entry
from tests.crypto.scenario import Case, World, body, replay, seed

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

mutations = st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=3)
resizes = st.one_of(st.just(0), st.integers(min_value=-3, max_value=-1), st.binary(min_size=1, max_size=3))


def mutate(raw: bytes, changes: list[tuple[int, int]], resize: int | bytes) -> bytes:
    data = bytearray(raw)
    for index, value in changes:
        data[index % len(data)] = value
    if isinstance(resize, bytes):
        return bytes(data) + resize
    return bytes(data[:len(data) + resize] if resize else data)


def assert_canonical(raw: bytes, parse: Callable[[bytes], bytes]) -> None:
    """Either the bytes are refused with a protocol error, or they re-encode to themselves."""
    try:
        again = parse(raw)
    except CarnetCryptoError:
        return
    assert again == raw


@pytest.fixture(scope="module")
def samples(world: World, standard: Case) -> dict[str, tuple[bytes, Callable[[bytes], bytes]]]:
    log = replay(world, standard.envelopes)
    association = world.association.public_key

    def control(kind: Kind) -> Callable[[bytes], bytes]:
        return lambda raw: parse_control_payload(kind, raw, association).to_bytes()

    genesis, add, rotate, remove = (log.entries[i].entry.body for i in (0, 2, 5, 7))
    return {
        "envelope": (standard.envelopes[3], lambda raw: parse_entry(raw).to_bytes()),
        "stub": (parse_entry(standard.envelopes[3]).stub().to_bytes(), lambda raw: parse_entry(raw).to_bytes()),
        "header": (parse_entry(standard.envelopes[3]).header.raw, lambda raw: EntryHeader.from_bytes(raw).raw),
        "roster": (world["carol"].roster.raw, lambda raw: verify_roster_entry(raw, association).raw),
        "wrapped": (log.entries[0].payload.grants[0].wrapped.to_bytes(),
                    lambda raw: WrappedCaseKey.from_bytes(raw).to_bytes()),
        "checkpoint": (log.checkpoint().to_bytes(), lambda raw: Checkpoint.from_bytes(raw).to_bytes()),
        "genesis": (genesis, control(Kind.GENESIS)),
        "add": (add, control(Kind.ADD)),
        "rotate": (rotate, control(Kind.ROTATE)),
        "remove": (remove, control(Kind.REMOVE)),
    }


@SETTINGS
@given(name=st.sampled_from(["envelope", "stub", "header", "roster", "wrapped", "checkpoint", "genesis", "add",
                             "rotate", "remove"]), changes=mutations, resize=resizes)
def test_parse_then_encode_gives_identical_bytes(samples, name: str, changes: list[tuple[int, int]],
                                                 resize: int | bytes) -> None:
    # Given a valid encoding of any format, changed in a few bytes and maybe resized, when it is
    # parsed, then it is either refused with a protocol error (and nothing else) or it is a
    # value whose encoding is exactly these bytes.
    raw, parse = samples[name]
    assert parse(raw) == raw
    assert_canonical(mutate(raw, changes, resize), parse)


@SETTINGS
@given(text=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=12))
def test_base64url_text_decodes_only_if_it_re_encodes_identically(text: str) -> None:
    try:
        data = b64url_decode(text)
    except CarnetCryptoError:
        return
    assert b64url_encode(data) == text


@settings(max_examples=20, deadline=None)
@given(entry_ids=st.lists(st.sampled_from([seed(f"id {i}", 16) for i in range(8)]), min_size=50, max_size=120))
def test_no_key_and_nonce_pair_repeats_across_many_seals(entry_ids: list[bytes]) -> None:
    # Given many seals under one epoch key, even with entry ids repeated (a buggy client), when
    # the (entry key, nonce) pairs are collected, then no pair ever repeats.
    case_key = seed("one epoch key")
    pairs = set()
    for entry_id in entry_ids:
        header = EntryHeader(kind=Kind.CONTENT, case_id=seed("case", 16), entry_id=entry_id, epoch=1,
                             author=bytes(16), device_id=bytes(16), device_seq=2, prev_hash=seed("p"),
                             control_head=seed("c"), lamport=3, time=0)
        sealed = seal_entry_body(header, body("note"), case_key)
        pairs.add((entry_key(case_key, header), sealed[:12]))
    assert len(pairs) == len(entry_ids)
    assert len({key for key, _ in pairs}) == len(set(entry_ids))


@SETTINGS
@given(index=st.integers(min_value=0, max_value=9), position=st.integers(min_value=0),
       xor=st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_to_an_envelope_is_rejected(world: World, standard: Case, index: int,
                                                           position: int, xor: int) -> None:
    # Given any envelope of the standard case (genesis, content, membership, rotation), when
    # any one byte is changed to any other value, then verifying the log up to it raises a
    # protocol error: nothing in an envelope is outside the signature or the format's checks.
    envelope = bytearray(standard.envelopes[index])
    envelope[position % len(envelope)] ^= xor
    keys = {e: k for e, k in standard.keys.items() if e <= parse_entry(standard.envelopes[index]).header.epoch}
    with pytest.raises(CarnetCryptoError):
        verify_case_log(standard.case_id, [*standard.envelopes[:index], bytes(envelope)],
                        world.association.public_key, case_keys=keys)
