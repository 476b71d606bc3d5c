"""The installable app's shell: the page at /app, its service worker and its web app manifest.

Everything the app may need without a network is listed once, when the app is created: the
shell page, the manifest, the stylesheets, every script under ``static/js/`` and
``static/vendor/``, the JSON data (the example measures), the icons and the three message
catalogs. Each URL gets the SHA-256 of the bytes the server sends for it (``shell_manifest``), and
``VERSION`` is made from that list. Both are baked into ``/sw.js`` with the precache groups
(``precache_groups``): the core (the shell, what the set-up and unlock screens import, the French
catalog), precached at install on every device, then one group per role (its screens, found by
following their imports) and one per language, precached once the page tells the worker the
device's role and language. The worker checks every file against the list's hash.

The files are read once, at start-up: after changing files under ``static/``, restart the
server, or browsers would be offered files that no longer match their version (the service
worker refuses them and keeps the previous version until the restart).

``CARNET_SHELL_SALT`` (environment, optional) is mixed into ``VERSION``: it forces a new shell
version without changing a file, for tests and for operators who want every device to refetch.

The app's own modules (``static/js/``) are served minified when the project's minifier is
installed (``scripts/setup.sh`` puts esbuild, from npm, in ``node_modules/``): comments and
white space go, names inside a module shorten, every import and export stays as written. The
sources stay as they are in ``static/``; the served copy of the static folder is built once per
set of sources into ``build/static-<digest>/`` and becomes the app's static folder, so that the
precache list, the audit bundle's hashes and every request see the same bytes. Without the
minifier (or with ``CARNET_MINIFY=0``) the sources are served as written.
"""

import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from urllib.parse import quote

from flask import Blueprint, Flask, current_app, url_for
from werkzeug.wrappers import Response

from webapp import i18n, pages

bp = Blueprint("pwa", __name__)
logger = logging.getLogger(__name__)

EXTENSION_KEY = "carnet_shell"
SALT_VARIABLE = "CARNET_SHELL_SALT"
SHELL_PATH = "/app"
MANIFEST_PATH = "/manifest.webmanifest"
# Folders of the static folder that the shell needs offline, with the kinds of file taken there.
PRECACHED_FOLDERS = (("css", ".css"), ("js", ".js"), ("vendor", ".js"), ("icons", ".png"), ("data", ".json"))
MINIFY_VARIABLE = "CARNET_MINIFY"
# The module the shell page loads: its static imports (not its import() calls) are the core.
SHELL_MODULE = "js/app/main.js"
# Workers the core starts (new Worker(...), which the import scan does not see): the device
# store's key file (js/store/keyfile.js) is needed to unlock offline.
CORE_WORKERS = ("js/store/keyfile-worker.js",)
# The screens each role's app opens, with what they load; the core is left out of each group.
_SCREENS_OF_ALL = ("js/app/people.js", "js/app/passphrase.js", "js/app/disabled.js", "js/sync/directory.js",
                   "js/store/roster.js", "js/sync/schedule.js", "js/app/device-key.js")
_CASE_SCREENS = ("js/app/intake.js", "js/app/drafts.js", "js/app/paged.js", "js/app/members.js", "js/store/cases.js",
                 "js/store/deadlines.js", "js/sync/engine.js", "data/measures-defaults.json")
ROLE_SCREENS = {
    "volunteer": _SCREENS_OF_ALL + _CASE_SCREENS,
    "coordinator": _SCREENS_OF_ALL + _CASE_SCREENS + ("js/app/review.js", "js/app/figures-screen.js",
                                                      "js/app/measures.js"),
    "auditor": _SCREENS_OF_ALL + ("js/app/audit.js",),
    "admin": _SCREENS_OF_ALL,
}
CORE_GROUP = "core"
# `import ... from "x"`, `export ... from "x"`, `import "x"` and `import("x")`, minified or not.
MODULE_IMPORT = re.compile(rb"""\b(?:import|export)\b[^;"'`()]*?\bfrom\s*["']([^"']+)["']"""
                           rb"""|\bimport\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)""")
ROOT = Path(__file__).resolve().parent.parent
MINIFIER = ROOT / "node_modules" / ".bin" / "esbuild"
BUILD = ROOT / "build"
THEME_COLOR = "#1f5f8b"
BACKGROUND_COLOR = "#f6f4ef"


