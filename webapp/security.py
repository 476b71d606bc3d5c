"""Security headers on every response, the cross-site check on every state change, and the one
check of where the server may send a browser next."""

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, g, request
from werkzeug.wrappers import Response

from sync.problems import ApiError

# No inline script or style anywhere: the policy never needs 'unsafe-inline' or 'unsafe-eval'.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# Headers every response carries, even the bare 500 Flask falls back to when an error page fails.
STATIC_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(self), geolocation=(), microphone=(), payment=(), usb=()"),
)
# Files and fixed answers, the same bytes for everybody (webapp.static_files): they keep their own
# lifetimes (revalidated, or a year for hashed names) for logged-in people too.
SHARED_ENDPOINTS = frozenset({"static", "static_files.favicon", "pwa.service_worker", "pwa.manifest",
                              "pages.catalog"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def check_same_origin() -> None:
    """Refuse state-changing requests sent by another site, on top of the CSRF token.

    ``Sec-Fetch-Site`` is set by the browser and cannot be forged by a page, so when present it
    decides. It matters because the pages send ``Referrer-Policy: no-referrer``, under which
    Chromium sends ``Origin: null`` with a same-origin form post: ``null`` is accepted only when
    ``Sec-Fetch-Site`` vouches for the request. Without that header (older browsers), ``Origin``
    decides, and a foreign or ``null`` origin is refused.
    """
    if request.method in SAFE_METHODS:
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        if fetch_site not in ALLOWED_FETCH_SITES:
            raise ApiError("cross-site-request")
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise ApiError("cross-site-request")


MAX_REDIRECT_LENGTH = 2048
# Browsers drop tabs and newlines from URLs and read a backslash as a slash: "/\t/evil.example"
# and "/\\evil.example" both leave the site. Any control, space or backslash disqualifies a target.
_UNSAFE_IN_TARGET = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def safe_redirect_target(target: object, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: the only check of a ``next``.

    Accepted: an absolute path ("/home", "/admin/?x=1"), nothing else. Refused: schemes, hosts,
    "//" and "/\\", any control or white space (also Unicode's, which a browser may drop or
    fold), and the same once percent-decoded, since a browser's ``URLSearchParams`` decodes once.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_REDIRECT_LENGTH:
        return default
    # Once decoded, a plain space is only a space inside a query ("?q=a%20b"); the rest holds.
    for form, allowed in ((target, ""), (unquote(target), " ")):
        if (not form.startswith("/") or form.startswith("//") or _UNSAFE_IN_TARGET.search(form.replace(allowed, "x"))
                or any(unicodedata.category(c) in ("Zs", "Zl", "Zp", "Cc", "Cf") for c in form if c != allowed)):
            return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    for name, value in STATIC_HEADERS:
        headers[name] = value
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Pages are rendered per person and carry a CSRF token: none of them may be cached.
    if (request.path.startswith("/api/") or response.mimetype == "text/html"
            or (g.get("user") and request.endpoint not in SHARED_ENDPOINTS)):
        headers["Cache-Control"] = "no-store"
    return response


class HeadersOnEveryResponse:
    """WSGI middleware, outermost: adds the static security headers to any response that lacks
    them, such as the bare 500 Flask sends when even the error page failed."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def with_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _value in headers}
            headers.extend((name, value) for name, value in STATIC_HEADERS if name.lower() not in present)
            if not any(name.lower() == "cache-control" for name, _value in headers) and not status.startswith("2"):
                headers.append(("Cache-Control", "no-store"))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, with_headers)


def init_app(app: Flask) -> None:
    app.before_request(check_same_origin)
    app.after_request(set_security_headers)
