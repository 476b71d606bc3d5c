"""The SQLCipher store: encrypted file, clear error on a wrong key, WAL, forward-only migrations,
one writer at a time across processes."""

import fcntl
import multiprocessing
import secrets
from pathlib import Path

import pytest
import sqlcipher3

from sync import db


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


def test_database_file_is_encrypted_from_the_first_byte(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "c.db"
    conn = db.connect(path, key)
    db.migrate(conn)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES ('plain words here')")
    conn.close()
    data = path.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert b"plain words here" not in data
    assert path.stat().st_mode & 0o077 == 0


def test_wrong_key_is_refused_with_a_clear_error(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "c.db"
    db.migrate(db.connect(path, key))
    with pytest.raises(db.WrongDatabaseKey, match="does not open"):
        db.connect(path, secrets.token_bytes(32))


def test_key_must_be_256_bits(tmp_path: Path) -> None:
    with pytest.raises(db.DatabaseError, match="32 bytes"):
        db.connect(tmp_path / "c.db", b"short")


def test_wal_mode_and_foreign_keys_are_on(tmp_path: Path, key: bytes) -> None:
    conn = db.connect(tmp_path / "c.db", key)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_cipher_settings_are_the_documented_ones(tmp_path: Path, key: bytes) -> None:
    settings = db.cipher_settings(db.connect(tmp_path / "c.db", key))
    for name, expected in db.CIPHER_SETTINGS.items():
        assert settings[name] == expected
    assert settings["cipher_version"].startswith("4.")


def test_migrations_apply_once_and_in_order(tmp_path: Path, key: bytes) -> None:
    conn = db.connect(tmp_path / "c.db", key)
    versions = [m.version for m in db.load_migrations()]
    assert db.migrate(conn) == versions
    assert db.migrate(conn) == []
    assert db.schema_version(conn) == versions[-1]


def test_a_database_from_a_newer_carnet_is_refused(tmp_path: Path, key: bytes) -> None:
    conn = db.connect(tmp_path / "c.db", key)
    conn.execute("PRAGMA user_version = 999")
    with pytest.raises(db.SchemaTooNew):
        db.migrate(conn)


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path, key: bytes,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    conn = db.connect(tmp_path / "c.db", key)
    broken = db.Migration(1, "0001_broken.sql", "CREATE TABLE a (x INTEGER);\nCREATE TABLE a (x INTEGER);\n")
    monkeypatch.setattr(db, "load_migrations", lambda: [broken])
    with pytest.raises(sqlcipher3.OperationalError):
        db.migrate(conn)
    assert db.schema_version(conn) == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'a'").fetchone()[0] == 0


def test_sql_is_split_by_sqlite_itself() -> None:
    script = "-- note\nCREATE TABLE a (x);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\nEND;\n"
    assert db.split_sql(script) == ["CREATE TABLE a (x);",
                                    "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\nEND;"]
    with pytest.raises(db.DatabaseError):
        db.split_sql("CREATE TABLE b (x")


def test_transaction_rolls_back_on_error(tmp_path: Path, key: bytes) -> None:
    conn = db.connect(tmp_path / "c.db", key)
    conn.execute("CREATE TABLE t (v INTEGER)")
    with pytest.raises(RuntimeError):
        with db.transaction(conn):
            conn.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("crash between two writes")
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def try_write_lock(path: str, answer: "multiprocessing.Queue[bool]") -> None:
    with open(path, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            answer.put(True)
        except BlockingIOError:
            answer.put(False)


def write_lock_free_elsewhere(path: Path) -> bool:
    """Whether another process (a second gunicorn worker) could take the write lock now."""
    answer: "multiprocessing.Queue[bool]" = multiprocessing.Queue()
    process = multiprocessing.get_context("fork").Process(target=try_write_lock, args=(f"{path}.write-lock", answer))
    process.start()
    process.join(10)
    return answer.get(timeout=10)


def test_writers_of_other_processes_wait_on_the_write_lock_not_in_sqlite(tmp_path: Path, key: bytes) -> None:
    """A transaction holds the file lock beside the database, so another worker's writer queues on
    it (woken at once) instead of sleeping in SQLite's busy handler."""
    path = tmp_path / "c.db"
    conn = db.connect(path, key)
    conn.execute("CREATE TABLE t (v INTEGER)")
    with db.transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        assert not write_lock_free_elsewhere(path)
    assert write_lock_free_elsewhere(path)


def test_a_transaction_that_need_not_last_commits_and_leaves_the_next_one_durable(tmp_path: Path, key: bytes) -> None:
    conn = db.connect(tmp_path / "c.db", key)
    conn.execute("CREATE TABLE t (v INTEGER)")
    with db.transaction(conn, durable=False):
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
        conn.execute("INSERT INTO t VALUES (1)")
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    with pytest.raises(RuntimeError):
        with db.transaction(conn, durable=False):
            raise RuntimeError("refused")
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
