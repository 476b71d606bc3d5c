"""The app's modules served minified: built at start-up from the readable sources, by the
minifier the project's set-up installs (scripts/setup.sh), and served, hashed and precached as
built. The browser tests run against this server, so they run against what is served."""

import gzip
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.pwa import MINIFIER, minified_static, shell_manifest

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"

needs_minifier = pytest.mark.skipif(shutil.which("npm") is None and not MINIFIER.is_file(),
                                    reason="no Node.js here: scripts/setup.sh installs the minifier with npm")


@needs_minifier
def test_the_set_up_installed_the_minifier() -> None:
    assert MINIFIER.is_file(), "run scripts/setup.sh: it installs esbuild from npm"


@needs_minifier
def test_the_app_serves_its_modules_minified_from_the_build(app: Flask, client: FlaskClient) -> None:
    served = Path(app.static_folder or "")
    assert served.parent.name == "build" and served.name.startswith("static-")
    source = (STATIC / "js" / "app" / "main.js").read_bytes()
    response = client.get("/static/js/app/main.js")
    body = response.get_data()
    assert response.status_code == 200 and body == (served / "js" / "app" / "main.js").read_bytes()
    assert len(gzip.compress(body)) < 0.8 * len(gzip.compress(source))
    # The imports are kept as written: the module graph is the sources'.
    assert b'from"./router.js"' in body or b'from "./router.js"' in body
    # The sources stay readable: their comments are in the repository, not in what is served.
    assert b"// The app: set up this device once online" in source
    assert b"// The app: set up this device once online" not in body
    # What the service worker precaches is what is served.
    digest = __import__("hashlib").sha256(body).hexdigest()
    assert shell_manifest(app)["/static/js/app/main.js"] == digest


@needs_minifier
def test_a_build_is_made_once_per_set_of_sources(tmp_path: Path) -> None:
    source = tmp_path / "static"
    (source / "js").mkdir(parents=True)
    (source / "js" / "a.js").write_text('// A comment.\nexport const answer = 40 + 2;\n', "utf-8")
    (source / "css").mkdir()
    (source / "css" / "app.css").write_text("body { margin: 0; }\n", "utf-8")
    build = tmp_path / "build"
    first = minified_static(source, build=build)
    assert first is not None and first == minified_static(source, build=build)
    assert b"comment" not in (first / "js" / "a.js").read_bytes()
    assert (first / "css" / "app.css").read_text("utf-8") == "body { margin: 0; }\n"
    (source / "js" / "a.js").write_text("export const answer = 43;\n", "utf-8")
    second = minified_static(source, build=build)
    assert second is not None and second != first and b"43" in (second / "js" / "a.js").read_bytes()


def test_without_the_minifier_the_sources_are_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert minified_static(STATIC, minifier=tmp_path / "absent") is None
    monkeypatch.setenv("CARNET_MINIFY", "0")
    assert minified_static(STATIC) is None


@needs_minifier
def test_a_build_folder_the_server_cannot_write_leaves_the_sources_served(tmp_path: Path) -> None:
    blocked = tmp_path / "build"
    blocked.write_text("a file where the build folder would be", "utf-8")
    assert minified_static(STATIC, build=blocked) is None
