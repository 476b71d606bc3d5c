"""The real server process, as scripts/run.sh and a deployment start it: gunicorn serving
webapp.wsgi, with its timeouts, its logs, its lock on the instance, and the login throttle
holding across its worker processes."""

import concurrent.futures
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crypto.encoding import b64url_encode
from webapp.cli import DEMO_PEOPLE
from webapp.gunicorn_worker import HEADER_TIMEOUT

from tests.conftest import ROOT, LiveServer, running_demo
from tests.http import HttpSession

pytestmark = pytest.mark.slow
# Documented in docs/THREAT_MODEL.md: of a burst of wrong logins on one account, only the first
# login_slow_after (3) are evaluated at once, then one per doubling delay (1 s, 2 s, 4 s ...)
# while the burst lasts; a burst of a few seconds: at most 5.
MOST_EVALUATED = 5


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory):
    """A demo server with two worker processes, each with its own threads."""
    with running_demo(tmp_path_factory.mktemp("workers"), CARNET_WORKERS="2", CARNET_THREADS="16") as server:
        yield server


def wrong_login(url: str, email: str) -> int:
    session = HttpSession(url)
    session.open_page("/login")
    return session.post("/api/v1/auth/login", {"email": email, "auth": b64url_encode(b"\7" * 32)}).status


def test_sixty_concurrent_wrong_logins_are_no_more_evaluated_than_one_by_one(two_workers: LiveServer) -> None:
    email = DEMO_PEOPLE[1][0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=60) as pool:
        answers = list(pool.map(lambda _i: wrong_login(two_workers.url, email), range(60)))
    evaluated = answers.count(401)
    assert set(answers) <= {401, 429}
    assert 1 <= evaluated <= MOST_EVALUATED, answers


def test_the_server_names_no_version(live_server: LiveServer) -> None:
    response = HttpSession(live_server.url).request("GET", "/healthz")
    server = response.headers.get("Server", "")
    assert not any(c.isdigit() for c in server), server


def test_half_sent_requests_do_not_hold_the_server(live_server: LiveServer) -> None:
    # Given fifty connections that send part of their headers and then nothing (more than the
    # worker has threads),
    port = int(live_server.url.rsplit(":", 1)[1])
    hanging = []
    for _ in range(50):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        hanging.append(sock)
    try:
        # then a whole request is answered once the header timeout (2 s a read) freed the threads
        # (the 16 threads take the fifty in four rounds at most).
        started = time.monotonic()
        assert HttpSession(live_server.url).request("GET", "/healthz", timeout=30).status == 200
        assert time.monotonic() - started < 4 * HEADER_TIMEOUT + 3
    finally:
        for sock in hanging:
            sock.close()


def test_query_strings_stay_out_of_the_server_log(live_server: LiveServer) -> None:
    HttpSession(live_server.url).request("GET", "/login?email=leak%40example.org&passphrase=leaked-secret")
    time.sleep(0.5)
    log = live_server.log_path.read_text(errors="replace")
    assert "/login" in log and "leaked-secret" not in log and "leak%40example.org" not in log


def flask(server: LiveServer, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], env=server.env(), cwd=ROOT,
                          capture_output=True, text=True, check=False, input=input)


def test_rekey_and_restore_refuse_while_the_server_runs(tmp_path: Path) -> None:
    with running_demo(tmp_path) as server:
        backup = tmp_path / "backup.db"
        key = flask(server, "backup", str(backup)).stdout.strip().rsplit(" ", 1)[1]
        rekey = flask(server, "rekey")
        assert rekey.returncode != 0 and "server is running" in rekey.stderr
        restore = flask(server, "restore", str(backup), "--force", input=key + "\n")
        assert restore.returncode != 0 and "server is running" in restore.stderr
        # and the server goes on serving, on the same key and the same database.
        session = HttpSession(server.url)
        session.open_page("/login")
        assert session.request("GET", "/healthz").status == 200
    # Stopped, both run.
    assert flask(server, "rekey").returncode == 0
    assert flask(server, "restore", str(backup), "--force", input=key + "\n").returncode == 0


def test_restore_takes_no_key_on_the_command_line(tmp_path: Path) -> None:
    server = LiveServer(instance=tmp_path / "instance", port=0, log_path=tmp_path / "log")
    server.flask("init")
    refused = flask(server, "restore", str(tmp_path / "log"), "--key", "00" * 32)
    assert refused.returncode != 0 and "No such option" in refused.stderr
