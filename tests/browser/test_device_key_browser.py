"""The device store bound to this phone's authenticator (WebAuthn PRF), and what a copy of the
browser's files gives up: a profile copied while the app is locked, with the passphrase, opens
nothing without the authenticator's PRF output; after a wipe, nothing at all.

Each phone is a Chromium on a profile kept on disk (so its files can be copied) with a CDP virtual
authenticator. WebAuthn needs a host name, not an IP address: the pages are opened on localhost.
The copied profile is read by tests/device_profile.py, which tries every candidate wrapped key
with the reference derivation (crypto/devicestore.py).
"""

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_app import wait_for_service_worker
from tests.conftest import LiveServer, running_demo
from tests.device_profile import try_to_open
from webapp.cli import DEMO_PEOPLE

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "device-store-v1.json"
EMAIL, PASSPHRASE = next((email, passphrase) for email, _n, role, _t, passphrase in DEMO_PEOPLE if role == "volunteer")
AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
                 "isUserVerified": True, "automaticPresenceSimulation": True}
# The PRF output the store's credential gives for the salt in the device record, asked through
# the page (the authenticator evaluates it; the test plays the person who holds the phone).
PRF_OUTPUT = """async () => {
    const { readDevice } = await import('/static/js/store/vault.js');
    const { evaluatePrf } = await import('/static/js/store/authenticator.js');
    const device = await readDevice();
    return device?.prf ? Array.from(await evaluatePrf(device.prf)) : null;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_demo(tmp_path_factory.mktemp("device-key")) as live:
        yield live


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    cdp: CDPSession
    authenticator: str
    profile: Path
    url: str

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})["credentials"]

    def prf_output(self) -> bytes:
        return bytes(self.page.evaluate(PRF_OUTPUT))

    def copy(self, to: Path) -> Path:
        """The profile's files as they are on disk now (the browser still running, app locked)."""
        shutil.copytree(self.profile, to, ignore=shutil.ignore_patterns("Singleton*"))
        return to

    def set_up(self, email: str = EMAIL, passphrase: str = PASSPHRASE) -> None:
        self.page.goto(self.url + "/app")
        self.page.fill("#setup-email", email)
        self.page.fill("#setup-passphrase", passphrase)
        self.page.click("#setup-form button[type=submit]")
        expect(self.page.locator("#lock-now")).to_be_visible(timeout=15000)

    def unlock(self, passphrase: str = PASSPHRASE) -> None:
        self.page.fill("#unlock-passphrase", passphrase)
        self.page.click("#unlock-form button[type=submit]")

    def unlocked(self, passphrase: str = PASSPHRASE) -> None:
        self.unlock(passphrase)
        # A PBKDF2, the authenticator and the key file's worker, on a machine shared with other tests.
        expect(self.page.locator("#lock-now")).to_be_visible(timeout=15000)

    def lock(self) -> None:
        """A reload: the keys in memory are gone, the unlock screen shows."""
        self.page.reload()
        expect(self.page.locator("#unlock-form")).to_be_visible()

    def settings(self) -> None:
        self.page.click("#open-settings")
        expect(self.page.locator("#device-key-status")).to_be_visible()


@pytest.fixture
def phone(playwright: Playwright, server: LiveServer, tmp_path: Path) -> Iterator[Phone]:
    yield from open_phone(playwright, server, tmp_path, prf=True)


def open_phone(playwright: Playwright, server: LiveServer, folder: Path, prf: bool) -> Iterator[Phone]:
    profile = folder / "profile"
    context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                            locale="fr-FR", **PHONE)
    page = context.pages[0] if context.pages else context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator",
                             {"options": {**AUTHENTICATOR, "hasPrf": prf}})["authenticatorId"]
    try:
        yield Phone(context, page, cdp, authenticator, profile, server.url.replace("127.0.0.1", "localhost"))
    finally:
        context.close()


def bound(phone: Phone, email: str = EMAIL, passphrase: str = PASSPHRASE) -> None:
    """Set up, then "Lier le carnet à ce téléphone" in the settings."""
    phone.set_up(email, passphrase)
    phone.settings()
    phone.page.click("#device-key-setup")
    expect(phone.page.locator("#device-key-remove")).to_be_visible(timeout=15000)
    assert len(phone.credentials()) == 1


