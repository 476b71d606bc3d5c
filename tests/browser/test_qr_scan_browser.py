"""The admin certifies a new volunteer by scanning the QR code of their "My fingerprint" screen.

Chromium's fake camera plays a YUV4MPEG2 file made here from the QR code the volunteer's page
draws (its SVG modules, scaled up on a white quiet zone): the app's vendored decoder reads it
from the camera frames and compares it with the fingerprint the server's directory gives. A code
that differs by one digit gives the loud warning and certifies nothing; without a camera, the
digits stay usable.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.authenticator import watch_demo_logins
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, screenshot
from tests.browser.test_app import enrol, set_up_device, unlock
from tests.conftest import LiveServer

ADMIN = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "admin")
COORDINATOR = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "coordinator")
VOLUNTEER = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "volunteer")
MY_ID = "async () => (await import('/static/js/store/vault.js').then(m => m.readDevice())).userId"
WIDTH, HEIGHT, MODULE = 640, 480, 8


def modules_of(view_box: str, path: str) -> set[tuple[int, int]]:
    """The dark modules of the SVG the app draws (one "M x y h1v1h-1z" each), quiet zone included."""
    assert view_box.split()[:2] == ["0", "0"]
    return {(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", path)}


def write_y4m(target: Path, side: int, dark: set[tuple[int, int]], frames: int = 5) -> Path:
    """A few grey frames (4:2:0, chroma neutral) with the code in the middle, white around it."""
    luma = bytearray([235]) * (WIDTH * HEIGHT)
    left, top = (WIDTH - side * MODULE) // 2, (HEIGHT - side * MODULE) // 2
    for x, y in dark:
        for row in range(top + y * MODULE, top + (y + 1) * MODULE):
            start = row * WIDTH + left + x * MODULE
            luma[start:start + MODULE] = bytes([16]) * MODULE
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    target.write_bytes(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return target


def drawn_code(page: Page, text: str | None = None) -> tuple[int, set[tuple[int, int]]]:
    """The QR code on the volunteer's screen, or the one the app would draw for other digits."""
    if text is None:
        qr = page.locator("svg.fingerprint-qr")
        view_box, path = qr.get_attribute("viewBox"), qr.locator("path").get_attribute("d")
    else:
        view_box, path = page.evaluate("""async (text) => {
            const { qrSvg } = await import('/static/js/app/qr.js');
            const svg = qrSvg(text, 'test');
            return [svg.getAttribute('viewBox'), svg.querySelector('path').getAttribute('d')];
        }""", text)
    return int(view_box.split()[2]), modules_of(view_box, path)


@pytest.fixture
def volunteer(live_server: LiveServer, browser: Browser) -> Iterator[tuple[Page, str, str]]:
    """A newly enrolled volunteer on "My fingerprint": (page, user id, spoken fingerprint)."""
    context = browser.new_context(locale="fr-FR", **PHONE)
    page = context.new_page()
    enrol(live_server, page)
    unlock(page)
    page.click("#open-fingerprint")
    spoken = page.locator("#my-fingerprint").inner_text()
    user_id = page.evaluate(MY_ID)
    yield page, user_id, spoken
    context.close()


