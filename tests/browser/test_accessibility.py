"""axe-core finds no serious or critical violation on the account pages (French and Arabic) and the
app's figures and fingerprint screens (French, English and Arabic, phone and desk widths)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accounts_browser import log_in
from tests.conftest import LiveServer

axe = Axe()


def serious_violations(page: Page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_account_pages_have_no_serious_accessibility_violation(live_server: LiveServer, browser: Browser,
                                                               language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        found = {}
        page.goto(live_server.url + "/login")
        found["/login"] = serious_violations(page)
        page.goto(live_server.url + "/enrol#token=" + "y" * 43)
        page.wait_for_selector("#enrol-error:not(:empty)")
        found["/enrol"] = serious_violations(page)
        log_in(page, live_server, "admin")
        for path in ("/home", "/admin/", "/admin/invite"):
            page.goto(live_server.url + path)
            found[path] = serious_violations(page)
        page.goto(live_server.url + "/admin/")
        page.locator("tbody a").first.click()
        found["/admin/people/<id>"] = serious_violations(page)
        assert {path: v for path, v in found.items() if v} == {}
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_figures_and_fingerprint_screens_have_no_serious_accessibility_violation(
        live_server: LiveServer, browser: Browser, language: str, width: int) -> None:
    # Imported here: the app's test modules import serious_violations from this one.
    from tests.browser.test_app import set_up_device
    from tests.browser.test_figures import COORDINATOR, fill_short_intake

    size = PHONE if width == 360 else {"viewport": {"width": width, "height": 800}}
    context = browser.new_context(locale=LOCALES[language], **size)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *COORDINATOR)
        fill_short_intake(page, "Accessibilité Chiffres", "Centre de rétention de Mesnil-Amelot")
        found = {}
        page.click("#open-figures")
        page.wait_for_selector("table[data-breakdown=place] tbody tr")
        found["figures"] = serious_violations(page)
        screenshot(page, f"app-figures-{language}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator(".figures .actions button").last.click()
        page.click("#open-fingerprint")
        page.wait_for_selector("svg.fingerprint-qr")
        found["fingerprint"] = serious_violations(page)
        assert {screen: v for screen, v in found.items() if v} == {}
    finally:
        context.close()
