"""Text encodings shared by every format of the protocol."""

import base64
import binascii

from crypto.errors import CarnetCryptoError


class InvalidEncoding(CarnetCryptoError):
    """A value is not in the one canonical encoding the protocol allows."""


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
