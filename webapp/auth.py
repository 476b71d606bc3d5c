"""Enrolment, login and logout. The passphrase never arrives here: only the derived ``auth``."""

import json
from typing import Any

from flask import Blueprint, Flask, g, jsonify, render_template, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from crypto.errors import InvalidKdfParameters
from crypto.kdf import SECRET_BYTES, KdfParams
from sync import accounts, directory, factors, sessions
from sync.problems import ApiError
from sync.keys_api import MAX_BLOB_BYTES, blob
from sync.validation import Field, b64url_bytes, display_name, email, parse_json_body, token
from webapp import factors as second_factor
from webapp import login
from webapp.sessions import current_handle
from webapp.config import current_config
from webapp.database import get_db

bp = Blueprint("auth", __name__)
TOKEN_FIELD = Field("token", token)
AUTH_FIELD = Field("auth", b64url_bytes(SECRET_BYTES))
KDF_UPGRADE_KEY = "kdf_upgrade"


def kdf_params(value: Any) -> KdfParams:
    try:
        return KdfParams.from_json(value)
    except InvalidKdfParameters as exc:
        raise ValueError(str(exc)) from None


def person_json(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "email": user["email"], "display_name": user["display_name"],
            "role": user["role"], "team_id": user["team_id"], "locale": user["locale"]}


def login_or_second_factor(user: dict[str, Any]) -> Response:
    """Log the person in, or, when their policy requires a second factor, start its pending state
    (webapp.factors): nobody is logged in until it is given."""
    conn = get_db()
    if user.pop("second_factor_pending", None) or factors.required(conn, user):
        return second_factor.pending_response(user)
    return logged_in_response(user)


def logged_in_response(user: dict[str, Any], extra: dict[str, Any] | None = None) -> Response:
    """Log the person in; the answer names them (with ``extra``, such as new recovery codes)."""
    login.log_in(user)
    g.user = user
    body: dict[str, Any] = {"person": person_json(user), **(extra or {})}
    if accounts.kdf_is_outdated(user, current_config()):
        # The policy was strengthened since this account enrolled: the client, which holds the
        # passphrase right now, derives again with these parameters and sends the new auth.
        upgrade = accounts.new_kdf_params(current_config()).to_json()
        session[KDF_UPGRADE_KEY] = upgrade
        body["kdf_upgrade"] = upgrade
    # The CSRF token is bound to the session, which has just been replaced: hand out a new one.
    body["csrf_token"] = generate_csrf()
    return jsonify(body)


@bp.get("/login")
def login_page() -> str:
    return render_template("login.html")


@bp.get("/enrol")
def enrol_page() -> str:
    return render_template("enrol.html")


@bp.get("/api/v1/auth/csrf")
def api_csrf() -> Response:
    """A CSRF token for pages that carry none, such as the cached app shell."""
    return jsonify(csrf_token=generate_csrf())


@bp.post("/api/v1/auth/params")
def api_login_params() -> Response:
    body = parse_json_body([Field("email", email)])
    params = accounts.login_kdf_params(get_db(), current_config(), body["email"])
    return jsonify(kdf=params.to_json())


@bp.post("/api/v1/auth/login")
def api_login() -> Response:
    body = parse_json_body([Field("email", email), AUTH_FIELD])
    user = accounts.verify_login(get_db(), current_config(), email=body["email"], auth=body["auth"],
                                 address=request.remote_addr or "", now=current_config().now())
    if user.pop("second_factor_pending"):
        return second_factor.pending_response(user)
    return logged_in_response(user)


@bp.post("/api/v1/auth/logout")
def api_logout() -> Response:
    session_id = session.session_id  # type: ignore[attr-defined]
    if session_id:
        sessions.end_session(get_db(), session_id, g.user["id"], now=current_config().now())
    login.log_out()
    response = jsonify(logged_out=True)
    # Not "storage": the device's encrypted store may hold notes not yet synced.
    response.headers["Clear-Site-Data"] = '"cache", "cookies"'
    return response


@bp.post("/api/v1/enrolment/start")
def api_enrolment_start() -> Response:
    body = parse_json_body([TOKEN_FIELD])
    conn = get_db()
    invitation = accounts.open_invitation(conn, body["token"], current_config().now())
    if invitation["kind"] == "enrol" and accounts.user_by_email(conn, invitation["email"]) is not None:
        # Said before the form, not after the person has filled it in.
        raise ApiError("enrolment-account-exists")
    public_key = directory.association_public_key(conn)
    return jsonify(email=invitation["email"], role=invitation["role"], kind=invitation["kind"],
                   kdf=json.loads(invitation["kdf"]),
                   association=directory.association_json(public_key) if public_key else None)


