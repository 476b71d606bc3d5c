"""The second factor in Chromium, with its virtual authenticator (CDP): the first admin login
registers a key and shows the recovery codes once; the key logs in; without it the page says so
and offers a recovery code, which works once; an admin's reset from the person's page ends their
sessions and makes them register again; the settings add and remove keys; an enrolment the policy
asks a factor for registers the first one. Each leaves its audit record."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crypto.audit import Action
from webapp.cli import DEMO_PEOPLE

from tests.browser.authenticator import VirtualAuthenticator
from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_app import PASSPHRASE, set_up_device
from tests.browser.test_admin_forms_browser import audit_count
from tests.conftest import LiveServer, running_demo

DEMO = {role: (email, passphrase) for email, _name, role, _team, passphrase in DEMO_PEOPLE}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own: these tests register, use and reset the demo people's keys."""
    with running_demo(tmp_path) as live:
        yield live


def bare_context(browser: Browser, language: str = "fr") -> BrowserContext:
    """A phone whose keys the test gives itself (not the demo people's, see authenticator.py)."""
    raw = getattr(browser, "raw", browser)
    return raw.new_context(locale=LOCALES[language], **PHONE)


def keyed_page(context: BrowserContext) -> tuple[Page, VirtualAuthenticator]:
    page = context.new_page()
    return page, VirtualAuthenticator.attach(page)


def submit_passphrase(page: Page, server: LiveServer, role: str) -> None:
    email, passphrase = DEMO[role]
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#passphrase", passphrase)
    page.click("#login-submit")


def register_first_key(page: Page, server: LiveServer, role: str) -> list[str]:
    """The first login of a person whose policy requires a key: register it; the codes shown."""
    submit_passphrase(page, server, role)
    expect(page.locator("#factor-title")).to_have_text("Enregistrer une clé de sécurité")
    expect(page.locator("#factor-step")).to_contain_text("exige une clé de sécurité ou une passkey")
    page.fill("#factor-name", "Téléphone de test")
    page.click("#factor-register")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    codes = page.locator("#recovery-codes li").all_inner_texts()
    return [code.strip() for code in codes]


def test_the_first_admin_login_registers_a_key_and_shows_the_recovery_codes_once(
        server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        codes = register_first_key(page, server, "admin")
        assert len(set(codes)) == 10 and all(re.fullmatch(r"[\w-]{8,}", code) for code in codes)
        expect(page.locator("#codes-copy")).to_have_text("Copier les codes")
        screenshot(page, "login-recovery-codes-fr-360x640")
        page.click("#codes-done")
        page.wait_for_url(re.compile(r".*/home$"))
        assert len(key.credentials()) == 1
        assert audit_count(server, Action.FACTOR_REGISTERED) == 1
    finally:
        context.close()


def test_the_key_logs_in_and_without_it_a_recovery_code_works_once(server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser)
    try:
        page, key = keyed_page(context)
        codes = register_first_key(page, server, "admin")
        page.click("#codes-done")
        page.wait_for_url(re.compile(r".*/home$"))
        credential = key.credentials()[0]
        # Given another phone with the same key, the admin logs in with one touch.
        other = bare_context(browser)
        try:
            second, second_key = keyed_page(other)
            second_key.cdp.send("WebAuthn.addCredential", {"authenticatorId": second_key.id, "credential": credential})
            submit_passphrase(second, server, "admin")
            second.wait_for_url(re.compile(r".*/home$"))
        finally:
            other.close()
        # Without the key, the page says so in words and offers a recovery code.
        keyless = bare_context(browser)
        try:
            third, _none = keyed_page(keyless)
            submit_passphrase(third, server, "admin")
            expect(third.locator("#factor-error")).to_contain_text("n’a pas répondu", timeout=20_000)
            expect(third.locator("#factor-key")).to_have_text("Réessayer")
            screenshot(third, "login-key-missing-fr-360x640")
            third.click("#factor-use-code")
            third.fill("#recovery-code", codes[0])
            third.click("#recovery-submit")
            third.wait_for_url(re.compile(r".*/home$"))
            # The same code a second time is refused, in words, and the passphrase comes first again.
            fourth = keyless.new_page()
            VirtualAuthenticator.attach(fourth)
            submit_passphrase(fourth, server, "admin")
            fourth.click("#factor-use-code")
            fourth.fill("#recovery-code", codes[0])
            fourth.click("#recovery-submit")
            expect(fourth.locator("#login-error")).to_contain_text(re.compile("accept"))
            expect(fourth.locator("#login-form")).to_be_visible()
        finally:
            keyless.close()
        assert audit_count(server, Action.FACTOR_USED) == 1
        assert audit_count(server, Action.RECOVERY_CODE_USED) == 1
        assert audit_count(server, Action.FACTOR_FAILED) == 1
    finally:
        context.close()


def test_back_from_the_key_returns_to_the_passphrase(server: LiveServer, browser: Browser) -> None:
    context = bare_context(browser, "en")
    try:
        page, _key = keyed_page(context)
        submit_passphrase(page, server, "auditor")
        expect(page.locator("#factor-title")).to_have_text("Register a security key")
        page.click("#factor-back")
        expect(page.locator("#login-form")).to_be_visible()
        expect(page.locator("#factor-step")).to_be_hidden()
    finally:
        context.close()
