"""The Carnet web server: app factory, pages and admin; registers the sync API and sets the storage's context."""

import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from sync import api as sync_api
from sync import audit_api
from sync import keys_api
from sync import measures_api
from sync.context import Context, install
from sync.ratelimit import RateLimiter
from webapp import access, admin, auth, cli, database, errors, i18n, login, pages, pwa, security, static_files
from webapp import factors
from webapp.config import Config
from webapp.sessions import ServerSessionInterface


def context_from(config: Config) -> Context:
    """The services of the storage and the API, made once from the configuration."""
    return Context(
        database=config.database,
        clock=config.clock,
        audit_key=Ed25519PrivateKey.from_private_bytes(config.audit_key or os.urandom(32)),
        sync_rate=RateLimiter(config.sync_requests_per_minute, config.clock),
        anonymous_rate=RateLimiter(config.anonymous_requests_per_minute, config.clock, code="rate-limited-anonymous"),
        config=config,
    )


def create_app(config: Config | None = None) -> Flask:
    """Build the app from an explicit configuration, or from the environment and ``init``'s files."""
    config = config or Config.from_env()
    app = Flask(__name__, static_folder="../static", static_url_path="/static",
                instance_path=str(config.instance_path))
    install(app, context_from(config))
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        # The token lives as long as the server-side session; a fixed hour would break long
        # offline days of an open app.
        WTF_CSRF_TIME_LIMIT=None,
        # The Referer check is replaced by the Origin / Sec-Fetch-Site check of webapp.security:
        # with "Referrer-Policy: no-referrer" browsers send no Referer to compare.
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_HEADERS=["X-CSRF-Token"],
        JSON_SORT_KEYS=False,
    )
    if config.behind_proxy:
        # Trust exactly one proxy in front for the client address, scheme and host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.session_interface = ServerSessionInterface(config)
    database.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    app.before_request(sync_api.apply_body_limit)
    login.init_app(app)
    access.init_app(app)
    CSRFProtect(app)
    pages.init_app(app)
    pwa.init_app(app)
    static_files.init_app(app)
    auth.init_app(app)
    factors.init_app(app)
    keys_api.init_app(app)
    measures_api.init_app(app)
    sync_api.init_app(app)
    audit_api.init_app(app)
    admin.init_app(app)
    cli.init_app(app)
    # Outermost: whatever happens inside, the answer carries the security headers.
    app.wsgi_app = security.HeadersOnEveryResponse(app.wsgi_app)  # type: ignore[method-assign]
    return app
