"""Shared test helpers: people with known passphrases, and JSON calls with CSRF tokens."""

import functools
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from crypto.encoding import b64url_encode
from crypto.kdf import AccountSecrets, KdfParams, derive_account_secrets
from sync.accounts import hash_auth_secret

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

    def login(self, email: str, passphrase: str, salt: bytes = TEST_SALT) -> Any:
        return self.post("/api/v1/auth/login", {"email": email, "auth": auth_for(passphrase, salt)})


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    role: str
    passphrase: str


def logged_in(app: Flask, person: Person) -> Api:
    """A new client, logged in as ``person``."""
    session_api = Api(app.test_client())
    response = session_api.login(person.email, person.passphrase)
    assert response.status_code == 200, response.get_json()
    return session_api
