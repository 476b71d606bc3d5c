"""One database connection per request (SQLCipher, or PostgreSQL from a pool), closed when the
request ends; which database comes from the app's context (sync.context), set by the app factory."""

from flask import Flask

from sync import db
from sync.db import get_db
from webapp.config import Config

__all__ = ["get_db", "init_app", "initialise_database"]


def init_app(app: Flask) -> None:
    app.teardown_appcontext(db.close_db)


def initialise_database(config: Config) -> list[int]:
    """Create the database if needed and apply every pending migration."""
    conn = db.open_database(config.database)
    try:
        return db.migrate(conn)
    finally:
        conn.close()
