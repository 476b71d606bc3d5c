"""From a passphrase to the two account secrets: ``auth`` for the server, ``kek`` for the device.

PBKDF2-HMAC-SHA256 stretches the passphrase into a 32-byte master secret; HKDF-SHA256 then splits
it with two distinct labels, so the value the server sees (``auth``) reveals nothing about the key
that wraps the private keys (``kek``). The parameters are versioned per account so they can be
strengthened later.
"""

import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import InvalidEncoding, InvalidKdfParameters

KDF_VERSION = 1
KDF_ALGORITHM = "PBKDF2-HMAC-SHA256"
MIN_ITERATIONS = 600_000
MAX_ITERATIONS = 10_000_000
SALT_BYTES = 16
SECRET_BYTES = 32
AUTH_LABEL = b"carnet/v1/account/auth"
KEK_LABEL = b"carnet/v1/account/kek"


@dataclass(frozen=True)
class KdfParams:
    """The per-account derivation parameters, stored by the server and sent to the client."""

    iterations: int
    salt: bytes
    version: int = KDF_VERSION
    algorithm: str = KDF_ALGORITHM

    def __post_init__(self) -> None:
        # ``type(...) is int`` so that JSON ``true`` is not taken for version 1.
        if type(self.version) is not int or self.version != KDF_VERSION or self.algorithm != KDF_ALGORITHM:
            raise InvalidKdfParameters(f"unknown KDF {self.algorithm!r} version {self.version!r}")
        if type(self.iterations) is not int or not MIN_ITERATIONS <= self.iterations <= MAX_ITERATIONS:
            raise InvalidKdfParameters(f"iterations must be {MIN_ITERATIONS} to {MAX_ITERATIONS}")
        if not isinstance(self.salt, bytes) or len(self.salt) != SALT_BYTES:
            raise InvalidKdfParameters(f"salt must be {SALT_BYTES} bytes")

    def to_json(self) -> dict[str, Any]:
        return {"v": self.version, "alg": self.algorithm, "iterations": self.iterations,
                "salt": b64url_encode(self.salt)}

    @classmethod
    def from_json(cls, data: Any) -> "KdfParams":
        if not isinstance(data, dict) or set(data) != {"v", "alg", "iterations", "salt"}:
            raise InvalidKdfParameters("KDF parameters must have exactly v, alg, iterations, salt")
        try:
            salt = b64url_decode(data["salt"])
        except InvalidEncoding as exc:
            raise InvalidKdfParameters("salt is not canonical base64url") from exc
        return cls(version=data["v"], algorithm=data["alg"], iterations=data["iterations"], salt=salt)


@dataclass(frozen=True)
class AccountSecrets:
    auth: bytes
    kek: bytes


def normalize_passphrase(passphrase: str) -> bytes:
    # NFC so that the same passphrase typed on two keyboards gives the same bytes.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_master_secret(passphrase: str, params: KdfParams) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=SECRET_BYTES, salt=params.salt,
                     iterations=params.iterations)
    return kdf.derive(normalize_passphrase(passphrase))


def hkdf_sha256(ikm: bytes, info: bytes, length: int = SECRET_BYTES, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def split_master_secret(master: bytes) -> AccountSecrets:
    return AccountSecrets(auth=hkdf_sha256(master, AUTH_LABEL), kek=hkdf_sha256(master, KEK_LABEL))


def derive_account_secrets(passphrase: str, params: KdfParams) -> AccountSecrets:
    return split_master_secret(derive_master_secret(passphrase, params))
