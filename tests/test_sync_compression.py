"""Sync bodies compressed with gzip: pushes may be sent compressed, pulls come back compressed."""

import gzip
import json

from flask import Flask

from crypto.encoding import b64url_decode, b64url_encode
from sync.api import MAX_PUSH_BYTES

from tests.helpers import Api
from tests.test_sync import Member, new_case, world  # noqa: F401 - the fixture is used by name


def push_gzip(api: Api, payload: bytes):
    return api.call("POST", "/api/v1/sync/push", data=payload, content_type="application/json",
                    headers={"Content-Encoding": "gzip"})


def test_a_push_sent_with_gzip_is_stored_and_pulled_back_compressed(app: Flask, world: dict[str, Member]) -> None:
    _case, envelopes = new_case(world, notes="x" * 3000)
    body = json.dumps({"entries": [b64url_encode(e) for e in envelopes]}).encode()
    response = push_gzip(world["volunteer"].api, gzip.compress(body))
    assert [r["status"] for r in response.get_json()["results"]] == ["stored", "stored"]

    reader = world["coordinator"].api
    packed = reader.get("/api/v1/sync/pull?cursor=0", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    entries = json.loads(gzip.decompress(packed.get_data()))["entries"]
    assert [b64url_decode(e["envelope"]) for e in entries] == envelopes
    plain = reader.get("/api/v1/sync/pull?cursor=0")
    assert "Content-Encoding" not in plain.headers
    assert plain.get_json()["entries"] == entries


def test_a_push_that_inflates_past_the_limit_is_refused_as_too_large(app: Flask, world: dict[str, Member]) -> None:
    bomb = gzip.compress(b'{"entries": ["' + b"A" * (MAX_PUSH_BYTES + 10) + b'"]}')
    assert len(bomb) < 100_000
    assert push_gzip(world["volunteer"].api, bomb).status_code == 413


def test_a_push_that_does_not_inflate_is_refused_and_stores_nothing(app: Flask, world: dict[str, Member]) -> None:
    _case, envelopes = new_case(world)
    packed = gzip.compress(json.dumps({"entries": [b64url_encode(e) for e in envelopes]}).encode())
    response = push_gzip(world["volunteer"].api, packed[:-12])
    assert response.status_code == 400
    assert world["volunteer"].api.get("/api/v1/sync/pull?cursor=0").get_json()["entries"] == []
