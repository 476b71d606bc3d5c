"""The installable shell in Chromium: installable, opens offline, caches only its list, updates on consent."""

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from webapp.cli import DEMO_PEOPLE
from webapp.pwa import MINIFIER
from webapp.security import CONTENT_SECURITY_POLICY

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_app import set_up_device
from tests.conftest import LiveServer, free_port, running_demo

PAPER = "rgb(246, 244, 239)"
DEMO = {role: (email, passphrase) for email, _name, role, _team, passphrase in DEMO_PEOPLE}

# The app fills #app-update with its own words; the shell's part is that it is no longer hidden.
UPDATE_BANNER_SHOWN = "() => document.getElementById('app-update').hidden === false"
# Runs before the page's own scripts: any resource or script the policy blocks is written down.
VIOLATIONS_SCRIPT = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});"""
CACHES_SCRIPT = """async () => {
    const found = {};
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        found[name] = (await cache.keys()).map((request) => new URL(request.url).pathname).sort();
    }
    return found;
}"""


def published_shell(server: LiveServer) -> tuple[str, dict[str, str]]:
    """VERSION and PRECACHE (URL to SHA-256) as the server's worker carries them."""
    source = urllib.request.urlopen(server.url + "/sw.js", timeout=10).read().decode("utf-8")
    version = re.search(r'^const VERSION = "([0-9a-f]{16})";$', source, re.MULTILINE)
    precache = re.search(r"^const PRECACHE = (\{.*?\});$", source, re.MULTILINE | re.DOTALL)
    assert version and precache
    return version.group(1), json.loads(precache.group(1))


def publish_release(server: LiveServer) -> tuple[str, dict[str, str]]:
    """Restart ``server`` as a new release (the same files under a new salt): its version and precache."""
    server.stop()
    server.extra_env["CARNET_SHELL_SALT"] = "second release"
    server.start()
    return published_shell(server)


def find_update(page: Page) -> None:
    """Have the page's app look for a new version now, and wait for its banner."""
    page.evaluate("import('/static/js/app/sw-client.js').then((client) => client.checkForUpdate())")
    page.wait_for_function(UPDATE_BANNER_SHOWN)


def published_groups(server: LiveServer) -> dict[str, list[str]]:
    """GROUPS (group name to its URLs) as the server's worker carries them."""
    source = urllib.request.urlopen(server.url + "/sw.js", timeout=10).read().decode("utf-8")
    groups = re.search(r"^const GROUPS = (\{.*?\});$", source, re.MULTILINE | re.DOTALL)
    assert groups
    return json.loads(groups.group(1))


CACHED = """async (wanted) => {
    const names = (await caches.keys()).filter((name) => name.startsWith("carnet-shell-"));
    if (names.length !== 1) return false;
    const held = new Set((await (await caches.open(names[0])).keys()).map((r) => new URL(r.url).pathname));
    return wanted.every((path) => held.has(path));
}"""


def wait_until_kept(page: Page, server: LiveServer, *names: str) -> dict[str, list[str]]:
    """Wait until the worker's cache holds every file of these groups; the groups as published."""
    groups = published_groups(server)
    wanted = sorted(set().union(*(groups[name] for name in names)))
    # Polled from here: page.evaluate waits for the promise, which a wait_for_function predicate does not.
    deadline = time.monotonic() + 30
    while not page.evaluate(CACHED, wanted):
        assert time.monotonic() < deadline, f"the worker never kept {names}"
        page.wait_for_timeout(200)
    return groups


def open_shell(page: Page, server: LiveServer) -> None:
    """Open /app and wait until its service worker is active and controls the page."""
    page.goto(server.url + "/app")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # The first worker claims the page when it activates; a reload is the fallback if it did not.
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=5000)
    except PlaywrightTimeoutError:
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def shell_caches(page: Page) -> dict[str, list[str]]:
    return page.evaluate(CACHES_SCRIPT)


def shell_version(page: Page) -> str | None:
    return page.evaluate("import('/static/js/app/sw-client.js').then((client) => client.shellVersion())")


def dedicated_server(base: Path) -> LiveServer:
    """A server of its own, initialised but empty, that a test may stop and restart."""
    server = LiveServer(instance=base / "instance", port=free_port(), log_path=base / "server.log")
    server.flask("init")
    return server


