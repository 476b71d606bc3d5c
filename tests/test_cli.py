"""The command line, run as a person runs it: `flask --app webapp ...` in a fresh folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.config import Config, ConfigError

from tests.helpers import TEST_PARAMS

ROOT = Path(__file__).resolve().parent.parent


def flask(instance: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "CARNET_INSTANCE": str(instance)}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "instance"
    flask(folder, "init")
    return folder


def test_init_makes_an_owner_only_key_file_and_is_idempotent(instance: Path) -> None:
    secrets_file = instance / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    before = secrets_file.read_bytes()
    again = flask(instance, "init")
    assert "Kept the secrets" in again.stdout and "up to date" in again.stdout
    assert secrets_file.read_bytes() == before
    assert not (instance / "carnet.db").read_bytes().startswith(b"SQLite format 3")


def test_the_app_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="flask --app webapp init"):
        Config.from_env({"CARNET_INSTANCE": str(tmp_path)})
    result = flask(tmp_path / "empty", "routes", check=False)
    assert result.returncode != 0 and "init" in result.stderr


def test_a_secrets_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"database_key": "00" * 32, "secret_key": "11" * 32}))
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        Config.from_env({"CARNET_INSTANCE": str(tmp_path)})


def test_invite_prints_a_link_with_the_token_in_the_fragment(instance: Path) -> None:
    flask(instance, "team", "add", "CRA")
    link = flask(instance, "invite", "New@Example.org", "--role", "volunteer", "--team", "CRA").stdout.strip()
    assert link.startswith("http://127.0.0.1:5000/enrol#token=")


def test_invite_to_an_unknown_team_says_which_teams_exist(instance: Path) -> None:
    result = flask(instance, "invite", "x@example.org", "--role", "volunteer", "--team", "Nope", check=False)
    assert result.returncode != 0 and "no team named 'Nope'" in result.stderr


def test_demo_prints_logins_and_can_run_twice(instance: Path) -> None:
    first = flask(instance, "demo").stdout
    assert "benevole@demo.carnet.test" in first and "passphrase:" in first
    assert flask(instance, "demo").stdout == first


def test_demo_refuses_where_real_people_are_enrolled(tmp_path: Path) -> None:
    from webapp import accounts, create_app
    from webapp.database import get_db

    folder = tmp_path / "real"
    flask(folder, "init")
    app = create_app(Config.from_env({"CARNET_INSTANCE": str(folder)}))
    with app.app_context():
        accounts.create_user(get_db(), email="real@association.org", display_name="Real", role="admin",
                             team_id=None, kdf=TEST_PARAMS,
                             auth_hash="$argon2id$x", now=1)
    result = flask(folder, "demo", check=False)
    assert result.returncode != 0 and "real people" in result.stderr


def test_sessions_end_for_an_unknown_email(instance: Path) -> None:
    result = flask(instance, "sessions", "end", "ghost@example.org", check=False)
    assert result.returncode != 0 and "nobody" in result.stderr


def test_a_team_policy_is_shown_changed_and_checked(instance: Path) -> None:
    flask(instance, "team", "add", "Permanence")
    assert "kept on volunteers' devices always" in flask(instance, "team", "policy", "Permanence").stdout
    changed = flask(instance, "team", "policy", "Permanence", "--retention", "none", "--rotation", "90").stdout
    assert "0 days" in changed and "every 90 days" in changed
    kept = flask(instance, "team", "policy", "Permanence", "--retention", "30d").stdout
    assert "30 days" in kept and "every 90 days" in kept
    refused = flask(instance, "team", "policy", "Permanence", "--rotation", "0", check=False)
    assert refused.returncode != 0 and "rotation_days" in refused.stderr
    assert flask(instance, "team", "policy", "Permanence", "--retention", "soon", check=False).returncode != 0
