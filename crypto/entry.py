"""Entries: the header, the padded and sealed body, the author's signature, the entry hash.

The header is public and fixed-size; it is the AEAD associated data of the body, so a body
cannot be moved to another case, entry, epoch or author without failing to open. The body is
UTF-8 JSON, padded to a PADME size so that its length tells little, then AES-256-GCM under a
key derived for this one entry from the epoch key, so no (key, nonce) pair can repeat even if a
random nonce did. The author signs the header and the SHA-256 of the body; the entry hash
covers the same plus the signature. Because both use the body's digest, a server may later keep
only a stub (header, digest, signature) of a resealed entry and every chain still verifies.
"""

import hashlib
import json
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import labels
from crypto.encoding import Reader, Writer
from crypto.errors import (
    DecryptionFailed,
    InvalidBody,
    InvalidEncoding,
    InvalidSignature,
    OversizedInput,
    WrongFormat,
)
from crypto.kdf import hkdf_sha256
from crypto.keys import (
    ID_BYTES,
    KEY_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    AccountKeys,
    check_ed25519_public_key,
    fresh_bytes,
)

HEADER_TAG = b"CNH"
ENVELOPE_TAG = b"CNE"
STUB_TAG = b"CNS"
HASH_BYTES = 32
SIGNATURE_BYTES = 64
HEADER_BYTES = 161
ZERO_HASH = bytes(HASH_BYTES)
MAX_EPOCH = 2**32 - 1


class Kind(IntEnum):
    """What an entry is. Control kinds carry clear payloads; sealed kinds carry ciphertext."""

    GENESIS = 1
    ADD = 2
    REMOVE = 3
    ROTATE = 4
    CONTENT = 16
    RESEAL = 17


CONTROL_KINDS = frozenset({Kind.GENESIS, Kind.ADD, Kind.REMOVE, Kind.ROTATE})
SEALED_KINDS = frozenset({Kind.CONTENT, Kind.RESEAL})

# Padding: the padded plaintext is u32 length || JSON || zeros, of PADME size, at least 256.
MIN_PADDED = 256
MAX_BODY_JSON = 1 << 20
MAX_JSON_DEPTH = 64


def padme(length: int) -> int:
    """PADME (Nikitin et al., PETS 2019): round up so only O(log log L) bits of L remain."""
    exponent = length.bit_length() - 1
    size_bits = exponent.bit_length()
    mask = (1 << (exponent - size_bits)) - 1
    return (length + mask) & ~mask


def padded_size(json_length: int) -> int:
    return padme(max(4 + json_length, MIN_PADDED))


MAX_PADDED = padded_size(MAX_BODY_JSON)
SEALED_OVERHEAD = NONCE_BYTES + TAG_BYTES
MAX_BODY = HASH_BYTES + SEALED_OVERHEAD + MAX_PADDED


def _reject_constant(name: str) -> Any:
    raise InvalidBody(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise InvalidBody("duplicate member name in a JSON object")
    return result


def check_json_body(body_json: bytes) -> None:
    """The body is one JSON object (RFC 8259) in UTF-8, no BOM, no duplicate names, no NaN."""
    if type(body_json) is not bytes:
        raise InvalidBody("a body is bytes")
    if len(body_json) > MAX_BODY_JSON:
        raise OversizedInput(f"a body is at most {MAX_BODY_JSON} bytes")
    try:
        value = json.loads(body_json.decode("utf-8"), object_pairs_hook=_no_duplicates,
                           parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidBody("a body is UTF-8 JSON text") from exc
    if not isinstance(value, dict):
        raise InvalidBody("a body is a JSON object")
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > MAX_JSON_DEPTH:
            raise InvalidBody(f"a body nests at most {MAX_JSON_DEPTH} levels")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))


def pad_body(body_json: bytes) -> bytes:
    check_json_body(body_json)
    size = padded_size(len(body_json))
    return len(body_json).to_bytes(4, "big") + body_json + bytes(size - 4 - len(body_json))


def unpad_body(padded: bytes) -> bytes:
    """Undo the padding, refusing any padding but the one canonical form."""
    length = int.from_bytes(padded[:4], "big")
    if length > MAX_BODY_JSON or len(padded) != padded_size(length) or any(padded[4 + length:]):
        raise InvalidBody("non-canonical padding")
    body_json = padded[4:4 + length]
    check_json_body(body_json)
    return body_json


def is_padded_size(size: int) -> bool:
    return MIN_PADDED <= size <= MAX_PADDED and padme(size) == size


