"""Moving an instance from its SQLCipher file to PostgreSQL (``flask database copy``).

Every table is copied in one PostgreSQL transaction, parents before children, into a database
migrated to the same schema version and still empty; before that transaction commits, each table
is read back from both sides in the same order and compared (a count and a SHA-256 over the
rows), so the copy is kept only when every row arrived. The SQLCipher file is only read.
"""

import hashlib
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

from sync import db, postgres


class CopyRefused(db.DatabaseError):
    """The target is not ready (another schema version, or not empty), or a row did not arrive."""


@dataclass(frozen=True)
class TableCopy:
    name: str
    rows: int
    digest: str


def tables_in_order(source: db.Connection) -> list[str]:
    """The source's tables, each after the tables its foreign keys name."""
    names = db.table_names(source)
    graph = {name: {row["table"] for row in source.execute(f"PRAGMA foreign_key_list({name})")} - {name}
             for name in names}
    return list(TopologicalSorter(graph).static_order())


def key_order(source: db.Connection, table: str) -> str:
    """ORDER BY the primary key (every column if there is none): the same order on both sides."""
    rows = source.execute(f"PRAGMA table_info({table})").fetchall()
    key = [row["name"] for row in sorted(rows, key=lambda row: row["pk"]) if row["pk"]]
    return ", ".join(key or [row["name"] for row in rows])


def _value(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


def table_digest(conn: db.Connection, table: str, columns: list[str], order: str) -> TableCopy:
    digest, count = hashlib.sha256(), 0
    for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"):
        digest.update(repr(tuple(_value(value) for value in row)).encode())
        count += 1
    return TableCopy(table, count, digest.hexdigest())


def copy_to_postgres(source: db.Connection, target: postgres.PostgresConnection) -> list[TableCopy]:
    """Copy every row, then check every table arrived whole; raises ``CopyRefused`` otherwise."""
    if db.schema_version(target) == 0:
        db.migrate(target)
    if db.schema_version(source) != db.schema_version(target):
        raise CopyRefused(f"the source is at schema {db.schema_version(source)}, the target at "
                          f"{db.schema_version(target)}: run the same Carnet on both")
    tables = tables_in_order(source)
    with db.transaction(target):
        for table in tables:
            if target.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                raise CopyRefused(f"the target database is not empty (table {table}): copy into a new database")
        for table in tables:
            copy_table(source, target, table)
        # The next entry after the copied ones takes the next sequence number.
        target.execute("SELECT setval(pg_get_serial_sequence('entries', 'seq'),"
                       " (SELECT coalesce(max(seq), 0) + 1 FROM entries), false)")
        # Read back inside the transaction: a row missing or changed rolls the whole copy back.
        return check_copy(source, target, tables)


def copy_table(source: db.Connection, target: postgres.PostgresConnection, table: str) -> None:
    columns = db.column_names(source, table)
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    for row in source.execute(f"SELECT {names} FROM {table} ORDER BY {key_order(source, table)}"):
        target.execute(insert, tuple(_value(value) for value in row))


def check_copy(source: db.Connection, target: db.Connection, tables: list[str]) -> list[TableCopy]:
    copies = []
    for table in tables:
        columns, order = db.column_names(source, table), key_order(source, table)
        expected = table_digest(source, table, columns, order)
        arrived = table_digest(target, table, columns, order)
        if arrived != expected:
            raise CopyRefused(f"table {table}: {expected.rows} rows in the source, {arrived.rows} arrived"
                              + ("" if expected.rows != arrived.rows else ", with different contents"))
        copies.append(expected)
    return copies
