"""Vectors no one on this team wrote: Project Wycheproof, run against the primitives we use.

Each test runs every applicable test case of one Wycheproof file through the same call the
protocol makes, and also through the protocol's own checks where it adds some (public-key
validation refuses every low-order or non-canonical X25519 key Wycheproof lists).
"""

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature as LibraryInvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from crypto.entry import Entry, EntryHeader, Kind
from crypto.errors import InvalidPublicKey, InvalidSignature
from crypto.kdf import hkdf_sha256
from crypto.keys import check_ed25519_public_key, check_x25519_public_key

WYCHEPROOF = Path(__file__).resolve().parents[1] / "vectors" / "outside" / "wycheproof"


def load(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    data = json.loads((WYCHEPROOF / name).read_text())
    return [(group, test) for group in data["testGroups"] for test in group["tests"]]


def test_x25519_shared_secrets_match_wycheproof() -> None:
    # Given every Wycheproof X25519 case, when the library computes the shared secret,
    # then valid cases match and every case yielding an all-zero secret is refused.
    cases = load("x25519_test.json")
    assert len(cases) == 518
    for _, test in cases:
        private = X25519PrivateKey.from_private_bytes(bytes.fromhex(test["private"]))
        public = X25519PublicKey.from_public_bytes(bytes.fromhex(test["public"]))
        if "ZeroSharedSecret" in test["flags"]:
            with pytest.raises(ValueError):
                private.exchange(public)
        else:
            assert private.exchange(public).hex() == test["shared"], test["tcId"]


def test_x25519_public_key_check_refuses_exactly_low_order_and_non_canonical() -> None:
    # Given every public key of the Wycheproof X25519 file, when the protocol's check runs,
    # then it refuses those flagged low-order or non-canonical and accepts all others.
    refused = accepted = 0
    for _, test in load("x25519_test.json"):
        raw = bytes.fromhex(test["public"])
        if {"LowOrderPublic", "NonCanonicalPublic"} & set(test["flags"]):
            with pytest.raises(InvalidPublicKey):
                check_x25519_public_key(raw)
            refused += 1
        else:
            check_x25519_public_key(raw)
            accepted += 1
    assert refused > 30 and accepted > 400


def test_ed25519_signatures_match_wycheproof() -> None:
    # Given every Wycheproof EdDSA case, when its key passes the protocol's key check and the
    # library verifies, then exactly the valid signatures verify.
    cases = load("ed25519_test.json")
    assert len(cases) == 151
    for group, test in cases:
        key = check_ed25519_public_key(bytes.fromhex(group["publicKey"]["pk"]))
        sig, msg = bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"])
        if test["result"] == "valid":
            key.verify(sig, msg)
        else:
            with pytest.raises(LibraryInvalidSignature):
                key.verify(sig, msg)


def test_entry_signature_check_maps_wycheproof_failures_to_invalid_signature() -> None:
    # Given an invalid Wycheproof signature placed in an entry signed by that key,
    # when the entry's signature is checked, then the protocol raises its own InvalidSignature.
    group, test = next((g, t) for g, t in load("ed25519_test.json") if t["result"] == "invalid" and len(t["sig"]) == 128)
    header = EntryHeader(kind=Kind.GENESIS, case_id=bytes(16), entry_id=bytes(16), epoch=1, author=bytes(16),
                         device_id=bytes(16), device_seq=1, prev_hash=bytes(32), control_head=bytes(32),
                         lamport=1, time=0)
    entry = Entry(header, b"", bytes(32), bytes.fromhex(test["sig"]))
    with pytest.raises(InvalidSignature):
        entry.verify_signature(bytes.fromhex(group["publicKey"]["pk"]))


def test_aes_256_gcm_with_96_bit_nonces_matches_wycheproof() -> None:
    # Given the Wycheproof AES-GCM cases the protocol can meet (256-bit key, 96-bit nonce,
    # 128-bit tag), when the library encrypts and decrypts, then valid cases match byte for
    # byte and invalid ones are refused.
    cases = [(g, t) for g, t in load("aes_gcm_test.json")
             if g["keySize"] == 256 and g["ivSize"] == 96 and g["tagSize"] == 128]
    assert len(cases) > 40
    for _, test in cases:
        aead = AESGCM(bytes.fromhex(test["key"]))
        iv, aad, msg = bytes.fromhex(test["iv"]), bytes.fromhex(test["aad"]), bytes.fromhex(test["msg"])
        sealed = bytes.fromhex(test["ct"] + test["tag"])
        if test["result"] == "valid":
            assert aead.encrypt(iv, msg, aad) == sealed
            assert aead.decrypt(iv, sealed, aad) == msg
        else:
            with pytest.raises(InvalidTag):
                aead.decrypt(iv, sealed, aad)


def test_hkdf_sha256_matches_wycheproof() -> None:
    # Given every Wycheproof HKDF-SHA256 case, when the protocol's helper derives,
    # then valid outputs match and oversized requests are refused.
    cases = load("hkdf_sha256_test.json")
    assert len(cases) == 86
    for _, test in cases:
        args = (bytes.fromhex(test["ikm"]), bytes.fromhex(test["info"]), test["size"],
                bytes.fromhex(test["salt"]) or None)
        if test["result"] == "valid":
            assert hkdf_sha256(*args).hex() == test["okm"], test["tcId"]
        else:
            with pytest.raises(ValueError):
                hkdf_sha256(*args)


def test_pbkdf2_hmac_sha256_matches_wycheproof() -> None:
    # Given every Wycheproof PBKDF2-HMAC-SHA256 case, when the primitive behind
    # derive_master_secret derives, then the output matches.
    cases = load("pbkdf2_hmacsha256_test.json")
    assert len(cases) == 60
    for _, test in cases:
        kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=test["dkLen"], salt=bytes.fromhex(test["salt"]),
                         iterations=test["iterationCount"])
        assert kdf.derive(bytes.fromhex(test["password"])).hex() == test["dk"], test["tcId"]
