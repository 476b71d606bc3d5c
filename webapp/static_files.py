"""Static files as the server sends them: compressed once, chosen per request, cached or revalidated.

Every file of the served static folder (the one ``webapp.pwa`` builds, minified, at start-up) is
read once when the app is created, with its Brotli and gzip forms: compressed once per content
into ``build/encoded/`` (named by the SHA-256 of the file), so a restart or a second worker
reads them back instead of compressing again. A request gets Brotli when its ``Accept-Encoding``
allows it, else gzip, else the file as it is; each form has its own ETag, an ``If-None-Match``
that holds it gets ``304``, and the answer says ``Vary: Accept-Encoding``.

The app's own fixed answers (the shell page, the service worker, the manifest and the message
catalogs: the same bytes for everybody until a restart) are compressed the same way, once per
body, as they leave.

Lifetimes: a file whose name carries its hash (``name-<hash>.ext``) never changes under that name
and is kept a year; every other file is ``no-cache``, revalidated with its ETag at each use. The
service worker fetches its files with ``cache: "reload"``, past the browser's HTTP cache, and
hashes the decoded bytes (what ``fetch`` gives it), so compression changes nothing of its checks.

Only files and fixed answers are compressed here: pages rendered per request carry a CSRF token
next to text a visitor may choose (a query string), which compression would help guess (BREACH).
"""

import gzip
import hashlib
import logging
import mimetypes
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Blueprint, Flask, current_app, request
from werkzeug.wrappers import Response

bp = Blueprint("static_files", __name__)
logger = logging.getLogger(__name__)

EXTENSION_KEY = "carnet_static_files"
ROOT = Path(__file__).resolve().parent.parent
ENCODED = ROOT / "build" / "encoded"
# Text worth compressing; images (PNG) are compressed already.
COMPRESSED_SUFFIXES = frozenset({".js", ".mjs", ".css", ".json", ".svg", ".txt", ".md", ".html", ".webmanifest"})
# Strongest first: the first one the client accepts is sent.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# "app-3f9a1c2e.js", "chunk-7QX2K4ZD.js": a hex or base32 hash of 8 or more characters, with a digit.
HASHED_NAME = re.compile(r"[-.](?=[0-9A-Za-z]*[0-9])(?:[0-9a-f]{8,}|[0-9A-Z]{8,})\.[A-Za-z0-9]+$")
# The fixed answers compressed as they leave, by endpoint.
FIXED_ENDPOINTS = frozenset({"pwa.app_shell", "pwa.service_worker", "pwa.manifest", "pages.catalog"})


@dataclass(frozen=True)
class Encoded:
    """One file or fixed answer: its bytes as they are and in each encoding smaller than them."""

    digest: str
    forms: dict[str, bytes] = field(default_factory=dict)

    def etag(self, encoding: str) -> str:
        return self.digest[:32] + ("" if encoding == "identity" else "-" + encoding)


@dataclass(frozen=True)
class StaticFile:
    mimetype: str
    cache_control: str
    encoded: Encoded


@dataclass(frozen=True)
class Served:
    """What this module keeps per app: the favicon, and the fixed answers' forms by SHA-256."""

    favicon: StaticFile
    store: Path | None
    fixed: dict[str, Encoded] = field(default_factory=dict)


def compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


def encode(data: bytes, store: Path | None) -> Encoded:
    """The file and its compressed forms, read from ``store`` when made before, else made and kept."""
    digest = hashlib.sha256(data).hexdigest()
    forms = {"identity": data}
    for encoding, suffix in ENCODINGS:
        packed = cached_compress(data, digest, encoding, suffix, store)
        # A form no smaller than the file (tiny or incompressible) is never sent.
        if len(packed) < len(data):
            forms[encoding] = packed
    return Encoded(digest, forms)


def cached_compress(data: bytes, digest: str, encoding: str, suffix: str, store: Path | None) -> bytes:
    path = store / (digest + suffix) if store is not None else None
    if path is not None and path.is_file():
        return path.read_bytes()
    packed = compress(data, encoding)
    if path is not None:
        # Written beside, then renamed: another worker reading it finds nothing or all of it.
        partial = path.with_name(f".{path.name}-{os.getpid()}")
        partial.write_bytes(packed)
        partial.rename(path)
    return packed


