"""The second factor on the web: the login's pending state, and each person's own factors.

A login whose person needs a second factor (``sync.factors.required``) stops half-way: the
passphrase was right, but the session (a new id, as at login) only holds a pending state (who,
until when, the WebAuthn challenge) and nobody is logged in. The browser then answers the
challenge with a credential, or gives a recovery code, or (with no credential yet) registers its
first one; only then does the login complete. docs/PROTOCOL.md, "Second factor (WebAuthn)".
"""

import json
from typing import Any

from flask import Blueprint, Flask, g, jsonify, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from crypto.encoding import b64url_decode, b64url_encode
from sync import accounts, factors
from sync.factors import FactorRefused, RelyingParty
from sync.problems import ApiError
from sync.validation import Field, display_name, parse_json_body
from webapp.config import current_config
from webapp.database import get_db

bp = Blueprint("factors", __name__)
PENDING_KEY = "second_factor_pending"
REGISTER_KEY = "factor_challenge"
PENDING_SECONDS = 5 * 60
MAX_CREDENTIAL_JSON = 16 * 1024
MAX_RECOVERY_CODE = 40


def credential_object(value: Any) -> dict[str, Any]:
    """The browser's RegistrationResponseJSON or AuthenticationResponseJSON: an object, bounded."""
    if not isinstance(value, dict) or len(json.dumps(value)) > MAX_CREDENTIAL_JSON:
        raise ValueError("a WebAuthn credential response (a JSON object)")
    return value


