"""Errors: RFC 9457 problem details on the API, translated pages elsewhere."""

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from sync.problems import PROBLEM_TYPE_PREFIX, PROBLEMS, ApiError


def problem_response(error: ApiError) -> Response:
    body = {"type": PROBLEM_TYPE_PREFIX + error.code, "code": error.code,
            "title": str(PROBLEMS[error.code][1]), "status": error.status}
    if error.detail:
        body["detail"] = error.detail
    body.update(error.extra)
    response = jsonify(body)
    response.status_code = error.status
    response.mimetype = "application/problem+json"
    response.headers.update(error.headers)
    return response


_HTTP_CODES = {400: "bad-request", 401: "not-authenticated", 403: "forbidden", 404: "not-found",
               405: "method-not-allowed", 413: "payload-too-large", 415: "unsupported-media-type"}


def wants_problem() -> bool:
    return request.path.startswith("/api/")


def handle_api_error(error: ApiError) -> Response | tuple[str, int]:
    if wants_problem():
        return problem_response(error)
    return render_template("error.html", title=PROBLEMS[error.code][1], status=error.status), error.status


def handle_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    code = "csrf-failed" if isinstance(error, CSRFError) else _HTTP_CODES.get(error.code or 500, "internal-error")
    if wants_problem():
        return problem_response(ApiError(code))
    status = PROBLEMS[code][0]
    return render_template("error.html", title=PROBLEMS[code][1], status=status), status


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    # Logged without the request body: bodies may hold personal data.
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if wants_problem():
        return problem_response(ApiError("internal-error"))
    return render_template("error.html", title=PROBLEMS["internal-error"][1], status=500), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
