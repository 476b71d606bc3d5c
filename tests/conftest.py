"""Fixtures: a fresh database per test, on SQLCipher and on a real PostgreSQL, people of every role,
a real server process."""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sync import accounts
from webapp import create_app
from webapp.config import Config
from webapp.database import get_db, initialise_database

from sync import db
from sync.postgres import close_pools
from tests import postgres as pg
from tests import sync_client
from tests.helpers import TEST_PARAMS, Api, Person, auth_hash_for, register_soft_credential
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASES = {
    "volunteer": "volunteer passphrase for tests",
    "coordinator": "coordinator passphrase for tests",
    "auditor": "auditor passphrase for tests",
    "admin": "admin passphrase for tests",
}


class Clock:
    """A settable clock, so timeouts and expiries are tested without waiting."""

    def __init__(self, start: float = 1_800_000_000) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg.PostgresServer]:
    """One PostgreSQL server for the session, with a migrated template each test's database copies."""
    server = pg.start_server()
    try:
        conn = db.open_database(db.DatabaseSettings(url=server.create_database(name=pg.TEMPLATE)))
        db.migrate(conn)
        conn.close()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlcipher", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest) -> str:
    """Every server test runs on both databases; a module about one of them overrides this."""
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    if backend == "sqlcipher":
        yield None
        return
    server: pg.PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database(template=pg.TEMPLATE)
    yield url
    close_pools(url)


@pytest.fixture
def config(tmp_path: Path, clock: Clock, database_url: str | None) -> Config:
    return Config(instance_path=tmp_path, database_key=secrets.token_bytes(32),
                  secret_key=secrets.token_bytes(32), testing=True, clock=clock, database_url=database_url)


@pytest.fixture
def app(config: Config) -> Flask:
    initialise_database(config)
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def people(app: Flask) -> dict[str, Person]:
    """One active person per role; volunteers and coordinators in the team "Prisons"."""
    found = {}
    with app.app_context():
        conn = get_db()
        team = accounts.create_team(conn, "Prisons", 1)
        for role, passphrase in PASSPHRASES.items():
            email = f"{role}@example.org"
            user_id = accounts.create_user(
                conn, email=email, display_name=f"Person {role}", role=role,
                team_id=team if role in accounts.TEAM_ROLES else None, kdf=TEST_PARAMS,
                auth_hash=auth_hash_for(passphrase), now=1)
            # Admins and auditors log in with a second factor: a soft credential each.
            authenticator = register_soft_credential(conn, user_id, email) if role in ("admin", "auditor") else None
            found[role] = Person(user_id, email, role, passphrase, authenticator)
    return found


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@dataclass
class LiveServer:
    """A real Carnet server process on loopback, with its own instance folder and log file."""

    instance: Path
    port: int
    log_path: Path
    process: subprocess.Popen | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "CARNET_INSTANCE": str(self.instance), "CARNET_BASE_URL": self.url,
                "PYTHONUNBUFFERED": "1", **self.extra_env}

    def flask(self, *args: str) -> str:
        if args[:1] == ("init",):
            # A new database behind this URL: the demo people's keys registered on an earlier
            # server of the session that had this port are not its keys.
            sync_client.forget_soft_authenticators(self.url)
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], env=self.env(),
                              cwd=ROOT, capture_output=True, text=True, check=True)
        return done.stdout

    def start(self) -> None:
        log = open(self.log_path, "ab")
        # The production server, as scripts/run.sh starts it (gunicorn, webapp/gunicorn_conf.py).
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "--bind",
             f"127.0.0.1:{self.port}", "webapp.wsgi:app"],
            env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start: " + self.log_path.read_text(errors="replace"))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            # The whole group, gunicorn's master and its workers: a SIGKILL to the master alone
            # would leave a worker serving (and holding the instance's lock).
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=15)
        self.process = None


@contextlib.contextmanager
def running_demo(folder: Path, **extra_env: str) -> Iterator[LiveServer]:
    """A server process of its own in ``folder``, initialised with the demo association (its
    passphrases are in webapp.cli.DEMO_PEOPLE), stopped on leaving."""
    server = LiveServer(instance=folder / "instance", port=free_port(), log_path=folder / "server.log",
                        extra_env=extra_env)
    server.flask("init")
    server.flask("demo")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Shared by the whole session: for tests that change nothing others look at."""
    with running_demo(tmp_path_factory.mktemp("live")) as server:
        yield server

