"""A volunteer records an intake with no network: sealed, signed, stored encrypted, editable."""

import datetime
import random
import secrets
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from crypto.encoding import b64url_encode
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, open_phone_profile, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import PASSPHRASE, enrol, set_up_device, unlock
from tests.browser.test_vault import profile_hits
from tests.conftest import LiveServer

VOLUNTEER = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "volunteer")


def fill_intake(page: Page, alias: str, notes: str, deadline: str) -> None:
    page.click("#new-intake")
    expect(page.locator("#intake-progress")).to_have_text("Étape 1 sur 5")
    page.fill("#f-alias", alias)
    page.select_option("#f-gender", "female")
    page.fill("#f-nationality", "Guinéenne")
    page.click("#step-next")
    page.select_option("#f-place_type", "detention")
    page.fill("#f-place_name", "CRA de Lyon")
    page.fill("#f-prison_number", "E-4512")
    page.click("#step-next")
    page.select_option("#f-measure", "OQTF")
    page.fill("#f-deadline-date-0", deadline)
    page.select_option("#f-deadline-kind-0", "hearing")
    page.fill("#f-deadline-label-0", "Audience JLD")
    page.click("#step-next")
    page.click("#step-next")
    page.select_option("#f-consent", "yes")
    page.fill("#f-consent_language", "Soussou, avec interprète")
    page.fill("#f-notes", notes)
    page.click("#intake-save")


def test_an_intake_recorded_offline_is_sealed_kept_and_editable(live_server: LiveServer, playwright: Playwright,
                                                                tmp_path: Path) -> None:
    canary = "CANARY-" + secrets.token_hex(8)
    profile = tmp_path / "profile"
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    context, page = open_phone_profile(playwright, profile)
    try:
        set_up_device(page, live_server, *VOLUNTEER)
        page.wait_for_function("() => navigator.serviceWorker.getRegistration().then(r => !!r?.active)")
        context.set_offline(True)
        fill_intake(page, "Aïssatou D.", f"Rencontrée au parloir. {canary}", tomorrow)
        expect(page.locator("h1")).to_have_text("Aïssatou D.")
        soon = page.locator(".deadlines li", has=page.locator(".deadline-badge[data-state='48h']"))
        expect(soon).to_contain_text("Audience JLD")
        expect(soon.locator(".deadline-badge")).to_contain_text("à 23:59")
        screenshot(page, "app-case-fr-360x640")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        page.click("#edit-case")
        for _ in range(4):
            page.click("#step-next")
        page.fill("#f-notes", f"Rappeler l'avocate. {canary}")
        page.click("#intake-save")
        expect(page.locator("details summary")).to_have_text("2 versions")

        page.get_by_role("button", name="Retour").click()
        expect(page.locator("#case-list li")).to_have_count(1)
        page.fill("#case-search", "E-4512")
        expect(page.locator("#case-list li:visible")).to_have_count(1)
        page.fill("#case-search", "personne")
        expect(page.locator("#case-list li:visible")).to_have_count(0)

        page.click("#lock-now")
        page.reload()
        unlock(page, VOLUNTEER[1])
        page.locator("#case-list button").first.click()
        expect(page.locator("dl").first).to_contain_text("Rappeler l'avocate.")
        expect(page.locator("dl").first).to_contain_text("CRA de Lyon")
    finally:
        context.close()
    assert profile_hits(profile, canary) == []
    assert profile_hits(profile, "Aïssatou") == []


