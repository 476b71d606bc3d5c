"""Every form of the server-rendered pages, submitted in Chromium at 360 px, in French, Arabic and English.

Chromium sends ``Origin: null`` with a same-origin form post under ``Referrer-Policy:
no-referrer``; these tests are the ones that see what a person sees when a form is refused.
"""

import contextlib
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page, expect

from crypto.audit import Action
from webapp import create_app
from webapp.config import Config
from webapp.database import get_db

from tests.browser.conftest import LOCALES, PHONE
from tests.browser.test_accounts_browser import log_in
from tests.conftest import LiveServer, running_demo
from tests.sync_client import log_in as sync_log_in

ROOT = Path(__file__).resolve().parent.parent.parent
LANGUAGES = ["fr", "ar", "en"]


@functools.cache
def catalog(language: str) -> dict[str, str]:
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return {m.id: m.string for m in read_po(po, locale=language) if isinstance(m.id, str) and m.string}


def tr(language: str, msgid: str) -> str:
    return catalog(language)[msgid]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_demo(tmp_path_factory.mktemp("forms")) as live:
        yield live


def audit_count(server: LiveServer, action: Action) -> int:
    """Read the server's own audit log, as an operator's tool would."""
    app = create_app(Config.from_env({"CARNET_INSTANCE": str(server.instance)}))
    with app.app_context():
        return get_db().execute("SELECT count(*) FROM audit_log WHERE action = ?", (int(action),)).fetchone()[0]


@contextlib.contextmanager
def admin_page(browser: Browser, server: LiveServer, language: str) -> Iterator[Page]:
    """A phone in ``language`` with the demo admin logged in to the server's pages."""
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        log_in(page, server, "admin")
        yield page
    finally:
        context.close()


