"""Encodings shared by every format of the protocol: base64url text and fixed binary layouts.

Every binary format is a fixed sequence of fields: a 3-byte ASCII tag and a 1-byte version,
then big-endian unsigned integers, fixed-size byte strings and counted lists. There is no
optional field and no alternative spelling, so each value has exactly one encoding: a parser
that accepts some bytes re-encodes them to the same bytes, and it refuses everything else
(short input, trailing bytes, out-of-range numbers, unsorted lists). That is what lets two
implementations compare hashes and signatures over the bytes without ever disagreeing.
"""

import base64
import binascii

from crypto.errors import (
    InvalidEncoding,
    OversizedInput,
    TrailingBytes,
    TruncatedInput,
    UnsupportedVersion,
    WrongFormat,
)

__all__ = ["InvalidEncoding", "MAX_SAFE_INTEGER", "PROTOCOL_VERSION", "Reader", "Writer",
           "b64url_decode", "b64url_encode"]

PROTOCOL_VERSION = 1
# Integers carried in u64 fields stay below 2**53 so JavaScript numbers hold them exactly.
MAX_SAFE_INTEGER = 2**53 - 1


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url without padding; anything that would not re-encode identically is refused."""
    if not isinstance(text, str) or "=" in text:
        raise InvalidEncoding("base64url text must be a string without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidEncoding("not base64url") from exc
    if b64url_encode(data) != text:
        raise InvalidEncoding("non-canonical base64url")
    return data


class Writer:
    """Builds one binary value field by field, refusing values the format cannot carry."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def prefix(self, tag: bytes) -> "Writer":
        self._parts.append(tag + bytes([PROTOCOL_VERSION]))
        return self

    def uint(self, value: int, size: int, maximum: int | None = None) -> "Writer":
        limit = maximum if maximum is not None else (1 << (8 * size)) - 1
        # Booleans are ints in Python but never numbers of the protocol; IntEnums are.
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
            raise InvalidEncoding(f"{value!r} does not fit the field")
        self._parts.append(int(value).to_bytes(size, "big"))
        return self

    def u8(self, value: int) -> "Writer":
        return self.uint(value, 1)

    def u16(self, value: int) -> "Writer":
        return self.uint(value, 2)

    def u32(self, value: int) -> "Writer":
        return self.uint(value, 4)

    def u64(self, value: int) -> "Writer":
        return self.uint(value, 8, MAX_SAFE_INTEGER)

    def fixed(self, value: bytes, size: int) -> "Writer":
        if type(value) is not bytes or len(value) != size:
            raise InvalidEncoding(f"field must be exactly {size} bytes")
        self._parts.append(value)
        return self

    def raw(self, value: bytes) -> "Writer":
        self._parts.append(bytes(value))
        return self

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Reads one binary value field by field; every way the bytes can be wrong raises."""

    def __init__(self, data: bytes, what: str) -> None:
        if type(data) is not bytes:
            raise InvalidEncoding(f"{what} must be bytes")
        self._data = data
        self._pos = 0
        self.what = what

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, size: int) -> bytes:
        if self.remaining < size:
            raise TruncatedInput(f"{self.what} is truncated")
        value = self._data[self._pos:self._pos + size]
        self._pos += size
        return value

    def prefix(self, tag: bytes) -> None:
        """Check the 3-byte tag, then the version: a wrong tag and a wrong version are told apart."""
        if self.take(len(tag)) != tag:
            raise WrongFormat(f"{self.what} does not start with {tag!r}")
        version = self.u8()
        if version != PROTOCOL_VERSION:
            raise UnsupportedVersion(f"{self.what} version {version} is not supported")

    def uint(self, size: int, minimum: int = 0, maximum: int | None = None) -> int:
        value = int.from_bytes(self.take(size), "big")
        if value < minimum:
            raise InvalidEncoding(f"{self.what}: {value} is below {minimum}")
        if maximum is not None and value > maximum:
            raise OversizedInput(f"{self.what}: {value} is above {maximum}")
        return value

    def u8(self) -> int:
        return self.uint(1)

    def u16(self, minimum: int = 0, maximum: int | None = None) -> int:
        return self.uint(2, minimum, maximum)

    def u32(self, minimum: int = 0, maximum: int | None = None) -> int:
        return self.uint(4, minimum, maximum)

    def u64(self, minimum: int = 0) -> int:
        return self.uint(8, minimum, MAX_SAFE_INTEGER)

    def finish(self) -> None:
        if self.remaining:
            raise TrailingBytes(f"{self.what} has {self.remaining} unexpected trailing bytes")
