"""The pages around the app: the front door, the home page, languages, health."""

from flask import Blueprint, Flask, abort, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from sync import accounts
from sync.health import database_answers
from webapp import i18n
from webapp.security import safe_redirect_target
from webapp.config import current_config
from webapp.database import get_db

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> Response | str:
    """The front door: who goes where (the app, or the administrators' login), in plain words."""
    if g.user:
        return redirect(url_for("pages.home"))
    return render_template("landing.html")


@bp.get("/home")
def home() -> str:
    return render_template("home.html")


@bp.post("/language")
def set_language() -> Response:
    language = request.form.get("language", "")
    if language not in i18n.LANGUAGES:
        abort(400)
    response = redirect(safe_redirect_target(request.form.get("next"), url_for("pages.index")))
    if g.user:
        accounts.set_locale(get_db(), g.user["id"], language, current_config().now())
    response.set_cookie(i18n.LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/", secure=True,
                        httponly=True, samesite="Strict")
    return response


@bp.get("/i18n/<language>.json")
def catalog(language: str) -> Response:
    if language not in i18n.LANGUAGES:
        abort(404)
    return jsonify(language=language, direction="rtl" if language in i18n.RTL_LANGUAGES else "ltr",
                   messages=i18n.catalog(language), plurals=i18n.plural_messages(language),
                   plural_index=i18n.plural_index(language))


@bp.get("/healthz")
def health() -> Response:
    database_answers(get_db())
    return jsonify(status="ok")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
