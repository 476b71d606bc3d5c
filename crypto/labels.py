"""Every domain-separation string of the protocol, in one place.

Each HKDF derivation, signature, hash and HPKE context uses its own label, so a value computed
for one purpose can never be taken for a value of another (a signature over a roster entry is
never a valid signature over an entry, an entry key is never a history key). All labels are
ASCII, start with ``carnet/v1/`` and none is a prefix of another. A label that is followed by
more bytes ends with a zero byte, so the boundary between label and data is unambiguous.
"""

from crypto import kdf

# HKDF-SHA256 info strings (salt is always empty).
ACCOUNT_AUTH = kdf.AUTH_LABEL
ACCOUNT_KEK = kdf.KEK_LABEL
KEY_BLOB_WRAP = b"carnet/v1/kek/key-blob"
ENTRY_KEY = b"carnet/v1/case/entry-key\x00"
HISTORY_KEY = b"carnet/v1/case/history-key\x00"
KEY_COMMITMENT = b"carnet/v1/case/key-commitment\x00"

# HPKE info prefix for wrapping a case key to one member.
HPKE_CASE_KEY = b"carnet/v1/hpke/case-key\x00"

# Ed25519 signature contexts: the signed message is the label followed by the data.
SIGN_ROSTER = b"carnet/v1/sign/roster\x00"
SIGN_ENTRY = b"carnet/v1/sign/entry\x00"
SIGN_MEASURES = b"carnet/v1/sign/team-measures\x00"

# SHA-256 hash contexts.
HASH_ENTRY = b"carnet/v1/hash/entry\x00"
HASH_CASE_HEAD = b"carnet/v1/hash/case-head\x00"
FINGERPRINT_ASSOCIATION = b"carnet/v1/fingerprint/association\x00"
FINGERPRINT_USER = b"carnet/v1/fingerprint/user\x00"

ALL_LABELS: dict[str, bytes] = {
    name: value for name, value in globals().items() if name.isupper() and isinstance(value, bytes)
}
