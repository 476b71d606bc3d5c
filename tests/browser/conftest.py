"""Real Chromium (Debian's) driven by Playwright, against a real server process."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.authenticator import watch_demo_logins, with_demo_keys

CHROMIUM = os.environ.get("CARNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LOCALES = {"fr": "fr-FR", "en": "en-GB", "ar": "ar"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    # The demo admins and auditors log in with their second factor (tests/browser/authenticator.py).
    yield with_demo_keys(browser)
    browser.close()


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A phone-sized context (360 x 640, touch) in French unless the test says otherwise."""
    language = getattr(request, "param", "fr")
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    yield context
    context.close()


@pytest.fixture
def page(phone: BrowserContext) -> Page:
    return phone.new_page()


def screenshot(page: Page, name: str) -> Path:
    """Kept as a test artifact, never committed (test-artifacts/ is ignored by git). Whatever is
    shot writes its dates in the person's language, never as YYYY-MM-DD."""
    assert_no_iso_date(page)
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def assert_no_iso_date(page: Page) -> None:
    """The page's visible text writes no date as YYYY-MM-DD: dates are in the person's language."""
    text = page.evaluate("document.body.innerText")
    assert ISO_DATE.findall(text) == [], text


def open_phone_profile(playwright: Playwright, profile: Path) -> tuple[BrowserContext, Page]:
    """A phone-sized Chromium on a profile kept on disk, so a test can close and reopen it."""
    context = watch_demo_logins(playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, locale="fr-FR", **PHONE))
    return context, context.pages[0] if context.pages else context.new_page()
