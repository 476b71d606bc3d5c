"""Passphrase recovery in Chromium, end to end: the admin issues a reset link on the server's page,
the person chooses a new passphrase on a new device (their app makes and publishes new keys),
the admin's app revokes the old keys and certifies the new ones, the coordinator's phone gives the
person's case to the new keys, and the new device reads it; then a certification is revoked.
Each step leaves its record in the audit log."""

import contextlib
import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto import roster
from crypto.audit import Action
from crypto.encoding import b64url_decode
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import PHONE
from tests.browser.test_accounts_browser import log_in
from tests.browser.test_admin_forms_browser import audit_count
from tests.browser.test_app import set_up_device, unlock
from tests.browser.test_cases_browser import DEMO, app, compare_in_person, open_case
from tests.browser.test_convergence_browser import tap_sync
from tests.browser.test_people_lifecycle_browser import record_case
from tests.conftest import LiveServer, running_demo
from tests.sync_client import log_in as http_log_in

OLD_PASSPHRASE = "la marée monte sous le vieux pont"
NEW_PASSPHRASE = "un phare rouge veille sur la baie"
ADMIN_EMAIL, ADMIN_PASSPHRASE = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "admin")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_demo(tmp_path_factory.mktemp("reset")) as live:
        yield live


def phone(browser: Browser) -> BrowserContext:
    return browser.new_context(locale="fr-FR", **PHONE)


def enrol(page: Page, link: str, name: str | None, passphrase: str) -> None:
    page.goto(link)
    expect(page.locator("#enrol-form")).to_be_visible()
    if name is not None:
        page.fill("#display-name", name)
    page.fill("#passphrase", passphrase)
    page.fill("#passphrase-again", passphrase)
    page.click("#enrol-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/app$"))
    unlock(page, passphrase)
    expect(page.locator("#lock-now")).to_be_visible()


def my_fingerprint(page: Page) -> str:
    page.click("#open-fingerprint")
    spoken = page.locator("#my-fingerprint").inner_text()
    page.locator("button").last.click()
    return spoken


def person_row(admin: Page, name: str):
    return admin.locator("li", has=admin.locator("strong", has_text=name)).last


def open_people(admin: Page) -> None:
    """From the home screen, or afresh from the people screen (its last button goes back home)."""
    if not admin.locator("#open-people").is_visible():
        admin.locator("button").last.click()
    admin.click("#open-people")


def certify(admin: Page, name: str, spoken: str, standing: str) -> None:
    open_people(admin)
    row = person_row(admin, name)
    expect(row).to_have_attribute("data-standing", standing)
    row.get_by_role("button", name="Comparer et certifier").click()
    expect(admin.locator("#compare-fingerprint")).to_have_text(spoken)
    admin.click("#certify")
    expect(person_row(admin, name)).to_have_attribute("data-standing", "certified")


def directory_row(server: LiveServer, name: str) -> tuple[dict, Ed25519PublicKey]:
    """The person's row of the directory, and the association key to verify its entries."""
    http, _user_id, _kek = http_log_in(server.url, "admin")
    people = http.request("GET", "/api/v1/directory").json()["people"]
    association = b64url_decode(http.request("GET", "/api/v1/association").json()["public_key"])
    return next(p for p in people if p["display_name"] == name), Ed25519PublicKey.from_public_bytes(association)


def reset_link(browser: Browser, server: LiveServer, email: str) -> str:
    context = phone(browser)
    try:
        page = context.new_page()
        log_in(page, server, "admin")
        page.goto(server.url + "/admin/")
        page.locator("tr", has_text=email).get_by_role("link").first.click()
        expect(page.locator("#reset-consequences")).to_contain_text("sont perdues")
        page.get_by_role("button", name="Créer un lien de réinitialisation de phrase secrète").click()
        return page.locator("#link").inner_text().strip()
    finally:
        context.close()


