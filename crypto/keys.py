"""Account and association keys: generation, validation, wrapping by the kek, fingerprints.

Every account holds two key pairs made on the device: X25519 to receive case keys (HPKE) and
Ed25519 to sign entries. The association holds one Ed25519 key that signs the roster; its
fingerprint travels in the enrolment link, which is how a new member's app pins its root of
trust without trusting the server. Private keys leave the device only inside a key blob,
AES-256-GCM under a key derived from the kek, which itself never leaves the device.
"""

import hashlib
import os
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import labels
from crypto.encoding import Reader, Writer
from crypto.errors import (
    AccountKeyMismatch,
    DecryptionFailed,
    InvalidEncoding,
    InvalidPublicKey,
    UntrustedAssociationKey,
)
from crypto.kdf import hkdf_sha256

ID_BYTES = 16
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BLOB_TAG = b"CNK"

# The field prime of Curve25519 and edwards25519, and the Edwards curve constant d.
P25519 = 2**255 - 19
_ED25519_D = (-121665 * pow(121666, -1, P25519)) % P25519

# The five canonical u-coordinates of X25519 points of small order (RFC 7748 section 6.1 warns
# that a shared secret computed with one of them is all zeros, so it carries no secret).
X25519_SMALL_ORDER = frozenset(bytes.fromhex(h) for h in (
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
))

# The eight canonical encodings of edwards25519 points of small order. A signing key equal to
# one of them lets anyone make a signature that verifies for many messages (R = identity,
# S = 0), so no such key may enter the roster.
ED25519_SMALL_ORDER = frozenset(bytes.fromhex(h) for h in (
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
))


def check_x25519_public_key(raw: bytes) -> X25519PublicKey:
    """Accept only a canonical u-coordinate (below p, top bit clear) of a point not of small order."""
    if type(raw) is not bytes or len(raw) != KEY_BYTES:
        raise InvalidPublicKey("an X25519 public key is 32 bytes")
    if int.from_bytes(raw, "little") >= P25519:
        raise InvalidPublicKey("non-canonical X25519 public key")
    if raw in X25519_SMALL_ORDER:
        raise InvalidPublicKey("X25519 public key of small order")
    return X25519PublicKey.from_public_bytes(raw)


def check_ed25519_public_key(raw: bytes) -> Ed25519PublicKey:
    """Accept only the canonical encoding of a curve point that is not of small order.

    Decoding follows RFC 8032 section 5.1.3 strictly: y must be below p, x^2 = (y^2 - 1) /
    (d y^2 + 1) must be a square, and x = 0 must not carry the sign bit.
    """
    if type(raw) is not bytes or len(raw) != KEY_BYTES:
        raise InvalidPublicKey("an Ed25519 public key is 32 bytes")
    return _decode_ed25519_public_key(raw)