@dataclass(frozen=True)
class EntryHeader:
    """The public header of an entry: 161 bytes, the AEAD associated data of its body."""

    kind: Kind
    case_id: bytes
    entry_id: bytes
    epoch: int
    author: bytes
    device_id: bytes
    device_seq: int
    prev_hash: bytes
    control_head: bytes
    lamport: int
    time: int
    raw: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        raw = (Writer().prefix(HEADER_TAG).u8(self.kind).fixed(self.case_id, ID_BYTES)
               .fixed(self.entry_id, ID_BYTES).uint(self.epoch, 4, MAX_EPOCH).fixed(self.author, ID_BYTES)
               .fixed(self.device_id, ID_BYTES).u64(self.device_seq).fixed(self.prev_hash, HASH_BYTES)
               .fixed(self.control_head, HASH_BYTES).u64(self.lamport).u64(self.time).getvalue())
        # Building a header goes through the parser's rules, so no header can be made that a
        # verifier would refuse.
        _check_header_rules(self.kind, self.epoch, self.device_seq, self.prev_hash, self.control_head,
                            self.lamport)
        object.__setattr__(self, "raw", raw)

    def to_bytes(self) -> bytes:
        return self.raw

    @classmethod
    def from_bytes(cls, raw: bytes) -> "EntryHeader":
        reader = Reader(raw, "entry header")
        header = cls.read(reader)
        reader.finish()
        return header

    @classmethod
    def read(cls, reader: Reader) -> "EntryHeader":
        reader.prefix(HEADER_TAG)
        kind = reader.u8()
        if kind not in Kind._value2member_map_:
            raise InvalidEncoding(f"unknown entry kind {kind}")
        return cls(kind=Kind(kind), case_id=reader.take(ID_BYTES), entry_id=reader.take(ID_BYTES),
                   epoch=reader.u32(), author=reader.take(ID_BYTES), device_id=reader.take(ID_BYTES),
                   device_seq=reader.u64(), prev_hash=reader.take(HASH_BYTES),
                   control_head=reader.take(HASH_BYTES), lamport=reader.u64(), time=reader.u64())


def _check_header_rules(kind: Kind, epoch: int, device_seq: int, prev_hash: bytes, control_head: bytes,
                        lamport: int) -> None:
    if epoch < 1 or device_seq < 1 or lamport < 1:
        raise InvalidEncoding("epoch, device sequence and Lamport clock start at 1")
    if (device_seq == 1) != (prev_hash == ZERO_HASH):
        raise InvalidEncoding("the previous hash is zero exactly for a device's first entry")
    if (kind == Kind.GENESIS) != (control_head == ZERO_HASH):
        raise InvalidEncoding("the control head is zero exactly for the genesis entry")
    if kind == Kind.GENESIS and (epoch != 1 or device_seq != 1):
        raise InvalidEncoding("the genesis entry is epoch 1 and its device's first entry")


def entry_key(case_key: bytes, header: EntryHeader) -> bytes:
    """The AES-256-GCM key of one entry: HKDF of the epoch key over case id, entry id and epoch."""
    if type(case_key) is not bytes or len(case_key) != KEY_BYTES:
        raise InvalidEncoding("a case key is 32 bytes")
    context = Writer().fixed(header.case_id, ID_BYTES).fixed(header.entry_id, ID_BYTES) \
        .u32(header.epoch).getvalue()
    return hkdf_sha256(case_key, labels.ENTRY_KEY + context)


def _sealed_parts(header: EntryHeader, body: bytes) -> tuple[bytes, bytes, bytes]:
    """Split a sealed body into (aad, nonce, ciphertext); a RESEAL's reference joins the aad."""
    ref_size = HASH_BYTES if header.kind == Kind.RESEAL else 0
    ref, nonce, ciphertext = body[:ref_size], body[ref_size:ref_size + NONCE_BYTES], body[ref_size + NONCE_BYTES:]
    return header.raw + ref, nonce, ciphertext


def seal_entry_body(header: EntryHeader, body_json: bytes, case_key: bytes, *, nonce: bytes | None = None,
                    ref: bytes | None = None) -> bytes:
    """Pad and encrypt a body: [ref ||] nonce || AES-256-GCM(entry key, nonce, padded, header [|| ref])."""
    if header.kind not in SEALED_KINDS:
        raise InvalidEncoding("only content and reseal entries carry a sealed body")
    prefix = Writer().fixed(ref, HASH_BYTES).getvalue() if header.kind == Kind.RESEAL else b""
    if header.kind != Kind.RESEAL and ref is not None:
        raise InvalidEncoding("only a reseal entry carries a reference")
    nonce = fresh_bytes(nonce, NONCE_BYTES)
    ciphertext = AESGCM(entry_key(case_key, header)).encrypt(nonce, pad_body(body_json), header.raw + prefix)
    return prefix + nonce + ciphertext


