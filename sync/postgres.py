"""PostgreSQL behind the same connection interface as SQLCipher (``sync/db.py``).

Chosen by ``CARNET_DATABASE_URL`` (``postgresql://user@host/dbname``). Statements are written once,
with ``?`` placeholders, and translated here. Each server process keeps a psycopg pool, made on
first use in that process (gunicorn forks its workers after loading the app).

One writer at a time, across every process and server: a write transaction starts by taking the
transaction-level advisory lock ``WRITE_LOCK``, released by its COMMIT or ROLLBACK. That is what
SQLite's BEGIN IMMEDIATE gives, and what the rest relies on: a push reads, checks and extends a case
log that no other push can change meanwhile; the audit log's next sequence number is its last plus
one, so the chain stays one gap-free sequence; and identity values (``entries.seq``) are handed out
in commit order, so a reader's cursor never passes an entry that commits later.
"""

import contextlib
import errno
import functools
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool

from sync.db import IntegrityError, InvalidValue, SchemaTooNew, StorageFull, StorageUnavailable, load_migrations

# An arbitrary 64-bit constant naming Carnet's write lock among the database's advisory locks.
WRITE_LOCK = 0x4361726E6574  # "Carnet"
POOL_SIZE = int(os.environ.get("CARNET_THREADS", "16")) + 2
# How long a request waits for a connection before it is answered 503 (storage-unavailable).
POOL_TIMEOUT = 10.0
_QUOTED = re.compile(r"('(?:[^']|'')*')")


class Row(tuple):
    """A row readable by position and by column name, like ``sqlite3.Row``."""

    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names = {column.name: index for index, column in enumerate(cursor.description or ())}
    row_class = type("Row", (Row,), {"_names": names})
    return lambda values: row_class(values)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s``, and a literal ``%`` doubled; string literals kept."""
    parts = _QUOTED.split(sql)
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("%", "%%").replace("?", "%s")
    return "".join(parts)


class PostgresConnection:
    backend = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any], release: Callable[[psycopg.Connection[Any]], None]) -> None:
        self.raw = raw
        self._release = release

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Row]:
        cursor = self.raw.cursor(row_factory=_row_factory)
        try:
            cursor.execute(translate(sql), tuple(params))  # type: ignore[arg-type]
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except psycopg.errors.RaiseException as exc:
            # The append-only triggers refuse with RAISE EXCEPTION, as SQLite's RAISE(ABORT).
            raise IntegrityError(str(exc)) from exc
        except psycopg.DataError as exc:
            raise InvalidValue(str(exc)) from exc
        except psycopg.Error as exc:
            if is_storage_full(exc):
                raise StorageFull(str(exc)) from exc
            if isinstance(exc, psycopg.OperationalError):
                # The connection was lost (PostgreSQL stopped or restarted under it).
                raise StorageUnavailable(str(exc)) from exc
            raise
        return cursor

    def run_script(self, script: str) -> None:
        """Several statements at once (a migration): no parameters, PostgreSQL splits them."""
        self.raw.execute(script.encode())

    def close(self) -> None:
        self._release(self.raw)


def is_storage_full(exc: psycopg.Error) -> bool:
    """PostgreSQL's "disk full" (53100, from ENOSPC or a quota), or a file it could not extend
    because the write was refused with EFBIG (a file-size limit), which it reports as XX000."""
    if isinstance(exc, psycopg.errors.DiskFull):
        return True
    message = exc.diag.message_primary or ""
    return message.startswith("could not extend file") and message.endswith(os.strerror(errno.EFBIG))


def connect(url: str) -> PostgresConnection:
    """A connection of its own, closed by ``close``."""
    try:
        raw = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise StorageUnavailable(f"cannot reach the PostgreSQL database: {exc}") from exc
    return PostgresConnection(raw, lambda conn: conn.close())


_pools: dict[tuple[int, str], psycopg_pool.ConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(url: str) -> psycopg_pool.ConnectionPool:
    key = (os.getpid(), url)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = psycopg_pool.ConnectionPool(
                url, min_size=1, max_size=POOL_SIZE, kwargs={"autocommit": True}, open=True,
                name="carnet", timeout=POOL_TIMEOUT)
        return pool


def close_pools(url: str | None = None) -> None:
    """Close this process's pools (of one database, or all): a test that made a database for
    itself gives its connections back to the server."""
    with _pools_lock:
        for key in [key for key in _pools if url is None or key[1] == url]:
            _pools.pop(key).close()


def pooled(url: str) -> PostgresConnection:
    """A connection from this process's pool, given back by ``close``."""
    pool = _pool(url)
    try:
        raw = pool.getconn()
    except psycopg_pool.PoolTimeout as exc:
        raise StorageUnavailable(f"no PostgreSQL connection available: {exc}") from exc
    return PostgresConnection(raw, pool.putconn)


@contextlib.contextmanager
def transaction(conn: Any, *, durable: bool = True) -> Iterator[Any]:
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
        if not durable:
            conn.execute("SET LOCAL synchronous_commit = off")
        yield conn
    except BaseException:
        conn.raw.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: PostgresConnection) -> int:
    exists = conn.execute("SELECT to_regclass('carnet_schema') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    return int(conn.execute("SELECT version FROM carnet_schema").fetchone()[0])


def migrate(conn: PostgresConnection) -> list[int]:
    """Apply the migrations of ``sync/migrations/postgres/`` newer than the database, each in its
    own transaction, under the write lock (two servers starting at once migrate once)."""
    migrations = load_migrations("sync.migrations.postgres")
    applied = []
    while True:
        with transaction(conn):
            current = schema_version(conn)
            if current > len(migrations):
                raise SchemaTooNew(f"database schema {current} is newer than this Carnet ({len(migrations)})")
            if current == len(migrations):
                return applied
            migration = migrations[current]
            conn.run_script(migration.sql)
            conn.execute("CREATE TABLE IF NOT EXISTS carnet_schema (version INTEGER NOT NULL)")
            conn.execute("DELETE FROM carnet_schema")
            conn.execute("INSERT INTO carnet_schema (version) VALUES (?)", (migration.version,))
        applied.append(migration.version)
