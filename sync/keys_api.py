"""The key directory API under /api/v1/: association key, account keys and escrow, roster.

Who may call what is decided before the request reaches here, by the access table; these views
only ever act for the person logged in (``g.user``).
"""

from typing import Any

from flask import Blueprint, Flask, g, jsonify
from werkzeug.wrappers import Response

from crypto.encoding import InvalidEncoding, b64url_decode, b64url_encode
from crypto.keys import KEY_BYTES
from sync import directory
from sync.context import current_context
from sync.db import get_db
from sync.problems import ApiError
from sync.validation import Field, b64url_bytes, parse_json_body

bp = Blueprint("keys", __name__, url_prefix="/api/v1")
# Account key blobs are 83 bytes and association key blobs 51 in protocol v1; a little room for
# later versions, nothing more.
MAX_BLOB_BYTES = 256
MAX_ROSTER_BYTES = 512


def blob(max_bytes: int) -> Any:
    def check(value: Any) -> bytes:
        try:
            data = b64url_decode(value)
        except InvalidEncoding as exc:
            raise ValueError("base64url without padding") from exc
        if not 1 <= len(data) <= max_bytes:
            raise ValueError(f"1 to {max_bytes} bytes")
        return data
    return check


def now() -> int:
    return current_context().now()


@bp.get("/association")
def get_association() -> Response:
    public_key = directory.association_public_key(get_db())
    if public_key is None:
        raise ApiError("association-missing")
    return jsonify(directory.association_json(public_key))


@bp.post("/association")
def set_up_association() -> tuple[Response, int]:
    body = parse_json_body([Field("public_key", b64url_bytes(KEY_BYTES)),
                            Field("wrapped_key", blob(MAX_BLOB_BYTES))])
    directory.set_up_association(get_db(), g.user["id"], body["public_key"], body["wrapped_key"], now())
    return jsonify(directory.association_json(body["public_key"])), 201


@bp.get("/association/escrow")
def get_association_escrow() -> Response:
    return jsonify(wrapped_key=b64url_encode(directory.association_escrow(get_db(), g.user["id"])))


@bp.put("/me/keys")
def put_my_keys() -> tuple[Response, int]:
    body = parse_json_body([Field("encryption_public", b64url_bytes(KEY_BYTES)),
                            Field("signing_public", b64url_bytes(KEY_BYTES)),
                            Field("wrapped_private", blob(MAX_BLOB_BYTES))])
    keys = directory.AccountPublicKeys(body["encryption_public"], body["signing_public"])
    directory.store_account_keys(get_db(), g.user["id"], keys, body["wrapped_private"], now())
    return jsonify(stored=True), 201


@bp.get("/me/keys")
def get_my_keys() -> Response:
    keys = directory.account_keys(get_db(), g.user["id"])
    return jsonify(encryption_public=b64url_encode(keys["encryption_public"]),
                   signing_public=b64url_encode(keys["signing_public"]),
                   wrapped_private=b64url_encode(keys["wrapped_private"]))


@bp.get("/directory")
def get_directory() -> Response:
    return jsonify(people=directory.directory(get_db()))


@bp.post("/roster")
def post_roster_entry() -> tuple[Response, int]:
    body = parse_json_body([Field("entry", blob(MAX_ROSTER_BYTES))])
    return jsonify(directory.accept_roster_entry(get_db(), body["entry"], g.user["id"], now())), 201


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