def test_an_intake_needs_a_name_and_a_certified_author(live_server: LiveServer, page: Page) -> None:
    set_up_device(page, live_server, *VOLUNTEER)
    page.click("#new-intake")
    page.click("#intake-save")
    expect(page.locator("#intake-error")).to_have_text("Indiquez un nom ou un alias.")
    expect(page.locator("#f-alias")).to_be_focused()


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_intake_and_case_screens_are_accessible(live_server: LiveServer, browser: Browser, language: str) -> None:
    context = browser.new_context(locale=LOCALES[language], **PHONE)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *VOLUNTEER)
        page.click("#new-intake")
        found = {}
        for step in range(1, 6):
            found[f"step {step}"] = serious_violations(page)
            screenshot(page, f"app-intake-step{step}-{language}-360x640")
            if step < 5:
                page.click("#step-next")
        page.click("#step-back")
        page.click("#step-back")
        page.click("#step-back")
        page.click("#step-back")
        page.fill("#f-alias", "Test accessibilité")
        page.click("#intake-save")
        expect(page.locator("#edit-case")).to_be_visible()
        found["case"] = serious_violations(page)
        screenshot(page, f"app-case-{language}-360x640")
        assert {name: v for name, v in found.items() if v} == {}
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_a_draft_is_sealed_as_the_person_types_and_survives_a_closed_tab(
        live_server: LiveServer, playwright: Playwright, tmp_path: Path) -> None:
    canary = "CANARY-" + secrets.token_hex(8)
    profile = tmp_path / "profile"
    context, page = open_phone_profile(playwright, profile)
    try:
        set_up_device(page, live_server, *VOLUNTEER)
        page.click("#new-intake")
        page.fill("#f-alias", "Brouillon Test")
        page.click("#step-next")
        page.fill("#f-place_name", canary)
        page.wait_for_timeout(3500)  # the draft timer, not the focus change, saves this one
        page.close()
        page = context.new_page()
        page.goto(live_server.url + "/app")
        unlock(page, VOLUNTEER[1])
        page.click("#new-intake")
        expect(page.locator("#draft-restored")).to_be_visible()
        expect(page.locator("#f-alias")).to_have_value("Brouillon Test")
        expect(page.locator("#f-place_name")).to_have_value(canary)
    finally:
        context.close()
    assert profile_hits(profile, canary) == []
    assert profile_hits(profile, "Brouillon Test") == []


def test_saving_or_discarding_removes_the_draft(live_server: LiveServer, page: Page) -> None:
    set_up_device(page, live_server, *VOLUNTEER)
    page.click("#new-intake")
    page.fill("#f-alias", "À jeter")
    page.click("#step-next")
    page.click("#intake-discard")
    page.click("#discard-dialog-confirm")
    page.click("#new-intake")
    expect(page.locator("#draft-restored")).to_have_count(0)
    expect(page.locator("#f-alias")).to_have_value("")


