"""Case keys: one random AES-256 key per case and epoch, wrapped to each member with HPKE.

A wrapped key is HPKE base mode (RFC 9180) with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
AES-256-GCM, single-shot, empty associated data. The case id, the epoch and the recipient's
user id are both written in clear in the wrapped key and fed to HPKE as ``info``, so a wrapped
key moved to another case, epoch or member no longer opens. A key commitment published with
each epoch lets every member check they all received the same key, and the previous epoch's
key travels sealed under the new one so that members keep the history after a rotation.
"""

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import labels
from crypto.encoding import Reader, Writer
from crypto.errors import (
    DecryptionFailed,
    EpochMismatch,
    InvalidEncoding,
    KeyCommitmentMismatch,
    RevokedUser,
    WrongCase,
    WrongRecipient,
)
from crypto.kdf import hkdf_sha256
from crypto.keys import (
    ID_BYTES,
    KEY_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    AccountKeys,
    check_x25519_public_key,
    fresh_bytes,
)
from crypto.roster import RosterEntry

WRAP_TAG = b"CNW"
HPKE_ENC_BYTES = 32
HPKE_SEALED_BYTES = HPKE_ENC_BYTES + KEY_BYTES + TAG_BYTES
WRAPPED_KEY_BYTES = 4 + ID_BYTES + 4 + ID_BYTES + HPKE_SEALED_BYTES
HISTORY_BOX_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
MAX_EPOCH = 2**32 - 1

# RFC 9180 suite: KEM 0x0020, KDF 0x0001, AEAD 0x0002.
HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def new_case_key(value: bytes | None = None) -> bytes:
    """A fresh 256-bit AES-GCM key for one epoch of one case."""
    return fresh_bytes(value, KEY_BYTES)


def _check_key(key: bytes) -> None:
    if type(key) is not bytes or len(key) != KEY_BYTES:
        raise InvalidEncoding("a case key is 32 bytes")


def _case_epoch(case_id: bytes, epoch: int) -> bytes:
    return Writer().fixed(case_id, ID_BYTES).uint(epoch, 4, MAX_EPOCH).getvalue()


def case_key_commitment(case_key: bytes, *, case_id: bytes, epoch: int) -> bytes:
    """Published in clear with each epoch; HKDF is one-way, so it reveals nothing of the key."""
    _check_key(case_key)
    return hkdf_sha256(case_key, labels.KEY_COMMITMENT + _case_epoch(case_id, epoch))


def check_case_key_commitment(case_key: bytes, commitment: bytes, *, case_id: bytes, epoch: int) -> None:
    if case_key_commitment(case_key, case_id=case_id, epoch=epoch) != commitment:
        raise KeyCommitmentMismatch(f"this key is not the committed key of epoch {epoch}")


class WrappedCaseKey:
    """A case key wrapped to one member: 120 bytes, parsed canonically."""

    __slots__ = ("case_id", "epoch", "recipient", "sealed")

    def __init__(self, case_id: bytes, epoch: int, recipient: bytes, sealed: bytes) -> None:
        self.case_id = case_id
        self.epoch = epoch
        self.recipient = recipient
        self.sealed = sealed

    def context(self) -> bytes:
        """Bytes 4 to 40: case id, epoch, recipient; the HPKE info is the label followed by them."""
        return Writer().fixed(self.case_id, ID_BYTES).uint(self.epoch, 4, MAX_EPOCH) \
            .fixed(self.recipient, ID_BYTES).getvalue()

    def to_bytes(self) -> bytes:
        return Writer().prefix(WRAP_TAG).raw(self.context()).fixed(self.sealed, HPKE_SEALED_BYTES).getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "WrappedCaseKey":
        reader = Reader(raw, "wrapped case key")
        wrapped = cls.read(reader)
        reader.finish()
        return wrapped

    @classmethod
    def read(cls, reader: Reader) -> "WrappedCaseKey":
        reader.prefix(WRAP_TAG)
        case_id = reader.take(ID_BYTES)
        epoch = reader.u32(minimum=1)
        recipient = reader.take(ID_BYTES)
        return cls(case_id, epoch, recipient, reader.take(HPKE_SEALED_BYTES))


def wrap_case_key_for_member(case_key: bytes, *, case_id: bytes, epoch: int,
                             recipient: RosterEntry) -> WrappedCaseKey:
    """Encrypt a case key to a member's certified X25519 key, bound to case, epoch and member.

    The ephemeral HPKE key comes from the library and cannot be injected, so wrapped keys are
    the one output of the protocol that vectors check by opening rather than by bytes.
    """
    _check_key(case_key)
    if epoch < 1:
        raise InvalidEncoding("epochs start at 1")
    if not recipient.active:
        raise RevokedUser("no key is wrapped to a revoked user")
    context = WrappedCaseKey(case_id, epoch, recipient.user_id, bytes(HPKE_SEALED_BYTES)).context()
    public = check_x25519_public_key(recipient.encryption_public)
    sealed = HPKE_SUITE.encrypt(case_key, public, labels.HPKE_CASE_KEY + context)
    return WrappedCaseKey(case_id, epoch, recipient.user_id, sealed)


def unwrap_case_key_as_member(wrapped: WrappedCaseKey, member: AccountKeys, *, case_id: bytes,
                              epoch: int) -> bytes:
    """Open a wrapped key addressed to this member for this case and epoch, or raise."""
    if wrapped.recipient != member.user_id:
        raise WrongRecipient("this wrapped key is addressed to another member")
    if wrapped.case_id != case_id:
        raise WrongCase("this wrapped key belongs to another case")
    if wrapped.epoch != epoch:
        raise EpochMismatch(f"this wrapped key is for epoch {wrapped.epoch}, not {epoch}")
    try:
        case_key = HPKE_SUITE.decrypt(wrapped.sealed, member.encryption_private,
                                      labels.HPKE_CASE_KEY + wrapped.context())
    except InvalidTag as exc:
        raise DecryptionFailed("the wrapped key does not open with this member's key") from exc
    return case_key


def _history_cipher(new_key: bytes, case_id: bytes, new_epoch: int) -> AESGCM:
    _check_key(new_key)
    return AESGCM(hkdf_sha256(new_key, labels.HISTORY_KEY + _case_epoch(case_id, new_epoch)))


def seal_previous_case_key(previous_key: bytes, new_key: bytes, *, case_id: bytes, new_epoch: int,
                           nonce: bytes | None = None) -> bytes:
    """Seal epoch e's key under a key derived from epoch e+1's, so members keep the history.

    A member removed at this rotation never receives the new key, so this box gives them
    nothing; anyone who later receives the new key can walk the history back.
    """
    _check_key(previous_key)
    nonce = fresh_bytes(nonce, NONCE_BYTES)
    return nonce + _history_cipher(new_key, case_id, new_epoch).encrypt(nonce, previous_key, b"")


def open_previous_case_key(box: bytes, new_key: bytes, *, case_id: bytes, new_epoch: int) -> bytes:
    if type(box) is not bytes or len(box) != HISTORY_BOX_BYTES:
        raise InvalidEncoding(f"a history box is {HISTORY_BOX_BYTES} bytes")
    try:
        return _history_cipher(new_key, case_id, new_epoch).decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], b"")
    except InvalidTag as exc:
        raise DecryptionFailed("the history box does not open with this key") from exc

