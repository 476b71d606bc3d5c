"""Each role's app opens on its own work: the admin's on certifying people (no intake, no case,
no sync, nothing refused), the auditor's on the audit. A volunteer sees whether their keys are
certified, and learns of a certification the moment a save needs it."""

import pytest
from playwright.sync_api import Browser, BrowserContext, Response, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import enrol, set_up_device, unlock
from tests.browser.test_intake import certify_as_demo_admin
from tests.conftest import LiveServer

DEMO = {role: (email, passphrase) for email, _name, role, _team, passphrase in DEMO_PEOPLE}


def refused_responses(context: BrowserContext) -> list[str]:
    refused: list[str] = []

    def on_response(response: Response) -> None:
        if response.status in (401, 403):
            refused.append(f"{response.status} {response.url}")

    context.on("response", on_response)
    return refused


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_admins_app_offers_certification_not_intakes(live_server: LiveServer, browser: Browser,
                                                         language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    refused = refused_responses(context)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        page = context.new_page()
        set_up_device(page, live_server, *DEMO["admin"])
        for control in ("#open-people", "#open-fingerprint", "#open-settings", "#lock-now", "#app-wipe"):
            expect(page.locator(control)).to_be_visible()
        for absent in ("#new-intake", "#case-list", "#sync-now", "#server-cases"):
            expect(page.locator(absent)).to_have_count(0)
        # What an opening sync would have done is given time to happen, and did not.
        page.wait_for_timeout(1500)
        expect(page.locator("[role=alert]:not(:empty)")).to_have_count(0)
        assert refused == []
        assert not [url for url in requested if "/api/v1/sync/" in url]
        screenshot(page, f"app-admin-home-{language}-360x640")
        assert serious_violations(page) == []
        page.click("#open-people")
        expect(page.locator(".people-list")).to_be_visible()
    finally:
        context.close()


def test_the_auditors_app_still_opens_on_the_audit(live_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR", **PHONE)
    refused = refused_responses(context)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *DEMO["auditor"])
        expect(page.locator("#verify-everything")).to_be_visible()
        expect(page.locator("#new-intake")).to_have_count(0)
        assert refused == []
    finally:
        context.close()


def test_a_volunteer_learns_of_their_certification_when_a_save_needs_it(live_server: LiveServer,
                                                                       browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        page = context.new_page()
        enrol(live_server, page)
        unlock(page)
        # Given a new volunteer, not certified yet: the home screen says so and what to do,
        status = page.locator("#certification-status")
        expect(status).to_have_attribute("data-certified", "false")
        expect(status).to_contain_text("montrez votre empreinte")
        # and a save says what to do, keeping what was typed.
        page.click("#open-fingerprint")
        spoken = page.locator("#my-fingerprint").inner_text()
        page.get_by_role("button", name="Retour").click()
        page.click("#new-intake")
        page.fill("#f-alias", "Mariam")
        page.click("#intake-save")
        expect(page.locator("#intake-error")).to_contain_text("Mon empreinte")
        expect(page.locator("#f-alias")).to_have_value("Mariam")
        # When an admin certifies the keys, the same save goes through at once, without a sync first,
        certify_as_demo_admin(live_server, browser, spoken)
        page.click("#intake-save")
        expect(page.locator("h1")).to_have_text("Mariam")
        # and the home screen says the keys are certified.
        page.get_by_role("button", name="Retour").click()
        expect(status).to_have_attribute("data-certified", "true")
        expect(status).to_have_text("Clés certifiées.")
    finally:
        context.close()