# The strict decoding costs two modular exponentiations in Python, twice a signature check: a
# roster entry decodes its signing key once and keeps it (RosterEntry.signing_key).
def _decode_ed25519_public_key(raw: bytes) -> Ed25519PublicKey:
    sign = raw[31] >> 7
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= P25519:
        raise InvalidPublicKey("non-canonical Ed25519 public key")
    x2 = (y * y - 1) * pow(_ED25519_D * y * y + 1, P25519 - 2, P25519) % P25519
    if x2 == 0 and sign:
        raise InvalidPublicKey("non-canonical Ed25519 public key")
    if x2 != 0 and pow(x2, (P25519 - 1) // 2, P25519) != 1:
        raise InvalidPublicKey("Ed25519 public key is not on the curve")
    if raw in ED25519_SMALL_ORDER:
        raise InvalidPublicKey("Ed25519 public key of small order")
    return Ed25519PublicKey.from_public_bytes(raw)


def _public_bytes(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def fresh_bytes(value: bytes | None, size: int) -> bytes:
    """Randomness can be passed in, so that vectors are exact; otherwise the OS provides it."""
    if value is None:
        return os.urandom(size)
    if type(value) is not bytes or len(value) != size:
        raise InvalidEncoding(f"injected randomness must be exactly {size} bytes")
    return value


@dataclass(frozen=True)
class AccountKeys:
    """One account's two private keys, held only on the user's devices."""

    user_id: bytes
    encryption_private: X25519PrivateKey
    signing_private: Ed25519PrivateKey

    @property
    def encryption_public(self) -> bytes:
        return _public_bytes(self.encryption_private)

    @property
    def signing_public(self) -> bytes:
        return _public_bytes(self.signing_private)

    def fingerprint(self) -> bytes:
        return user_fingerprint(self.user_id, self.encryption_public, self.signing_public)


@dataclass(frozen=True)
class AssociationKey:
    """The association's roster-signing key, held by an admin."""

    signing_private: Ed25519PrivateKey

    @property
    def public(self) -> bytes:
        return _public_bytes(self.signing_private)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_private.public_key()


def check_id(value: bytes) -> bytes:
    """Ids are exactly 16 bytes; anything else is refused before it reaches a format."""
    if type(value) is not bytes or len(value) != ID_BYTES:
        raise InvalidEncoding(f"an id is {ID_BYTES} bytes")
    return value


def new_id(value: bytes | None = None) -> bytes:
    """A fresh opaque id (user, team, device, case, entry): 16 random bytes."""
    return fresh_bytes(value, ID_BYTES)


def generate_account_keys(user_id: bytes, *, encryption_seed: bytes | None = None,
                          signing_seed: bytes | None = None) -> AccountKeys:
    """Make a user's key pairs on their device; seeds are for vectors and tests only."""
    return AccountKeys(
        user_id=check_id(user_id),
        encryption_private=X25519PrivateKey.from_private_bytes(fresh_bytes(encryption_seed, KEY_BYTES)),
        signing_private=Ed25519PrivateKey.from_private_bytes(fresh_bytes(signing_seed, KEY_BYTES)),
    )


def generate_association_key(*, seed: bytes | None = None) -> AssociationKey:
    return AssociationKey(Ed25519PrivateKey.from_private_bytes(fresh_bytes(seed, KEY_BYTES)))


class KeyBlobPurpose(IntEnum):
    """What a key blob holds; part of the associated data, so one cannot pass for the other."""

    ACCOUNT = 1
    ASSOCIATION = 2


_BLOB_PLAINTEXT_BYTES = {KeyBlobPurpose.ACCOUNT: 2 * KEY_BYTES, KeyBlobPurpose.ASSOCIATION: KEY_BYTES}


def _key_blob_cipher(kek: bytes) -> AESGCM:
    # The kek is never used as an AES key itself: a labelled HKDF step keeps this use apart from
    # any other use the application makes of the kek.
    if type(kek) is not bytes or len(kek) != KEY_BYTES:
        raise InvalidEncoding("the kek is 32 bytes")
    return AESGCM(hkdf_sha256(kek, labels.KEY_BLOB_WRAP))


def _seal_key_blob(purpose: KeyBlobPurpose, owner_id: bytes, secret: bytes, kek: bytes,
                   nonce: bytes | None) -> bytes:
    head = Writer().prefix(KEY_BLOB_TAG).u8(purpose).fixed(owner_id, ID_BYTES).getvalue()
    nonce = fresh_bytes(nonce, NONCE_BYTES)
    return head + nonce + _key_blob_cipher(kek).encrypt(nonce, secret, head)


def _open_key_blob(purpose: KeyBlobPurpose, blob: bytes, kek: bytes, owner_id: bytes) -> bytes:
    reader = Reader(blob, "key blob")
    reader.prefix(KEY_BLOB_TAG)
    found = reader.u8()
    if found != purpose:
        raise InvalidEncoding(f"key blob holds purpose {found}, expected {int(purpose)}")
    if reader.take(ID_BYTES) != owner_id:
        raise DecryptionFailed("key blob belongs to another user")
    nonce = reader.take(NONCE_BYTES)
    sealed = reader.take(_BLOB_PLAINTEXT_BYTES[purpose] + TAG_BYTES)
    reader.finish()
    try:
        return _key_blob_cipher(kek).decrypt(nonce, sealed, blob[:4 + 1 + ID_BYTES])
    except InvalidTag as exc:
        raise DecryptionFailed("key blob does not open with this kek") from exc


def rewrap_key_blob(blob: bytes, old_kek: bytes, new_kek: bytes, *, owner_id: bytes,
                    nonce: bytes | None = None) -> bytes:
    """The same secret, purpose and owner under a new ``kek`` (a stronger KDF, a new passphrase)."""
    reader = Reader(blob, "key blob")
    reader.prefix(KEY_BLOB_TAG)
    try:
        purpose = KeyBlobPurpose(reader.u8())
    except ValueError as exc:
        raise InvalidEncoding("key blob of an unknown purpose") from exc
    return _seal_key_blob(purpose, owner_id, _open_key_blob(purpose, blob, old_kek, owner_id), new_kek, nonce)


def wrap_account_keys_with_kek(keys: AccountKeys, kek: bytes, *, nonce: bytes | None = None) -> bytes:
    """Seal the account's private keys so the server can escrow them as ciphertext."""
    secret = keys.encryption_private.private_bytes_raw() + keys.signing_private.private_bytes_raw()
    return _seal_key_blob(KeyBlobPurpose.ACCOUNT, keys.user_id, secret, kek, nonce)


def unwrap_account_keys_with_kek(blob: bytes, kek: bytes, *, user_id: bytes) -> AccountKeys:
    secret = _open_key_blob(KeyBlobPurpose.ACCOUNT, blob, kek, user_id)
    return generate_account_keys(user_id, encryption_seed=secret[:KEY_BYTES], signing_seed=secret[KEY_BYTES:])


def wrap_association_key_with_kek(key: AssociationKey, admin_id: bytes, kek: bytes, *,
                                  nonce: bytes | None = None) -> bytes:
    return _seal_key_blob(KeyBlobPurpose.ASSOCIATION, admin_id, key.signing_private.private_bytes_raw(),
                          kek, nonce)


def unwrap_association_key_with_kek(blob: bytes, kek: bytes, *, admin_id: bytes) -> AssociationKey:
    return generate_association_key(seed=_open_key_blob(KeyBlobPurpose.ASSOCIATION, blob, kek, admin_id))


def check_account_keys_match(keys: AccountKeys, encryption_public: bytes, signing_public: bytes) -> None:
    """After unwrapping, a device checks its keys are the ones the roster certifies for it."""
    if keys.encryption_public != encryption_public or keys.signing_public != signing_public:
        raise AccountKeyMismatch("these private keys are not the ones certified for this user")


# Fingerprints.

SPOKEN_GROUPS = 6
SPOKEN_GROUP_BYTES = 5


def association_fingerprint(public: bytes) -> bytes:
    """SHA-256 over a label and the association's signing key: what the enrolment link carries."""
    check_ed25519_public_key(public)
    return hashlib.sha256(labels.FINGERPRINT_ASSOCIATION + public).digest()


def user_fingerprint(user_id: bytes, encryption_public: bytes, signing_public: bytes) -> bytes:
    """SHA-256 over a label, the user id and both public keys: what two people compare aloud."""
    data = Writer().fixed(user_id, ID_BYTES).fixed(encryption_public, KEY_BYTES) \
        .fixed(signing_public, KEY_BYTES).getvalue()
    return hashlib.sha256(labels.FINGERPRINT_USER + data).digest()


def spoken_fingerprint(digest: bytes) -> str:
    """Six groups of five digits (about 100 bits), short enough to read aloud over a phone.

    Group i is bytes 5i to 5i+4 of the digest as a big-endian integer, modulo 100000, written
    with leading zeros. Digits survive every language the association works in.
    """
    if type(digest) is not bytes or len(digest) != 32:
        raise InvalidEncoding("a fingerprint digest is 32 bytes")
    groups = []
    for i in range(SPOKEN_GROUPS):
        chunk = digest[i * SPOKEN_GROUP_BYTES:(i + 1) * SPOKEN_GROUP_BYTES]
        groups.append(f"{int.from_bytes(chunk, 'big') % 100000:05d}")
    return " ".join(groups)


def pin_association_key(public: bytes, fingerprint: bytes) -> Ed25519PublicKey:
    """Accept the association key the server offers only if it matches the link's fingerprint."""
    if type(fingerprint) is not bytes or association_fingerprint(public) != fingerprint:
        raise UntrustedAssociationKey("the association key does not match the enrolment link")
    return check_ed25519_public_key(public)
