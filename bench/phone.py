"""Section 5: the app on a phone: Chromium with 4x CPU slowdown and DevTools' slow-3G profile."""

import gzip
import statistics
import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import brotli
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect, sync_playwright

from bench.figures import Results, goal_at_most
from bench.servers import demo_server
from bench.workload import NOTES, chunks
from crypto.writer import create_case_as_member, seal_entry_as_author
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_app import set_up_device, wait_for_service_worker
from tests.browser.test_intake import noisy_png
from tests.conftest import LiveServer
from tests.sync_client import demo_writer
from webapp.cli import DEMO_PEOPLE

PHONE_SECTION = "5. The app on a phone"
VOLUNTEER = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "volunteer")
# DevTools' "Slow 3G": 400 kbit/s each way (500 kbit/s at 80 %), 2 s of added latency a request.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
CPU_SLOWDOWN = 4
VISIBLE = "(sel) => { const e = document.querySelector(sel); return !!e && e.offsetParent !== null; }"


def throttle(page: Page, network: bool = False) -> CDPSession:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    if network:
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    return cdp


def timed(page: Page, action: str, done: str) -> float:
    """Milliseconds in the page from an action (JS) until a condition (JS) holds."""
    page.evaluate(f"() => {{ window.__benchStart = performance.now(); {action}; }}")
    return page.wait_for_function(f"() => ({done}) && performance.now() - window.__benchStart",
                                  timeout=600_000).json_value()


@contextmanager
def phone_context(browser: Browser) -> Iterator[tuple[BrowserContext, Page]]:
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        yield context, context.new_page()
    finally:
        context.close()