@bp.post("/api/v1/enrolment/finish")
def api_enrolment_finish() -> Response:
    body = parse_json_body([TOKEN_FIELD, Field("display_name", display_name), AUTH_FIELD])
    conn = get_db()
    user_id = accounts.enrol(conn, token=body["token"], display_name=body["display_name"],
                             auth=body["auth"], now=current_config().now())
    return login_or_second_factor(accounts.get_user(conn, user_id))  # type: ignore[arg-type]


@bp.post("/api/v1/enrolment/reset")
def api_enrolment_reset() -> Response:
    """Use a reset link: a new passphrase for an existing person, then log in (the app makes the
    person's new keys as at enrolment)."""
    body = parse_json_body([TOKEN_FIELD, AUTH_FIELD])
    conn = get_db()
    user_id = accounts.complete_reset(conn, token=body["token"], auth=body["auth"], now=current_config().now())
    user = accounts.get_user(conn, user_id)
    if user is None or user["status"] != "active":
        raise ApiError("account-disabled")
    return login_or_second_factor(user)


@bp.get("/api/v1/me")
def api_me() -> Response:
    team = accounts.team_policy(get_db(), g.user["team_id"]) if g.user["team_id"] else None
    return jsonify(person=person_json(g.user), team=team, csrf_token=generate_csrf())


def require_rewrapped_blobs(conn, body: dict) -> None:
    """A new kek leaves no escrowed blob under the old one: one left behind would lock the person
    out of every new device."""
    needed = {"wrapped_private": directory.has_account_keys(conn, g.user["id"]),
              "association_wrapped": directory.has_association_escrow(conn, g.user["id"])}
    missing = {name: "re-wrap this key blob under the new kek" for name, held in needed.items()
               if held and body.get(name) is None}
    if missing:
        raise ApiError("validation-failed", fields=missing)


@bp.post("/api/v1/me/kdf")
def api_upgrade_kdf() -> Response:
    """Store the auth derived with the stronger parameters offered at this session's login, with
    the escrowed key blobs re-wrapped under the new kek: the old kek no longer comes from the
    passphrase, so a blob left under it would lock the person out of every new device."""
    body = parse_json_body([AUTH_FIELD, Field("wrapped_private", blob(MAX_BLOB_BYTES), required=False),
                            Field("association_wrapped", blob(MAX_BLOB_BYTES), required=False)])
    conn = get_db()
    require_rewrapped_blobs(conn, body)
    offered = session.pop(KDF_UPGRADE_KEY, None)
    if offered is None:
        raise ApiError("validation-failed", fields={"kdf": "no KDF upgrade was offered to this session"})
    accounts.change_kdf(conn, g.user["id"], KdfParams.from_json(offered), body["auth"], current_config().now(),
                        wrapped_private=body.get("wrapped_private"), association_wrapped=body.get("association_wrapped"))
    return jsonify(kdf=offered)


@bp.post("/api/v1/me/passphrase")
def api_change_passphrase() -> Response:
    """A new passphrase chosen on a device: the auth derived from the current one, the new KDF
    parameters and auth, and the escrowed key blobs re-wrapped under the new kek, all or nothing
    (as the KDF upgrade, docs/PROTOCOL.md 7)."""
    body = parse_json_body([Field("old_auth", b64url_bytes(SECRET_BYTES)), AUTH_FIELD, Field("kdf", kdf_params),
                            Field("wrapped_private", blob(MAX_BLOB_BYTES), required=False),
                            Field("association_wrapped", blob(MAX_BLOB_BYTES), required=False)])
    conn = get_db()
    require_rewrapped_blobs(conn, body)
    accounts.change_passphrase(conn, current_config(), g.user, old_auth=body["old_auth"], params=body["kdf"],
                               auth=body["auth"], address=request.remote_addr or "", now=current_config().now(),
                               wrapped_private=body.get("wrapped_private"),
                               association_wrapped=body.get("association_wrapped"))
    # A passphrase is changed because it may have been seen: a session opened with it elsewhere
    # ends; this one goes on.
    sessions.end_other_sessions(conn, g.user["id"], session.session_id,  # type: ignore[attr-defined]
                                now=current_config().now())
    return jsonify(kdf=body["kdf"].to_json())


@bp.get("/api/v1/me/sessions")
def api_sessions() -> Response:
    current = current_handle(session)  # type: ignore[arg-type]
    listed = [dict(s, current=s["handle"] == current) for s in sessions.list_sessions(get_db(), g.user["id"])]
    return jsonify(sessions=listed)


@bp.delete("/api/v1/me/sessions/<handle>")
def api_end_session(handle: str) -> Response:
    if not sessions.end_session_by_handle(get_db(), g.user["id"], handle, actor=g.user["id"],
                                          now=current_config().now()):
        raise ApiError("not-found")
    return jsonify(ended=1)


@bp.post("/api/v1/me/sessions/end-all")
def api_end_all_sessions() -> Response:
    ended = sessions.end_all_sessions(get_db(), g.user["id"], actor=g.user["id"], now=current_config().now())
    login.log_out()
    return jsonify(ended=ended)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
