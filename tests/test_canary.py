"""No personal data rests in the clear on the server: a canary goes in through the API and is
searched for, as bytes, in the database file, its WAL and shared memory, and the server's log."""

import json
import secrets
from urllib.parse import parse_qs, urlsplit
from pathlib import Path

from crypto.encoding import b64url_encode
from crypto.kdf import KdfParams, derive_account_secrets
from sync import db

from tests.conftest import LiveServer
from tests.http import HttpSession


def stored_files(server: LiveServer) -> list[Path]:
    files = [p for p in server.instance.iterdir() if p.name.startswith("carnet.db")]
    return files + [server.log_path]


def test_display_name_canary_is_nowhere_on_the_server_disk(live_server: LiveServer) -> None:
    # A reader held open keeps SQLite from folding the WAL back and deleting it, so the writes
    # below are searched for in the WAL as well as in the main file.
    keys = json.loads((live_server.instance / "secrets.json").read_text())
    reader = db.connect(live_server.instance / "carnet.db", bytes.fromhex(keys["database_key"]))
    reader.execute("SELECT count(*) FROM users").fetchone()
    canary = "CANARY-" + secrets.token_hex(8)
    email = f"{canary.lower()}@example.org"
    link = live_server.flask("invite", email, "--role", "volunteer", "--team", "Prisons").strip()
    token = parse_qs(urlsplit(link).fragment)["token"][0]
    client = HttpSession(live_server.url)
    client.open_page("/enrol")
    start = client.post("/api/v1/enrolment/start", {"token": token})
    assert start.status == 200
    kdf = KdfParams.from_json(start.json()["kdf"])
    auth = b64url_encode(derive_account_secrets("canary passphrase of a test", kdf).auth)
    finish = client.post("/api/v1/enrolment/finish", {"token": token, "display_name": canary, "auth": auth})
    assert finish.status == 200
    assert client.request("GET", "/api/v1/me").json()["person"]["display_name"] == canary
    files = stored_files(live_server)
    assert {p.name for p in files} >= {"carnet.db", "carnet.db-wal", "server.log"}
    assert (live_server.instance / "carnet.db-wal").stat().st_size > 0
    for path in files:
        data = path.read_bytes()
        for needle in (canary, email, token):
            assert needle.encode() not in data, f"{needle} found in {path.name}"
            assert needle.encode("utf-16-le") not in data, f"{needle} (UTF-16) found in {path.name}"
    reader.close()
