"""Canonical encodings and the passphrase derivation: one spelling per value, weak parameters refused."""

import pytest

from crypto import labels
from crypto.encoding import MAX_SAFE_INTEGER, Reader, Writer, b64url_decode, b64url_encode
from crypto.errors import (
    InvalidEncoding,
    InvalidKdfParameters,
    OversizedInput,
    TrailingBytes,
    TruncatedInput,
    UnsupportedVersion,
    WrongFormat,
)
from crypto.kdf import (
    MIN_ITERATIONS,
    AccountSecrets,
    KdfParams,
    derive_account_secrets,
    derive_master_secret,
    hkdf_sha256,
    normalize_passphrase,
    split_master_secret,
)


def test_b64url_round_trips_without_padding() -> None:
    for data in (b"", b"\x00", b"\xff\xfe", bytes(range(40))):
        text = b64url_encode(data)
        assert "=" not in text and "+" not in text and "/" not in text
        assert b64url_decode(text) == data


@pytest.mark.parametrize("text", ["AA==", "AB", "A", "a+b/", "A\n", "*", 5])
def test_b64url_refuses_padding_non_canonical_and_foreign_text(text: object) -> None:
    # "AB" decodes to one byte whose canonical spelling is "AA": refused as non-canonical.
    with pytest.raises(InvalidEncoding):
        b64url_decode(text)  # type: ignore[arg-type]


def test_writer_refuses_values_the_field_cannot_carry() -> None:
    for bad in (-1, 256, True, "1"):
        with pytest.raises(InvalidEncoding):
            Writer().u8(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidEncoding):
        Writer().u64(MAX_SAFE_INTEGER + 1)
    with pytest.raises(InvalidEncoding):
        Writer().fixed(b"abc", 4)
    with pytest.raises(InvalidEncoding):
        Writer().fixed(bytearray(4), 4)  # type: ignore[arg-type]
    assert Writer().u16(258).u32(1).u64(MAX_SAFE_INTEGER).getvalue() == \
        bytes.fromhex("0102" "00000001" "001fffffffffffff")


def test_reader_reports_each_way_bytes_can_be_wrong() -> None:
    with pytest.raises(InvalidEncoding):
        Reader(bytearray(b"CNX\x01"), "thing")  # type: ignore[arg-type]
    with pytest.raises(WrongFormat):
        Reader(b"CNX\x01", "thing").prefix(b"CNY")
    with pytest.raises(UnsupportedVersion):
        Reader(b"CNX\x02", "thing").prefix(b"CNX")
    with pytest.raises(UnsupportedVersion):
        Reader(b"CNX\x00", "thing").prefix(b"CNX")
    with pytest.raises(TruncatedInput):
        Reader(b"\x00", "thing").u16()
    with pytest.raises(InvalidEncoding):
        Reader(b"\x00", "thing").uint(1, minimum=1)
    with pytest.raises(OversizedInput):
        Reader(b"\x05", "thing").uint(1, maximum=4)
    with pytest.raises(OversizedInput):
        Reader((MAX_SAFE_INTEGER + 1).to_bytes(8, "big"), "thing").u64()
    reader = Reader(b"\x00\x01\x02", "thing")
    assert reader.u16() == 1 and reader.remaining == 1
    with pytest.raises(TrailingBytes):
        reader.finish()


def test_labels_are_distinct_and_prefix_free() -> None:
    # Domain separation only holds if no label is a prefix of another.
    values = list(labels.ALL_LABELS.values())
    assert len(values) == len(set(values)) == 14
    for a in values:
        assert a.startswith(b"carnet/v1/")
        for b in values:
            assert a == b or not b.startswith(a)


SALT = bytes(range(16))


def test_kdf_params_round_trip_through_json() -> None:
    params = KdfParams(iterations=MIN_ITERATIONS, salt=SALT)
    assert params.to_json() == {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 600000,
                                "salt": "AAECAwQFBgcICQoLDA0ODw"}
    assert KdfParams.from_json(params.to_json()) == params


@pytest.mark.parametrize("changes", [
    {"iterations": MIN_ITERATIONS - 1},
    {"iterations": 10_000_001},
    {"iterations": 600000.0},
    {"v": 2}, {"v": 0}, {"v": True},
    {"alg": "PBKDF2-HMAC-SHA1"},
    {"salt": "AAECAwQFBgcICQoLDA0O"},
    {"salt": "AAECAwQFBgcICQoLDA0ODw=="},
    {"extra": 1},
])
def test_kdf_params_refuse_downgrades_and_unknown_fields(changes: dict[str, object]) -> None:
    # Given parameters a server could send, when they are weaker, of another version or
    # malformed, then the client refuses them before deriving anything.
    data = {**KdfParams(iterations=MIN_ITERATIONS, salt=SALT).to_json(), **changes}
    with pytest.raises(InvalidKdfParameters):
        KdfParams.from_json(data)


def test_kdf_params_refuse_non_objects_and_non_bytes_salts() -> None:
    with pytest.raises(InvalidKdfParameters):
        KdfParams.from_json(["v", "alg", "iterations", "salt"])
    with pytest.raises(InvalidKdfParameters):
        KdfParams(iterations=MIN_ITERATIONS, salt="0123456789abcdef")  # type: ignore[arg-type]


def test_passphrase_derivation_splits_into_independent_secrets() -> None:
    # One PBKDF2 run at the policy minimum, checked against the split done by hand.
    params = KdfParams(iterations=MIN_ITERATIONS, salt=SALT)
    secrets = derive_account_secrets("e\u0301te\u0301", params)
    master = derive_master_secret("\u00e9t\u00e9", params)
    assert secrets == split_master_secret(master)
    assert secrets == AccountSecrets(auth=hkdf_sha256(master, labels.ACCOUNT_AUTH),
                                     kek=hkdf_sha256(master, labels.ACCOUNT_KEK))
    assert secrets.auth != secrets.kek and len(secrets.kek) == 32
    assert normalize_passphrase("e\u0301") == "\u00e9".encode()