def record_requests(context: BrowserContext) -> list[str]:
    seen: list[str] = []

    def on_request(request: Request) -> None:
        seen.append(request.url)

    context.on("request", on_request)
    return seen


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    """A folder for a persistent (not incognito) Chromium profile."""
    return tmp_path / "profile"


def persistent_context(playwright: Playwright, profile: Path) -> BrowserContext:
    return playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM,
                                                        args=CHROMIUM_ARGS, **PHONE)


def test_chromium_finds_the_app_installable(playwright: Playwright, live_server: LiveServer, profile: Path) -> None:
    # Given a normal profile (Chromium never offers installation in an incognito one),
    # when the shell has loaded and its worker controls it,
    # then the manifest parses cleanly and Chromium reports no installability error.
    context = persistent_context(playwright, profile)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        open_shell(page, live_server)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == live_server.url + "/manifest.webmanifest"
        assert manifest["errors"] == []
        assert json.loads(manifest["data"])["start_url"] == "/app"
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_the_shell_opens_offline_with_every_file_of_its_core_but_no_api(live_server: LiveServer,
                                                                         phone: BrowserContext, page: Page) -> None:
    requests = record_requests(phone)
    page.add_init_script(VIOLATIONS_SCRIPT)
    _version, precache = published_shell(live_server)
    core = published_groups(live_server)["core"]
    open_shell(page, live_server)
    # Given a worker that has seen the API and a file outside its list go by while online,
    outside = ["/api/v1/me", "/static/vendor/MANIFEST.json", "/sw.js"]
    online = page.evaluate("""async (paths) => Promise.all(paths.map((path) =>
        fetch(path).then((response) => response.status)))""", outside)
    assert online == [401, 200, 200]

    # when the network is gone and the page reloads,
    phone.set_offline(True)
    response = page.reload()
    # then the shell comes from the worker's cache, with its security headers and its stylesheet,
    assert response is not None and response.status == 200 and response.from_service_worker
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    expect(page.locator("main#app")).to_be_attached()
    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == PAPER
    assert page.evaluate("window.cspViolations") == []
    # and so does a deep link into the app.
    deep = page.goto(live_server.url + "/app?case=1#note")
    assert deep is not None and deep.status == 200
    expect(page.locator("main#app")).to_be_attached()

    # Every URL of the core answers, with the bytes of this version;
    served = page.evaluate("""async (paths) => {
        const out = {};
        for (const path of paths) {
            const response = await fetch(path);
            const digest = await crypto.subtle.digest("SHA-256", await response.arrayBuffer());
            out[path] = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
        }
        return out;
    }""", core)
    assert served == {path: precache[path] for path in core}
    # the API, files outside the list, and a role's screens on a device that named no role do not.
    outside += ["/static/js/app/intake.js", "/static/vendor/jsqr.js", "/i18n/en.json"]
    assert not set(outside) & set(core)
    failures = page.evaluate("""async (paths) => Promise.all(paths.map((path) =>
        fetch(path).then((response) => `answered ${response.status}`, () => "failed")))""", outside)
    assert failures == ["failed"] * len(outside)
    # Nothing was ever asked of another host, by the page or by its worker.
    assert requests and all(url.startswith(live_server.url + "/") for url in requests), requests


def test_the_cache_holds_exactly_the_core_even_after_api_calls(live_server: LiveServer, page: Page) -> None:
    version, _precache = published_shell(live_server)
    core = published_groups(live_server)["core"]
    email, passphrase = DEMO["volunteer"]
    page.goto(live_server.url + "/login")
    page.fill("#email", email)
    page.fill("#passphrase", passphrase)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r".*/home$"))
    open_shell(page, live_server)
    # Given a logged-in person whose app called the API and read a file outside the list,
    statuses = page.evaluate("""async () => Promise.all(["/api/v1/me", "/api/v1/me/sessions",
        "/static/vendor/MANIFEST.json"].map(
        (path) => fetch(path, { credentials: "same-origin" }).then((response) => response.status)))""")
    assert statuses == [200, 200, 200]
    page.goto(live_server.url + "/home")
    page.goto(live_server.url + "/app")
    # then the only cache is this version's, and it holds the core and nothing else.
    assert shell_caches(page) == {"carnet-shell-" + version: sorted(core)}


