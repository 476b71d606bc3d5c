"""Errors: RFC 9457 problem details on the API, translated pages elsewhere; the storage's refusals
(sync.errors) become the problems their codes name.

An error page must never fail in turn: if the translated page cannot be drawn (the request that
failed may have broken what the page reads, such as the session), a plain page goes out instead,
with the same status and, through the app's after-request hook and webapp.security's middleware,
the same security headers.
"""

from html import escape
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.sessions import SessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from sync.db import InvalidValue, StorageFull, StorageUnavailable
from sync.errors import DomainError, TooManyRequests
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


PLAIN_ERROR_PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error {status} · Carnet'
                    '</title></head><body><main><h1>Error {status}</h1><p>{title}</p><p><a href="/">Carnet</a>'
                    '</p></main></body></html>')


def error_page(code: str) -> Response:
    status = PROBLEMS[code][0]
    try:
        body = render_template("error.html", title=PROBLEMS[code][1], status=status)
    except Exception:  # noqa: BLE001 - whatever broke the page, the person still gets an answer
        current_app.logger.exception("the error page failed on %s %s", request.method, request.path)
        # The English title, untranslated: translating is one of the things that may have failed.
        title = getattr(PROBLEMS[code][1], "_args", (str(PROBLEMS[code][1]),))[0]
        body = PLAIN_ERROR_PAGE.format(status=status, title=escape(title))
    return Response(body, status=status, mimetype="text/html")


def handle_api_error(error: ApiError) -> Response:
    if wants_problem():
        return problem_response(error)
    response = error_page(error.code)
    response.headers.update(error.headers)
    return response


def problem_of(error: DomainError) -> ApiError:
    """The problem that answers a refusal of the storage: same code, and when to retry if it says."""
    problem = ApiError(error.code, **error.extra)
    if isinstance(error, TooManyRequests):
        problem.headers["Retry-After"] = str(error.retry_after)
    return problem


def handle_domain_error(error: DomainError) -> Response:
    return handle_api_error(problem_of(error))


def handle_http_exception(error: HTTPException) -> Response:
    code = "csrf-failed" if isinstance(error, CSRFError) else _HTTP_CODES.get(error.code or 500, "internal-error")
    if wants_problem():
        return problem_response(ApiError(code))
    return error_page(code)


def handle_invalid_value(_error: InvalidValue) -> Response:
    """A value the database cannot hold (a NUL character in a text, on PostgreSQL): the request's fault."""
    return handle_api_error(ApiError("bad-request"))


def handle_storage_full(_error: StorageFull) -> Response:
    """The disk is full: the write was rolled back whole, and the same request succeeds once space
    returns (docs/OPERATIONS.md). Logged, so the operator sees it."""
    current_app.logger.error("the disk is full: the database could not write on %s %s", request.method, request.path)
    return handle_api_error(ApiError("storage-full"))


RETRY_UNAVAILABLE_SECONDS = 5


def handle_storage_unavailable(error: StorageUnavailable) -> Response:
    """PostgreSQL is down or out of connections: nothing was done; the client retries later."""
    current_app.logger.error("the database is unreachable on %s %s: %s", request.method, request.path, error)
    problem = ApiError("storage-unavailable", retry_after=RETRY_UNAVAILABLE_SECONDS)
    problem.headers["Retry-After"] = str(RETRY_UNAVAILABLE_SECONDS)
    return handle_api_error(problem)


STORAGE_FULL_KEY = "carnet.storage_full"
# Failures of the storage that the session interface keeps until an error handler can answer them.
STORAGE_FAILURES = (StorageFull, StorageUnavailable)


class StorageAwareSessions(SessionInterface):
    """The app's session interface, made to answer 507 on a full disk.

    Flask opens the session before any error handler can act: a full disk there (opening the
    database creates its shared-memory file) would end as a bare 500. The failure is kept and
    raised again by the first before-request hook, where ``handle_storage_full`` answers it. A
    session that cannot be saved after an answer (its last-seen time) leaves the answer as it is.
    """

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def open_session(self, app: Flask, request: Any) -> Any:
        try:
            return self.inner.open_session(app, request)
        except STORAGE_FAILURES as exc:
            request.environ[STORAGE_FULL_KEY] = exc
            return self.inner.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        try:
            self.inner.save_session(app, session, response)
        except STORAGE_FAILURES:
            current_app.logger.error("the session was not saved (storage failed) on %s %s", request.method, request.path)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)


def raise_storage_full() -> None:
    failure = request.environ.get(STORAGE_FULL_KEY)
    if failure is not None:
        raise failure


def handle_unexpected(error: Exception) -> Response:
    # Logged without the request body: bodies may hold personal data.
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if wants_problem():
        return problem_response(ApiError("internal-error"))
    return error_page("internal-error")


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InvalidValue, handle_invalid_value)
    app.register_error_handler(StorageFull, handle_storage_full)
    app.register_error_handler(StorageUnavailable, handle_storage_unavailable)
    app.session_interface = StorageAwareSessions(app.session_interface)
    # First of every before-request hook: nothing else runs on a session that could not be read.
    app.before_request_funcs.setdefault(None, []).insert(0, raise_storage_full)
    app.register_error_handler(Exception, handle_unexpected)