def open_entry_body(header: EntryHeader, body: bytes, case_key: bytes) -> bytes:
    """Decrypt and unpad a sealed body with its epoch key; any change to header or body raises."""
    aad, nonce, ciphertext = _sealed_parts(header, body)
    try:
        padded = AESGCM(entry_key(case_key, header)).decrypt(nonce, ciphertext, aad)
    except InvalidTag as exc:
        raise DecryptionFailed("the entry does not open with this epoch key") from exc
    return unpad_body(padded)


def _check_body_size(header: EntryHeader, size: int) -> None:
    """Sealed bodies have exactly a padded size plus overhead, checkable without the key."""
    if size > MAX_BODY:
        raise OversizedInput(f"an entry body is at most {MAX_BODY} bytes")
    if header.kind in SEALED_KINDS:
        ref_size = HASH_BYTES if header.kind == Kind.RESEAL else 0
        if not is_padded_size(size - ref_size - SEALED_OVERHEAD):
            raise InvalidEncoding("a sealed body has a padded size")


@dataclass(frozen=True)
class Entry:
    """A parsed entry: a full envelope (body present) or a stub (only the body's digest)."""

    header: EntryHeader
    body: bytes | None
    body_digest: bytes
    signature: bytes
    # The control payload parsed from this entry's body, by association key: a server's checks
    # and the log's read it in turn, and parsing verifies every roster entry in it.
    payloads: dict[bytes, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    # The raw keys this entry's signature verified under: a server checks it once before its
    # write lock and the log's rule asks again inside, for the same bytes under the same key.
    verified_under: set[bytes] = field(default_factory=set, init=False, repr=False, compare=False)

    @property
    def is_stub(self) -> bool:
        return self.body is None

    @cached_property
    def hash(self) -> bytes:
        return hashlib.sha256(labels.HASH_ENTRY + self.header.raw + self.body_digest + self.signature).digest()

    def signed_message(self) -> bytes:
        return labels.SIGN_ENTRY + self.header.raw + self.body_digest

    def to_bytes(self) -> bytes:
        if self.body is None:
            return Writer().prefix(STUB_TAG).raw(self.header.raw).raw(self.body_digest).raw(self.signature) \
                .getvalue()
        return Writer().prefix(ENVELOPE_TAG).raw(self.header.raw).u32(len(self.body)).raw(self.body) \
            .raw(self.signature).getvalue()

    def stub(self) -> "Entry":
        """What a server keeps of a resealed entry once its ciphertext is deleted."""
        if self.header.kind not in SEALED_KINDS:
            raise InvalidEncoding("only sealed entries can be reduced to a stub")
        return Entry(self.header, None, self.body_digest, self.signature)

    def verify_signature(self, signing_public: bytes | Ed25519PublicKey) -> None:
        """Check the author's signature, under raw key bytes or a key already decoded strictly."""
        key = check_ed25519_public_key(signing_public) if isinstance(signing_public, bytes) else signing_public
        raw = key.public_bytes_raw()
        if raw in self.verified_under:
            return
        try:
            key.verify(self.signature, self.signed_message())
        except _BadSignature as exc:
            raise InvalidSignature("the entry is not signed by its author's key") from exc
        self.verified_under.add(raw)


def make_entry_as_author(header: EntryHeader, body: bytes, author: AccountKeys) -> Entry:
    """The author's device signs the header and the body's digest with the account signing key."""
    if header.author != author.user_id:
        raise InvalidEncoding("the header names another author")
    _check_body_size(header, len(body))
    digest = hashlib.sha256(body).digest()
    signature = author.signing_private.sign(labels.SIGN_ENTRY + header.raw + digest)
    return Entry(header, body, digest, signature)


def parse_entry(raw: bytes) -> Entry:
    """Parse an envelope (``CNE``) or a stub (``CNS``); signature checks come with the log."""
    reader = Reader(raw, "entry")
    if raw[:3] == STUB_TAG:
        reader.prefix(STUB_TAG)
        header = EntryHeader.read(reader)
        if header.kind not in SEALED_KINDS:
            raise InvalidEncoding("only sealed entries can be stubs")
        body, digest = None, reader.take(HASH_BYTES)
    elif raw[:3] == ENVELOPE_TAG:
        reader.prefix(ENVELOPE_TAG)
        header = EntryHeader.read(reader)
        body = reader.take(reader.u32(maximum=MAX_BODY))
        _check_body_size(header, len(body))
        digest = hashlib.sha256(body).digest()
    else:
        raise WrongFormat("not an entry envelope or stub")
    signature = reader.take(SIGNATURE_BYTES)
    reader.finish()
    return Entry(header, body, digest, signature)
