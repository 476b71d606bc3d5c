"""7. The coordinator's dashboard: time from unlocking to the team's cases listed, sorted and
counted, with N cases of ten entries each synced to the coordinator's browser (desk-sized, no
slowdown, and a tablet-class 4x CPU slowdown)."""

from pathlib import Path

from playwright.sync_api import Browser, expect, sync_playwright

from bench.figures import Results
from bench.phone import throttle, timed
from bench.servers import demo_server
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_review_browser import push_cases
from tests.conftest import LiveServer
from webapp.cli import DEMO_PEOPLE

DASHBOARD = "7. Coordinator dashboard"
COORDINATOR = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "coordinator")


def run_dashboard(results: Results, work: Path, *, cases: int, runs: int) -> None:
    with sync_playwright() as driver, demo_server(work) as server:
        push_cases(server, cases)
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            measure(results, browser, server, cases, runs)
        finally:
            browser.close()


def measure(results: Results, browser: Browser, server: LiveServer, cases: int, runs: int) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(server.url + "/app")
        page.fill("#setup-email", COORDINATOR[0])
        page.fill("#setup-passphrase", COORDINATOR[1])
        shown = f"(document.querySelector('#case-count')?.textContent || '').startsWith('{cases} ')"
        synced = timed(page, "document.querySelector('#setup-form button[type=submit]').click()", shown)
        results.add(DASHBOARD, f"a new device set up to {cases:,} cases listed ({10 * cases:,} entries pulled, "
                    "verified, opened and stored)", "s", [synced / 1000])
        plain, slowed = [], []
        for _ in range(runs):
            for values, slowdown in ((plain, False), (slowed, True)):
                page.click("#lock-now")
                page.wait_for_selector("#unlock-form")
                session = throttle(page) if slowdown else None
                page.fill("#unlock-passphrase", COORDINATOR[1])
                values.append(timed(page, "document.querySelector('#unlock-form button[type=submit]').click()", shown))
                if session:
                    session.send("Emulation.setCPUThrottlingRate", {"rate": 1})
                expect(page.locator("#case-list li")).to_have_count(min(cases, 100))
        results.add(DASHBOARD, f"unlock to {cases:,} cases listed by deadline, desk", "ms", plain)
        results.add(DASHBOARD, f"unlock to {cases:,} cases listed by deadline, 4x CPU slowdown", "ms", slowed)
    finally:
        context.close()
