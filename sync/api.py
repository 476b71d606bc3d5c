"""The sync API under /api/v1/sync: push signed envelopes, pull what changed, fetch one case.

Batches are bounded, envelopes are bounded, and every envelope gets its own result, so a bad
one never costs the good ones; a failed request stores nothing it did not answer for.
"""

import gzip
import zlib
from typing import Any

from flask import Blueprint, Flask, g, jsonify, request
from werkzeug.wrappers import Response

from crypto.encoding import InvalidEncoding, b64url_decode
from crypto.entry import MAX_BODY
from sync import cases, faults, openapi
from sync.context import current_context
from sync.db import get_db
from sync.problems import ApiError
from sync.validation import Field, int_query, parse_json_body

bp = Blueprint("sync", __name__, url_prefix="/api/v1/sync")
docs = Blueprint("apidoc", __name__, url_prefix="/api/v1")
MAX_BATCH = 200
# A header, a length, the largest sealed body and a signature: the largest valid envelope.
MAX_ENVELOPE_BYTES = 4 + 161 + 4 + MAX_BODY + 64
MAX_PUSH_BYTES = 16 * 1024 * 1024
PULL_LIMIT = 500
PULL_BYTES = 4 * 1024 * 1024


def envelopes(value: Any) -> list[bytes]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_BATCH:
        raise ValueError(f"a list of 1 to {MAX_BATCH} envelopes")
    decoded = []
    for item in value:
        # Base64url grows by 4/3: a longer text cannot decode to an envelope the protocol allows.
        if not isinstance(item, str) or len(item) > MAX_ENVELOPE_BYTES * 4 // 3 + 4:
            raise ValueError(f"envelopes in base64url, at most {MAX_ENVELOPE_BYTES} bytes each")
        try:
            envelope = b64url_decode(item)
        except InvalidEncoding as exc:
            raise ValueError("envelopes in base64url without padding") from exc
        if len(envelope) > MAX_ENVELOPE_BYTES:
            raise ValueError(f"envelopes in base64url, at most {MAX_ENVELOPE_BYTES} bytes each")
        decoded.append(envelope)
    return decoded


int_arg = int_query


def now() -> int:
    return current_context().now()


# Pushes carry photos in chunks: they get a larger body limit than the rest of the API.
BODY_LIMITS = {"sync.push": MAX_PUSH_BYTES}


def count_request() -> None:
    """Every sync request counts against the caller's budget per minute."""
    current_context().sync_rate.check(get_db(), g.user["id"])


def apply_body_limit() -> None:
    """Run before anything reads the body (the CSRF check does), so the right limit applies."""
    limit = BODY_LIMITS.get(request.endpoint or "")
    if limit is not None:
        request.max_content_length = limit


@bp.post("/push")
def push() -> Response:
    count_request()
    body = parse_json_body([Field("entries", envelopes)], push_body())
    results = cases.push_entries(get_db(), g.user, body["entries"], now())
    answer = jsonify(results=[result.to_json() for result in results])
    # Committed, answered to nobody yet: a client that never hears back must push again.
    faults.point("before-push-answer")
    return answer


@bp.get("/pull")
def pull() -> Response:
    count_request()
    cursor = int_arg("cursor", 0, 2**53 - 1)
    limit = int_arg("limit", PULL_LIMIT, PULL_LIMIT) or PULL_LIMIT
    entries, next_cursor, more = cases.pull_entries(get_db(), g.user, cursor, limit, PULL_BYTES)
    return jsonify(entries=entries, next_cursor=next_cursor, more=more)


@bp.get("/cases")
def list_cases() -> Response:
    """The caller's cases, metadata only: what a device that keeps few cases can fetch back."""
    count_request()
    return jsonify(cases=cases.list_cases(get_db(), g.user))


@bp.get("/cases/<case_id>/entries")
def case_entries(case_id: str) -> Response:
    count_request()
    after = int_arg("after", 0, 2**53 - 1)
    limit = int_arg("limit", PULL_LIMIT, PULL_LIMIT) or PULL_LIMIT
    entries, next_cursor, more = cases.case_entries(get_db(), g.user, case_id, after, limit, PULL_BYTES)
    return jsonify(entries=entries, next_cursor=next_cursor, more=more)


# Envelopes are ciphertext, yet their base64url text in JSON is a third larger than they are:
# gzip takes that third back (base64 carries 6 bits a character) and the JSON's repeated names too.
# These answers hold ciphertext and ids only, never a token or a secret next to text an attacker
# chooses, so compressing them gives a BREACH-style attack nothing to guess.
COMPRESS_FROM_BYTES = 1024


@bp.after_request
def compress(response: Response) -> Response:
    if (response.status_code != 200 or response.direct_passthrough or "Content-Encoding" in response.headers
            or "gzip" not in request.accept_encodings or (response.content_length or 0) < COMPRESS_FROM_BYTES):
        return response
    # Level 1: random-looking base64 gains nothing from a longer search, and pages are megabytes.
    response.set_data(gzip.compress(response.get_data(), compresslevel=1, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def push_body() -> bytes:
    """The push body, inflated when sent with ``Content-Encoding: gzip``, to at most the push limit.

    Read here, in the view: after the access table has authenticated the caller and the CSRF
    check has passed, so nobody anonymous or cross-site makes the server inflate anything. The
    compressed body is bounded by the push limit like a plain one (413); a body that would
    inflate past the limit is refused as too large (413), one that does not inflate as
    ``invalid-json`` (400).
    """
    data = request.get_data(cache=True)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if not encoding or encoding == "identity":
        return data
    if encoding != "gzip":
        raise ApiError("unsupported-media-type", "Content-Encoding: gzip or none")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(data, MAX_PUSH_BYTES + 1)
    except zlib.error as exc:
        raise ApiError("invalid-json", "the body does not inflate") from exc
    if len(body) > MAX_PUSH_BYTES or inflater.unconsumed_tail:
        raise ApiError("payload-too-large")
    if not inflater.eof:
        raise ApiError("invalid-json", "the body does not inflate")
    return body


@docs.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(openapi.document())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(docs)
