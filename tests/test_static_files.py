"""Static files compressed once and sent as the client accepts them (Brotli, gzip or as they are),
with an ETag per form, 304 on a match, and a year's lifetime only for names that carry a hash."""

import gzip
import hashlib
import json
import re
import struct
import urllib.error
import urllib.request
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.pwa import shell_manifest
from webapp.static_files import IMMUTABLE, REVALIDATE, read_folder, writable

from tests.conftest import LiveServer
from tests.helpers import Person, logged_in

MODULE = "/static/js/app/main.js"


@pytest.fixture
def backend() -> str:
    """Files are the same on either database: one is enough."""
    return "sqlcipher"


def fetch(server: LiveServer, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def decoded(headers: dict[str, str], body: bytes) -> bytes:
    encoding = headers.get("content-encoding", "identity")
    return {"br": brotli.decompress, "gzip": gzip.decompress, "identity": lambda data: data}[encoding](body)


def precached(server: LiveServer) -> dict[str, str]:
    _status, headers, body = fetch(server, "/sw.js", **{"Accept-Encoding": "gzip"})
    source = decoded(headers, body).decode("utf-8")
    found = re.search(r"^const PRECACHE = (\{.*?\});$", source, re.MULTILINE | re.DOTALL)
    assert found
    return json.loads(found.group(1))


def test_the_server_as_run_sh_starts_it_sends_the_app_modules_compressed(live_server: LiveServer) -> None:
    # Given the gunicorn server, when a client asks for a module with each Accept-Encoding,
    _status, plain_headers, plain = fetch(live_server, MODULE)
    status, gzip_headers, packed = fetch(live_server, MODULE, **{"Accept-Encoding": "gzip, deflate"})
    _status, br_headers, smaller = fetch(live_server, MODULE, **{"Accept-Encoding": "gzip, deflate, br"})
    # then it gets gzip, or Brotli when it accepts it, else the file as it is,
    assert status == 200 and gzip_headers["content-encoding"] == "gzip"
    assert br_headers["content-encoding"] == "br"
    assert "content-encoding" not in plain_headers
    assert gzip.decompress(packed) == plain and brotli.decompress(smaller) == plain
    assert len(smaller) < len(packed) < 0.6 * len(plain)
    # each answer says it varies with Accept-Encoding, revalidates, and names its own form.
    etags = {plain_headers["etag"], gzip_headers["etag"], br_headers["etag"]}
    assert len(etags) == 3
    for headers in (plain_headers, gzip_headers, br_headers):
        assert "Accept-Encoding" in headers["vary"] and headers["cache-control"] == REVALIDATE
        assert int(headers["content-length"]) > 0
    # What the service worker checks is the decoded file: the hash in its list.
    assert precached(live_server)[MODULE] == hashlib.sha256(plain).hexdigest()


def test_an_etag_the_client_holds_gets_304_for_its_own_form_only(live_server: LiveServer) -> None:
    _status, headers, _body = fetch(live_server, MODULE, **{"Accept-Encoding": "gzip"})
    etag = headers["etag"]
    status, again, body = fetch(live_server, MODULE, **{"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert status == 304 and body == b"" and again["etag"] == etag
    assert "Accept-Encoding" in again["vary"] and again["cache-control"] == REVALIDATE
    # The same ETag from a client that now accepts Brotli is another form: the whole file comes.
    status, other, body = fetch(live_server, MODULE, **{"Accept-Encoding": "br", "If-None-Match": etag})
    assert status == 200 and other["content-encoding"] == "br" and other["etag"] != etag
    assert brotli.decompress(body) == fetch(live_server, MODULE)[2]


@pytest.mark.parametrize("path", ["/app", "/sw.js", "/manifest.webmanifest", "/i18n/fr.json", "/i18n/ar.json",
                                  "/static/css/app.css", "/static/vendor/hpke-core.js"])
def test_the_shell_worker_manifest_and_catalogs_are_compressed_too(live_server: LiveServer, path: str) -> None:
    _status, plain_headers, plain = fetch(live_server, path)
    status, headers, body = fetch(live_server, path, **{"Accept-Encoding": "br;q=0, gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    assert "Accept-Encoding" in headers["vary"] and headers["etag"] != plain_headers["etag"]
    assert headers["content-type"] == plain_headers["content-type"]
    status, _headers, _body = fetch(live_server, path, **{"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]})
    assert status == 304
    if path != "/app":  # the shell page, as every HTML page, is never stored by HTTP caches
        assert headers["cache-control"] == REVALIDATE
    if path != "/sw.js":  # the worker is not in its own list
        assert hashlib.sha256(plain).hexdigest() == precached(live_server)[path]


def test_pages_rendered_per_request_are_never_compressed(live_server: LiveServer) -> None:
    # They carry a CSRF token beside the query string a visitor chooses: compressing both together
    # would let a page of another site guess the token (BREACH).
    status, headers, _body = fetch(live_server, "/login?next=/home", **{"Accept-Encoding": "gzip, br"})
    assert status == 200 and "content-encoding" not in headers


def test_images_are_sent_as_they_are(client: FlaskClient) -> None:
    response = client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers
    etag = response.headers["ETag"]
    assert client.get("/static/icons/icon-192.png", headers={"If-None-Match": etag}).status_code == 304


def test_a_file_the_server_did_not_read_at_start_up_is_not_found(client: FlaskClient) -> None:
    assert client.get("/static/js/absent.js", headers={"Accept-Encoding": "gzip"}).status_code == 404
    assert client.get("/static/../webapp/__init__.py").status_code == 404


def test_the_served_bytes_are_what_the_service_worker_precaches(app: Flask, client: FlaskClient) -> None:
    for path, digest in shell_manifest(app).items():
        response = client.get(path, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200, path
        body = response.get_data()
        if response.headers.get("Content-Encoding") == "br":
            body = brotli.decompress(body)
        assert hashlib.sha256(body).hexdigest() == digest, path


def test_names_that_carry_their_hash_are_kept_a_year_the_rest_revalidate(tmp_path: Path) -> None:
    folder = tmp_path / "static"
    (folder / "js").mkdir(parents=True)
    for name in ("app.js", "chunk-7QX2K4ZD.js", "main.3f9a1c2e.js", "icon-192.js", "common-passwords.js"):
        (folder / "js" / name).write_text("export const x = 1;\n" * 40, "utf-8")
    (folder / "js" / ".swap.js").write_text("left by an editor", "utf-8")
    files = read_folder(folder, store=writable(tmp_path / "encoded"))
    assert {name: found.cache_control for name, found in files.items()} == {
        "js/app.js": REVALIDATE, "js/chunk-7QX2K4ZD.js": IMMUTABLE, "js/main.3f9a1c2e.js": IMMUTABLE,
        "js/icon-192.js": REVALIDATE, "js/common-passwords.js": REVALIDATE}
    assert set(files["js/app.js"].encoded.forms) == {"identity", "gzip", "br"}


def test_each_content_is_compressed_once_then_read_back(tmp_path: Path) -> None:
    folder, store = tmp_path / "static", writable(tmp_path / "encoded")
    assert store is not None
    folder.mkdir()
    (folder / "a.css").write_text("body { margin: 0; }\n" * 50, "utf-8")
    (folder / "tiny.css").write_text("a{}", "utf-8")
    first = read_folder(folder, store=store)
    kept = sorted(path.name for path in store.iterdir())
    digest = hashlib.sha256((folder / "a.css").read_bytes()).hexdigest()
    assert digest + ".br" in kept and digest + ".gz" in kept
    # A form no smaller than the file is never sent.
    assert set(first["tiny.css"].encoded.forms) == {"identity"}
    (store / (digest + ".gz")).write_bytes(gzip.compress(b"read back from the store"))
    assert gzip.decompress(read_folder(folder, store=store)["a.css"].encoded.forms["gzip"]) == b"read back from the store"


def test_the_favicon_is_an_icon_holding_the_app_png(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    data = response.get_data()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    width, height, _colours, _zero, _planes, _bits, size, offset = struct.unpack("<BBBBHHII", data[6:22])
    assert (reserved, kind, count, width, height) == (0, 1, 1, 48, 48)
    assert data[offset:offset + size].startswith(b"\x89PNG") and offset + size == len(data)
    assert response.headers["Cache-Control"] == REVALIDATE


def test_a_logged_in_person_revalidates_files_but_never_stores_pages_or_answers(app: Flask,
                                                                                people: dict[str, Person]) -> None:
    admin = logged_in(app, people["admin"])
    for path in ("/static/css/app.css", "/static/js/login.js", "/i18n/fr.json", "/manifest.webmanifest", "/favicon.ico"):
        response = admin.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["Cache-Control"] == REVALIDATE, path
    for path in ("/app", "/home", "/api/v1/me"):
        assert admin.get(path).headers["Cache-Control"] == "no-store", path


def test_a_store_the_server_cannot_write_leaves_the_forms_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "encoded"
    blocked.write_text("a file where the folder would be", "utf-8")
    assert writable(blocked) is None
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "a.css").write_text("body { margin: 0; }\n" * 50, "utf-8")
    assert set(read_folder(folder, store=None)["a.css"].encoded.forms) == {"identity", "gzip", "br"}