def camera_phone(playwright: Playwright, video: Path) -> BrowserContext:
    """A separate Chromium whose camera plays `video`, the permission granted."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    return watch_demo_logins(browser.new_context(locale="fr-FR", permissions=["camera"], **PHONE))


def open_comparison(page: Page, server: LiveServer, user_id: str) -> None:
    set_up_device(page, server, *ADMIN)
    page.click("#open-people")
    page.locator(f"li[data-person='{user_id}'] button").click()
    expect(page.locator("#compare-fingerprint")).to_be_visible()


def camera_is_live(page: Page) -> bool:
    return page.evaluate("() => !!document.querySelector('video.scan-view')?.srcObject?.getTracks()"
                         ".some(t => t.readyState === 'live')")


def test_the_admin_certifies_a_volunteer_by_scanning_their_qr_code(
        live_server: LiveServer, playwright: Playwright, volunteer: tuple[Page, str, str], tmp_path: Path) -> None:
    page, user_id, _spoken = volunteer
    context = camera_phone(playwright, write_y4m(tmp_path / "volunteer.y4m", *drawn_code(page)))
    try:
        admin = context.new_page()
        open_comparison(admin, live_server, user_id)
        # When the admin scans the volunteer's code,
        admin.click("#scan-qr")
        # then the keys are certified, as after reading the digits, and the camera is off.
        row = admin.locator(f"li[data-person='{user_id}']")
        expect(row).to_have_attribute("data-standing", "certified", timeout=15_000)
        assert admin.evaluate("() => !document.querySelector('video.scan-view')")
    finally:
        context.browser.close()


def test_a_code_one_digit_off_gives_a_loud_warning_and_certifies_nothing(
        live_server: LiveServer, playwright: Playwright, volunteer: tuple[Page, str, str], tmp_path: Path) -> None:
    page, user_id, spoken = volunteer
    other = spoken[:-1] + str((int(spoken[-1]) + 1) % 10)
    context = camera_phone(playwright, write_y4m(tmp_path / "other.y4m", *drawn_code(page, other)))
    try:
        admin = context.new_page()
        open_comparison(admin, live_server, user_id)
        admin.click("#scan-qr")
        expect(admin.locator("#scan-mismatch")).to_contain_text("ne correspond PAS", timeout=15_000)
        screenshot(admin, "app-scan-mismatch-fr-360x640")
        assert not camera_is_live(admin)
        # The person is still not certified, and the digits can be compared again.
        admin.click("text=Retour")
        expect(admin.locator(f"li[data-person='{user_id}']")).to_have_attribute("data-standing", "uncertified")
    finally:
        context.browser.close()


def test_leaving_the_screen_stops_the_camera(
        live_server: LiveServer, playwright: Playwright, volunteer: tuple[Page, str, str], tmp_path: Path) -> None:
    page, user_id, _spoken = volunteer
    blank = write_y4m(tmp_path / "blank.y4m", 45, set())
    context = camera_phone(playwright, blank)
    try:
        admin = context.new_page()
        open_comparison(admin, live_server, user_id)
        admin.click("#scan-qr")
        admin.wait_for_function("() => document.querySelector('video.scan-view')?.srcObject")
        tracks = admin.evaluate_handle("() => document.querySelector('video.scan-view').srcObject.getTracks()")
        admin.click("text=Retour")
        expect(admin.locator("h1")).to_have_text("Certifier des personnes")
        assert admin.evaluate("(tracks) => tracks.map(t => t.readyState)", tracks) == ["ended"]
    finally:
        context.browser.close()


def test_without_a_camera_the_digits_stay_usable(
        live_server: LiveServer, browser: Browser, volunteer: tuple[Page, str, str]) -> None:
    _page, user_id, _spoken = volunteer
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        admin = context.new_page()
        open_comparison(admin, live_server, user_id)
        admin.click("#scan-qr")
        expect(admin.locator("#scan-status")).to_contain_text("Comparez les chiffres")
        admin.click("#certify")
        expect(admin.locator(f"li[data-person='{user_id}']")).to_have_attribute("data-standing", "certified")
    finally:
        context.close()


def test_a_coordinator_marks_a_team_member_compared_by_scanning_their_qr_code(
        live_server: LiveServer, browser: Browser, playwright: Playwright, tmp_path: Path) -> None:
    volunteer = browser.new_context(locale="fr-FR", **PHONE)
    try:
        page = volunteer.new_page()
        set_up_device(page, live_server, *VOLUNTEER)
        user_id = page.evaluate(MY_ID)
        page.click("#open-fingerprint")
        video = write_y4m(tmp_path / "member.y4m", *drawn_code(page))
    finally:
        volunteer.close()
    context = camera_phone(playwright, video)
    try:
        desk = context.new_page()
        set_up_device(desk, live_server, *COORDINATOR)
        desk.click("#open-team")
        person = desk.locator(f'#team-people li[data-person="{user_id}"]')
        expect(person).to_have_attribute("data-standing", "unverified")
        person.locator("button").click()
        desk.click("#scan-qr")
        expect(person).to_have_attribute("data-standing", "verified", timeout=15_000)
    finally:
        context.browser.close()