def test_device_store_vectors_wrap_the_same_in_the_browser(phone: Phone) -> None:
    phone.page.goto(phone.url + "/login")
    vectors = json.loads(VECTORS.read_text("utf-8"))["vectors"]
    wrapped = phone.page.evaluate("""async (vectors) => {
        const p = await import('/static/js/protocol/index.js');
        const out = [];
        for (const v of vectors) {
            const { kek } = await p.deriveAccountSecrets(v.passphrase, v.kdf);
            const wrapping = await p.deviceStoreWrappingKey(kek, v.prf === null ? null : p.hexDecode(v.prf));
            const local = await crypto.subtle.importKey('raw', p.hexDecode(v.local_key), 'AES-GCM', true, ['encrypt']);
            const aad = p.deviceStoreKeyAad(v.mode, v.user_id);
            out.push(p.hexEncode(new Uint8Array(await crypto.subtle.wrapKey('raw', local, wrapping,
                { name: 'AES-GCM', iv: p.hexDecode(v.nonce), additionalData: aad }))));
        }
        return out;
    }""", vectors)
    assert wrapped == [vector["wrapped"] for vector in vectors]


def test_a_bound_store_copied_while_locked_opens_only_with_the_prf_output_and_unlocks_offline(
        phone: Phone, tmp_path: Path) -> None:
    bound(phone)
    wait_for_service_worker(phone.page)
    phone.lock()
    copied = phone.copy(tmp_path / "copy")
    passphrase_alone = try_to_open(copied, PASSPHRASE)
    assert passphrase_alone.local_keys == set() and passphrase_alone.account_keys == 0
    with_authenticator = try_to_open(copied, PASSPHRASE, (None, phone.prf_output()))
    assert len(with_authenticator.local_keys) == 1
    assert ("profile", "me") in {(kind, key) for kind, key, _value in with_authenticator.records}
    # The PRF output alone, without the passphrase, opens nothing either.
    assert try_to_open(copied, "pas la phrase", (None, phone.prf_output())).local_keys == set()
    phone.context.set_offline(True)
    phone.page.reload()
    expect(phone.page.locator("#unlock-form")).to_be_visible()
    phone.unlocked()


def test_the_same_store_before_binding_opens_with_the_passphrase_alone(phone: Phone, tmp_path: Path) -> None:
    # The reader's control: what the bound store refuses, an unbound store gives.
    phone.set_up()
    phone.lock()
    opened = try_to_open(phone.copy(tmp_path / "copy"), PASSPHRASE)
    assert len(opened.local_keys) == 1
    assert ("profile", "me") in {(kind, key) for kind, key, _value in opened.records}


def test_a_device_without_prf_says_so_and_keeps_its_passphrase_store(
        playwright: Playwright, server: LiveServer, tmp_path: Path) -> None:
    for phone in open_phone(playwright, server, tmp_path, prf=False):
        phone.set_up()
        phone.settings()
        expect(phone.page.locator("#device-key-status")).to_contain_text("votre seule phrase secrète")
        phone.page.click("#device-key-setup")
        expect(phone.page.locator("#device-key-error")).to_contain_text("ne peut pas lier")
        assert phone.credentials() == []
        phone.lock()
        phone.unlocked()


def test_a_browser_without_webauthn_says_the_store_opens_with_the_passphrase_alone(phone: Phone) -> None:
    phone.context.add_init_script("delete window.PublicKeyCredential")
    phone.set_up()
    phone.settings()
    expect(phone.page.locator("#device-key-status")).to_contain_text("votre seule phrase secrète")
    expect(phone.page.locator("#device-key button")).to_have_count(0)


