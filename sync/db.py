"""The SQLCipher database: opening with a key, migrations, transactions.

The key is set before any other statement, as SQLCipher requires; a wrong key is detected at once
by reading the schema, and reported as ``WrongDatabaseKey`` rather than as a confusing
"file is not a database" later on.
"""

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import sqlcipher3
from flask import g

from sync.context import current_context

KEY_BYTES = 32
# SQLCipher 4 defaults, stated so that an auditor can check them and so that a library upgrade
# changing a default cannot silently change the file format.
CIPHER_SETTINGS = {
    "cipher_page_size": "4096",
    "kdf_iter": "256000",
    "cipher_hmac_algorithm": "HMAC_SHA512",
    "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512",
}
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseError(Exception):
    """Base of the storage layer's errors."""


class WrongDatabaseKey(DatabaseError):
    """The key does not open this database file (or the file is not a Carnet database)."""


class SchemaTooNew(DatabaseError):
    """The database was migrated by a newer Carnet than this one."""


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the database is and the key that opens it; set on the app by its factory."""

    path: Path
    key: bytes


def get_db() -> sqlcipher3.Connection:
    """The connection of the current request (or command), opened on first use."""
    if "db" not in g:
        settings: DatabaseSettings = current_context().database
        g.db = connect(settings.path, settings.key)
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    found = []
    for item in resources.files("sync.migrations").iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), item.name, item.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise DatabaseError("migrations must be numbered 0001, 0002, ... without gaps")
    return found


def open_keyed(path: Path, key: bytes) -> sqlcipher3.Connection:
    """Open a SQLCipher file with a raw key and check that the key opens it; nothing else is set."""
    conn = sqlcipher3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlcipher3.Row
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise WrongDatabaseKey(
            f"the database key does not open {path}: wrong key, or not a Carnet database"
        ) from exc
    return conn


def connect(path: Path | str, key: bytes) -> sqlcipher3.Connection:
    """Open the database with a raw 256-bit key (no passphrase derivation: the key is random)."""
    if len(key) != KEY_BYTES:
        raise DatabaseError("the database key must be 32 bytes")
    path = Path(path)
    if not path.exists():
        # Created empty with owner-only permissions; SQLite gives its -wal and -shm files the same.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = open_keyed(path, key)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    return conn


def cipher_settings(conn: sqlcipher3.Connection) -> dict[str, str]:
    """The cipher settings in force, as SQLCipher reports them."""
    settings = {name: str(conn.execute(f"PRAGMA {name}").fetchone()[0]) for name in CIPHER_SETTINGS}
    settings["cipher_version"] = str(conn.execute("PRAGMA cipher_version").fetchone()[0])
    return settings


def schema_version(conn: sqlcipher3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlcipher3.Connection) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction; forward only."""
    migrations = load_migrations()
    current = schema_version(conn)
    if current > len(migrations):
        raise SchemaTooNew(f"database schema {current} is newer than this Carnet ({len(migrations)})")
    applied = []
    for migration in migrations[current:]:
        with transaction(conn):
            for statement in split_sql(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
        applied.append(migration.version)
    return applied


def split_sql(script: str) -> list[str]:
    # executescript() would commit on its own; running statements one by one keeps each
    # migration inside a single transaction that rolls back as a whole. SQLite's own parser
    # decides where a statement ends, so semicolons inside triggers are handled.
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line
        if sqlcipher3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise DatabaseError("migration ends inside a statement")
    return statements


# The writers of one process wait their turn on this lock rather than in SQLite's busy handler,
# which sleeps and retries up to 100 ms at a time: under fifty concurrent pushes that left an
# unlucky writer waiting for seconds (docs/BENCHMARKS.md, section 3). Other processes still meet
# the busy handler.
_WRITERS = threading.RLock()


@contextlib.contextmanager
def transaction(conn: sqlcipher3.Connection) -> Iterator[sqlcipher3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    with _WRITERS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def row_to_dict(row: Any) -> dict[str, Any] | None:
    return None if row is None else {key: row[key] for key in row.keys()}
