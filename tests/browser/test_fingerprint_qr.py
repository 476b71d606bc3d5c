"""A person's fingerprint is also shown as a QR code, and that code reads back as the fingerprint.

The QR code is the SVG the app draws (static/js/app/qr.js, from the vendored qrcode-generator):
its dark modules are read from the drawn path, painted into a grey image, and decoded by zxing-cpp,
a decoder written independently of the encoder.
"""

import re

import zxingcpp
from playwright.sync_api import Browser, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_app import set_up_device
from tests.conftest import LiveServer

VOLUNTEER = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "volunteer")
SCALE = 4


def decode(view_box: str, path: str) -> list[zxingcpp.Barcode]:
    """Paint the modules of one SVG path ("M x y h1v1h-1z" each) and decode the picture."""
    _x, _y, width, height = (int(n) for n in view_box.split())
    assert width == height
    side = width * SCALE
    pixels = bytearray([255]) * (side * side)
    for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", path):
        for row in range(int(y) * SCALE, (int(y) + 1) * SCALE):
            start = row * side + int(x) * SCALE
            pixels[start:start + SCALE] = bytes(SCALE)
    return zxingcpp.read_barcodes(memoryview(bytes(pixels)).cast("B", [side, side]))


def test_my_fingerprint_screen_shows_a_qr_code_that_decodes_to_the_fingerprint(
        live_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(locale=LOCALES["fr"], **PHONE)
    try:
        page = context.new_page()
        set_up_device(page, live_server, *VOLUNTEER)
        page.click("#open-fingerprint")
        spoken = page.locator("#my-fingerprint").inner_text()
        assert re.fullmatch(r"\d{5}( \d{5}){5}", spoken)
        qr = page.locator("svg.fingerprint-qr")
        expect(qr).to_be_visible()
        expect(qr).to_have_attribute("role", "img")
        box = qr.bounding_box()
        assert box and box["width"] >= 200 and abs(box["width"] - box["height"]) < 1
        screenshot(page, "app-fingerprint-qr-fr-360x640")
        found = decode(qr.get_attribute("viewBox"), qr.locator("path").get_attribute("d"))
        assert [(code.text, code.format.name, code.ec_level) for code in found] == [(spoken, "QRCode", "M")]
    finally:
        context.close()


def test_the_code_follows_the_digits_it_is_given(live_server: LiveServer, browser: Browser) -> None:
    """The decoding above proves something: other digits, one of them changed, read as themselves."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        drawn = page.evaluate("""async () => {
            const { qrSvg } = await import('/static/js/app/qr.js');
            const svg = qrSvg('12345 67890 12345 67890 12345 67891', 'test');
            return [svg.getAttribute('viewBox'), svg.querySelector('path').getAttribute('d')];
        }""")
        assert [code.text for code in decode(*drawn)] == ["12345 67890 12345 67890 12345 67891"]
    finally:
        context.close()
