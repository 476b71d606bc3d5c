"""The app shell's routes: the shell page, the service worker, the manifest and the icons."""

import hashlib
import importlib.util
import json
import re
import struct
import zlib
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app
from webapp.config import Config
from sync.accounts import ROLES
from webapp.i18n import LANGUAGES
from webapp.pwa import ROLE_SCREENS, SALT_VARIABLE, module_imports, shell_groups, shell_manifest, shell_version, \
    shell_version_of

from tests.helpers import Person, logged_in

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
ACCENT = (0x1F, 0x5F, 0x8B)


def worker_constants(source: str) -> tuple[str, dict[str, str]]:
    """VERSION and PRECACHE as baked into the served service worker."""
    version = re.search(r'^const VERSION = "([0-9a-f]{16})";$', source, re.MULTILINE)
    precache = re.search(r"^const PRECACHE = (\{.*?\});$", source, re.MULTILINE | re.DOTALL)
    assert version and precache, "the worker lacks VERSION or PRECACHE"
    return version.group(1), json.loads(precache.group(1))


def worker_groups(source: str) -> dict[str, list[str]]:
    groups = re.search(r"^const GROUPS = (\{.*?\});$", source, re.MULTILINE | re.DOTALL)
    assert groups, "the worker lacks GROUPS"
    return json.loads(groups.group(1))


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA rows of an 8-bit RGBA PNG without row filters (what make_icons writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert data[12:16] == b"IHDR" and (depth, colour_type) == (8, 6)
    idat, offset = b"", 8
    while offset < len(data):
        (length,), kind = struct.unpack(">I", data[offset:offset + 4]), data[offset + 4:offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    rows = [raw[i * stride:(i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows), "a row uses a PNG filter"
    return width, height, [row[1:] for row in rows]


def load_icon_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shell_has_the_structure_the_app_plugs_into(client: FlaskClient) -> None:
    response = client.get("/app")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    for fragment in ('<html lang="fr" dir="ltr">', '<meta name="viewport"',
                     '<link rel="manifest" href="/manifest.webmanifest">', '<meta name="theme-color" content="#1f5f8b">',
                     '<link rel="icon"', '<link rel="stylesheet" href="/static/css/app.css">',
                     '<main id="app" tabindex="-1"></main>',
                     '<div id="app-status" role="status" aria-live="polite"></div>',
                     '<div id="app-update" hidden></div>',
                     '<script type="module" src="/static/js/app/main.js"></script>'):
        assert fragment in html, fragment
    assert html.index("app.css") < html.index('id="app"') < html.index('id="app-status"') \
        < html.index('id="app-update"') < html.index("main.js")


def test_the_shell_is_the_same_for_everybody_and_holds_no_token(app: Flask, people: dict[str, Person]) -> None:
    # Given an anonymous visitor and a logged-in volunteer, when both open /app,
    # then they get the same bytes, with no CSRF token and nothing about the person.
    anonymous = app.test_client().get("/app").get_data()
    volunteer = logged_in(app, people["volunteer"])
    mine = volunteer.get("/app").get_data()
    assert mine == anonymous
    text = mine.decode("utf-8").lower()
    assert "csrf" not in text and volunteer.token.lower() not in text
    assert people["volunteer"].email not in text and "person volunteer" not in text


def test_the_shell_has_no_inline_script_or_style_and_a_strict_policy(client: FlaskClient) -> None:
    for path in ("/app", "/sw.js", "/manifest.webmanifest"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    html = client.get("/app").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html and not re.search(r"\son\w+=", html)


def test_the_worker_is_served_from_the_root_and_never_cached_by_http(app: Flask, client: FlaskClient,
                                                                    people: dict[str, Person]) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    # The same for a logged-in person: the worker is the same bytes for everybody.
    assert logged_in(app, people["volunteer"]).get("/sw.js").headers["Cache-Control"] == "no-cache"
    assert client.get("/manifest.webmanifest").headers["Cache-Control"] == "no-cache"
    assert client.get("/app").headers["Cache-Control"] == "no-store"


def test_the_worker_carries_the_version_and_the_list_of_the_app(app: Flask, client: FlaskClient) -> None:
    version, precache = worker_constants(client.get("/sw.js").get_data(as_text=True))
    assert version == shell_version_of(app)
    assert precache == shell_manifest(app)


def test_every_precached_url_is_served_with_the_listed_hash(app: Flask, client: FlaskClient) -> None:
    # The worker refuses a file whose bytes differ from the list: the list must be what is served.
    for path, digest in shell_manifest(app).items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert hashlib.sha256(response.get_data()).hexdigest() == digest, path


def test_the_precache_list_is_exactly_the_shell(app: Flask) -> None:
    scripts = {"/static/" + p.relative_to(STATIC).as_posix()
               for folder in ("js", "vendor") for p in (STATIC / folder).rglob("*.js")}
    styles = {"/static/" + p.relative_to(STATIC).as_posix() for p in (STATIC / "css").rglob("*.css")}
    expected = {"/app", "/manifest.webmanifest", "/i18n/fr.json", "/i18n/en.json", "/i18n/ar.json",
                "/static/icons/icon-192.png", "/static/icons/icon-512.png", "/static/icons/maskable-512.png",
                "/static/icons/favicon.png", "/static/icons/apple-touch-icon.png",
                # The example measures the intake suggests deadlines from, offline too.
                "/static/data/measures-defaults.json"} | scripts | styles
    listed = set(shell_manifest(app))
    assert listed == expected
    assert "/static/css/app.css" in listed and "/static/js/app/sw-client.js" in listed
    assert not any(path.startswith("/api/") or path == "/sw.js" for path in listed)


def test_the_worker_carries_the_groups(client: FlaskClient, app: Flask) -> None:
    groups = worker_groups(client.get("/sw.js").get_data(as_text=True))
    assert groups == {name: list(paths) for name, paths in shell_groups(app).items()}
    assert set(groups) == {"core"} | {f"role:{role}" for role in ROLES} | {f"language:{code}" for code in LANGUAGES}
    assert set(ROLE_SCREENS) == set(ROLES)
    listed = shell_manifest(app)
    assert all(path in listed for paths in groups.values() for path in paths)


def test_the_core_is_what_the_unlock_screen_needs_and_no_role_screen(app: Flask, client: FlaskClient) -> None:
    core = set(shell_groups(app)["core"])
    # The shell, its style and icons, the French catalog, and the page's module with all it
    # imports statically (followed here from what the server sends, minified or not).
    assert {"/app", "/manifest.webmanifest", "/static/css/app.css", "/i18n/fr.json",
            "/static/icons/icon-192.png", "/static/js/app/main.js", "/static/js/store/vault.js"} <= core
    waiting, seen = ["/static/js/app/main.js"], set()
    while waiting:
        path = waiting.pop()
        if path not in seen:
            seen.add(path)
            waiting += module_imports(path, client.get(path).get_data(), dynamic=False)
    assert seen <= core
    # Not a role's screens, the QR code reader and encoder, nor another language's catalog.
    for path in ("/static/js/app/intake.js", "/static/js/app/review.js", "/static/js/app/audit.js",
                 "/static/js/sync/engine.js", "/static/vendor/jsqr.js", "/static/vendor/qrcode-generator.js",
                 "/i18n/en.json", "/i18n/ar.json"):
        assert path not in core, path


def test_each_role_keeps_its_own_screens(app: Flask) -> None:
    groups = {name: set(paths) for name, paths in shell_groups(app).items()}
    for role in ROLES:
        assert not groups[f"role:{role}"] & groups["core"], role
    # What each role's home opens, with what those screens import.
    assert {"/static/js/app/intake.js", "/static/js/app/members.js", "/static/vendor/jsqr.js",
            "/static/data/measures-defaults.json"} <= groups["role:volunteer"]
    assert {"/static/js/app/review.js", "/static/js/app/figures-screen.js"} \
        <= groups["role:coordinator"] - groups["role:volunteer"]
    assert "/static/js/app/measures.js" in groups["role:coordinator"]
    assert "/static/js/audit/verify.js" in groups["role:auditor"] - groups["role:coordinator"]
    assert "/static/js/app/people.js" in groups["role:admin"] and "/static/js/app/intake.js" not in groups["role:admin"]
    # Every module of the app belongs somewhere; only the server pages' own scripts, which load
    # from the network, belong to none.
    kept = set().union(*groups.values())
    pages = {f"/static/js/{name}" for name in ("copy-link.js", "enrol.js", "login.js", "logout.js", "redirect.js")}
    assert set(shell_manifest(app)) - kept == pages


def test_every_screen_the_app_loads_later_is_kept_for_some_role(app: Flask, client: FlaskClient) -> None:
    groups = {name: set(paths) for name, paths in shell_groups(app).items()}
    kept = set().union(*(paths for name, paths in groups.items() if name.startswith("role:")))
    page_module = "/static/js/app/main.js"
    later = set(module_imports(page_module, client.get(page_module).get_data(), dynamic=True)) \
        - set(module_imports(page_module, client.get(page_module).get_data(), dynamic=False))
    assert {"/static/js/app/intake.js", "/static/js/app/review.js", "/static/js/sync/schedule.js"} <= later
    assert later <= kept, later - kept


def test_dynamic_imports_are_followed_only_when_asked() -> None:
    source = b'import{a as b}from"../i18n.js";export*from"./x.js";const m=()=>import("./y.js");import "./z.js";'
    assert module_imports("/static/js/app/main.js", source, dynamic=False) == [
        "/static/js/i18n.js", "/static/js/app/x.js", "/static/js/app/z.js"]
    assert "/static/js/app/y.js" in module_imports("/static/js/app/main.js", source, dynamic=True)


def test_the_version_is_recomputable_from_the_list(app: Flask) -> None:
    lines = "".join(f"{digest}  {path}\n" for path, digest in sorted(shell_manifest(app).items()))
    assert shell_version_of(app) == hashlib.sha256(lines.encode()).hexdigest()[:16]


def test_the_version_changes_with_any_file() -> None:
    listed = {"/app": "a" * 64, "/static/css/app.css": "b" * 64}
    assert shell_version(listed) != shell_version({**listed, "/static/css/app.css": "c" * 64})
    assert shell_version(listed) != shell_version({**listed, "/static/js/new.js": "d" * 64})


def test_a_salt_forces_a_new_version_and_changes_no_file(config: Config, app: Flask,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SALT_VARIABLE, "operator asked for a refetch")
    salted = create_app(config)
    assert shell_manifest(salted) == shell_manifest(app)
    assert shell_version_of(salted) != shell_version_of(app)
    assert salted.test_client().get("/sw.js").get_data() != app.test_client().get("/sw.js").get_data()


def test_a_salt_on_several_lines_is_refused() -> None:
    with pytest.raises(ValueError):
        shell_version({}, "one\nsalt  two")


def test_the_manifest_describes_an_installable_app(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == manifest["short_name"] == "Carnet"
    assert manifest["description"] and manifest["lang"] == "fr" and manifest["dir"] == "auto"
    assert (manifest["id"], manifest["start_url"], manifest["scope"], manifest["display"]) == \
        ("/app", "/app", "/", "standalone")
    css = (STATIC / "css" / "app.css").read_text("utf-8")
    assert f"--accent: {manifest['theme_color']};" in css and f"--paper: {manifest['background_color']};" in css
    icons = {(icon["src"], icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert icons == {("/static/icons/icon-192.png", "192x192", "any"), ("/static/icons/icon-512.png", "512x512", "any"),
                     ("/static/icons/maskable-512.png", "512x512", "maskable")}
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        served = client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == "image/png"
        width, height, _rows = png_pixels(served.get_data())
        assert f"{width}x{height}" == icon["sizes"]


@pytest.mark.parametrize(("filename", "size"), [("icon-192.png", 192), ("icon-512.png", 512),
                                                ("maskable-512.png", 512), ("apple-touch-icon.png", 180),
                                                ("favicon.png", 48)])
def test_each_icon_has_its_size(filename: str, size: int) -> None:
    width, height, _rows = png_pixels((STATIC / "icons" / filename).read_bytes())
    assert (width, height) == (size, size)


def test_the_maskable_icon_keeps_its_glyph_in_the_safe_zone() -> None:
    # Platforms may cut a maskable icon down to a centred circle of 80 % of its side: every pixel
    # outside that circle must be plain background, and none may be transparent.
    width, _height, rows = png_pixels((STATIC / "icons" / "maskable-512.png").read_bytes())
    glyph_pixels = 0
    for y, row in enumerate(rows):
        for x in range(width):
            pixel = tuple(row[x * 4:x * 4 + 4])
            assert pixel[3] == 255, (x, y)
            distance = ((x + 0.5 - width / 2) ** 2 + (y + 0.5 - width / 2) ** 2) ** 0.5
            if pixel[:3] != ACCENT:
                glyph_pixels += 1
                assert distance <= 0.4 * width, (x, y)
    assert glyph_pixels > width * width // 10, "the glyph is missing"


def test_the_committed_icons_are_what_the_script_draws() -> None:
    drawn = load_icon_script().render_icons()
    assert set(drawn) == {path.name for path in (STATIC / "icons").glob("*.png")}
    for filename, rows in drawn.items():
        _width, _height, committed = png_pixels((STATIC / "icons" / filename).read_bytes())
        assert committed == [bytes(row) for row in rows], f"{filename}: run scripts/make_icons.py"
