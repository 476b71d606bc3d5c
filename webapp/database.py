"""One SQLCipher connection per request, closed when the request ends."""

import sqlcipher3
from flask import Flask, g

from sync import db
from webapp.config import Config, current_config


def get_db() -> sqlcipher3.Connection:
    if "db" not in g:
        config = current_config()
        g.db = db.connect(config.database_path, config.database_key)
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)


def initialise_database(config: Config) -> list[int]:
    """Create the database if needed and apply every pending migration."""
    conn = db.connect(config.database_path, config.database_key)
    try:
        return db.migrate(conn)
    finally:
        conn.close()
