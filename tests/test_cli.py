"""The command line, run as a person runs it: `flask --app webapp ...` in a fresh folder."""

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.config import Config, ConfigError, config_of

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
    assert link.startswith("http://localhost:5000/enrol#token=")


def test_invite_to_an_unknown_team_says_which_teams_exist(instance: Path) -> None:
    result = flask(instance, "invite", "x@example.org", "--role", "volunteer", "--team", "Nope", check=False)
    assert result.returncode != 0 and "no team named 'Nope'" in result.stderr


def test_demo_prints_logins_and_can_run_twice(instance: Path) -> None:
    first = flask(instance, "demo").stdout
    assert "benevole@demo.carnet.test" in first and "passphrase:" in first
    assert flask(instance, "demo").stdout == first


def test_demo_refuses_where_real_people_are_enrolled(tmp_path: Path) -> None:
    from sync import accounts
    from webapp import create_app
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


def test_a_team_policy_switches_the_second_factor(instance: Path) -> None:
    flask(instance, "team", "add", "Accueil")
    assert "security key not required" in flask(instance, "team", "policy", "Accueil").stdout
    on = flask(instance, "team", "policy", "Accueil", "--second-factor", "on").stdout
    assert "security key required" in on and "kept on volunteers' devices always" in on
    assert "security key required" in flask(instance, "team", "policy", "Accueil", "--rotation", "30").stdout
    assert "not required" in flask(instance, "team", "policy", "Accueil", "--second-factor", "off").stdout


# Every admin action of the pages, from a terminal -------------------------------------------------

@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo association, driven through Click's runner (the output is checked word by word)."""
    from webapp import create_app
    from webapp.config import write_secrets_if_missing
    from webapp.database import initialise_database

    instance = tmp_path / "instance"
    monkeypatch.setenv("CARNET_INSTANCE", str(instance))
    write_secrets_if_missing(instance)
    app = create_app(Config.from_env())
    initialise_database(config_of(app))
    cli_runner = app.test_cli_runner()
    assert cli_runner.invoke(args=["demo"]).exit_code == 0
    cli_runner.app = app
    return cli_runner


def run(runner, *args: str, ok: bool = True):
    result = runner.invoke(args=list(args))
    assert "Traceback" not in result.output and not (result.exception and not isinstance(result.exception, SystemExit))
    assert (result.exit_code == 0) == ok, result.output
    return result


def audit_actions(runner) -> list[int]:
    from webapp.database import get_db

    with runner.app.app_context():
        return [r[0] for r in get_db().execute("SELECT action FROM audit_log ORDER BY seq")]


@pytest.mark.parametrize("args, said", [
    (("invite", "not-an-email", "--role", "auditor"), "is not an email address"),
    (("invite", "someone@example.org", "--role", "volunteer"), "belongs to a team: add --team"),
    (("invite", "someone@example.org", "--role", "volunteer", "--team", "Nope"), "no team named 'Nope'"),
    (("invite", "someone@example.org", "--role", "auditor", "--team", "CRA"), "belongs to no team"),
    (("invite", "someone@example.org", "--role", "boss"), "Invalid value for '--role'"),
    (("invite", "Benevole@demo.carnet.test", "--role", "volunteer", "--team", "CRA"), "flask people reset"),
    (("people", "disable", "ghost@example.org"), "nobody with the email"),
    (("people", "set", "benevole@demo.carnet.test", "--role", "coordinator"), "add --team"),
    (("people", "set", "admin@demo.carnet.test", "--role", "auditor"), "without an active administrator"),
])
def test_refusals_say_why_without_a_traceback(runner, args: tuple[str, ...], said: str) -> None:
    before = audit_actions(runner)
    assert said in run(runner, *args, ok=False).output
    assert audit_actions(runner) == before


def test_invite_prints_the_link_and_its_expiry(runner) -> None:
    result = run(runner, "invite", "New@Example.org", "--role", "volunteer", "--team", "CRA")
    assert "/enrol#token=" in result.output and "Valid until 2" in result.output and "UTC" in result.output
    assert "new@example.org" in run(runner, "people", "list").output.split("Pending links: 1")[1]


def test_disable_enable_set_and_reset_are_audited(runner) -> None:
    from crypto.audit import Action

    before = len(audit_actions(runner))
    run(runner, "people", "disable", "benevole@demo.carnet.test")
    listed = run(runner, "people", "list").output
    assert re.search(r"benevole@demo.carnet.test\s+volunteer\s+Prisons\s+disabled\s+certified", listed)
    run(runner, "people", "enable", "benevole@demo.carnet.test")
    run(runner, "people", "set", "benevole@demo.carnet.test", "--role", "coordinator", "--team", "CRA")
    listed = run(runner, "people", "list").output
    # The roster entry still says volunteer in Prisons: the admin's app must certify again.
    assert re.search(r"benevole@demo.carnet.test\s+coordinator\s+CRA\s+active\s+outdated", listed)
    reset = run(runner, "people", "reset", "benevole@demo.carnet.test").output
    assert "/enrol#token=" in reset and "Valid until" in reset and "lost" in reset
    assert "reset" in run(runner, "people", "list").output.split("Pending links: 1")[1]
    assert audit_actions(runner)[before:] == [Action.ACCOUNT_CHANGED] * 3 + [Action.RESET_ISSUED]


def test_team_add_is_audited(runner) -> None:
    from crypto.audit import Action

    run(runner, "team", "add", "Accueil")
    assert audit_actions(runner)[-1] == Action.TEAM_CHANGED
