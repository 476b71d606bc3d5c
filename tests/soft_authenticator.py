"""A software WebAuthn authenticator for tests: one P-256 credential, "none" attestation.

It answers the server's creation and request options (the JSON of webauthn.options_to_json) with
the browser's RegistrationResponseJSON and AuthenticationResponseJSON, as a platform authenticator
that verified its user (flags UP, UV, and AT when registering). Its private key, credential id and
user handle can be exported for Chromium's virtual authenticator (CDP ``WebAuthn.addCredential``:
``credentialId``, ``privateKey`` as base64 PKCS#8, ``userHandle``, ``rpId``, ``signCount``), so one
credential serves logins from Python and from the browser.

The signature counter is the Unix time in seconds, or the last count plus one if that is not
more: a copy in a virtual authenticator, which counts up by one from the count it was given,
stays below the counts this one gives later, so the server sees the counter grow either way.
"""

import base64
import hashlib
import json
import os
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crypto.encoding import b64url_decode, b64url_encode

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40
COSE_EC2_P256 = {1: 2, 3: -7, -1: 1}


def client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
                      separators=(",", ":")).encode()


@dataclass
class SoftAuthenticator:
    origin: str
    rp_id: str = ""
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    user_handle: bytes = b""
    sign_count: int = 0

    def __post_init__(self) -> None:
        if not self.rp_id:
            self.rp_id = self.origin.split("://", 1)[1].split(":", 1)[0].split("/", 1)[0]

    # What the browser sends ----------------------------------------------------------------------

    def register(self, options: dict[str, Any]) -> dict[str, Any]:
        """RegistrationResponseJSON for creation ``options`` (the server's JSON)."""
        self.rp_id = options["rp"]["id"]
        self.user_handle = b64url_decode(options["user"]["id"])
        data = client_data("webauthn.create", options["challenge"], self.origin)
        auth_data = self.authenticator_data(FLAG_UP | FLAG_UV | FLAG_AT, self.next_count()) + self.attested_data()
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64url_encode(self.credential_id), "rawId": b64url_encode(self.credential_id),
                "type": "public-key", "authenticatorAttachment": "platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url_encode(data), "attestationObject": b64url_encode(attestation),
                             "transports": ["internal"]}}

    def assert_(self, options: dict[str, Any], *, count: int | None = None) -> dict[str, Any]:
        """AuthenticationResponseJSON for request ``options``; ``count`` forces the counter."""
        data = client_data("webauthn.get", options["challenge"], self.origin)
        auth_data = self.authenticator_data(FLAG_UP | FLAG_UV, self.next_count() if count is None else count)
        signature = self.private_key.sign(auth_data + hashlib.sha256(data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64url_encode(self.credential_id), "rawId": b64url_encode(self.credential_id),
                "type": "public-key", "authenticatorAttachment": "platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url_encode(data), "authenticatorData": b64url_encode(auth_data),
                             "signature": b64url_encode(signature), "userHandle": b64url_encode(self.user_handle)}}

    # The pieces ---------------------------------------------------------------------------------

    def next_count(self) -> int:
        self.sign_count = max(self.sign_count + 1, int(time.time()))
        return self.sign_count

    def authenticator_data(self, flags: int, count: int) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count)

    def cose_public_key(self) -> bytes:
        """The public key as COSE, as the server stores it from a registration."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({**COSE_EC2_P256, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def attested_data(self) -> bytes:
        return bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self.cose_public_key()

    # For Chromium's virtual authenticator --------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """The credential as CDP ``WebAuthn.addCredential`` takes it (binary fields base64)."""
        pkcs8 = self.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption())
        return {"credentialId": base64.b64encode(self.credential_id).decode(), "isResidentCredential": True,
                "rpId": self.rp_id, "privateKey": base64.b64encode(pkcs8).decode(),
                "userHandle": base64.b64encode(self.user_handle).decode(), "signCount": self.sign_count}
