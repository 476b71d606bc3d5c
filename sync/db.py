"""The database: SQLCipher by default, PostgreSQL when ``CARNET_DATABASE_URL`` names one.

Both are reached through one small connection interface (``Connection``): ``execute`` with ``?``
placeholders returning rows readable by name or position, ``transaction`` for writes, and
``IntegrityError`` for a broken constraint, so every statement in ``sync/`` runs unchanged on
both. PostgreSQL's side is in ``sync/postgres.py``.

SQLCipher: the key is set before any other statement, as SQLCipher requires; a wrong key is
detected at once by reading the schema, and reported as ``WrongDatabaseKey`` rather than as a
confusing "file is not a database" later on.
"""

import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any, Protocol

import sqlcipher3
from flask import g

from sync.context import current_context

from sync import faults

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


class IntegrityError(DatabaseError):
    """A statement broke a constraint the database enforces (uniqueness, a check, append-only)."""


class InvalidValue(DatabaseError):
    """A value the database cannot hold (PostgreSQL refuses a NUL character in a text)."""


class StorageUnavailable(DatabaseError):
    """The database server cannot be reached (PostgreSQL stopped, restarting, or out of connections)."""


class StorageFull(DatabaseError):
    """The database could not write: the disk (or the process's file-size limit) is full.

    The statement's transaction is rolled back whole; the same write succeeds once space returns.
    """


# SQLite's result codes for a write the disk refused: SQLITE_FULL (ENOSPC), and SQLITE_IOERR, which
# is what a write refused with EFBIG (a file-size limit) or EDQUOT (a quota) gives. A failing disk
# gives SQLITE_IOERR too; the answer is the same (nothing was saved, try later) and the log says
# "disk I/O error" rather than "database or disk is full".
SQLITE_IOERR = 10
SQLITE_FULL = 13


class Connection(Protocol):
    """What storage code uses of a connection, the same on both backends."""

    backend: str

    @property
    def in_transaction(self) -> bool: ...
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class DatabaseSettings:
    """Which database: a SQLCipher file and the key that opens it, or a PostgreSQL URL."""

    path: Path | None = None
    key: bytes | None = None
    url: str | None = None

    @property
    def backend(self) -> str:
        return "postgresql" if self.url else "sqlcipher"


def open_database(settings: DatabaseSettings) -> Connection:
    """A connection of its own (for commands and tests); requests use ``get_db``."""
    if settings.url:
        from sync import postgres
        return postgres.connect(settings.url)
    assert settings.path is not None and settings.key is not None
    return connect(settings.path, settings.key)


def get_db() -> Connection:
    """The connection of the current request (or command), opened on first use."""
    if "db" not in g:
        settings: DatabaseSettings = current_context().database
        if settings.url:
            from sync import postgres
            g.db = postgres.pooled(settings.url)
        else:
            g.db = open_database(settings)
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


class SqlcipherConnection:
    """A sqlcipher3 connection that raises ``IntegrityError`` like the PostgreSQL one."""

    backend = "sqlcipher"

    def __init__(self, raw: sqlcipher3.Connection, path: Path) -> None:
        self.raw = raw
        self.path = path

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlcipher3.Cursor:
        try:
            return self.raw.execute(sql, params)
        except sqlcipher3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except sqlcipher3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) in (SQLITE_IOERR, SQLITE_FULL):
                raise StorageFull(str(exc)) from exc
            raise

    def close(self) -> None:
        self.raw.close()


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str = "sync.migrations") -> list[Migration]:
    found = []
    for item in resources.files(package).iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), item.name, item.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise DatabaseError("migrations must be numbered 0001, 0002, ... without gaps")
    return found


