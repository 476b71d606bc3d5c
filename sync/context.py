"""The services the storage and the API need, in one typed object set once by the app factory.

``install`` puts it on the app under a single key; ``current_context`` reads it back in a
request or a command. Nothing else is kept on the app for them, so a service is found by its
name and type, not by a string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    # Types only: sync.db reads its settings from here, so this module imports no storage.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync.db import DatabaseSettings
    from sync.ratelimit import RateLimiter

EXTENSION = "carnet"


@dataclass(frozen=True)
class Context:
    database: DatabaseSettings
    clock: Callable[[], float]
    audit_key: Ed25519PrivateKey
    sync_rate: RateLimiter
    anonymous_rate: RateLimiter
    # The web app's configuration (webapp.config.Config): the storage reads its settings
    # through the narrower types of the functions it is passed to, never from here.
    config: Any

    def now(self) -> int:
        return int(self.clock())


def install(app: Flask, context: Context) -> None:
    if EXTENSION in app.extensions:
        raise RuntimeError("the context is set once, by the app factory")
    app.extensions[EXTENSION] = context


def context_of(app: Flask) -> Context:
    return app.extensions[EXTENSION]


def current_context() -> Context:
    """The context of the app handling the current request or command."""
    return context_of(current_app)
