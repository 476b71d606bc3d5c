"""RFC 9180 appendix vectors, parsed from the RFC text, prove the library's HPKE is RFC HPKE.

``cryptography``'s HPKE takes no ephemeral key and no associated data, so the RFC's vectors
cannot be fed to it directly. Instead the test rebuilds the RFC construction from primitives
(X25519, HMAC-SHA256, HKDF-Expand, AES-GCM), checks every value of the base-mode vector against
it, then checks that the library opens a ciphertext built with the vector's key schedule, and
that a case key wrapped by the protocol opens with the RFC construction for AES-256-GCM. The
last check is what the browser's HPKE library must agree with.
"""

import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives import hpke

from crypto import labels
from crypto.casekeys import wrap_case_key_for_member

RFC_TEXT = Path(__file__).resolve().parents[1] / "vectors" / "outside" / "hpke-rfc9180-x25519-aes128gcm.txt"
KEM_ID, KDF_ID = 0x0020, 0x0001


def parse_base_mode() -> tuple[dict[str, bytes], list[dict[str, bytes]], list[dict[str, bytes]]]:
    """Read the base-mode section: setup values, encryptions and exported values, as bytes."""
    text = RFC_TEXT.read_text()
    section = text.split("### Base Setup Information", 1)[1].split("### PSK Setup Information", 1)[0]
    blocks = re.findall(r"~~~\n(.*?)~~~", section, flags=re.S)
    assert len(blocks) == 3

    def records(block: str) -> list[dict[str, bytes]]:
        found: list[dict[str, str]] = []
        key = None
        for line in block.splitlines():
            match = re.match(r"^([A-Za-z_ ]+):\s*(.*)$", line)
            if match:
                key, value = match.group(1), match.group(2)
                if not found or key in found[-1]:
                    found.append({})
                found[-1][key] = value
            elif line.strip():
                found[-1][key] += line.strip()
        return [{k: (int(v) if k in {"mode", "kem_id", "kdf_id", "aead_id", "sequence number", "L"}
                     else bytes.fromhex(v)) for k, v in rec.items()} for rec in found]

    setup = records(blocks[0])
    assert len(setup) == 1
    return setup[0], records(blocks[1]), records(blocks[2])


def extract(salt: bytes, ikm: bytes) -> bytes:
    mac = hmac.HMAC(salt, hashes.SHA256())
    mac.update(ikm)
    return mac.finalize()


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    full_info = length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info
    return HKDFExpand(hashes.SHA256(), length, full_info).derive(prk)


KEM_SUITE = b"KEM" + KEM_ID.to_bytes(2, "big")


def derive_key_pair(ikm: bytes) -> bytes:
    return labeled_expand(KEM_SUITE, labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm), b"sk", b"", 32)


def dhkem_shared_secret(dh: bytes, enc: bytes, pk_r: bytes) -> bytes:
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", enc + pk_r, 32)


def key_schedule(shared_secret: bytes, info: bytes, aead_id: int, key_size: int) -> dict[str, bytes]:
    suite = b"HPKE" + KEM_ID.to_bytes(2, "big") + KDF_ID.to_bytes(2, "big") + aead_id.to_bytes(2, "big")
    context = bytes([0]) + labeled_extract(suite, b"", b"psk_id_hash", b"") \
        + labeled_extract(suite, b"", b"info_hash", info)
    secret = labeled_extract(suite, shared_secret, b"secret", b"")
    return {"key_schedule_context": context, "secret": secret,
            "key": labeled_expand(suite, secret, b"key", context, key_size),
            "base_nonce": labeled_expand(suite, secret, b"base_nonce", context, 12),
            "exporter_secret": labeled_expand(suite, secret, b"exp", context, 32), "suite": suite}


def x25519(private: bytes, public: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))