def test_binding_again_and_unbinding_rewrap_and_the_old_prf_output_opens_nothing(phone: Phone, tmp_path: Path) -> None:
    bound(phone)
    first = phone.prf_output()
    [old] = phone.credentials()
    phone.page.click("#device-key-change")
    phone.page.wait_for_function("""async (old) => {
        const { readDevice } = await import('/static/js/store/vault.js');
        const { b64urlEncode } = await import('/static/js/protocol/index.js');
        return b64urlEncode((await readDevice()).prf.credentialId) !== old;
    }""", arg=old["credentialId"].replace("+", "-").replace("/", "_").rstrip("="))
    expect(phone.page.locator("#device-key-change")).to_be_enabled()
    [new] = phone.credentials()
    assert new["credentialId"] != old["credentialId"], "the old credential is signalled unknown"
    second = phone.prf_output()
    assert second != first
    phone.lock()
    copied = try_to_open(phone.copy(tmp_path / "changed"), PASSPHRASE, (None, first, second))
    assert len(copied.local_keys) == 1
    assert try_to_open(tmp_path / "changed", PASSPHRASE, (None, first)).local_keys == set()
    phone.unlocked()
    phone.settings()
    phone.page.click("#device-key-remove")
    expect(phone.page.locator("#device-key-setup")).to_be_visible()
    assert phone.credentials() == []
    phone.lock()
    assert try_to_open(phone.copy(tmp_path / "removed"), PASSPHRASE, (first, second)).local_keys == set()
    phone.unlocked()


def wipe(page: Page) -> None:
    page.tap("#app-wipe")
    page.locator("#wipe-hold").hover()
    page.mouse.down()
    page.wait_for_timeout(2400)
    page.mouse.up()
    expect(page.locator("#setup-form")).to_be_visible()


def test_a_wipe_with_prf_forgets_the_credential_and_the_copied_profile_opens_nothing(
        phone: Phone, tmp_path: Path) -> None:
    bound(phone)
    phone.lock()
    phone.unlocked()
    output = phone.prf_output()
    wipe(phone.page)
    assert phone.credentials() == []
    copied = try_to_open(phone.copy(tmp_path / "copy"), PASSPHRASE, (None, output))
    assert copied.local_keys == set() and copied.records == [] and copied.account_keys == 0


def test_a_wipe_without_prf_leaves_nothing_the_passphrase_opens(phone: Phone, tmp_path: Path) -> None:
    # The wrapped store key was only ever in the key file, written in place and scrubbed by the
    # wipe: what IndexedDB's files keep of the deleted database is sealed under a key that is gone.
    phone.set_up()
    phone.lock()
    assert try_to_open(phone.copy(tmp_path / "before"), PASSPHRASE).local_keys
    phone.unlocked()
    wipe(phone.page)
    copied = try_to_open(phone.copy(tmp_path / "after"), PASSPHRASE)
    assert copied.local_keys == set() and copied.records == [] and copied.account_keys == 0


def test_a_cancelled_confirmation_is_not_a_failed_unlock(phone: Phone) -> None:
    bound(phone)
    phone.lock()
    # The person closes the phone's prompt: the browser rejects the ceremony with NotAllowedError
    # (played here once in the page: the virtual authenticator has no prompt to close).
    phone.page.evaluate("""() => {
        const real = navigator.credentials.get.bind(navigator.credentials);
        navigator.credentials.get = async () => {
            navigator.credentials.get = real;
            throw new DOMException("closed by the person", "NotAllowedError");
        };
    }""")
    phone.unlock()
    expect(phone.page.locator("#unlock-error")).to_contain_text("annulée")
    expect(phone.page.locator("#unlock-retry")).to_be_visible()
    failures = phone.page.evaluate("async () => (await (await import('/static/js/store/vault.js')).readDevice()).failedUnlocks")
    assert failures == 0
    phone.page.click("#unlock-retry")
    expect(phone.page.locator("#lock-now")).to_be_visible()


def test_a_new_passphrase_keeps_the_store_bound_to_the_phone(phone: Phone, tmp_path: Path) -> None:
    # Another person of the demo: the passphrase changes on the server too.
    email, old = next((e, p) for e, _n, role, _t, p in DEMO_PEOPLE if role == "coordinator")
    new = "une toute nouvelle phrase pour le carnet lié"
    bound(phone, email, old)
    output = phone.prf_output()
    phone.page.click("#change-passphrase")
    phone.page.fill("#passphrase-current", old)
    phone.page.fill("#passphrase-new", new)
    phone.page.fill("#passphrase-again", new)
    phone.page.click("#passphrase-form button[type=submit]")
    expect(phone.page.locator("#device-key-status")).to_be_visible()
    phone.lock()
    copied = phone.copy(tmp_path / "copy")
    assert try_to_open(copied, new).local_keys == set()
    assert try_to_open(copied, old, (None, output)).local_keys == set()
    assert len(try_to_open(copied, new, (output,)).local_keys) == 1
    phone.unlocked(new)
