"""PostgreSQL as the database: the same schema and constraints as SQLCipher, one writer at a time
across connections, and the move of an instance from its SQLCipher file."""

import secrets
import threading
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from crypto.audit import Action, check_audit_chain, parse_audit_record
from sync import audit, db, postgres, transfer
from tests import postgres as pg
from tests.ports import free_port
from webapp import create_app
from webapp.config import Config
from webapp.database import get_db, initialise_database

pytestmark = pytest.mark.postgresql


@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture
def empty_url(postgres: pg.PostgresServer) -> str:
    return postgres.create_database()


def open_pg(url: str) -> postgres.PostgresConnection:
    conn = db.open_database(db.DatabaseSettings(url=url))
    assert isinstance(conn, postgres.PostgresConnection)
    return conn


def schema(conn: db.Connection) -> dict[str, list[str]]:
    return {table: db.column_names(conn, table) for table in db.table_names(conn)}


def test_both_databases_have_the_same_migrations_tables_and_columns(tmp_path: Path, empty_url: str) -> None:
    lite = [m.version for m in db.load_migrations()]
    assert lite == [m.version for m in db.load_migrations("sync.migrations.postgres")]
    sqlite = db.connect(tmp_path / "c.db", secrets.token_bytes(32))
    pgconn = open_pg(empty_url)
    assert db.migrate(sqlite) == lite and db.migrate(pgconn) == lite
    assert db.migrate(pgconn) == [] and db.schema_version(pgconn) == lite[-1]
    assert schema(pgconn) == schema(sqlite)


