"""What an auditor reads of the server, under /api/v1/audit: the log, its signed head, the inventory.

Nothing here opens content or hands out a key: the answers are ids, counts, hashes, epochs,
sizes and times. The auditor's browser verifies the ciphertext it pulls through the sync API.
"""

from flask import Blueprint, Flask, jsonify, request
from werkzeug.wrappers import Response

from crypto.audit import Action
from sync import audit, directory
from sync.api import int_arg, now
from sync.context import current_context
from sync.db import get_db
from sync.problems import ApiError

bp = Blueprint("audit", __name__, url_prefix="/api/v1/audit")
LOG_LIMIT = 1000
ACTIONS = {action.name.lower(): action for action in Action}


def action_arg() -> Action | None:
    name = request.args.get("action")
    if name is None:
        return None
    if name not in ACTIONS:
        raise ApiError("validation-failed", fields={"action": "one of " + ", ".join(sorted(ACTIONS))})
    return ACTIONS[name]


@bp.get("/log")
def log() -> Response:
    after = int_arg("after", 0, 2**53 - 1)
    limit = int_arg("limit", LOG_LIMIT, LOG_LIMIT) or LOG_LIMIT
    return jsonify(audit.log_page(get_db(), after, limit, action_arg()))


@bp.get("/head")
def head() -> Response:
    return jsonify(audit.head_json(get_db(), current_context().audit_key, now()))


@bp.get("/inventory")
def inventory() -> Response:
    conn = get_db()
    return jsonify(audit.inventory(conn, directory.association_public_key(conn), now()))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
