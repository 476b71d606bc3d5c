"""A real Carnet server process with the demo association, and demo people logged in to it."""

import contextlib
import gzip
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import LiveServer, running_demo
from tests.http import HttpSession


@contextlib.contextmanager
def demo_server(work: Path, **env: str) -> Iterator[LiveServer]:
    """Started fresh in its own folder; the per-account sync rate limit and the per-address limit of
    anonymous requests (every simulated client logs in from loopback) are lifted for load."""
    folder = Path(tempfile.mkdtemp(prefix="server-", dir=work))
    try:
        with running_demo(folder, **{"CARNET_SYNC_REQUESTS_PER_MINUTE": "100000000",
                                     "CARNET_ANONYMOUS_REQUESTS_PER_MINUTE": "100000000", **env}) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_key(server: LiveServer) -> bytes:
    return bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["database_key"])


def get_json(http: HttpSession, path: str, counter: dict[str, int] | None = None) -> Any:
    """A GET that accepts gzip like a browser does, decoding it here."""
    response = http.request("GET", path, headers={"Accept-Encoding": "gzip"})
    body = response.body
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    if counter is not None:
        counter["requests"] = counter.get("requests", 0) + 1
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
    return json.loads(body)


def pull_from(http: HttpSession, cursor: int) -> tuple[list[dict[str, Any]], int]:
    """Every entry after the cursor, page by page as a device pulls; returns them and the new cursor."""
    found: list[dict[str, Any]] = []
    while True:
        page = get_json(http, f"/api/v1/sync/pull?cursor={cursor}")
        found += page["entries"]
        cursor = page["next_cursor"]
        if not page["more"]:
            return found, cursor
