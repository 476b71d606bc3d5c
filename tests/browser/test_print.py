"""A case printed for a lawyer: its facts, deadlines and history on paper, none of the app's controls."""

import datetime

from playwright.sync_api import Browser, expect

from tests.browser.conftest import LOCALES, PHONE
from tests.browser.test_app import set_up_device
from tests.browser.test_intake import VOLUNTEER, fill_intake
from tests.conftest import LiveServer


def test_the_print_view_shows_the_case_and_hides_the_app(live_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(locale=LOCALES["fr"], **PHONE)
    due = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    try:
        page = context.new_page()
        set_up_device(page, live_server, *VOLUNTEER)
        fill_intake(page, "Impression Test", "Première version des notes.", due)
        page.click("#edit-case")
        for _ in range(4):
            page.click("#step-next")
        page.fill("#f-notes", "Seconde version des notes.")
        page.click("#intake-save")
        expect(page.locator("details summary")).to_have_text("2 versions")

        # On screen: the actions, not the parts meant for paper.
        expect(page.locator("#print-case")).to_be_visible()
        expect(page.locator("#print-history")).to_be_hidden()
        expect(page.locator(".print-header")).to_be_hidden()

        page.emulate_media(media="print")
        expect(page.locator("h1")).to_have_text("Impression Test")
        expect(page.locator(".print-header")).to_be_visible()
        expect(page.locator(".print-header")).to_contain_text("Confidentiel")
        facts = page.locator("dl.facts").first
        expect(facts).to_be_visible()
        expect(facts).to_contain_text("CRA de Lyon")
        expect(facts).to_contain_text("Seconde version des notes.")
        expect(page.locator(".deadlines")).to_be_visible()
        expect(page.locator(".deadlines")).to_contain_text("Audience JLD")
        history = page.locator("#print-history")
        expect(history).to_be_visible()
        expect(history).to_contain_text("Première version des notes.")
        expect(history).to_contain_text("Seconde version des notes.")
        for chrome in ("#print-case", "#edit-case", ".actions", ".photo-control", "details"):
            expect(page.locator(chrome).first).to_be_hidden()
        assert page.locator("button:visible").count() == 0

        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        context.close()
