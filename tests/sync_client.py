"""A Python client of the sync API for tests against a real server: a demo person's keys,
their team's roster, cases written with the reference protocol and pushed over HTTP."""

import functools
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto import roster
from crypto.caselog import CaseLog
from crypto.encoding import b64url_decode, b64url_encode
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.keys import AccountKeys, unwrap_account_keys_with_kek
from crypto.writer import create_case_as_member, seal_entry_as_author
from webapp.cli import DEMO_PEOPLE

from tests.http import HttpSession
from tests.soft_authenticator import SoftAuthenticator


@dataclass
class DemoWriter:
    http: HttpSession
    keys: AccountKeys
    association: Ed25519PublicKey
    members: list[roster.RosterEntry]
    device: bytes = field(default_factory=lambda: os.urandom(16))

    def new_case(self, notes: str) -> tuple[CaseLog, bytes, list[bytes]]:
        case = create_case_as_member(self.keys, association_key=self.association, team_id=self.members[0].team_id,
                                     device_id=self.device, members=self.members)
        return case.log, case.case_key, [case.envelope, self.seal(case.log, case.case_key, notes)]

    def seal(self, log: CaseLog, case_key: bytes, notes: str) -> bytes:
        return seal_entry_as_author(log, self.keys, device_id=self.device, case_key=case_key,
                                    body_json=json.dumps({"type": "edit", "fields": {"notes": notes}}).encode())

    def push(self, envelopes: list[bytes], timeout: float = 60) -> list[dict]:
        response = self.http.request("POST", "/api/v1/sync/push",
                                     {"entries": [b64url_encode(e) for e in envelopes]}, timeout=timeout)
        assert response.status == 200, response.body
        return response.json()["results"]

    def pull_all(self) -> list[bytes]:
        found, cursor = [], 0
        while True:
            page = self.http.request("GET", f"/api/v1/sync/pull?cursor={cursor}").json()
            found += [b64url_decode(e["envelope"]) for e in page["entries"]]
            cursor = page["next_cursor"]
            if not page["more"]:
                return found


# PBKDF2 at 600,000 iterations is slow on purpose: many sessions of one person derive it once.
derived_secrets = functools.cache(derive_account_secrets)


def log_in(base_url: str, role: str) -> tuple[HttpSession, str, bytes]:
    email, passphrase = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == role)
    http = HttpSession(base_url)
    http.open_page()
    kdf = KdfParams.from_json(http.post("/api/v1/auth/params", {"email": email}).json()["kdf"])
    secrets = derived_secrets(passphrase, kdf)
    session = http.post("/api/v1/auth/login", {"email": email, "auth": b64url_encode(secrets.auth)})
    assert session.status == 200, session.body
    if "second_factor" in session.json():
        session = give_second_factor(http, base_url, email, session.json()["second_factor"])
    return http, session.json()["person"]["id"], secrets.kek


# The soft credential each demo person registered on each server, by (base URL, email): the
# first login that asks for a second factor registers one through the API, later ones use it.
_AUTHENTICATORS: dict[tuple[str, str], SoftAuthenticator] = {}


def soft_authenticator_for(base_url: str, email: str) -> SoftAuthenticator | None:
    """The credential a demo person registered on that server through log_in, if any (the browser
    tests add it to Chromium's virtual authenticator: ``export()``)."""
    return _AUTHENTICATORS.get((base_url, email))


def forget_soft_authenticators(base_url: str) -> None:
    """Forget the credentials registered through ``base_url``: a new server now answers there."""
    for key in [key for key in _AUTHENTICATORS if key[0] == base_url]:
        del _AUTHENTICATORS[key]


def give_second_factor(http: HttpSession, base_url: str, email: str, pending: dict) -> Any:
    if not pending["registered"]:
        options = http.post("/api/v1/auth/second-factor/register-options", {})
        assert options.status == 200, options.body
        authenticator = SoftAuthenticator(base_url)
        done = http.post("/api/v1/auth/second-factor/register",
                         {"name": "Test key", "credential": authenticator.register(options.json()["options"])})
        assert done.status == 200, done.body
        _AUTHENTICATORS[(base_url, email)] = authenticator
        return done
    # The credential the server asks for, whichever server it was registered through: servers
    # sharing one database (tests/test_two_servers.py) share it, each its own origin under the
    # same rp id, and a port may serve several servers of one test session in turn.
    allowed = {c["id"] for c in pending["options"]["allowCredentials"]}
    authenticator = next((a for a in reversed(_AUTHENTICATORS.values())
                          if b64url_encode(a.credential_id) in allowed), None)
    assert authenticator is not None, f"{email} has a security key on {base_url} that these tests did not register"
    authenticator.origin = base_url
    _AUTHENTICATORS[(base_url, email)] = authenticator
    done = http.post("/api/v1/auth/second-factor", {"credential": authenticator.assert_(pending["options"])})
    assert done.status == 200, done.body
    return done


def demo_writer(base_url: str, role: str = "volunteer") -> DemoWriter:
    http, user_id, kek = log_in(base_url, role)
    mine = http.request("GET", "/api/v1/me/keys").json()
    keys = unwrap_account_keys_with_kek(b64url_decode(mine["wrapped_private"]), kek, user_id=b64url_decode(user_id))
    association = Ed25519PublicKey.from_public_bytes(
        b64url_decode(http.request("GET", "/api/v1/association").json()["public_key"]))
    people = http.request("GET", "/api/v1/directory").json()["people"]
    entries = [roster.verify_roster_entry(b64url_decode(p["roster"]), association) for p in people if p["roster"]]
    me = next(e for e in entries if e.user_id == keys.user_id)
    team = [e for e in entries if e.team_id == me.team_id and e.user_id != me.user_id
            and e.role == roster.Role.COORDINATOR]
    return DemoWriter(http, keys, association, [me, *team])
