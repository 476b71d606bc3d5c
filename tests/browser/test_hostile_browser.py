"""The browser's side of issue 13: passphrase forms that cannot send the passphrase by themselves,
and the one check of where the page goes after login."""

import json
import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import PHONE
from tests.browser.test_accounts_browser import record_requests
from tests.conftest import LiveServer
from tests.test_edge import HOSTILE_TARGETS, SAFE_TARGETS

DEMO = {role: (email, passphrase) for email, _name, role, _team, passphrase in DEMO_PEOPLE}
SECRET = "a passphrase that must never travel"


def assert_never_sent(requests: list[dict], secret: str) -> None:
    assert requests, "no request was recorded"
    for request in requests:
        assert secret not in json.dumps(request, ensure_ascii=False), request["url"]
        assert "passphrase" not in request["url"], request["url"]


def submit_natively(page: Page, form: str) -> None:
    """Every way a browser submits a form by itself: Enter in the field, then the form's own
    submission as a script-less browser would make it (HTMLFormElement.submit skips handlers)."""
    page.locator(f"{form} input[type=password]").first.press("Enter")
    page.wait_for_timeout(300)
    if page.locator(form).count():
        page.evaluate(f"document.querySelector('{form}').submit()")
    page.wait_for_load_state()


@pytest.mark.parametrize(("path", "form"), [("/login", "#login-form"), ("/enrol#token=" + "x" * 43, "#enrol-form")])
def test_a_passphrase_form_submitted_before_its_script_runs_sends_no_passphrase(
        live_server: LiveServer, phone: BrowserContext, page: Page, path: str, form: str) -> None:
    # Given the page's own modules held back (slow network, a script that failed to load),
    page.route(re.compile(r".*/static/js/.*"), lambda route: route.abort())
    requests = record_requests(phone)
    page.goto(live_server.url + path)
    # A hidden form (the enrolment's) is shown here on purpose, as if a script had failed halfway.
    page.evaluate(f"document.querySelector('{form}').hidden = false")
    for field in page.locator(f"{form} input").all():
        field.fill(SECRET if field.get_attribute("type") == "password" else "person@example.org")
    # the button cannot be used,
    expect(page.locator(f"{form} button[type=submit]")).to_be_disabled()
    # and a native submission sends nothing typed.
    submit_natively(page, form)
    assert_never_sent(requests, SECRET)
    assert all("person%40example.org" not in r["url"] and "person@example.org" not in r["body"] for r in requests)


def test_the_login_form_without_javascript_sends_no_passphrase(live_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", **PHONE)
    try:
        requests = record_requests(context)
        page = context.new_page()
        page.goto(live_server.url + "/login")
        expect(page.locator("noscript")).to_have_count(1)
        page.fill("#email", DEMO["volunteer"][0])
        page.fill("#passphrase", SECRET)
        page.locator("#passphrase").press("Enter")
        page.locator("#login-submit").click(force=True)
        page.wait_for_timeout(500)
        assert_never_sent(requests, SECRET)
        assert page.url.endswith("/login"), page.url
    finally:
        context.close()


def test_passphrase_fields_are_not_offered_to_the_password_manager_and_empty_after_use(
        live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/login")
    field = page.locator("#passphrase")
    assert field.get_attribute("autocomplete") == "off" and field.get_attribute("name") is None
    page.fill("#email", DEMO["auditor"][0])
    page.fill("#passphrase", "certainly not this one")
    page.click("#login-submit")
    expect(page.locator("#login-error")).not_to_be_empty()
    # Read by the script and taken out of the page at once: nothing left to offer to keep.
    assert field.input_value() == ""


def test_the_browser_refuses_every_hostile_next_and_keeps_paths_of_this_site(live_server: LiveServer,
                                                                            page: Page) -> None:
    page.goto(live_server.url + "/login")
    results = page.evaluate("""async ([hostile, safe]) => {
        const { safeNext } = await import("/static/js/redirect.js");
        return { hostile: hostile.map((t) => [t, safeNext(t, "/fallback")]),
                 safe: safe.map((t) => [t, safeNext(t, "/fallback")]) };
    }""", [HOSTILE_TARGETS, SAFE_TARGETS])
    assert [t for t, got in results["hostile"] if got != "/fallback"] == []
    assert [t for t, got in results["safe"] if got != t] == []


@pytest.mark.parametrize("next_value", ["/%09/evil.example", "/%5Cevil.example", "//evil.example"])
def test_a_login_with_a_hostile_next_stays_on_the_site(live_server: LiveServer, page: Page, next_value: str) -> None:
    email, passphrase = DEMO["volunteer"]
    page.goto(f"{live_server.url}/login?next={next_value}")
    page.fill("#email", email)
    page.fill("#passphrase", passphrase)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r".*/home$"))
    assert page.url.startswith(live_server.url)
