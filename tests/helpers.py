"""Shared test helpers: people with known passphrases, and JSON calls with CSRF tokens."""

import functools
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from crypto.encoding import b64url_encode
from crypto.kdf import AccountSecrets, KdfParams, derive_account_secrets
from sync import factors
from sync.accounts import hash_auth_secret
from tests.soft_authenticator import SoftAuthenticator

# The test base URL's origin (webapp.config's default base_url): the relying party's.
ORIGIN = "http://localhost:5000"
# The soft credential of each email the ``people`` fixture registered, for Api.login (the last
# registered wins: one test's people at a time).
AUTHENTICATORS: dict[str, SoftAuthenticator] = {}

TEST_SALT = bytes.fromhex("5eed5eed5eed5eed5eed5eed5eed5eed")
TEST_PARAMS = KdfParams(iterations=600_000, salt=TEST_SALT)


@functools.cache
def secrets_for(passphrase: str, salt: bytes = TEST_SALT) -> AccountSecrets:
    """PBKDF2 at 600,000 iterations is slow on purpose; each passphrase is derived once per run."""
    return derive_account_secrets(passphrase, KdfParams(iterations=600_000, salt=salt))


@functools.cache
def auth_hash_for(passphrase: str) -> str:
    """Argon2id is slow on purpose too; any valid hash of the same secret verifies."""
    return hash_auth_secret(secrets_for(passphrase).auth)


def auth_for(passphrase: str, salt: bytes = TEST_SALT) -> str:
    return b64url_encode(secrets_for(passphrase, salt).auth)


def csrf_from_page(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


class Api:
    """A JSON client that carries the CSRF token like the page script does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_from_page(client)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.token, **kwargs.pop("headers", {})}
        response = self.client.open(path, method=method, json=body, headers=headers, **kwargs)
        data = response.get_json(silent=True) or {}
        if isinstance(data, dict) and data.get("csrf_token"):
            self.token = data["csrf_token"]
        return response

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def login(self, email: str, passphrase: str, salt: bytes = TEST_SALT,
              authenticator: SoftAuthenticator | None = None) -> Any:
        """Log in; when the answer asks for a second factor, give it with ``authenticator`` (by
        default the one registered for ``email``), if there is one: the answer is then the
        second factor's. Without one, the pending answer is returned."""
        response = self.post("/api/v1/auth/login", {"email": email, "auth": auth_for(passphrase, salt)})
        return self.complete_second_factor(response, authenticator or AUTHENTICATORS.get(email))

    def complete_second_factor(self, response: Any, authenticator: SoftAuthenticator | None) -> Any:
        pending = (response.get_json(silent=True) or {}).get("second_factor") if response.status_code == 200 else None
        if not pending or authenticator is None or not pending["registered"]:
            return response
        return self.post("/api/v1/auth/second-factor", {"credential": authenticator.assert_(pending["options"])})


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    role: str
    passphrase: str
    authenticator: SoftAuthenticator | None = None


def register_soft_credential(conn: Any, user_id: str, email: str, now: int = 1) -> SoftAuthenticator:
    """A soft credential for this person, stored directly (as if registered), known to Api.login."""
    authenticator = SoftAuthenticator(ORIGIN, user_handle=user_id.encode("ascii"))
    factors.add_credential(conn, user_id, credential_id=authenticator.credential_id,
                           public_key=authenticator.cose_public_key(), sign_count=0, transports=["internal"],
                           name="Test key", now=now)
    AUTHENTICATORS[email] = authenticator
    return authenticator


def logged_in(app: Flask, person: Person) -> Api:
    """A new client, logged in as ``person``."""
    session_api = Api(app.test_client())
    response = session_api.login(person.email, person.passphrase, authenticator=person.authenticator)
    assert response.status_code == 200, response.get_json()
    return session_api
