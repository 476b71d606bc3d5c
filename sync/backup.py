"""The database at rest: encrypted backups, restore, and a change of the database key.

A backup is a SQLCipher database of its own, under a fresh random key that is not the
server's: a backup copied away with the secrets file still does not open without the backup
key, which the admin keeps elsewhere. ``sqlcipher_export`` copies every table, index and
trigger through SQLCipher, so nothing crosses the disk in clear.
"""

import os
from pathlib import Path

import sqlcipher3

from crypto.audit import Action
from sync import audit, db


def open_raw(path: Path, key: bytes) -> sqlcipher3.Connection:
    """Open an existing SQLCipher file without changing its journal mode (a backup stays one file)."""
    if not path.is_file():
        raise db.DatabaseError(f"no database at {path}")
    return db.open_keyed(path, key)


def export_to(conn: sqlcipher3.Connection, target: Path, key: bytes) -> None:
    """Copy the whole database into a new file encrypted under ``key``."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    version = db.schema_version(conn)
    conn.execute(f"ATTACH DATABASE ? AS copy KEY \"x'{key.hex()}'\"", (str(target),))
    try:
        conn.execute("SELECT sqlcipher_export('copy')").fetchone()
        conn.execute(f"PRAGMA copy.user_version = {int(version)}")
    finally:
        conn.execute("DETACH DATABASE copy")


def back_up(conn: sqlcipher3.Connection, target: Path, now: int) -> bytes:
    """Record the backup, then write it under a new random key, which is returned (and kept nowhere)."""
    if target.exists():
        raise db.DatabaseError(f"{target} exists already")
    key = os.urandom(db.KEY_BYTES)
    with db.transaction(conn):
        audit.record(conn, Action.BACKUP, now)
    export_to(conn, target, key)
    return key


def restore(source: Path, source_key: bytes, target: Path, target_key: bytes, now: int) -> None:
    """Replace the database by a backup, re-encrypted under the server's own key; record the restore."""
    backup = open_raw(source, source_key)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    try:
        export_to(backup, staged, target_key)
    finally:
        backup.close()
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
    conn = db.connect(target, target_key)
    try:
        db.migrate(conn)
        with db.transaction(conn):
            audit.record(conn, Action.RESTORE, now)
    finally:
        conn.close()


def rekey(path: Path, old_key: bytes, new_key: bytes, now: int) -> None:
    """Re-encrypt the database in place under a new key; the caller stores the new key first."""
    conn = db.connect(path, old_key)
    try:
        # The rekey rewrites the main file; the write-ahead log is folded in and turned off first,
        # so no page stays behind under the old key.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
    finally:
        conn.close()
    conn = db.connect(path, new_key)
    try:
        with db.transaction(conn):
            audit.record(conn, Action.REKEY, now)
    finally:
        conn.close()