def first_visit(browser: Browser, server: LiveServer) -> tuple[int, int, int, list[tuple[int, str]]]:
    """What a first visit fetches (the page's requests and the service worker's precache): bytes
    as the server sends them to a browser (Brotli or gzip where it pays), bytes decoded, and the count."""
    with phone_context(browser) as (context, page):
        urls: set[str] = set()
        context.on("request", lambda request: urls.add(request.url))
        page.goto(server.url + "/app")
        # Evaluated, not polled: wait_for_function does not wait for a promise, and the cache is
        # complete only once the worker is active.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        urls |= set(page.evaluate("""async () => {
            const found = [];
            for (const name of await caches.keys()) {
                for (const request of await (await caches.open(name)).keys()) found.push(request.url);
            }
            return found;
        }"""))
    sizes = []
    for url in sorted(u for u in urls if u.startswith(server.url) and "/api/" not in u):
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        with urllib.request.urlopen(request, timeout=30) as response:
            sent, encoding = response.read(), response.headers.get("Content-Encoding")
        body = {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding, bytes)(sent)
        sizes.append((len(sent), len(body), url.removeprefix(server.url)))
    largest = [(packed, name) for packed, _raw, name in sorted(sizes, reverse=True)[:6]]
    return sum(s[0] for s in sizes), sum(s[1] for s in sizes), len(sizes), largest


def offline_start_and_unlock(browser: Browser, server: LiveServer) -> tuple[float, float, float]:
    """Set up a device, then offline and slowed down: navigation to the unlock screen, unlock,
    and one intake sealed and stored (from the save button to the case shown)."""
    with phone_context(browser) as (context, page):
        set_up_device(page, server, *VOLUNTEER)
        wait_for_service_worker(page)
        if page.is_visible("#lock-now"):
            page.click("#lock-now")
        context.set_offline(True)
        page.goto(server.url + "/app")  # a first offline load, so caches are warm as on a phone
        page.wait_for_function(VISIBLE, arg="#unlock-form")
        throttle(page)
        page.goto(server.url + "/app")
        start = page.wait_for_function(f"() => ({VISIBLE})('#unlock-form') && performance.now()").json_value()
        page.fill("#unlock-passphrase", VOLUNTEER[1])
        unlock_ms = timed(page, "document.querySelector('#unlock-form button[type=submit]').click()",
                          f"({VISIBLE})('#lock-now')")
        page.click("#new-intake")
        page.fill("#f-alias", "Personne mesurée")
        for _ in range(4):
            page.click("#step-next")
        page.fill("#f-notes", NOTES)
        seal_ms = timed(page, "document.querySelector('#intake-save').click()", f"({VISIBLE})('#edit-case')")
        store_ms = page.evaluate(SEAL_AND_STORE, NOTES)
    return start, unlock_ms, seal_ms, store_ms


# One intake as the form hands it over: sealed (a new case key, wrapped to every first member,
# two signed entries) and stored in the device store with its outbox records; no drawing.
SEAL_AND_STORE = """async (notes) => {
  const cases = await import('/static/js/store/cases.js');
  const state = (await import('/static/js/app/session.js')).unlocked();
  const start = performance.now();
  await cases.createCase(state, { alias: 'Personne mesurée', notes }, []);
  return performance.now() - start;
}"""


def push_cases(server: LiveServer, count: int) -> None:
    """Cases the demo volunteer wrote elsewhere, pushed before the phone syncs them."""
    writer = demo_writer(server.url)
    envelopes = []
    for index in range(count):
        case = create_case_as_member(writer.keys, association_key=writer.association,
                                     team_id=writer.members[0].team_id, device_id=writer.device,
                                     members=writer.members)
        body = {"type": "intake", "fields": {"alias": f"Personne {index}", "notes": NOTES}, "deadlines": []}
        envelopes += [case.envelope, seal_entry_as_author(case.log, writer.keys, device_id=writer.device,
                                                          case_key=case.case_key, body_json=json.dumps(body).encode())]
    for batch in chunks(envelopes, 200):
        writer.push(batch, timeout=300)


# The volunteer's list shows all ``n`` cases counted and its first page of rows drawn. The count
# leads the line, written as the language writes numbers ("1 000" in French): its digits are read.
LISTED = ("((n) => ((document.querySelector('#case-count')?.textContent || '').match(/^[\\d\\s.,]+/)?.[0] || '')"
          ".replace(/\\D/g, '') === String(n)"
          " && document.querySelectorAll('#case-list li').length === Math.min(n, 100))")


def list_cases(browser: Browser, server: LiveServer, count: int) -> float:
    """Milliseconds from unlocking to a list of ``count`` cases, counted and its first page drawn, slowed down."""
    with phone_context(browser) as (context, page):
        set_up_device(page, server, *VOLUNTEER)  # the app syncs by itself once set up
        page.wait_for_function(f"() => {LISTED}({count})", timeout=1_800_000)
        page.click("#lock-now")
        page.wait_for_function(VISIBLE, arg="#unlock-form")
        throttle(page)
        page.fill("#unlock-passphrase", VOLUNTEER[1])
        return timed(page, "document.querySelector('#unlock-form button[type=submit]').click()", f"{LISTED}({count})")


# Two cases written in the page, of `small` and `large` entries (an intake, then edits).
MAKE_CASES = """async ({ small, large }) => {
  const cases = await import('/static/js/store/cases.js');
  const state = (await import('/static/js/app/session.js')).unlocked();
  await state.rosterRefresh;
  const make = async (count) => {
    const id = await cases.createCase(state, { alias: 'Entrées ' + count, notes: 'première note' }, []);
    for (let i = 2; i < count; i += 1) await cases.editCase(state, id, { notes: 'note ' + i });
    return id;
  };
  return [await make(small), await make(large)];
}"""

# One entry appended to each case in turn, `rounds` times: milliseconds of each, by case.
APPEND = """async ({ ids, rounds }) => {
  const cases = await import('/static/js/store/cases.js');
  const state = (await import('/static/js/app/session.js')).unlocked();
  const times = ids.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, id] of ids.entries()) {
      const start = performance.now();
      await cases.editCase(state, id, { notes: 'ajout ' + round });
      times[index].push(performance.now() - start);
    }
  }
  return times;
}"""


def append_costs(browser: Browser, server: LiveServer, small: int, large: int, rounds: int) -> list[list[float]]:
    """Appending one entry to a case of `small` and of `large` entries, 4x slower CPU: the
    milliseconds of each append, by case, after one append each that verifies the log once."""
    with phone_context(browser) as (context, page):
        set_up_device(page, server, *VOLUNTEER)
        ids = page.evaluate(MAKE_CASES, {"small": small, "large": large})
        page.click("#lock-now")
        page.fill("#unlock-passphrase", VOLUNTEER[1])
        page.click("#unlock-form button[type=submit]")
        page.wait_for_function(VISIBLE, arg="#lock-now")
        page.evaluate(APPEND, {"ids": ids, "rounds": 1})  # after unlock, each log is verified once
        throttle(page)
        return page.evaluate(APPEND, {"ids": ids, "rounds": rounds})


def day_sync(browser: Browser, server: LiveServer, intakes: int = 20, photos: int = 5) -> tuple[float, int]:
    """A day's work recorded offline, then synced on slow 3G; milliseconds and bytes in the outbox."""
    with phone_context(browser) as (context, page):
        set_up_device(page, server, *VOLUNTEER)
        page.evaluate("async () => (await import('/static/js/app/session.js')).unlocked().rosterRefresh")
        context.set_offline(True)
        for index in range(intakes):
            page.click("#new-intake")
            page.fill("#f-alias", f"Personne {index}")
            page.click("#intake-save")
            expect(page.locator("#edit-case")).to_be_visible()
            if index < photos:
                page.set_input_files("#photo-input", files=[{"name": "titre.png", "mimeType": "image/png",
                                                             "buffer": noisy_png(560, 840, index)}])
                expect(page.locator(".photos img")).to_have_count(1)
            page.get_by_role("button", name="Retour").click()
        outbox = page.evaluate("""async () => {
            const { unlocked } = await import('/static/js/app/session.js');
            const items = await unlocked().vault.list('outbox');
            return items.reduce((sum, [, item]) => sum + (item.envelope?.length ?? 0), 0);
        }""")
        context.set_offline(False)
        throttle(page, network=True)
        elapsed = timed(page, "document.querySelector('#sync-now').click()",
                        "document.querySelector('#sync-status')?.textContent.includes('Tout est envoyé')")
    return elapsed, int(outbox * 3 / 4)


