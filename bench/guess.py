"""12. One offline guess against the device store: what it costs someone holding a copy of the
browser's files to try one passphrase. A guess is one PBKDF2-HMAC-SHA256 at the account's
iterations (600,000, the floor the app accepts), then two HKDF steps and an AES-GCM tag check,
which cost nothing beside it. Measured in Chromium's WebCrypto (what the phone does at each
unlock) and in Python on this machine (OpenSSL, through hashlib and through `cryptography`: what
an attacker's CPU does, one core). docs/THREAT_MODEL.md reads these figures."""

import hashlib
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from playwright.sync_api import sync_playwright

from bench.figures import Results
from crypto.kdf import MIN_ITERATIONS
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

GUESS = "12. One offline guess against the device store"
SALT = bytes(16)
# WebCrypto needs a secure context: a page of its own on localhost, served by the test driver.
PAGE = "http://localhost/guess"
WEBCRYPTO = """async (iterations) => {
    const material = await crypto.subtle.importKey('raw', new TextEncoder().encode('une phrase devinée'),
        'PBKDF2', false, ['deriveBits']);
    const started = performance.now();
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations },
        material, 256);
    return performance.now() - started;
}"""


def timed_ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def run_guess(results: Results, *, runs: int, iterations: int = MIN_ITERATIONS) -> None:
    passphrase = "une phrase devinée".encode()
    hashlib_ms = [timed_ms(lambda: hashlib.pbkdf2_hmac("sha256", passphrase, SALT, iterations)) for _ in range(runs)]
    library_ms = [timed_ms(lambda: PBKDF2HMAC(hashes.SHA256(), 32, SALT, iterations).derive(passphrase))
                  for _ in range(runs)]
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route(PAGE, lambda route: route.fulfill(body="<!doctype html><title>guess</title>",
                                                         content_type="text/html"))
            page.goto(PAGE)
            browser_ms = [page.evaluate(WEBCRYPTO, iterations) for _ in range(runs)]
        finally:
            browser.close()
    label = f"PBKDF2-HMAC-SHA256, {iterations:,} iterations"
    results.add(GUESS, f"one guess: {label}, Chromium WebCrypto", "ms", browser_ms)
    results.add(GUESS, f"one guess: {label}, Python hashlib (OpenSSL), one core", "ms", hashlib_ms)
    results.add(GUESS, f"one guess: {label}, Python cryptography (OpenSSL), one core", "ms", library_ms)
    best = min(hashlib_ms + library_ms)
    results.add(GUESS, "guesses per second and per core, at the fastest measured", "guesses/s", [1000 / best])
    results.read(GUESS, "One guess is one PBKDF2 run; the HKDF steps and the AES-GCM check that tell a right "
                 "guess from a wrong one take microseconds. With the store bound to the phone's authenticator "
                 "(PRF), no guess can be checked without it: the figures count only for a store that opens "
                 "with the passphrase alone.")
