"""The device store's key derivation against tests/vectors/device-store-v1.json, and its refusals."""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import devicestore
from crypto.errors import DecryptionFailed, InvalidEncoding
from crypto.kdf import KdfParams, derive_account_secrets

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "device-store-v1.json"


def vectors() -> list[dict]:
    return json.loads(VECTORS.read_text("utf-8"))["vectors"]


def test_device_store_vectors_derive_and_wrap_as_recorded() -> None:
    kek = None
    for vector in vectors():
        if kek is None:
            kek = derive_account_secrets(vector["passphrase"], KdfParams.from_json(vector["kdf"])).kek
        assert kek.hex() == vector["kek"]
        prf = bytes.fromhex(vector["prf"]) if vector["prf"] else None
        assert devicestore.mode_of(prf) == vector["mode"]
        assert devicestore.wrapping_key(kek, prf).hex() == vector["wrapping_key"]
        wrapped = devicestore.wrap_local_key(kek, prf, vector["user_id"], bytes.fromhex(vector["local_key"]),
                                             bytes.fromhex(vector["nonce"]))
        assert wrapped.hex() == vector["wrapped"], vector["comment"]
        assert devicestore.unwrap_local_key(kek, prf, vector["user_id"], bytes.fromhex(vector["nonce"]),
                                            wrapped).hex() == vector["local_key"]


def test_a_prf_mode_key_opens_neither_without_the_prf_output_nor_as_the_other_mode() -> None:
    passphrase_only, with_prf, _other = vectors()
    kek = bytes.fromhex(with_prf["kek"])
    nonce = bytes.fromhex(with_prf["nonce"])
    with pytest.raises(DecryptionFailed):
        devicestore.unwrap_local_key(kek, None, "user-1", nonce, bytes.fromhex(with_prf["wrapped"]))
    with pytest.raises(DecryptionFailed):
        devicestore.unwrap_local_key(kek, bytes(32), "user-1", nonce, bytes.fromhex(with_prf["wrapped"]))
    # The mode-1 wrapped key presented with a PRF output (a downgrade the other way) does not open.
    with pytest.raises(DecryptionFailed):
        devicestore.unwrap_local_key(kek, bytes.fromhex(with_prf["prf"]), "user-1", nonce,
                                     bytes.fromhex(passphrase_only["wrapped"]))
    # The same derivation bytes under the other mode's associated data: the mode byte is bound.
    key = devicestore.wrapping_key(kek, None)
    assert devicestore.store_key_aad(1, "u") != devicestore.store_key_aad(2, "u")
    assert key != devicestore.wrapping_key(kek, bytes(32))


def test_device_store_refuses_bad_prf_outputs_modes_and_records() -> None:
    with pytest.raises(InvalidEncoding):
        devicestore.wrapping_key(bytes(32), bytes(31))
    with pytest.raises(InvalidEncoding):
        devicestore.store_key_aad(3, "u")
    local_key = bytes(32)
    sealed = AESGCM(local_key).encrypt(bytes(12), b'{"a":1}', devicestore.record_aad("case", "c1"))
    assert devicestore.open_record(local_key, "case", "c1", bytes(12), sealed) == b'{"a":1}'
    with pytest.raises(DecryptionFailed):
        devicestore.open_record(local_key, "case", "c2", bytes(12), sealed)