def baseline(browser: Browser, server: LiveServer) -> float:
    """The same run's yardstick: 200 SHA-256 digests of 64 KiB in the page, 4x slower CPU."""
    with phone_context(browser) as (context, page):
        page.goto(server.url + "/login")
        throttle(page)
        return page.evaluate("""async () => {
            const data = new Uint8Array(65536);
            const start = performance.now();
            for (let i = 0; i < 200; i += 1) await crypto.subtle.digest('SHA-256', data);
            return performance.now() - start;
        }""")


def run_phone(results: Results, work: Path, *, cases: list[int], runs: int, day: tuple[int, int]) -> None:
    with sync_playwright() as driver, demo_server(work) as server:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            measure(results, browser, server, work, cases, runs, day)
        finally:
            browser.close()


def measure(results: Results, browser: Browser, server: LiveServer, work: Path, cases: list[int], runs: int,
            day: tuple[int, int]) -> None:
    yardstick = [baseline(browser, server) for _ in range(runs)]
    results.add(PHONE_SECTION, "baseline: 200 SHA-256 of 64 KiB in the page (4x CPU slowdown)", "ms", yardstick)
    packed, raw, count, largest = first_visit(browser, server)
    results.add(PHONE_SECTION, f"first visit, {count} files, compressed as the server sends them", "KB",
                [packed / 1000], **goal_at_most(100, " KB"))
    results.add(PHONE_SECTION, "first visit, decoded", "KB", [raw / 1000])
    results.read(PHONE_SECTION, "Largest files of a first visit, as the server sends them: "
                 + ", ".join(f"`{name}` {size / 1000:.1f} KB" for size, name in largest) + ".")
    starts = [offline_start_and_unlock(browser, server) for _ in range(runs)]
    iterations = kdf_iterations(server)
    results.add(PHONE_SECTION, "offline start: navigation to the unlock screen, from the service worker", "ms",
                [s[0] for s in starts], **goal_at_most(500, " ms"))
    results.add(PHONE_SECTION, f"unlock: PBKDF2-SHA256 at {iterations:,} iterations, keys, home screen", "ms",
                [s[1] for s in starts])
    results.add(PHONE_SECTION, "one intake sealed and stored (a second intake, in the page)", "ms",
                [s[3] for s in starts], **goal_at_most(50, " ms"))
    results.add(PHONE_SECTION, "the first intake after unlock, from the save button to the case shown", "ms",
                [s[2] for s in starts])
    with demo_server(work) as fresh:
        small, large = append_costs(browser, fresh, 5, 500, max(5, runs * 2))
    results.add(PHONE_SECTION, "one entry appended to a case of 5 entries", "ms", small)
    results.add(PHONE_SECTION, "one entry appended to a case of 500 entries", "ms", large)
    results.add(PHONE_SECTION, "appending to a case of 500 entries / to a case of 5", "ratio",
                [statistics.median(large) / statistics.median(small)], **goal_at_most(1.2))
    held = 0
    for count in cases:
        push_cases(server, count - held)
        held = count
        listed = list_cases(browser, server, count)
        goal = goal_at_most(1000, " ms") if count == 1000 else {}
        results.add(PHONE_SECTION, f"unlock to {count:,} cases listed (counted, first page drawn)", "ms", [listed],
                    **(goal_at_most(1000, " ms") if count == 10_000 else {}))
        results.add(PHONE_SECTION, f"unlock to {count:,} cases listed / baseline of this run", "ratio",
                    [listed / statistics.median(yardstick)])
        results.add(PHONE_SECTION, f"{count:,} cases listed (the above less unlock alone)", "ms",
                    [max(0.0, listed - sorted(s[1] for s in starts)[len(starts) // 2])], **goal)
    with demo_server(work) as fresh:
        elapsed, outbox = day_sync(browser, fresh, *day)
    results.add(PHONE_SECTION, f"a day's sync on slow 3G: {day[0]} intakes, {day[1]} photos, {outbox / 1e6:.1f} MB",
                "s",
                [elapsed / 1000])
    results.add(PHONE_SECTION, "that day's sync / time to send its bytes at slow-3G speed", "ratio",
                [elapsed / 1000 / (outbox / SLOW_3G["uploadThroughput"])])


def kdf_iterations(server: LiveServer) -> int:
    response = demo_writer(server.url).http.post("/api/v1/auth/params", {"email": VOLUNTEER[0]})
    return int(response.json()["kdf"]["iterations"])