def noisy_png(width: int, height: int, seed: int) -> bytes:
    """A photo-like PNG of random pixels: it compresses badly, so the JPEG spans several chunks."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_a_photo_is_resized_chunked_sealed_and_back_after_a_restart_offline(
        live_server: LiveServer, playwright: Playwright, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    context, page = open_phone_profile(playwright, profile)
    try:
        set_up_device(page, live_server, *VOLUNTEER)
        page.wait_for_function("() => navigator.serviceWorker.getRegistration().then(r => !!r?.active)")
        context.set_offline(True)
        page.click("#new-intake")
        page.fill("#f-alias", "Photo Test")
        page.click("#intake-save")
        page.set_input_files("#photo-input", files=[{"name": "titre.png", "mimeType": "image/png",
                                                     "buffer": noisy_png(2400, 1800, 7)}])
        expect(page.locator(".photos img")).to_have_count(1)
        size = page.evaluate("""async () => {
            const img = document.querySelector('.photos img');
            await img.decode();
            return [img.naturalWidth, img.naturalHeight];
        }""")
        assert size == [1600, 1200]
        # A run of the stored JPEG's own bytes, to look for on disk afterwards.
        pattern = bytes(page.evaluate("""async () => {
            const { unlocked } = await import('/static/js/app/session.js');
            const { openCase } = await import('/static/js/store/cases.js');
            const [id] = await unlocked().vault.ids('case');
            const { attachments } = await openCase(unlocked(), id);
            return Array.from(attachments[0].bytes.subarray(4002, 4035));
        }"""))
        chunks = page.evaluate("""async () => {
            const { unlocked } = await import('/static/js/app/session.js');
            const { caseRecords } = await import('/static/js/store/records.js');
            const record = await caseRecords.get(unlocked().vault, (await unlocked().vault.ids('case'))[0]);
            return record.envelopes.length;
        }""")
        assert chunks >= 4  # genesis, intake, and a photo of more than one chunk
    finally:
        context.close()
    context, page = open_phone_profile(playwright, profile)
    try:
        context.set_offline(True)
        page.goto(live_server.url + "/app")
        unlock(page, VOLUNTEER[1])
        page.locator("#case-list button").first.click()
        expect(page.locator(".photos img")).to_have_count(1)
        assert page.evaluate("() => document.querySelector('.photos img').decode().then(() => true)")
    finally:
        context.close()
    # Raw, and as the base64url the entry body carries (the offset is a multiple of 3, so the
    # run encodes to the same text inside the whole chunk's encoding).
    needles = (pattern, b64url_encode(pattern).encode())
    hits = [str(p) for p in profile.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]
    assert hits == []


def test_acceptance_enrol_then_offline_intake_with_photo_survives_a_browser_restart(
        live_server: LiveServer, playwright: Playwright, browser: Browser, tmp_path: Path) -> None:
    """The whole first day: enrol, get certified, go offline, record, close, reopen offline."""
    profile = tmp_path / "profile"
    context, page = open_phone_profile(playwright, profile)
    try:
        enrol_and_certify(live_server, browser, page)
        # Back online once after being certified: unlocking fetches the roster with the new entry.
        page.click("#lock-now")
        unlock(page)
        expect(page.locator("#new-intake")).to_be_visible()
        page.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
        page.wait_for_function("() => navigator.serviceWorker.getRegistration().then(r => !!r?.active)")
        context.set_offline(True)
        page.reload()
        unlock(page)
        page.click("#new-intake")
        page.fill("#f-alias", "Premier entretien")
        page.click("#intake-save")
        page.set_input_files("#photo-input", files=[{"name": "oqtf.png", "mimeType": "image/png",
                                                     "buffer": noisy_png(640, 480, 3)}])
        expect(page.locator(".photos img")).to_have_count(1)
    finally:
        context.close()
    context, page = open_phone_profile(playwright, profile)
    try:
        context.set_offline(True)
        page.goto(live_server.url + "/app")
        unlock(page)
        page.locator("#case-list button").first.click()
        expect(page.locator("h1")).to_have_text("Premier entretien")
        expect(page.locator(".photos img")).to_have_count(1)
    finally:
        context.close()


def enrol_and_certify(server: LiveServer, browser: Browser, page: Page) -> str:
    """A new volunteer enrolled in the page and certified by the demo admin, back on the home
    screen; returns the fingerprint they read aloud."""
    enrol(server, page)
    unlock(page)
    page.click("#open-fingerprint")
    spoken = page.locator("#my-fingerprint").inner_text()
    certify_as_demo_admin(server, browser, spoken)
    page.get_by_role("button", name="Retour").click()
    return spoken


def certify_as_demo_admin(server: LiveServer, browser: Browser, spoken: str) -> None:
    email, passphrase = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "admin")
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        page = context.new_page()
        set_up_device(page, server, email, passphrase)
        page.click("#open-people")
        page.locator("li[data-standing=uncertified] button").first.wait_for()
        for button in page.locator("li[data-standing=uncertified] button").all():
            button.click()
            if page.locator("#compare-fingerprint").inner_text() == spoken:
                page.click("#certify")
                expect(page.locator("#app-status")).to_contain_text("certifié")
                return
            page.get_by_role("button", name="Retour").click()
        raise AssertionError("the enrolled volunteer is not in the admin's list")
    finally:
        context.close()