def test_a_person_recovers_with_a_reset_link_and_reads_their_cases_again(browser: Browser, server: LiveServer) -> None:
    """Given a certified volunteer with a synced case who lost their passphrase, when the admin
    issues a reset link and the person uses it on a new device, then their old keys are revoked
    and their new keys certified; the coordinator's phone removes the old keys from the case and,
    once the new fingerprint is compared, gives the case to the new keys; the new device reads
    it. The audit log holds each step."""
    email, name = "perdue@example.org", "Camille Perdue"
    notes = f"CANARY-{secrets.token_hex(6)} entretien au parloir"
    link = server.flask("invite", email, "--role", "volunteer", "--team", "Prisons").strip()
    first, admin_context, second, desk_context = phone(browser), phone(browser), phone(browser), phone(browser)
    actions = (Action.RESET_ISSUED, Action.RESET_COMPLETED, Action.ROSTER_ENTRY, Action.MEMBER_REMOVED,
               Action.MEMBER_ADDED)
    before = {a: audit_count(server, a) for a in actions}
    try:
        device = first.new_page()
        enrol(device, link, name, OLD_PASSPHRASE)
        old_spoken = my_fingerprint(device)
        volunteer_id = app(device, "app/session:s.vault.userId")
        admin = admin_context.new_page()
        set_up_device(admin, server, ADMIN_EMAIL, ADMIN_PASSPHRASE)
        certify(admin, name, old_spoken, "uncertified")
        tap_sync(device)
        case_id = record_case(device, "Dossier retrouvé", notes)
        tap_sync(device)

        reset = reset_link(browser, server, email)
        new_device = second.new_page()
        new_device.goto(reset)
        expect(new_device.locator("#enrol-title")).to_have_text("Choisir une nouvelle phrase secrète")
        expect(new_device.locator("#reset-explainer")).to_contain_text(
            "Les notes jamais synchronisées depuis un appareil que vous ne pouvez plus ouvrir sont perdues.")
        expect(new_device.locator("#display-name")).to_be_hidden()
        enrol(new_device, reset, None, NEW_PASSPHRASE)
        new_spoken = my_fingerprint(new_device)
        assert new_spoken != old_spoken

        certify(admin, name, new_spoken, "new-keys")
        desk = desk_context.new_page()
        set_up_device(desk, server, *DEMO["coordinator"])
        tap_sync(desk)
        compare_in_person(desk, volunteer_id, new_spoken)
        tap_sync(desk)
        tap_sync(new_device)
        open_case(new_device, case_id)
        expect(new_device.locator(".case-view")).to_contain_text(notes)
    finally:
        for context in (first, admin_context, second, desk_context):
            context.close()
    row, association = directory_row(server, name)
    revoked = [roster.verify_roster_entry(b64url_decode(r), association) for r in row["revocations"]]
    latest = roster.verify_roster_entry(b64url_decode(row["roster"]), association)
    # Serial 2 revokes the old keys; serial 3 certifies the new ones.
    assert [(e.serial, e.status) for e in revoked] == [(2, roster.Status.REVOKED)]
    assert (latest.serial, latest.status) == (3, roster.Status.ACTIVE)
    assert revoked[0].encryption_public != latest.encryption_public
    assert b64url_decode(row["keys"]["encryption_public"]) == latest.encryption_public
    # The case opened with the team's certified coordinator as a member; then the removal of the
    # old keys and the grant of the new ones.
    assert {a: audit_count(server, a) - n for a, n in before.items()} == {
        Action.RESET_ISSUED: 1, Action.RESET_COMPLETED: 1, Action.ROSTER_ENTRY: 3, Action.MEMBER_REMOVED: 1,
        Action.MEMBER_ADDED: 1}


@contextlib.contextmanager
def admin_with_certified_volunteer(browser: Browser, server: LiveServer, email: str, name: str) -> Iterator[Page]:
    """A volunteer enrolled on their phone and certified by the admin, whose app is yielded."""
    link = server.flask("invite", email, "--role", "volunteer", "--team", "Prisons").strip()
    person, admin_context = phone(browser), phone(browser)
    try:
        device = person.new_page()
        enrol(device, link, name, OLD_PASSPHRASE)
        spoken = my_fingerprint(device)
        admin = admin_context.new_page()
        set_up_device(admin, server, ADMIN_EMAIL, ADMIN_PASSPHRASE)
        certify(admin, name, spoken, "uncertified")
        yield admin
    finally:
        person.close()
        admin_context.close()


def revoke_in_the_app(admin: Page, name: str) -> None:
    person_row(admin, name).get_by_role("button", name="Révoquer la certification").click()
    admin.click("#confirm-revoke")


def test_the_admins_app_revokes_a_certification(browser: Browser, server: LiveServer) -> None:
    """Given a certified volunteer, when the admin revokes their certification in the app and
    confirms, then the directory's revocations hold the signed revoked entry."""
    name = "Dominique Révoquée"
    with admin_with_certified_volunteer(browser, server, "revoque@example.org", name) as admin:
        revoke_in_the_app(admin, name)
        expect(person_row(admin, name)).to_have_attribute("data-standing", "revoked")
    row, _association = directory_row(server, name)
    assert row["revocations"] == [row["roster"]]


def test_the_admins_app_shows_a_disabled_person_and_revokes_them(browser: Browser, server: LiveServer) -> None:
    """Given a certified volunteer disabled from the command line, then the admin's app shows
    them as disabled but still certified, and after revoking, as disabled and revoked."""
    email, name = "partie@example.org", "Sacha Partie"
    with admin_with_certified_volunteer(browser, server, email, name) as admin:
        server.flask("people", "disable", email)
        open_people(admin)
        expect(person_row(admin, name)).to_have_attribute("data-standing", "disabled")
        expect(person_row(admin, name)).to_contain_text("Désactivé·e, mais encore certifié·e")
        revoke_in_the_app(admin, name)
        expect(person_row(admin, name)).to_have_attribute("data-standing", "disabled-revoked")
    row, _association = directory_row(server, name)
    assert row["status"] == "disabled" and row["revocations"] == [row["roster"]]
