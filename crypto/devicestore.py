"""The device store's key derivation, the twin of static/js/protocol/kdf.js (docs/PROTOCOL.md,
"The device store").

The browser keeps its records sealed under a random local store key, itself kept wrapped
(AES-256-GCM) under a key derived from the kek. Mode 1, passphrase alone: HKDF(kek, info
LOCAL_STORE). Mode 2, passphrase and an authenticator's PRF output: HKDF(kek, info
DEVICE_STORE_PRF, salt = the PRF output), so that a copy of the disk and the passphrase open
nothing without the authenticator. The mode is the byte after the label in the wrapped key's
associated data. This module lets the tests open (or fail to open) a copied browser profile.
"""

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionFailed, InvalidEncoding
from crypto.kdf import hkdf_sha256

# The device store's labels: not exchanged, so not in crypto/labels.py (as in labels.js).
LOCAL_STORE = b"carnet/v1/kek/local-store"
DEVICE_STORE_PRF = b"carnet/v1/kek/device-store-prf"
LOCAL_STORE_KEY_AAD = b"carnet/v1/local/store-key\x00"
LOCAL_RECORD_AAD = b"carnet/v1/local/record\x00"
MODE_PASSPHRASE = 1
MODE_PRF = 2
PRF_BYTES = 32
KEY_BYTES = 32


def wrapping_key(kek: bytes, prf_output: bytes | None = None) -> bytes:
    """The key that wraps the local store key: mode 1 without a PRF output, mode 2 with one."""
    if prf_output is None:
        return hkdf_sha256(kek, LOCAL_STORE)
    if len(prf_output) != PRF_BYTES:
        raise InvalidEncoding(f"a PRF output is {PRF_BYTES} bytes")
    return hkdf_sha256(kek, DEVICE_STORE_PRF, salt=prf_output)


def mode_of(prf_output: bytes | None) -> int:
    return MODE_PASSPHRASE if prf_output is None else MODE_PRF


def store_key_aad(mode: int, user_id: str) -> bytes:
    if mode not in (MODE_PASSPHRASE, MODE_PRF):
        raise InvalidEncoding("unknown device store mode")
    return LOCAL_STORE_KEY_AAD + bytes([mode]) + user_id.encode("utf-8")


def wrap_local_key(kek: bytes, prf_output: bytes | None, user_id: str, local_key: bytes, nonce: bytes) -> bytes:
    aad = store_key_aad(mode_of(prf_output), user_id)
    return AESGCM(wrapping_key(kek, prf_output)).encrypt(nonce, local_key, aad)


def unwrap_local_key(kek: bytes, prf_output: bytes | None, user_id: str, nonce: bytes, wrapped: bytes) -> bytes:
    """The local store key, or DecryptionFailed."""
    aad = store_key_aad(mode_of(prf_output), user_id)
    try:
        return AESGCM(wrapping_key(kek, prf_output)).decrypt(nonce, wrapped, aad)
    except InvalidTag as exc:
        raise DecryptionFailed("the device store key does not open") from exc


def record_aad(kind: str, record_id: str) -> bytes:
    return LOCAL_RECORD_AAD + kind.encode("utf-8") + b"\x00" + record_id.encode("utf-8")


def open_record(local_key: bytes, kind: str, record_id: str, nonce: bytes, sealed: bytes) -> bytes:
    """A sealed record's plaintext (JSON bytes), or DecryptionFailed."""
    try:
        return AESGCM(local_key).decrypt(nonce, sealed, record_aad(kind, record_id))
    except InvalidTag as exc:
        raise DecryptionFailed("the record does not open") from exc