def open_keyed(path: Path, key: bytes) -> SqlcipherConnection:
    """Open a SQLCipher file with a raw key and check that the key opens it; nothing else is set."""
    raw = sqlcipher3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    raw.row_factory = sqlcipher3.Row
    raw.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        raw.close()
        if getattr(exc, "sqlite_errorcode", None) in (SQLITE_IOERR, SQLITE_FULL):
            # Opening creates the shared-memory file beside the database: on a full disk that
            # fails, and the key is not to blame.
            raise StorageFull(str(exc)) from exc
        raise WrongDatabaseKey(
            f"the database key does not open {path}: wrong key, or not a Carnet database"
        ) from exc
    return SqlcipherConnection(raw, Path(path))


def connect(path: Path | str, key: bytes) -> SqlcipherConnection:
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


def cipher_settings(conn: SqlcipherConnection) -> dict[str, str]:
    """The cipher settings in force, as SQLCipher reports them."""
    settings = {name: str(conn.execute(f"PRAGMA {name}").fetchone()[0]) for name in CIPHER_SETTINGS}
    settings["cipher_version"] = str(conn.execute("PRAGMA cipher_version").fetchone()[0])
    return settings


def schema_version(conn: Connection) -> int:
    if conn.backend == "postgresql":
        from sync import postgres
        return postgres.schema_version(conn)
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction; forward only."""
    if conn.backend == "postgresql":
        from sync import postgres
        return postgres.migrate(conn)
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


# The writers of one process wait their turn on this lock, and the writers of every process on
# the file lock beside the database, rather than in SQLite's busy handler, which sleeps and
# retries up to 100 ms at a time: under fifty concurrent pushes that left an unlucky writer
# waiting for seconds (docs/BENCHMARKS.md, section 3).
_WRITERS = threading.RLock()
_write_locks: dict[tuple[int, Path], IO[bytes]] = {}


def _write_lock(path: Path) -> IO[bytes]:
    """This process's handle on ``<database>.write-lock`` (a new one after a fork: flock(2)
    locks belong to an open file, which a forked worker would otherwise share with its parent)."""
    key = (os.getpid(), path)
    handle = _write_locks.get(key)
    if handle is None:
        fd = os.open(f"{path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
        handle = _write_locks[key] = os.fdopen(fd, "r+b")
    return handle


@contextlib.contextmanager
def transaction(conn: Connection, *, durable: bool = True) -> Iterator[Connection]:
    """A write transaction, one at a time across every process, rolled back on any exception.

    ``durable=False`` is for counts that may be forgotten (rate limits): the commit does not
    wait for the disk. A crash may then lose the last such commits, never leave the database
    inconsistent (SQLite's WAL with ``synchronous = NORMAL``; PostgreSQL's
    ``synchronous_commit = off``).
    """
    if conn.backend == "postgresql":
        from sync import postgres
        with postgres.transaction(conn, durable=durable):
            yield conn
            faults.point("before-commit", conn)
        faults.point("after-commit", conn)
        return
    assert isinstance(conn, SqlcipherConnection)
    with _WRITERS:
        lock = _write_lock(conn.path)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not durable:
            conn.execute("PRAGMA synchronous = NORMAL")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                faults.point("before-commit", conn)
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (a full disk does): a second ROLLBACK
                # would fail and hide the error that matters.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            faults.point("after-commit", conn)
        finally:
            if not durable:
                conn.execute("PRAGMA synchronous = FULL")
            fcntl.flock(lock, fcntl.LOCK_UN)


def table_names(conn: Connection) -> list[str]:
    """The tables of Carnet's schema, by name (the migration bookkeeping apart)."""
    if conn.backend == "postgresql":
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                            " AND table_type = 'BASE TABLE' AND table_name != 'carnet_schema' ORDER BY table_name")
    else:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                            " ORDER BY name")
    return [row[0] for row in rows]


def column_names(conn: Connection, table: str) -> list[str]:
    """A table's columns in their order of definition."""
    if conn.backend == "postgresql":
        rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                            " AND table_name = ? ORDER BY ordinal_position", (table,))
    else:
        rows = conn.execute(f"SELECT name FROM pragma_table_info('{table}')")
    return [row[0] for row in rows]


def row_to_dict(row: Any) -> dict[str, Any] | None:
    return None if row is None else {key: row[key] for key in row.keys()}