def writable(store: Path) -> Path | None:
    """``store`` if this process may write there, else None (said once): the forms are then made
    at each start and kept in memory only."""
    try:
        store.mkdir(parents=True, exist_ok=True)
        probe = store / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return store
    except OSError as error:
        logger.warning("compressed static files kept in memory only, made at each start: %s", error)
        return None


def cache_control_for(name: str) -> str:
    return IMMUTABLE if HASHED_NAME.search(name) else REVALIDATE


def read_folder(folder: Path, store: Path | None) -> dict[str, StaticFile]:
    """Every file of the static folder by its path in it (dot files left out), with its forms."""
    found: dict[str, StaticFile] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in relative.split("/")):
            continue
        data = path.read_bytes()
        encoded = encode(data, store) if path.suffix in COMPRESSED_SUFFIXES else Encoded(
            hashlib.sha256(data).hexdigest(), {"identity": data})
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        found[relative] = StaticFile(mimetype, cache_control_for(path.name), encoded)
    return found


def chosen_encoding(encoded: Encoded) -> str:
    """Brotli, then gzip, among the forms made and accepted (a quality of 0 refuses), else none."""
    accepted = request.accept_encodings
    for encoding, _suffix in ENCODINGS:
        if encoding in encoded.forms and accepted[encoding] > 0:
            return encoding
    return "identity"


def answer(encoded: Encoded, response: Response) -> Response:
    """``response`` carrying the chosen form of ``encoded``, or emptied to a 304 when the client
    holds that form already."""
    encoding = chosen_encoding(encoded)
    etag = encoded.etag(encoding)
    if len(encoded.forms) > 1:
        response.vary.add("Accept-Encoding")
    response.set_etag(etag)
    if request.if_none_match.contains_weak(etag) or request.if_none_match.star_tag:
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Length", None)
        return response
    response.set_data(encoded.forms[encoding])
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    return response


def serve(files: dict[str, StaticFile], fallback: Callable[..., Response]) -> Callable[..., Response]:
    """The static view: the files read at start-up; any other name goes to Flask's own view."""

    def send_static(filename: str) -> Response:
        found = files.get(filename)
        if found is None:
            return fallback(filename=filename)
        response = Response(mimetype=found.mimetype)
        response.headers["Cache-Control"] = found.cache_control
        return answer(found.encoded, response)

    return send_static


def compress_fixed_answer(response: Response) -> Response:
    """After the shell, worker, manifest and catalog views: the same forms, ETag and 304."""
    if request.endpoint not in FIXED_ENDPOINTS or response.status_code != 200 or response.direct_passthrough:
        return response
    memo = served().fixed
    body = response.get_data()
    digest = hashlib.sha256(body).hexdigest()
    if digest not in memo:
        memo[digest] = encode(body, served().store)
    response.headers.setdefault("Cache-Control", REVALIDATE)
    return answer(memo[digest], response)


def served() -> Served:
    return current_app.extensions[EXTENSION_KEY]


def favicon_ico(png: bytes) -> bytes:
    """A one-image .ico holding the PNG as it is (read by every browser since 2007)."""
    width, height = struct.unpack(">II", png[16:24])
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


@bp.get("/favicon.ico")
def favicon() -> Response:
    # Asked for by browsers on every site whatever the page links; the pages link the PNG.
    found = served().favicon
    response = Response(mimetype=found.mimetype)
    response.headers["Cache-Control"] = found.cache_control
    return answer(found.encoded, response)


def init_app(app: Flask) -> None:
    """After ``pwa``, which chooses the served static folder: read it, take over the static view."""
    folder = Path(app.static_folder or "static")
    store = writable(ENCODED)
    files = read_folder(folder, store)
    app.view_functions["static"] = serve(files, app.view_functions["static"])
    icon = favicon_ico((folder / "icons" / "favicon.png").read_bytes())
    app.extensions[EXTENSION_KEY] = Served(store=store, favicon=StaticFile(
        "image/vnd.microsoft.icon", REVALIDATE, Encoded(hashlib.sha256(icon).hexdigest(), {"identity": icon})))
    app.register_blueprint(bp)
    app.after_request(compress_fixed_answer)