def test_the_audit_log_is_append_only_in_postgresql_itself(app: Flask) -> None:
    with app.app_context():
        conn = get_db()
        with db.transaction(conn):
            audit.record(conn, Action.TEAM_CHANGED, 1)
        for statement in ("UPDATE audit_log SET at = 2", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(db.IntegrityError, match="append-only"):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1


def test_entry_ids_and_hashes_are_unique_in_postgresql_itself(app: Flask) -> None:
    with app.app_context():
        conn = get_db()
        conn.execute("INSERT INTO cases (id, team_id, epoch, entry_count, created_at, updated_at)"
                     " VALUES ('c', 't', 1, 0, 1, 1)")
        insert = ("INSERT INTO entries (case_id, entry_id, entry_hash, kind, epoch, author, device_id, device_seq,"
                  " envelope, received_at) VALUES ('c', ?, ?, 1, 1, 'a', 'd', 1, ?, 1)")
        conn.execute(insert, ("e1", b"h" * 32, b"x"))
        with pytest.raises(db.IntegrityError):
            conn.execute(insert, ("e1", b"k" * 32, b"x"))
        with pytest.raises(db.IntegrityError):
            conn.execute(insert, ("e2", b"h" * 32, b"x"))


def test_a_text_postgresql_cannot_hold_is_a_typed_error(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(db.InvalidValue):
            get_db().execute("SELECT 1 FROM users WHERE id = ?", ("a\x00b",))


def test_the_audit_chain_stays_gap_free_under_concurrent_writers(app: Flask, config: Config) -> None:
    """Eight connections append at once; the write lock makes one sequence of them. Without it,
    two writers read the same last record and one insert breaks the chain or fails."""
    errors: list[BaseException] = []

    def writer() -> None:
        conn = open_pg(config.database_url or "")
        try:
            for _ in range(25):
                with db.transaction(conn):
                    audit.record(conn, Action.TEAM_CHANGED, 1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        records = [parse_audit_record(raw) for raw in audit.all_records(get_db())]
    assert [record.seq for record in records] == list(range(1, 201))
    check_audit_chain(records)


def test_a_failing_migration_leaves_postgresql_as_it_was(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = db.Migration(1, "0001_broken.sql", "CREATE TABLE a (x BIGINT);\nCREATE TABLE a (x BIGINT);\n")
    monkeypatch.setattr(postgres, "load_migrations", lambda _package: [broken])
    conn = open_pg(empty_url)
    with pytest.raises(Exception, match="already exists"):
        db.migrate(conn)
    assert db.schema_version(conn) == 0 and db.table_names(conn) == []


@given(st.lists(st.tuples(st.booleans(), st.text(alphabet="ab?% ", max_size=6)), max_size=6))
def test_placeholders_are_translated_outside_string_literals_only(parts: list[tuple[bool, str]]) -> None:
    sql = "".join(f"'{text}'" if literal else text for literal, text in parts)
    expected = "".join(f"'{text}'" if literal else text.replace("%", "%%").replace("?", "%s")
                       for literal, text in parts)
    assert postgres.translate(sql) == expected


# Moving an instance --------------------------------------------------------------------------


@pytest.fixture
def sqlcipher_instance(tmp_path: Path) -> Config:
    """A SQLCipher instance with the demo association in it (people, keys, cases, audit log)."""
    config = Config(instance_path=tmp_path, database_key=secrets.token_bytes(32), secret_key=secrets.token_bytes(32),
                    testing=True, audit_key=secrets.token_bytes(32))
    initialise_database(config)
    runner = create_app(config).test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return config


def test_an_instance_moves_to_postgresql_with_every_row_checked(sqlcipher_instance: Config, empty_url: str) -> None:
    source = db.connect(sqlcipher_instance.database_path, sqlcipher_instance.database_key)
    copies = transfer.copy_to_postgres(source, open_pg(empty_url))
    counted = {copy.name: copy.rows for copy in copies}
    assert counted["users"] >= 4 and counted["audit_log"] > 0 and counted["roster_entries"] > 0
    target = open_pg(empty_url)
    for table in db.table_names(source):
        assert target.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counted[table]
    # The moved instance serves: its people log in as before.
    moved = create_app(Config(instance_path=sqlcipher_instance.instance_path, database_key=secrets.token_bytes(32),
                              secret_key=secrets.token_bytes(32), testing=True, database_url=empty_url))
    with moved.app_context():
        assert db.table_names(get_db()) == db.table_names(source)


def test_a_copy_into_a_database_in_use_is_refused(sqlcipher_instance: Config, empty_url: str) -> None:
    source = db.connect(sqlcipher_instance.database_path, sqlcipher_instance.database_key)
    transfer.copy_to_postgres(source, open_pg(empty_url))
    with pytest.raises(transfer.CopyRefused, match="not empty"):
        transfer.copy_to_postgres(source, open_pg(empty_url))


def test_a_row_that_does_not_arrive_rolls_the_whole_copy_back(sqlcipher_instance: Config, empty_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    source = db.connect(sqlcipher_instance.database_path, sqlcipher_instance.database_key)
    copy_table = transfer.copy_table

    def lossy(source: db.Connection, target: postgres.PostgresConnection, table: str) -> None:
        copy_table(source, target, table)
        if table == "users":
            target.execute("DELETE FROM sessions")
            target.execute("UPDATE users SET display_name = 'changed' WHERE role = 'auditor'")

    monkeypatch.setattr(transfer, "copy_table", lossy)
    with pytest.raises(transfer.CopyRefused, match="users"):
        transfer.copy_to_postgres(source, open_pg(empty_url))
    assert open_pg(empty_url).execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_the_copy_command_moves_the_instance_and_says_so(sqlcipher_instance: Config, empty_url: str) -> None:
    runner = create_app(sqlcipher_instance).test_cli_runner()
    result = runner.invoke(args=["database", "copy", empty_url])
    assert result.exit_code == 0, result.output
    assert "audit_log:" in result.output and "Every row of" in result.output
    again = runner.invoke(args=["database", "copy", empty_url])
    assert again.exit_code != 0 and "nothing was copied" in again.output and "not empty" in again.output


def test_sqlcipher_file_commands_refuse_on_postgresql_and_name_pg_dump(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    for args in (["backup", str(tmp_path / "b.db")], ["rekey"], ["database", "copy", "postgresql://x@h/d"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and "pg_dump" in result.output, (args, result.output)


def test_a_transaction_that_need_not_last_does_not_wait_for_the_disk(app: Flask) -> None:
    with app.app_context():
        conn = get_db()
        # The tests' server runs with it off throughout; a durable deployment has it on.
        conn.execute("SET synchronous_commit = on")
        with db.transaction(conn, durable=False):
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"


def test_an_unreachable_postgresql_is_answered_503_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL stopped (nothing listens): every request, the session's included, is a typed 503
    with Retry-After, never a bare 500."""
    monkeypatch.setattr(postgres, "POOL_TIMEOUT", 0.5)
    url = f"postgresql://carnet@127.0.0.1:{free_port()}/carnet"
    app = create_app(Config(instance_path=tmp_path, database_key=secrets.token_bytes(32),
                            secret_key=secrets.token_bytes(32), testing=True, database_url=url))
    try:
        for path in ("/api/v1/sync/pull?cursor=0", "/api/v1/auth/params"):
            answer = app.test_client().get(path)
            assert answer.status_code == 503, (path, answer.get_data(as_text=True))
            assert answer.get_json()["code"] == "storage-unavailable" and answer.headers["Retry-After"] == "5"
    finally:
        postgres.close_pools(url)
