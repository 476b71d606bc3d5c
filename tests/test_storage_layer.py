"""The layers hold: the storage's SQL lives in sync/, and the app's services are one typed context.

Every statement the server runs is in a sync/ module, beside the migrations of its tables, so that
the same statements can be checked against each database the storage runs on. The web app
(webapp/), the protocol (crypto/) and the scripts call sync/ functions instead. Tests and
benchmarks are not scanned: they read the database directly, to check or to measure it.

The services the storage needs (clock, audit key, rate limiters, database settings) come from
sync.context, set once by the app factory; no module reaches for them by a string key.
"""

import re
from pathlib import Path

from flask import Flask

from sync.context import Context, current_context
from webapp.config import Config, config_of

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {".venv", ".git", "node_modules", "build", "dist"}
OUTSIDE_THE_STORAGE = ("sync", "tests", "bench")
SQL = re.compile(r"execute\(|\bSELECT |\bINSERT INTO\b|\bUPDATE |\bDELETE FROM\b")
# Spelled in two halves so that this file does not hold the string it looks for.
STRING_KEY = re.compile(re.escape('extensions["' + 'carnet_') + "|" + re.escape("extensions['" + "carnet_"))


def python_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIPPED & set(p.relative_to(ROOT).parts)]


def lines_matching(pattern: re.Pattern[str], files: list[Path]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for path in files
            for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1)
            if pattern.search(line)]


def test_the_scans_catch_sql_and_string_keys() -> None:
    # Given lines that run SQL or reach for a service by its old string key, and lines that
    # only speak of such things, when scanned, then only the first kind is flagged.
    flagged_sql = ['get_db().execute("SELECT 1")', 'conn.executemany("INSERT INTO t VALUES (?)", rows)',
                   'sql = "UPDATE users SET role = ?"', 'q = "DELETE FROM sessions WHERE id = ?"',
                   'rows = run("SELECT id FROM teams")']
    passed_sql = ["# update the team, then select a person", "def updated(): ...", "selection = None"]
    assert [line for line in flagged_sql if not SQL.search(line)] == []
    assert [line for line in passed_sql if SQL.search(line)] == []
    assert STRING_KEY.search('rate = app.extensions["' + 'carnet_sync_rate"]')
    assert STRING_KEY.search("app.extensions['" + "carnet_config']")
    assert not STRING_KEY.search('app.extensions["carnet"]')


def test_no_sql_outside_the_storage() -> None:
    # Given every Python file of the web app, the protocol and the scripts, then none runs SQL.
    files = [p for p in python_files() if p.relative_to(ROOT).parts[0] not in OUTSIDE_THE_STORAGE]
    assert any(p.relative_to(ROOT).parts[0] == "webapp" for p in files)
    assert lines_matching(SQL, files) == []


def test_no_service_is_reached_by_a_string_key() -> None:
    # Given every Python file of the repository (tests and benchmarks included), then none
    # reads or sets a service as app.extensions["carnet_..."].
    files = [p for p in python_files() if p != Path(__file__).resolve()]
    assert len(files) > 50
    assert lines_matching(STRING_KEY, files) == []


def test_the_app_factory_sets_one_typed_context(app: Flask, config: Config) -> None:
    # Given an app, then its services are one context, set once, read through one accessor.
    with app.app_context():
        context = current_context()
    assert isinstance(context, Context)
    assert config_of(app) is config is context.config
    assert context.now() == int(config.clock())
    assert context.sync_rate.per_minute == config.sync_requests_per_minute
    assert context.anonymous_rate.per_minute == config.anonymous_requests_per_minute
    assert context.database == config.database
    old = {"carnet_config", "carnet_clock", "carnet_audit_key", "carnet_sync_rate", "carnet_anonymous_rate",
           "carnet_database"}
    assert old.isdisjoint(app.extensions)
