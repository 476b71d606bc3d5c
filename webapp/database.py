"""One SQLCipher connection per request, closed when the request ends; where it is and its key
come from the app's context (sync.context), set by the app factory."""

from flask import Flask

from sync import db
from sync.db import get_db
from webapp.config import Config

__all__ = ["get_db", "init_app", "initialise_database"]


def init_app(app: Flask) -> None:
    app.teardown_appcontext(db.close_db)


def initialise_database(config: Config) -> list[int]:
    """Create the database if needed and apply every pending migration."""
    conn = db.connect(config.database_path, config.database_key)
    try:
        return db.migrate(conn)
    finally:
        conn.close()
