"""Login and enrolment in Chromium: the passphrase never leaves the page, in three languages."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from crypto.encoding import b64url_decode
from crypto.keys import unwrap_association_key_with_kek
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.conftest import LiveServer, free_port
from tests.http import HttpSession
from tests.sync_client import log_in as sync_log_in

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "kdf-v1.json"
DEMO = {role: (email, passphrase) for email, _name, role, _team, passphrase in DEMO_PEOPLE}


def record_requests(context: BrowserContext) -> list[dict]:
    seen: list[dict] = []

    def on_request(request: Request) -> None:
        seen.append({"url": request.url, "headers": request.all_headers(), "body": request.post_data or ""})

    context.on("request", on_request)
    return seen


def log_in(page: Page, server: LiveServer, role: str) -> None:
    email, passphrase = DEMO[role]
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#passphrase", passphrase)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r".*/home$"))


def test_demo_volunteer_logs_in_and_the_passphrase_is_never_sent(
        live_server: LiveServer, phone: BrowserContext, page: Page) -> None:
    requests = record_requests(phone)
    log_in(page, live_server, "volunteer")
    expect(page.locator("h1")).to_contain_text("Bastien")
    _email, passphrase = DEMO["volunteer"]
    assert requests, "no request was recorded"
    for request in requests:
        assert passphrase not in json.dumps(request, ensure_ascii=False), request["url"]
        assert request["url"].startswith(live_server.url), "request to another host: " + request["url"]
    login_bodies = [r["body"] for r in requests if r["url"].endswith("/api/v1/auth/login")]
    assert len(login_bodies) == 1 and set(json.loads(login_bodies[0])) == {"email", "auth"}


def test_wrong_passphrase_shows_a_translated_error(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/login")
    page.fill("#email", DEMO["auditor"][0])
    page.fill("#passphrase", "certainly not this one")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_have_text("L’adresse e-mail ou la phrase secrète est incorrecte.")


def test_enrolment_in_the_browser_then_the_link_is_spent(live_server: LiveServer, phone: BrowserContext,
                                                         page: Page) -> None:
    link = live_server.flask("invite", "nouvelle@example.org", "--role", "volunteer", "--team", "CRA").strip()
    requests = record_requests(phone)
    page.goto(link)
    expect(page.locator("#enrol-email")).to_have_text("nouvelle@example.org")
    page.fill("#display-name", "Nouvelle Bénévole")
    page.fill("#passphrase", "une phrase secrète assez longue")
    page.fill("#passphrase-again", "une phrase secrète assez longue")
    page.click("#enrol-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/app$"))
    expect(page.locator("h1")).to_have_text("Déverrouiller Carnet")
    me = [r for r in requests if r["url"].endswith("/api/v1/me/keys")]
    assert len(me) == 1 and set(json.loads(me[0]["body"])) == {"encryption_public", "signing_public", "wrapped_private"}
    assert all("une phrase secrète" not in json.dumps(r, ensure_ascii=False) for r in requests)
    assert all("token=" not in r["url"] for r in requests), "the token left the fragment"
    second = phone.new_page()
    second.goto(link)
    expect(second.locator("#enrol-error")).to_have_text("Ce lien d’inscription a déjà été utilisé.")


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_pages_render_in_each_language(live_server: LiveServer, browser, language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        direction = "rtl" if language == "ar" else "ltr"
        page.goto(live_server.url + "/login")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        screenshot(page, f"login-{language}-360x640")
        page.goto(live_server.url + "/enrol#token=" + "x" * 43)
        expect(page.locator("#enrol-error")).not_to_be_empty()
        screenshot(page, f"enrol-{language}-360x640")
        log_in(page, live_server, "admin")
        for path, name in (("/admin/", "admin-people"), ("/admin/invite", "admin-invite")):
            page.goto(live_server.url + path)
            expect(page.locator("html")).to_have_attribute("dir", direction)
            screenshot(page, f"{name}-{language}-360x640")
        # Nothing overflows the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_javascript_derivation_matches_the_vectors(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/login")
    vectors = json.loads(VECTORS.read_text("utf-8"))["vectors"]
    results = page.evaluate("""async (vectors) => {
        const kdf = await import('/static/js/protocol/index.js');
        const { hexEncode } = kdf;
        const out = [];
        for (const v of vectors) {
            const params = kdf.parseKdfParams(v.kdf);
            const master = await kdf.deriveMasterSecret(v.passphrase, params);
            const secrets = await kdf.splitMasterSecret(master);
            out.push({ master: hexEncode(master), auth: hexEncode(secrets.auth), kek: hexEncode(secrets.kek) });
        }
        return out;
    }""", vectors)
    for vector, got in zip(vectors, results, strict=True):
        assert got == {"master": vector["master"], "auth": vector["auth"], "kek": vector["kek"]}, vector["comment"]


@pytest.mark.parametrize("params", [
    {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 1000, "salt": "AAECAwQFBgcICQoLDA0ODw"},
    {"v": 2, "alg": "PBKDF2-HMAC-SHA256", "iterations": 600000, "salt": "AAECAwQFBgcICQoLDA0ODw"},
    {"v": 1, "alg": "PBKDF2-HMAC-SHA1", "iterations": 600000, "salt": "AAECAwQFBgcICQoLDA0ODw"},
    {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 600000, "salt": "AAEC"},
    {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 600000, "salt": "AAECAwQFBgcICQoLDA0ODw", "x": 1},
])
def test_javascript_refuses_weak_or_unknown_kdf_parameters(live_server: LiveServer, page: Page, params: dict) -> None:
    page.goto(live_server.url + "/login")
    refused = page.evaluate("""async (params) => {
        const kdf = await import('/static/js/protocol/index.js');
        try { kdf.parseKdfParams(params); return false; } catch (e) { return e instanceof kdf.InvalidKdfParameters; }
    }""", params)
    assert refused


def test_login_strengthens_an_outdated_kdf_in_the_browser(live_server: LiveServer, page: Page) -> None:
    stronger = LiveServer(instance=live_server.instance, port=free_port(),
                          log_path=live_server.log_path.with_name("stronger.log"),
                          extra_env={"CARNET_KDF_ITERATIONS": "650000"})
    stronger.start()
    try:
        log_in(page, stronger, "coordinator")
        fresh = HttpSession(stronger.url)
        fresh.open_page()
        kdf = fresh.post("/api/v1/auth/params", {"email": DEMO["coordinator"][0]}).json()["kdf"]
        assert kdf["iterations"] == 650000
        page.click("#logout")
        page.wait_for_url(re.compile(r".*/login$"))
        log_in(page, stronger, "coordinator")
        # The escrowed keys moved to the new kek: a new device still opens them.
        from tests.browser.test_app import set_up_device  # imported here: test_app imports this module's users

        phone = page.context.browser.new_context(**PHONE)
        try:
            set_up_device(phone.new_page(), stronger, *DEMO["coordinator"])
        finally:
            phone.close()
        # So did the admin's association key.
        log_in(page, stronger, "admin")
        http, admin_id, kek = sync_log_in(stronger.url, "admin")
        escrow = b64url_decode(http.request("GET", "/api/v1/association/escrow").json()["wrapped_key"])
        unwrap_association_key_with_kek(escrow, kek, admin_id=b64url_decode(admin_id))
    finally:
        stronger.stop()


def test_enrolment_stops_when_the_association_key_does_not_match_the_link(
        live_server: LiveServer, phone: BrowserContext, page: Page) -> None:
    link = live_server.flask("invite", "pinned@example.org", "--role", "volunteer", "--team", "CRA").strip()
    assert "&association=" in link
    requests = record_requests(phone)
    forged = link.split("&association=")[0] + "&association=" + "A" * 43
    page.goto(forged)
    expect(page.locator("#enrol-error")).to_contain_text("ne correspond pas")
    expect(page.locator("#enrol-form")).to_be_hidden()
    assert not any(r["url"].endswith("/enrolment/finish") for r in requests)