def test_a_file_that_is_not_of_this_version_stops_the_installation(live_server: LiveServer,
                                                                     phone: BrowserContext, page: Page) -> None:
    # Given a stylesheet altered on its way (a proxy, or a server changed during the install),
    phone.route("**/static/css/app.css", lambda route: route.fulfill(
        status=200, content_type="text/css", body="main { display: none; }"))
    # when the worker installs, then it refuses the file, does not install, and caches nothing.
    page.goto(live_server.url + "/app")
    outcome = page.evaluate("""async () => {
        const { registerServiceWorker } = await import("/static/js/app/sw-client.js");
        const registration = await registerServiceWorker();
        const worker = registration.installing || registration.waiting || registration.active;
        if (worker.state === "redundant" || worker.state === "activated") return worker.state;
        return new Promise((resolve) => worker.addEventListener("statechange", () => {
            if (worker.state === "redundant" || worker.state === "activated") resolve(worker.state);
        }));
    }""")
    assert outcome == "redundant"
    assert shell_caches(page) == {}
    assert page.evaluate("navigator.serviceWorker.controller") is None


def test_pages_outside_the_shell_load_their_scripts_from_the_network(live_server: LiveServer, page: Page) -> None:
    # Given a worker that controls the whole site,
    open_shell(page, live_server)
    log = live_server.log_path
    before = log.read_text(errors="replace").count("GET /static/js/login.js")
    # when the server-rendered login page loads, then its script comes from the server of today
    # (not from the shell's cache, which may hold an older version of it).
    page.goto(live_server.url + "/login")
    expect(page.locator("#login-submit")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert log.read_text(errors="replace").count("GET /static/js/login.js") == before + 1
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def test_a_persistent_profile_opens_the_shell_with_the_server_stopped(playwright: Playwright, tmp_path: Path,
                                                                       profile: Path) -> None:
    server = dedicated_server(tmp_path)
    server.start()
    try:
        context = persistent_context(playwright, profile)
        page = context.pages[0] if context.pages else context.new_page()
        open_shell(page, server)
        context.close()
    finally:
        server.stop()
    # Given the browser closed and the server gone,
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.url + "/healthz", timeout=2)
    # when the same profile opens the app again, then the shell opens from the device.
    context = persistent_context(playwright, profile)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        response = page.goto(server.url + "/app")
        assert response is not None and response.status == 200 and response.from_service_worker
        expect(page.locator("main#app")).to_be_attached()
        assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == PAPER
        assert page.evaluate("navigator.serviceWorker.controller !== null")
    finally:
        context.close()


def test_an_update_waits_for_consent_then_replaces_the_old_cache(browser: Browser, tmp_path: Path) -> None:
    server = dedicated_server(tmp_path)
    server.start()
    context = browser.new_context(**PHONE)
    try:
        first, other = context.new_page(), context.new_page()
        open_shell(first, server)
        open_shell(other, server)
        old_version, _precache = published_shell(server)
        assert shell_version(first) == old_version
        other.evaluate("window.stillTheSamePage = true")

        # Given a new version on the server (same files, a new salt),
        new_version, _new_precache = publish_release(server)
        assert new_version != old_version
        # when the app checks for it,
        first.evaluate("""async () => {
            const client = await import('/static/js/app/sw-client.js');
            await client.registerServiceWorker({ onUpdateReady: (apply) => { window.applyUpdate = apply; } });
            await client.checkForUpdate();
        }""")
        first.wait_for_function("() => typeof window.applyUpdate === 'function'")
        # then it is installed but waits: the old version still runs and its cache is still there,
        first.wait_for_function(UPDATE_BANNER_SHOWN)
        assert first.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)")
        assert shell_version(first) == old_version
        assert set(shell_caches(first)) == {"carnet-shell-" + old_version, "carnet-shell-" + new_version}

        # When the person accepts, the page reloads once under the new version,
        with first.expect_navigation():
            first.evaluate("window.applyUpdate()")
        first.wait_for_function("() => navigator.serviceWorker.controller !== null")
        assert shell_version(first) == new_version
        # the old cache is gone,
        assert shell_caches(first) == {"carnet-shell-" + new_version: sorted(published_groups(server)["core"])}
        # and the other tab is offered the update but never reloaded under the person's feet.
        other.wait_for_function(UPDATE_BANNER_SHOWN)
        assert other.evaluate("window.stillTheSamePage === true")
        assert shell_version(other) == new_version
    finally:
        context.close()
        server.stop()


