"""An attacker's reading of a copied browser profile: every wrapped store key and sealed record
the files hold, tried with a passphrase (and an authenticator's PRF output when given), with the
reference derivation of crypto/devicestore.py.

What Chromium writes (measured, docs/THREAT_MODEL.md): IndexedDB is a LevelDB folder per origin
(`Default/IndexedDB/http_localhost_PORT.indexeddb.leveldb`), values in the write-ahead `.log` as
written, then in `.ldb` tables made of blocks that may be snappy-compressed. Each value is a
V8-serialised object: one-byte strings are `"` varint length bytes, byte arrays an ArrayBuffer
(`B` varint length bytes) followed by its view (`V`...). An overwritten or deleted value stays in
these files until LevelDB compacts them. The origin private file system (the store's key file) is
plain files under `Default/File System`.

Values Chromium compresses itself (large ones, in newer versions) are not decoded: the store
key's wrappings, the KDF parameters and the device record are small values, and a large record
that is not decoded is only one the reader fails to open, never one it opens wrongly.

The reader is deliberately blunt: it takes every 12-byte and 48-byte ArrayBuffer anywhere in the
IndexedDB files as a candidate nonce and wrapped key, and every 60-byte window of every file of
the origin private file system, and tries each pair.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crypto import devicestore
from crypto.encoding import b64url_decode
from crypto.errors import CarnetCryptoError, DecryptionFailed
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.keys import unwrap_account_keys_with_kek

NONCE_BYTES = 12
WRAPPED_BYTES = 48
SLOT_BYTES = NONCE_BYTES + WRAPPED_BYTES


def varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def snappy_decompress(data: bytes) -> bytes:
    """The snappy format (LevelDB's block compression): a varint length, then literals and copies."""
    size, at = varint(data, 0)
    out = bytearray()
    while at < len(data) and len(out) < size:
        tag = data[at]
        at += 1
        kind = tag & 3
        if kind == 0:
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(data[at:at + extra], "little")
                at += extra
            out += data[at:at + length + 1]
            at += length + 1
            continue
        if kind == 1:
            length, offset = ((tag >> 2) & 7) + 4, ((tag >> 5) << 8) | data[at]
            at += 1
        else:
            width = 2 if kind == 2 else 4
            length, offset = (tag >> 2) + 1, int.from_bytes(data[at:at + width], "little")
            at += width
        for _ in range(length):
            out.append(out[-offset])
    return bytes(out)


def table_blocks(data: bytes) -> Iterator[bytes]:
    """The data blocks of a LevelDB table (`.ldb`), decompressed; the raw file if it is not one."""
    yield data
    if len(data) < 48 or data[-8:] != bytes.fromhex("57fb808b247547db"):
        return
    footer = data[-48:]
    _meta, at = varint(footer, 0)
    _meta_size, at = varint(footer, at)
    index_offset, at = varint(footer, at)
    index_size, _ = varint(footer, at)
    index = block(data, index_offset, index_size)
    # The index block's values are block handles (offset, size varints); keys vary, so scan for
    # every handle-shaped pair that lands inside the file and decompresses.
    for at in range(len(index)):
        try:
            offset, next_at = varint(index, at)
            size, _ = varint(index, next_at)
        except IndexError:
            continue
        if 0 <= offset < index_offset and 0 < size <= index_offset - offset:
            try:
                yield block(data, offset, size)
            except (IndexError, ValueError):
                continue


def block(data: bytes, offset: int, size: int) -> bytes:
    raw, kind = data[offset:offset + size], data[offset + size]
    if kind == 0:
        return raw
    if kind == 1:
        return snappy_decompress(raw)
    raise ValueError("unknown block compression")


def buffers(data: bytes, size: int) -> set[bytes]:
    """Every V8 ArrayBuffer of `size` bytes followed by its view, anywhere in `data`."""
    marker = b"B" + bytes([size])
    found = set()
    at = data.find(marker)
    while at != -1:
        start = at + len(marker)
        if data[start + size:start + size + 1] == b"V":
            found.add(data[start:start + size])
        at = data.find(marker, at + 1)
    return found


def all_buffers(data: bytes, smallest: int, largest: int) -> set[bytes]:
    """Every V8 ArrayBuffer of `smallest` to `largest` bytes followed by its view."""
    found = set()
    at = data.find(b"B")
    while at != -1:
        try:
            size, start = varint(data, at + 1)
        except IndexError:
            break
        if smallest <= size <= largest and data[start + size:start + size + 1] == b"V":
            found.add(data[start:start + size])
        at = data.find(b"B", at + 1)
    return found


def one_byte_string(data: bytes, at: int) -> tuple[str, int]:
    if data[at:at + 1] != b'"':
        raise ValueError("not a one-byte string")
    length, at = varint(data, at + 1)
    return data[at:at + length].decode("latin-1"), at + length


def array_buffer(data: bytes, at: int) -> tuple[bytes, int]:
    if data[at:at + 1] != b"B":
        raise ValueError("not an ArrayBuffer")
    length, at = varint(data, at + 1)
    return data[at:at + length], at + length


def flat_object(data: bytes, at: int) -> dict[str, object]:
    """The fields of a V8 object of one-byte strings and integers (`I`, zigzag), up to its end."""
    fields: dict[str, object] = {}
    try:
        while data[at:at + 1] == b'"':
            name, at = one_byte_string(data, at)
            if data[at:at + 1] == b'"':
                fields[name], at = one_byte_string(data, at)
            elif data[at:at + 1] == b"I":
                zigzag, at = varint(data, at + 1)
                fields[name] = (zigzag >> 1) ^ -(zigzag & 1)
            else:
                break
    except (ValueError, IndexError):
        pass
    return fields


def skip_view(data: bytes, at: int) -> int:
    if data[at:at + 1] != b"V":
        return at
    at += 2  # "V" and the view's subtag
    for _ in range(3):  # offset, length, flags
        _value, at = varint(data, at)
    return at


@dataclass
class SealedRecord:
    kind: str
    record_id: str
    nonce: bytes
    sealed: bytes


def sealed_records(data: bytes) -> Iterator[SealedRecord]:
    """Every {id, kind, nonce, sealed} object, as the store writes its records and its "keys" entry."""
    for match in re.finditer(rb'"\x02id', data):
        try:
            full_id, at = one_byte_string(data, match.end())
            name, at = one_byte_string(data, at)
            if name != "kind":
                continue
            kind, at = one_byte_string(data, at)
            name, at = one_byte_string(data, at)
            nonce, at = array_buffer(data, at)
            at = skip_view(data, at)
            name2, at = one_byte_string(data, at)
            sealed, at = array_buffer(data, at)
        except (ValueError, IndexError):
            continue
        if name == "nonce" and name2 == "sealed" and full_id.startswith(kind + ":"):
            yield SealedRecord(kind, full_id[len(kind) + 1:], nonce, sealed)


@dataclass
class Profile:
    """What the copied files hold: the IndexedDB bytes (tables decompressed), the private files."""

    indexeddb: list[bytes] = field(default_factory=list)
    private_files: list[bytes] = field(default_factory=list)

    @classmethod
    def read(cls, folder: Path) -> "Profile":
        profile = cls()
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if ".indexeddb.leveldb" in str(path):
                profile.indexeddb.extend(table_blocks(data) if path.suffix == ".ldb" else [data])
            elif "File System" in str(path):
                profile.private_files.append(data)
        return profile

    def strings_after(self, name: str) -> set[str]:
        key = b'"' + bytes([len(name)]) + name.encode("ascii")
        found = set()
        for data in self.indexeddb:
            for match in re.finditer(re.escape(key), data):
                try:
                    found.add(one_byte_string(data, match.end())[0])
                except (ValueError, IndexError, UnicodeDecodeError):
                    continue
        return found

    def kdf_params(self) -> set[KdfParams]:
        """The device record's KDF parameters, as an attacker reads them: every `kdf` object of
        one-byte strings and integers, in whatever order its fields were written."""
        found = set()
        for data in self.indexeddb:
            for match in re.finditer(rb'"\x03kdfo', data):
                fields = flat_object(data, match.end())
                try:
                    found.add(KdfParams.from_json(fields))
                except Exception:  # noqa: BLE001 - a stale, torn or foreign value: not a candidate
                    continue
        return found

    def wrapped_key_candidates(self) -> set[tuple[bytes, bytes]]:
        nonces: set[bytes] = set()
        wrapped: set[bytes] = set()
        for data in self.indexeddb:
            nonces |= buffers(data, NONCE_BYTES)
            wrapped |= buffers(data, WRAPPED_BYTES)
        pairs = {(nonce, key) for nonce in nonces for key in wrapped}
        for data in self.private_files:
            for at in range(0, max(len(data) - SLOT_BYTES + 1, 0)):
                pairs.add((data[at:at + NONCE_BYTES], data[at + NONCE_BYTES:at + SLOT_BYTES]))
        return pairs

    def records(self) -> list[SealedRecord]:
        return [record for data in self.indexeddb for record in sealed_records(data)]


@dataclass
class Opened:
    local_keys: set[bytes]
    records: list[tuple[str, str, bytes]]
    # Escrowed account key blobs found in the clear (they open with the kek alone).
    account_keys: int = 0


def account_key_blobs(profile: Profile, kek: bytes, user_id: str) -> int:
    opened = 0
    for data in profile.indexeddb:
        for blob in all_buffers(data, 60, 400):
            try:
                unwrap_account_keys_with_kek(blob, kek, user_id=b64url_decode(user_id))
                opened += 1
            except (CarnetCryptoError, ValueError):
                continue
    return opened


def try_to_open(folder: Path, passphrase: str, prf_outputs: tuple[bytes | None, ...] = (None,)) -> Opened:
    """Every local store key the copied profile gives up with this passphrase (and these PRF
    outputs; None is the passphrase alone), and every record those keys open."""
    profile = Profile.read(folder)
    pairs = profile.wrapped_key_candidates()
    keys: set[bytes] = set()
    blobs = 0
    for params in profile.kdf_params():
        kek = derive_account_secrets(passphrase, params).kek
        for user_id in profile.strings_after("userId"):
            blobs += account_key_blobs(profile, kek, user_id)
            for prf in prf_outputs:
                for nonce, wrapped in pairs:
                    try:
                        keys.add(devicestore.unwrap_local_key(kek, prf, user_id, nonce, wrapped))
                    except DecryptionFailed:
                        continue
    opened = []
    for record in profile.records():
        for key in keys:
            try:
                opened.append((record.kind, record.record_id,
                               devicestore.open_record(key, record.kind, record.record_id, record.nonce, record.sealed)))
            except DecryptionFailed:
                continue
    return Opened(keys, opened, blobs)
