"""A team's table of measures under /api/v1/teams/<team>/measures: its members read it, its
coordinators replace it with a newer signed table (docs/PROTOCOL.md 6.11)."""

from typing import Any

from flask import Blueprint, Flask, g, jsonify
from werkzeug.wrappers import Response

from crypto.encoding import InvalidEncoding, b64url_decode
from sync import measures
from sync.context import current_context
from sync.db import get_db
from sync.problems import ApiError
from sync.validation import Field, parse_json_body

bp = Blueprint("measures", __name__, url_prefix="/api/v1/teams")


def table_bytes(value: Any) -> bytes:
    if not isinstance(value, str) or len(value) > measures.MAX_TABLE_BYTES * 4 // 3 + 4:
        raise ValueError(f"a table in base64url, at most {measures.MAX_TABLE_BYTES} bytes")
    try:
        data = b64url_decode(value)
    except InvalidEncoding as exc:
        raise ValueError("base64url without padding") from exc
    if not 1 <= len(data) <= measures.MAX_TABLE_BYTES:
        raise ValueError(f"a table in base64url, at most {measures.MAX_TABLE_BYTES} bytes")
    return data


def own_team(team_id: str) -> str:
    """Only the team's own members read or change its table."""
    if g.user["team_id"] != team_id:
        raise ApiError("forbidden")
    return team_id


@bp.get("/<team_id>/measures")
def get_measures(team_id: str) -> Response:
    return jsonify(measures.table_json(measures.latest(get_db(), own_team(team_id))))


@bp.put("/<team_id>/measures")
def put_measures(team_id: str) -> Response:
    if g.user["role"] != "coordinator":
        raise ApiError("forbidden")
    own_team(team_id)
    body = parse_json_body([Field("table", table_bytes)])
    return jsonify(measures.store(get_db(), team_id, body["table"], g.user["id"], current_context().now()))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