def recovery_code(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_RECOVERY_CODE or not value.isascii():
        raise ValueError("a recovery code, such as abcd-efgh-jkmn")
    return value


def relying_party() -> RelyingParty:
    return RelyingParty.of(current_config().base_url)


def now() -> int:
    return current_config().now()


# The pending state -----------------------------------------------------------------------------

def pending_response(user: dict[str, Any]) -> Response:
    """Start the pending state for ``user`` under a new session id, and say what comes next."""
    conn = get_db()
    session.start_login()  # type: ignore[attr-defined]
    registered = factors.has_factors(conn, user["id"])
    factors.record_pending(conn, user["id"], now())
    challenge = factors.new_challenge() if registered else None
    session[PENDING_KEY] = {"user_id": user["id"], "expires": now() + PENDING_SECONDS,
                           "challenge": b64url_encode(challenge) if challenge else None}
    options = json.loads(factors.authentication_options(conn, relying_party(), user["id"], challenge)) \
        if challenge else None
    return jsonify(second_factor={"registered": registered, "options": options}, csrf_token=generate_csrf())


def pending_state() -> dict[str, Any]:
    """The pending state of this session, or the problem ``second-factor-not-pending``."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("expires", 0) <= now():
        session.pop(PENDING_KEY, None)
        raise ApiError("second-factor-not-pending")
    return pending


def pending_user(pending: dict[str, Any]) -> dict[str, Any]:
    user = accounts.get_user(get_db(), pending["user_id"])
    if user is None or user["status"] != "active":
        session.pop(PENDING_KEY, None)
        raise ApiError("account-disabled")
    return user


def refuse(user_id: str) -> ApiError:
    """A failed second factor: audited; the pending state has ended already (one try each)."""
    factors.record_failure(get_db(), user_id, now())
    return ApiError("second-factor-failed")


def finish_login(user: dict[str, Any], keys: list[str], extra: dict[str, Any] | None = None) -> Response:
    from webapp.auth import logged_in_response  # the login's own answer; auth imports this module

    accounts.complete_login(get_db(), current_config(), user["id"], keys, now())
    return logged_in_response(user, extra)


@bp.post("/api/v1/auth/second-factor")
def api_second_factor() -> Response:
    body = parse_json_body([Field("credential", credential_object, required=False),
                            Field("recovery_code", recovery_code, required=False)])
    if ("credential" in body) == ("recovery_code" in body):
        raise ApiError("validation-failed", fields={"credential": "give a credential or a recovery code"})
    pending = pending_state()
    user = pending_user(pending)
    conn = get_db()
    keys = accounts.check_second_factor_attempt(conn, current_config(), email=user["email"],
                                                address=request.remote_addr or "", now=now())
    # One try per challenge: whatever the outcome, this pending state is spent.
    session.pop(PENDING_KEY, None)
    try:
        if "recovery_code" in body:
            factors.use_recovery_code(conn, user["id"], body["recovery_code"], now())
        elif pending.get("challenge"):
            factors.verify_authentication(conn, relying_party(), user["id"], body["credential"],
                                          b64url_decode(pending["challenge"]), now())
        else:
            raise FactorRefused("no credential registered")
    except FactorRefused:
        raise refuse(user["id"]) from None
    return finish_login(user, keys)


def registering_state() -> dict[str, Any]:
    pending = pending_state()
    if pending.get("challenge") is not None or factors.has_factors(get_db(), pending["user_id"]):
        # Registration without a second factor is for the first authenticator only.
        raise ApiError("second-factor-not-pending")
    return pending


@bp.post("/api/v1/auth/second-factor/register-options")
def api_register_options() -> Response:
    pending = registering_state()
    user = pending_user(pending)
    challenge = factors.new_challenge()
    session[PENDING_KEY] = dict(pending, register_challenge=b64url_encode(challenge))
    return jsonify(options=json.loads(factors.registration_options(get_db(), relying_party(), user, challenge)))


@bp.post("/api/v1/auth/second-factor/register")
def api_register_first() -> Response:
    body = parse_json_body([Field("name", display_name), Field("credential", credential_object)])
    pending = registering_state()
    user = pending_user(pending)
    conn = get_db()
    keys = accounts.check_second_factor_attempt(conn, current_config(), email=user["email"],
                                                address=request.remote_addr or "", now=now())
    session.pop(PENDING_KEY, None)
    challenge = pending.get("register_challenge")
    try:
        if not challenge:
            raise FactorRefused("no registration options were given")
        new = factors.verify_registration(relying_party(), body["credential"], b64url_decode(challenge))
    except FactorRefused:
        raise refuse(user["id"]) from None
    store(user["id"], body["name"], new)
    codes = factors.renew_recovery_codes(conn, user["id"], now=now())
    return finish_login(user, keys, {"recovery_codes": codes})


def store(user_id: str, name: str, new: factors.NewCredential) -> dict[str, Any]:
    return factors.add_credential(get_db(), user_id, credential_id=new.credential_id, public_key=new.public_key,
                                  sign_count=new.sign_count, transports=new.transports, name=name, now=now())


# One's own factors -----------------------------------------------------------------------------

@bp.get("/api/v1/me/factors")
def api_factors() -> Response:
    conn = get_db()
    return jsonify(factors=factors.list_factors(conn, g.user["id"]),
                   recovery_codes_left=factors.recovery_codes_left(conn, g.user["id"]),
                   required=factors.required(conn, g.user))


@bp.post("/api/v1/me/factors/options")
def api_factor_options() -> Response:
    challenge = factors.new_challenge()
    session[REGISTER_KEY] = {"challenge": b64url_encode(challenge), "expires": now() + PENDING_SECONDS}
    return jsonify(options=json.loads(factors.registration_options(get_db(), relying_party(), g.user, challenge)))


@bp.post("/api/v1/me/factors")
def api_add_factor() -> tuple[Response, int]:
    body = parse_json_body([Field("name", display_name), Field("credential", credential_object)])
    offered = session.pop(REGISTER_KEY, None)
    conn = get_db()
    try:
        if not isinstance(offered, dict) or offered.get("expires", 0) <= now():
            raise FactorRefused("no registration options were given, or they expired")
        new = factors.verify_registration(relying_party(), body["credential"], b64url_decode(offered["challenge"]))
    except FactorRefused:
        factors.record_failure(conn, g.user["id"], now())
        raise ApiError("factor-invalid") from None
    had_codes = factors.recovery_codes_left(conn, g.user["id"]) > 0
    answer: dict[str, Any] = {"factor": store(g.user["id"], body["name"], new)}
    if not had_codes:
        answer["recovery_codes"] = factors.renew_recovery_codes(conn, g.user["id"], now=now())
    return jsonify(answer), 201


@bp.delete("/api/v1/me/factors/<factor_id>")
def api_remove_factor(factor_id: str) -> tuple[str, int]:
    conn = get_db()
    factors.remove(conn, g.user["id"], factor_id, policy_requires=factors.required(conn, g.user), now=now())
    return "", 204


@bp.post("/api/v1/me/recovery-codes")
def api_renew_recovery_codes() -> Response:
    return jsonify(recovery_codes=factors.renew_recovery_codes(get_db(), g.user["id"], now=now()))


@bp.post("/api/v1/admin/people/<user_id>/factors/reset")
def api_reset_factors(user_id: str) -> tuple[str, int]:
    conn = get_db()
    if accounts.get_user(conn, user_id) is None:
        raise ApiError("not-found")
    factors.reset(conn, user_id, actor=g.user["id"], now=now())
    return "", 204


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