def test_with_an_update_waiting_discard_and_the_wipe_stay_within_reach(browser: Browser, tmp_path: Path) -> None:
    """At 360 px, the update banner takes its own room: nothing typed is trapped under it."""
    with running_demo(tmp_path) as server:
        context = browser.new_context(locale="fr-FR", **PHONE)
        try:
            page = context.new_page()
            set_up_device(page, server, *DEMO["volunteer"])
            page.wait_for_function("() => navigator.serviceWorker.getRegistration().then((r) => !!r?.active)")
            page.click("#new-intake")
            page.fill("#f-alias", "Pendant la mise à jour")
            publish_release(server)
            find_update(page)
            # A trial click fails when another element (the banner) would take the tap.
            for control in ("#intake-discard", "#intake-save", "#app-wipe"):
                page.click(control, trial=True, timeout=3000)
            page.click("#intake-discard")
            expect(page.locator("#discard-dialog")).to_be_visible()
            page.keyboard.press("Escape")
            expect(page.locator("#f-alias")).to_have_value("Pendant la mise à jour")
            # "Plus tard" puts the banner away, and the room it took goes with it.
            page.click("#update-later")
            expect(page.locator("#app-update")).to_be_hidden()
            assert page.evaluate("getComputedStyle(document.body).paddingBottom") == "0px"
        finally:
            context.close()


@pytest.mark.skipif(not MINIFIER.is_file(), reason="needs the minifier (scripts/setup.sh installs it with npm)")
def test_after_a_file_changes_the_worker_updates_and_the_app_still_opens_offline(browser: Browser,
                                                                                tmp_path: Path) -> None:
    # Given the app installed from a server that sends its modules as written, compressed,
    server = dedicated_server(tmp_path)
    server.extra_env["CARNET_MINIFY"] = "0"
    server.start()
    context = browser.new_context(locale="fr-FR", **PHONE)
    try:
        page = context.new_page()
        open_shell(page, server)
        old_version, old_precache = published_shell(server)
        encoding = page.evaluate("""() => fetch('/static/js/app/main.js?past-the-worker=1')
            .then((response) => response.headers.get('content-encoding'))""")
        assert encoding in ("br", "gzip")
        # when the server comes back with changed files (the same modules, minified),
        server.stop()
        server.extra_env["CARNET_MINIFY"] = "1"
        server.start()
        new_version, new_precache = published_shell(server)
        assert new_version != old_version
        assert new_precache["/static/js/app/main.js"] != old_precache["/static/js/app/main.js"]
        # then the worker installs them (their hashes are checked on the decoded bytes),
        page.evaluate("""async () => {
            const client = await import('/static/js/app/sw-client.js');
            await client.registerServiceWorker({ onUpdateReady: (apply) => { window.applyUpdate = apply; } });
            await client.checkForUpdate();
        }""")
        page.wait_for_function("() => typeof window.applyUpdate === 'function'")
        with page.expect_navigation():
            page.evaluate("window.applyUpdate()")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        assert shell_version(page) == new_version
        core = wait_until_kept(page, server, "core")["core"]
        # and with no network, a reload opens the new version from the device, its first screen drawn.
        server.stop()
        context.set_offline(True)
        response = page.reload()
        assert response is not None and response.status == 200 and response.from_service_worker
        expect(page.locator("main#app h1")).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == "fr"
        served = page.evaluate("""async (paths) => {
            const out = {};
            for (const path of paths) {
                const digest = await crypto.subtle.digest("SHA-256", await (await fetch(path)).arrayBuffer());
                out[path] = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
            }
            return out;
        }""", sorted(core))
        assert served == {path: new_precache[path] for path in core}
    finally:
        context.close()
        server.stop()


def test_an_update_installs_the_groups_the_device_keeps_before_it_takes_over(browser: Browser, tmp_path: Path) -> None:
    with running_demo(tmp_path) as server:
        context = browser.new_context(locale="fr-FR", **PHONE)
        try:
            page = context.new_page()
            # Given a volunteer's device whose worker keeps the core, the volunteer's screens and French,
            set_up_device(page, server, *DEMO["volunteer"])
            groups = published_groups(server)
            kept = sorted(set(groups["core"]) | set(groups["role:volunteer"]) | set(groups["language:fr"]))
            wait_until_kept(page, server, "core", "role:volunteer", "language:fr")
            # when a new version is published and found,
            new_version, _new_precache = publish_release(server)
            find_update(page)
            # then, while it still waits for consent, it holds the same groups, not the core alone.
            assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)")
            assert shell_caches(page)["carnet-shell-" + new_version] == kept
        finally:
            context.close()