def open_person(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/admin/")
    page.locator("tr", has_text=email).get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/admin/people/.+"))


def expect_notice(page: Page, text: str) -> None:
    expect(page.locator("main .notice[role=status]").first).to_contain_text(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_changes_on_the_login_and_enrolment_pages(browser: Browser, server: LiveServer,
                                                           language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        page.goto(server.url + "/login")
        page.select_option("#language-choice", "en")
        page.locator(".language-switch button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_have_text("Log in")
        page.goto(server.url + "/enrol#token=" + "x" * 43)
        page.select_option("#language-choice", language)
        page.locator(".language-switch button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("h1")).to_have_text(tr(language, "Create your account"))
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_invites_and_sees_the_link(browser: Browser, server: LiveServer, language: str) -> None:
    before = audit_count(server, Action.INVITED)
    with admin_page(browser, server, language) as page:
        page.goto(server.url + "/admin/invite")
        page.fill("#email", f"invitee-{language}@example.org")
        page.select_option("#role", "volunteer")
        page.select_option("#team", label="Prisons")
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        expect(page.locator("#link")).to_contain_text("/enrol#token=")
        expect(page.locator("#link-expiry")).to_contain_text(re.compile(r"20\d\d"))
        # The whole link is visible on the phone: it wraps, nothing is cut off.
        box = page.locator("#link").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert audit_count(server, Action.INVITED) == before + 1
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        page.click("#copy-link")
        expect(page.locator("#copy-status")).to_have_text(tr(language, "Link copied."))
        assert page.evaluate("navigator.clipboard.readText()") == page.locator("#link").inner_text().strip()
        page.goto(server.url + "/admin/")
        expect(page.locator("#pending")).to_contain_text(f"invitee-{language}@example.org")


@pytest.mark.parametrize("language", LANGUAGES)
def test_inviting_an_address_that_has_an_account_says_what_to_do(browser: Browser, server: LiveServer,
                                                                 language: str) -> None:
    before = audit_count(server, Action.INVITED)
    with admin_page(browser, server, language) as page:
        page.goto(server.url + "/admin/invite")
        page.fill("#email", "Benevole@demo.carnet.test")
        page.select_option("#role", "volunteer")
        page.select_option("#team", label="Prisons")
        page.locator("form button[type=submit], form input[type=submit]").last.click()
        expect(page.locator("#email-error")).to_have_text(tr(language, "This address already has an account. If "
                                                                       "the person lost their passphrase, open their "
                                                                       "page and issue a passphrase reset link."))
        expect(page.locator("#link")).to_have_count(0)
        assert audit_count(server, Action.INVITED) == before


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_creates_a_team_with_its_policy(browser: Browser, server: LiveServer, language: str) -> None:
    before = audit_count(server, Action.TEAM_CHANGED)
    with admin_page(browser, server, language) as page:
        page.goto(server.url + "/admin/")
        page.get_by_role("link", name=tr(language, "Teams")).click()
        page.fill("#name", f"Permanence {language}")
        page.fill("#retention", "30")
        page.locator("form:has(#name) [type=submit]").click()
        expect_notice(page, tr(language, "Team created."))
        expect(page.locator("#team-list")).to_contain_text(f"Permanence {language}")
        assert audit_count(server, Action.TEAM_CHANGED) == before + 2
        page.fill("#name", f"Permanence {language}")
        page.locator("form:has(#name) [type=submit]").click()
        expect(page.locator("#name-error")).to_have_text(tr(language, "A team with this name already exists."))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # logout.js is a module: it listens once the page has loaded.
        page.wait_for_load_state("load")
        page.click("#logout")
        expect(page).to_have_url(re.compile(r".*/login$"))
        page.goto(server.url + "/admin/")
        expect(page).to_have_url(re.compile(r".*/login\?next=.*"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_issues_a_reset_link_from_the_persons_page(browser: Browser, server: LiveServer,
                                                            language: str) -> None:
    before = audit_count(server, Action.RESET_ISSUED)
    with admin_page(browser, server, language) as page:
        open_person(page, server, "audit@demo.carnet.test")
        expect(page.locator("#reset-consequences")).to_be_visible()
        page.get_by_role("button", name=tr(language, "Issue a passphrase reset link")).click()
        expect(page.locator("#link")).to_contain_text("/enrol#token=")
        expect(page.locator("#link-expiry")).to_be_visible()
        assert audit_count(server, Action.RESET_ISSUED) == before + 1
        page.goto(server.url + "/admin/")
        expect(page.locator("#pending")).to_contain_text(tr(language, "Passphrase reset"))
        expect(page.locator("#people tr", has_text="benevole@demo.carnet.test")
               .locator("[data-certification]")).to_have_attribute("data-certification", "certified")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_changes_a_role_and_team_then_disables_enables_and_ends_sessions(
        browser: Browser, server: LiveServer, language: str) -> None:
    changed = audit_count(server, Action.ACCOUNT_CHANGED)
    ended = audit_count(server, Action.SESSIONS_ENDED)
    with admin_page(browser, server, language) as page:
        open_person(page, server, "audit@demo.carnet.test")
        page.select_option("#role", "coordinator")
        page.select_option("#team", label="CRA")
        page.locator("form:has(#role) [type=submit]").click()
        expect_notice(page, tr(language, "Saved."))
        expect(page.locator("#role")).to_have_value("coordinator")
        expect(page.locator("#team option:checked")).to_have_text("CRA")
        page.select_option("#role", "auditor")
        page.locator("form:has(#role) [type=submit]").click()
        expect(page.locator("#role")).to_have_value("auditor")

        page.get_by_role("button", name=tr(language, "Disable this account")).click()
        expect_notice(page, tr(language, "Account disabled."))
        expect(page.locator("#person-status")).to_have_text(tr(language, "Disabled"))
        page.get_by_role("button", name=tr(language, "Enable this account")).click()
        expect_notice(page, tr(language, "Account enabled."))
        expect(page.locator("#person-status")).to_have_text(tr(language, "Active"))
        assert audit_count(server, Action.ACCOUNT_CHANGED) == changed + 4

        sync_log_in(server.url, "auditor")
        page.reload()
        page.get_by_role("button", name=tr(language, "End all sessions")).click()
        expect(page.locator("main .notice[role=status]").first).to_be_visible()
        assert audit_count(server, Action.SESSIONS_ENDED) == ended + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_form_posted_from_another_origin_is_refused(browser: Browser, server: LiveServer) -> None:
    """Given a page on another origin whose form posts to Carnet, when a person submits it, then
    the server refuses it as cross-site and nothing changes."""
    context = browser.new_context(locale=LOCALES["fr"], **PHONE)
    try:
        page = context.new_page()
        page.goto(server.url + "/login")
        foreign = ("<!doctype html><form method=post action='%s/language'>"
                   "<input type=hidden name=language value=en><input type=hidden name=next value=/login>"
                   "<button id=go>go</button></form>" % server.url)
        page.route("http://foreign.example/", lambda route: route.fulfill(content_type="text/html", body=foreign))
        page.goto("http://foreign.example/")
        with page.expect_navigation():
            page.click("#go")
        expect(page.locator("body")).to_contain_text(tr("fr", "Requests from other sites are refused."))
        page.goto(server.url + "/login")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
    finally:
        context.close()