def public_of(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


@pytest.fixture(scope="module")
def vector() -> tuple[dict[str, bytes], list[dict[str, bytes]], list[dict[str, bytes]]]:
    return parse_base_mode()


def test_base_mode_vector_is_the_expected_suite(vector) -> None:
    setup, encryptions, exports = vector
    assert (setup["mode"], setup["kem_id"], setup["kdf_id"], setup["aead_id"]) == (0, 32, 1, 1)
    assert len(encryptions) == 6 and len(exports) == 3


def test_dhkem_x25519_matches_rfc9180(vector) -> None:
    # Given the base-mode vector, when key pairs are derived from ikm and the DHKEM shared
    # secret computed from both sides, then every value equals the RFC's.
    setup, _, _ = vector
    assert derive_key_pair(setup["ikmE"]) == setup["skEm"]
    assert derive_key_pair(setup["ikmR"]) == setup["skRm"]
    assert public_of(setup["skEm"]) == setup["pkEm"] == setup["enc"]
    assert public_of(setup["skRm"]) == setup["pkRm"]
    sender = dhkem_shared_secret(x25519(setup["skEm"], setup["pkRm"]), setup["enc"], setup["pkRm"])
    receiver = dhkem_shared_secret(x25519(setup["skRm"], setup["enc"]), setup["enc"], setup["pkRm"])
    assert sender == receiver == setup["shared_secret"]


def test_key_schedule_matches_rfc9180(vector) -> None:
    setup, _, exports = vector
    schedule = key_schedule(setup["shared_secret"], setup["info"], 1, 16)
    for name in ("key_schedule_context", "secret", "key", "base_nonce", "exporter_secret"):
        assert schedule[name] == setup[name], name
    for export in exports:
        assert labeled_expand(schedule["suite"], schedule["exporter_secret"], b"sec",
                              export.get("exporter_context", b""), export["L"]) == export["exported_value"]


def test_aead_encryptions_match_rfc9180(vector) -> None:
    # Given each encryption of the vector, when AES-128-GCM runs with nonce = base_nonce XOR
    # sequence number, then the ciphertext equals the RFC's.
    setup, encryptions, _ = vector
    for enc in encryptions:
        seq = enc["sequence number"].to_bytes(12, "big")
        nonce = bytes(a ^ b for a, b in zip(setup["base_nonce"], seq))
        assert nonce == enc["nonce"]
        assert AESGCM(setup["key"]).encrypt(nonce, enc["pt"], enc["aad"]) == enc["ct"]


def test_library_hpke_opens_a_ciphertext_made_with_the_rfc_key_schedule(vector) -> None:
    # Given the vector's enc and key schedule, when a single-shot ciphertext (sequence 0,
    # empty aad) is built from them, then cryptography's HPKE opens it with skR and info: the
    # library runs the RFC's DHKEM and key schedule, not something merely similar.
    setup, encryptions, _ = vector
    plaintext = encryptions[0]["pt"]
    single_shot = setup["enc"] + AESGCM(setup["key"]).encrypt(setup["base_nonce"], plaintext, b"")
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
    recipient = X25519PrivateKey.from_private_bytes(setup["skRm"])
    assert suite.decrypt(single_shot, recipient, setup["info"]) == plaintext


def test_protocol_key_wrap_is_rfc9180_base_mode_with_aes_256_gcm(world) -> None:
    # Given a case key wrapped by the protocol to alice, when her side of the RFC construction
    # is computed by hand (AES-256-GCM, the protocol's info), then it opens to the case key.
    alice = world["alice"]
    case_key = bytes(range(32))
    wrapped = wrap_case_key_for_member(case_key, case_id=bytes(16), epoch=7, recipient=alice.roster)
    enc, ciphertext = wrapped.sealed[:32], wrapped.sealed[32:]
    private = alice.keys.encryption_private.private_bytes_raw()
    shared = dhkem_shared_secret(x25519(private, enc), enc, alice.roster.encryption_public)
    schedule = key_schedule(shared, labels.HPKE_CASE_KEY + wrapped.context(), 2, 32)
    assert AESGCM(schedule["key"]).decrypt(schedule["base_nonce"], ciphertext, b"") == case_key
