"""A disabled person's phone (docs/PROTOCOL.md 8.12, "A disabled account"): at its next contact
with the server it locks; after unlock it shows only what it keeps and what to do; the cases the
server holds are gone from it, the unsent one stays sealed and unsent, the draft stays, nothing new
can be recorded. Enabled again, one "Réessayer" brings everything back."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sync import accounts
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import set_up_device, unlock
from tests.browser.test_audit_browser_findings import open_database
from tests.browser.test_figures import fill_short_intake
from tests.conftest import LiveServer, running_demo

VOLUNTEER = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "volunteer")

COUNT_RECORDS = """async (kind) => {
  const { openDB } = await import('/static/vendor/idb.js');
  const db = await openDB('carnet');
  const count = await db.countFromIndex('records', 'kind', kind);
  db.close();
  return count;
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def set_account_status(server: LiveServer, email: str, status: str) -> None:
    """What the admin pages (or the CLI) do: the account's status, and its sessions ended."""
    conn = open_database(server)
    try:
        accounts.set_status(conn, accounts.user_by_email(conn, email)["id"], status, int(time.time()))
    finally:
        conn.close()


def records(page: Page, kind: str) -> int:
    return page.evaluate(COUNT_RECORDS, kind)




def test_a_disabled_persons_phone_locks_keeps_only_unsent_work_and_comes_back_when_enabled(
        server: LiveServer, browser: Browser) -> None:
    phone = browser.new_context(locale="fr-FR", **PHONE)
    try:
        page = phone.new_page()
        set_up_device(page, server, *VOLUNTEER)
        # Given a case the server holds, a case recorded offline, and a draft being typed,
        fill_short_intake(page, "Awa synchronisée", "CRA de Lyon")
        page.click("#sync-now")
        expect(page.locator("#sync-status")).to_contain_text("Tout est envoyé.")
        phone.set_offline(True)
        fill_short_intake(page, "Fatou hors ligne", "CRA de Lyon")
        expect(page.locator("#sync-status")).to_contain_text("1 entretien attend d’être envoyé.")
        page.click("#new-intake")
        page.fill("#f-alias", "Brouillon en cours")
        page.click("#step-next")
        # when an admin disables the account and the phone reaches the server,
        set_account_status(server, VOLUNTEER[0], "disabled")
        phone.set_offline(False)
        # then it locks at once, saying why,
        expect(page.locator("#lock-disabled")).to_contain_text("désactivé")
        screenshot(page, "app-disabled-locked-fr-360x640")
        # and after unlock shows only what it keeps and what to do.
        unlock(page, VOLUNTEER[1])
        expect(page.locator("h1")).to_have_text("Ce compte est désactivé")
        expect(page.locator("#disabled-waiting")).to_contain_text("2 entrées attendent")
        expect(page.locator("#disabled-cases li")).to_have_count(1)
        expect(page.locator("#disabled-draft")).to_be_visible()
        expect(page.locator("#account-disabled")).to_contain_text("coordinateur")
        expect(page.locator("#new-intake")).to_have_count(0)
        expect(page.locator("#case-list")).to_have_count(0)
        screenshot(page, "app-disabled-fr-360x640")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # The synced case left the device; the unsent one stays, sealed, its entries in the outbox.
        assert records(page, "case") == 1
        assert records(page, "outbox") == 2
        assert records(page, "draft") == 1
        page.locator("#disabled-cases button").click()
        expect(page.locator("#sealed-case-count")).to_contain_text("2 entrées")
        expect(page.locator("main")).not_to_contain_text("Fatou")
        page.get_by_role("button", name="Retour").click()

        # Lock and unlock: still the same screen; a retry while disabled sends nothing.
        page.click("#lock-now")
        unlock(page, VOLUNTEER[1])
        expect(page.locator("h1")).to_have_text("Ce compte est désactivé")
        page.click("#disabled-retry")
        expect(page.locator("#disabled-error")).to_contain_text("toujours désactivé")
        assert records(page, "outbox") == 2
        page.evaluate("async () => (await import('/static/js/app/intake.js')).intakeScreen("
                      "(await import('/static/js/app/session.js')).unlocked(), { home: () => {} })")
        expect(page.locator("#intake-form")).to_have_count(0)

        # When the account is enabled again, one retry brings everything back.
        set_account_status(server, VOLUNTEER[0], "active")
        page.click("#disabled-retry")
        # (a login, a push and a pull from the start: given time on a loaded machine)
        expect(page.locator("h1")).to_have_text("Mes dossiers", timeout=20_000)
        expect(page.locator("#sync-status")).to_contain_text("Tout est envoyé.")
        expect(page.locator("#case-list li")).to_have_count(2)
        expect(page.locator("#case-list")).to_contain_text("Awa synchronisée")
        page.click("#new-intake")
        expect(page.locator("#draft-restored")).to_be_visible()
        expect(page.locator("#f-alias")).to_have_value("Brouillon en cours")
    finally:
        phone.close()