@dataclass(frozen=True)
class Shell:
    """What the shell routes serve, rendered once: the same bytes for everybody, all day."""

    version: str
    manifest: Mapping[str, str]
    groups: Mapping[str, tuple[str, ...]]
    html: bytes
    worker: bytes
    webmanifest: bytes


def web_app_manifest() -> dict[str, object]:
    """The manifest, in French: it is precached and hashed, so it cannot vary by language."""
    icons = "/static/icons/"
    return {
        "id": SHELL_PATH,
        "name": "Carnet",
        "short_name": "Carnet",
        "description": "Notes d’entretien chiffrées sur l’appareil, utilisables sans réseau, "
                       "pour les bénévoles des associations de défense des droits des personnes migrantes.",
        "lang": "fr",
        "dir": "auto",
        "start_url": SHELL_PATH,
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": icons + "icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": icons + "icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": icons + "maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shell_version(manifest: Mapping[str, str], salt: str = "") -> str:
    """The first 16 hex digits of the SHA-256 of the list, one ``sha256sum``-style line per URL.

    The lines are ``<sha256>  <path>\\n`` sorted by path, so anyone can recompute the version from
    ``shell_manifest``; a salt adds the line ``salt  <salt>\\n`` at the end.
    """
    if any(character in salt for character in "\r\n"):
        raise ValueError(f"{SALT_VARIABLE} must hold a single line")
    text = "".join(f"{digest}  {path}\n" for path, digest in sorted(manifest.items()))
    if salt:
        text += f"salt  {salt}\n"
    return sha256_hex(text.encode("utf-8"))[:16]


def static_files(app: Flask) -> dict[str, bytes]:
    """The precached files of the static folder, by URL path, walked in a stable order."""
    root = Path(app.static_folder or "static")
    found: dict[str, bytes] = {}
    for folder, suffix in PRECACHED_FOLDERS:
        for path in sorted((root / folder).rglob("*" + suffix)):
            relative = path.relative_to(root).as_posix()
            # Dot files (editor swap files, .DS_Store and the like) are never part of the shell.
            if path.is_file() and not any(part.startswith(".") for part in relative.split("/")):
                found[f"{app.static_url_path}/{quote(relative)}"] = path.read_bytes()
    return found


def sources_digest(folder: Path) -> str:
    """The SHA-256 of every file of the static folder, with its path: names one build of it."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def minified_static(source: Path, minifier: Path = MINIFIER, build: Path = BUILD) -> Path | None:
    """The static folder with the app's modules minified, built once per set of sources; None
    when the minifier is not installed or is turned off."""
    if os.environ.get(MINIFY_VARIABLE, "1") == "0" or not minifier.is_file():
        return None
    target = build / f"static-{sources_digest(source)[:16]}"
    if target.is_dir():
        return target
    # Built beside the target, then renamed: another process building the same sources at the
    # same time (a second server worker) finds either nothing or the whole folder.
    partial = build / f".{target.name}-{os.getpid()}"
    modules = [str(path) for path in sorted((source / "js").rglob("*.js"))]
    try:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial)
        subprocess.run([str(minifier), *modules, "--minify", "--charset=utf8", "--log-level=warning",
                        f"--outbase={source / 'js'}", f"--outdir={partial / 'js'}"], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        # A folder the server may not write, or a broken minifier: the sources are served.
        logger.warning("serving the app's modules as written: no minified build (%s)", error)
        shutil.rmtree(partial, ignore_errors=True)
        return None
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def catalog_files(app: Flask) -> dict[str, bytes]:
    """The message catalogs, as the catalog view answers them (the same bytes, so the same hash)."""
    found: dict[str, bytes] = {}
    for language in i18n.LANGUAGES:
        with app.test_request_context():
            path = url_for("pages.catalog", language=language)
            found[path] = app.make_response(pages.catalog(language)).get_data()
    return found


def module_imports(path: str, source: bytes, dynamic: bool) -> list[str]:
    """The URL paths a module imports (``import()`` calls too when ``dynamic``)."""
    found = []
    for static_from, bare, called in MODULE_IMPORT.findall(source):
        specifier = (static_from or bare or (called if dynamic else b"")).decode("utf-8")
        if specifier:
            found.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier)))
    return found


def reachable(files: Mapping[str, bytes], entries: list[str], dynamic: bool) -> set[str]:
    """The entries and every precached module they import, directly or not."""
    seen: set[str] = set()
    waiting = [path for path in entries if path in files]
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.endswith(".js"):
            waiting += [found for found in module_imports(path, files[path], dynamic) if found in files]
    return seen


def precache_groups(app: Flask, files: Mapping[str, bytes]) -> dict[str, tuple[str, ...]]:
    """The core (precached on every device at install), then a group per role and per language,
    precached on the devices that name it; each a sorted tuple of URL paths of ``files``."""
    static = f"{app.static_url_path}/"
    catalogs = {language: url_for_catalog(app, language) for language in i18n.LANGUAGES}
    shell_page = [path for path in files if not path.startswith(static) and path not in catalogs.values()]
    styles_and_icons = [path for path in files if path.startswith((static + "css/", static + "icons/"))]
    core = reachable(files, [static + SHELL_MODULE, *(static + path for path in CORE_WORKERS)], dynamic=False)
    core |= {*shell_page, *styles_and_icons, catalogs[i18n.DEFAULT_LANGUAGE]}
    groups = {CORE_GROUP: tuple(sorted(core))}
    for role, screens in ROLE_SCREENS.items():
        groups[f"role:{role}"] = tuple(sorted(reachable(files, [static + path for path in screens], dynamic=True) - core))
    for language, path in catalogs.items():
        groups[f"language:{language}"] = (path,)
    return groups


def url_for_catalog(app: Flask, language: str) -> str:
    with app.test_request_context():
        return url_for("pages.catalog", language=language)


def build_shell(app: Flask, salt: str = "") -> Shell:
    # Rendered without a request on purpose: the shell cannot reach a session, a person or a
    # CSRF token (Flask's request, session and g fail outside a request), so it holds none.
    static = static_files(app)
    page_module = f"{app.static_url_path}/{SHELL_MODULE}"
    # The page names every module its script imports statically: the browser asks for them all at
    # once, instead of one level of imports after the other (each answered by the worker offline).
    preloads = sorted(reachable(static, [page_module], dynamic=False) - {page_module})
    html = app.jinja_env.get_template("app.html").render(preloads=preloads).encode("utf-8")
    webmanifest = json.dumps(web_app_manifest(), ensure_ascii=False, indent=2).encode("utf-8")
    files = {SHELL_PATH: html, MANIFEST_PATH: webmanifest, **static, **catalog_files(app)}
    manifest = {path: sha256_hex(data) for path, data in sorted(files.items())}
    version = shell_version(manifest, salt)
    groups = precache_groups(app, files)
    worker = app.jinja_env.get_template("sw.js").render(
        version=version, precache_json=json.dumps(manifest, indent=2),
        groups_json=json.dumps(groups, indent=2)).encode("utf-8")
    return Shell(version=version, manifest=MappingProxyType(manifest), groups=MappingProxyType(groups), html=html,
                 worker=worker, webmanifest=webmanifest)


def current_shell() -> Shell:
    return current_app.extensions[EXTENSION_KEY]


def shell_manifest(app: Flask) -> dict[str, str]:
    """The SHA-256 of every precached URL's bytes, by URL path: what a device holds offline."""
    return dict(app.extensions[EXTENSION_KEY].manifest)


def shell_groups(app: Flask) -> dict[str, tuple[str, ...]]:
    """The precache groups, by name: ``core``, ``role:<role>``, ``language:<code>``."""
    return dict(app.extensions[EXTENSION_KEY].groups)


def shell_version_of(app: Flask) -> str:
    return app.extensions[EXTENSION_KEY].version


@bp.get(SHELL_PATH)
def app_shell() -> Response:
    # HTML, so webapp.security marks it "no-store": browsers keep it only in the worker's cache.
    return Response(current_shell().html, mimetype="text/html")


@bp.get("/sw.js")
def service_worker() -> Response:
    # Served from the root so that its scope is the whole site. "no-cache": browsers always ask
    # the server before using a stored copy, so a new version is seen at the next check.
    response = Response(current_shell().worker, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get(MANIFEST_PATH)
def manifest() -> Response:
    response = Response(current_shell().webmanifest, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """Register the routes and build the shell; after ``pages``, whose catalogs are precached."""
    app.register_blueprint(bp)
    served = minified_static(Path(app.static_folder or "static"))
    if served is not None:
        app.static_folder = str(served)
    app.extensions[EXTENSION_KEY] = build_shell(app, os.environ.get(SALT_VARIABLE, ""))
