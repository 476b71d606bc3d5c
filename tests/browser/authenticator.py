"""Chromium's virtual WebAuthn authenticator (CDP), for the browser tests.

``VirtualAuthenticator.attach(page)`` gives a page an internal authenticator (CTAP2, resident
keys, user verification, presence simulated: ``navigator.credentials`` answers without a prompt);
``add`` copies a Python soft credential into it (tests/soft_authenticator.py, ``export()``), so a
browser logs in with the credential the Python side registered.

``with_demo_keys(browser)`` is the one change every test logging a demo admin or auditor in
needs: each context it makes watches its pages' logins, and when one asks for the parameters of a
demo admin's or auditor's email, the page gets an authenticator holding that person's soft
credential on that server (registered through the real API on first use, by
``tests.sync_client.soft_authenticator_for``) before the login goes on.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, Route

from crypto.encoding import b64url_encode
from webapp.cli import DEMO_PEOPLE

from tests.soft_authenticator import SoftAuthenticator

OPTIONS = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
           "isUserVerified": True, "hasPrf": True, "automaticPresenceSimulation": True}
# How far the Python credential's count jumps past a copy's (more than a test's logins with it).
COUNT_STEP = 1000
# The demo people whose logins need a second factor (policy: always for these roles).
FACTOR_ROLES = ("admin", "auditor")
DEMO_FACTOR_EMAILS = {email for email, _name, role, _team, _passphrase in DEMO_PEOPLE if role in FACTOR_ROLES}


class VirtualAuthenticator:
    """One virtual authenticator on one page (CDP's WebAuthn domain is per target)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.id: str = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": OPTIONS})["authenticatorId"]
        self.added: set[str] = set()

    @classmethod
    def attach(cls, page: Page) -> VirtualAuthenticator:
        found = getattr(page, "_carnet_authenticator", None)
        if found is None:
            found = cls(page)
            page._carnet_authenticator = found  # type: ignore[attr-defined]
        return found

    def add(self, soft: SoftAuthenticator) -> None:
        """Copy a soft credential in. The copy counts up by one from the count it is given, the
        last one used: the Python credential then jumps ahead, so that its later counts (and a
        later copy's) stay above this copy's and the server sees the counter grow."""
        credential = soft.export()
        if credential["credentialId"] in self.added:
            return
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential})
        soft.sign_count += COUNT_STEP
        self.added.add(credential["credentialId"])

    def credentials(self) -> list[dict[str, Any]]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def remove_all(self) -> None:
        """The key is gone (lost, or another device): the page can no longer answer."""
        self.cdp.send("WebAuthn.clearCredentials", {"authenticatorId": self.id})
        self.added.clear()


def base_url_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _give_demo_key(route: Route) -> None:
    """Before a demo admin's or auditor's login: that person's credential in the page's key."""
    request = route.request
    try:
        email = json.loads(request.post_data or "{}").get("email", "")
    except ValueError:
        email = ""
    page = request.frame.page if request.frame else None
    if email in DEMO_FACTOR_EMAILS and page is not None:
        VirtualAuthenticator.attach(page).add(demo_key(base_url_of(request.url), email))
    route.fallback()


def demo_key(base_url: str, email: str) -> SoftAuthenticator:
    """The demo person's soft credential on that server, kept by the Python client
    (tests/sync_client.py): registered through the API on first use; otherwise the one the
    server's allowCredentials names, whichever server it was registered through (a server started
    on another one's instance shares its database and rp id)."""
    from tests import sync_client

    # Known for this URL: given without asking (each question is two more anonymous requests,
    # which the server limits per address). A new database behind the URL forgets its keys
    # (LiveServer.flask("init")).
    found = sync_client.soft_authenticator_for(base_url, email)
    if found is not None:
        return found
    role = next(r for e, _n, r, _t, _p in DEMO_PEOPLE if e == email)
    pending = _pending_login(base_url, email)
    if not pending["registered"]:
        sync_client.log_in(base_url, role)
        found = sync_client.soft_authenticator_for(base_url, email)
    else:
        allowed = {credential["id"] for credential in pending["options"]["allowCredentials"]}
        found = next((soft for soft in reversed(sync_client._AUTHENTICATORS.values())
                      if b64url_encode(soft.credential_id) in allowed), None)
        if found is not None:
            # Known to the Python client under this URL too, for its own logins here.
            sync_client._AUTHENTICATORS[base_url, email] = found
    assert found is not None, f"{email} has a key on {base_url} that these tests did not register"
    return found


def _pending_login(base_url: str, email: str) -> dict[str, Any]:
    """What the server asks after the demo passphrase: {registered, options}."""
    from crypto.kdf import KdfParams
    from tests.http import HttpSession
    from tests.sync_client import derived_secrets

    passphrase = next(p for e, _n, _r, _t, p in DEMO_PEOPLE if e == email)
    http = HttpSession(base_url)
    http.open_page()
    kdf = KdfParams.from_json(http.post("/api/v1/auth/params", {"email": email}).json()["kdf"])
    auth = b64url_encode(derived_secrets(passphrase, kdf).auth)
    answer = http.post("/api/v1/auth/login", {"email": email, "auth": auth})
    assert answer.status == 200, answer.body
    return answer.json()["second_factor"]


def watch_demo_logins(context: BrowserContext) -> BrowserContext:
    context.route("**/api/v1/auth/params", _give_demo_key)
    return context


class DemoKeysBrowser:
    """A Browser whose contexts give the demo admins and auditors their keys (see the module)."""

    def __init__(self, browser: Browser) -> None:
        self.raw = browser

    def new_context(self, **kwargs: Any) -> BrowserContext:
        return watch_demo_logins(self.raw.new_context(**kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def with_demo_keys(browser: Browser) -> Browser:
    return DemoKeysBrowser(browser)  # type: ignore[return-value]
