"""Audit coverage by construction: every route and every command that writes appends a record.

The test enumerates the write paths itself (every route of the app that takes a state-changing
method, every CLI command, plugin commands included) and fails when one has no recipe here, so a
new write path cannot be added without being looked at. Each recipe makes its path write for
real; a snapshot of every table (the audit log apart) is taken before and after, and a change
with no new audit record fails. Every GET route is also called, and must write nothing.

Not counted as writes: a session's last-seen time and data (touched by reads), the rows of
login_throttle (bookkeeping of failures, whose attempts are recorded as login / login_failed), and
those of rate_limits (each request's count against its budget per minute, reads included).
"""

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask
from flask.cli import ScriptInfo

from crypto import roster
from crypto.encoding import b64url_decode, b64url_encode
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.measures import MeasureRow, Unit, sign_measures_table_as_coordinator
from sync import db
from webapp import create_app
from webapp.config import Config, config_of, write_secrets_if_missing
from webapp.database import initialise_database

from tests import postgres as pg
from tests.helpers import ORIGIN, Api, Person, auth_for, logged_in
from tests.soft_authenticator import SoftAuthenticator
from tests.test_keys_api import ASSOCIATION, publish_keys, set_up_association
from tests.test_sync import new_case, Member

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
IGNORED_COLUMNS = {"sessions": ("data", "last_seen_at")}
IGNORED_TABLES = {"audit_log", "login_throttle", "rate_limits"}


def snapshot(settings: db.DatabaseSettings) -> tuple[dict[str, set[tuple[Any, ...]]], set[bytes]]:
    """Every table's rows (the audit log apart), and the hashes of the audit records."""
    conn = db.open_database(settings)
    try:
        rows = {}
        for table in db.table_names(conn):
            if table in IGNORED_TABLES:
                continue
            columns = [name for name in db.column_names(conn, table) if name not in IGNORED_COLUMNS.get(table, ())]
            rows[table] = {tuple(r) for r in conn.execute(f"SELECT {', '.join(columns)} FROM {table}")}
        records = {bytes(r[0]) for r in conn.execute("SELECT record_hash FROM audit_log")}
        return rows, records
    finally:
        conn.close()


@dataclass
class Watch:
    """Runs write paths and checks that each one that changed a table appended a record."""

    database: Callable[[], db.DatabaseSettings]
    seen: dict[str, str] = field(default_factory=dict)

    def run(self, name: str, action: Callable[[], Any]) -> Any:
        before, before_records = snapshot(self.database())
        result = action()
        after, after_records = snapshot(self.database())
        changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
        self.seen[name] = "wrote " + ", ".join(changed) if changed else "wrote nothing"
        if changed:
            assert after_records - before_records, f"{name} wrote {changed} without an audit record"
        return result


def ok(response: Any) -> Any:
    assert response.status_code < 400, (response.status_code, response.get_data(as_text=True)[:300])
    return response


def form_token(api: Api, path: str) -> str:
    html = api.client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def route_recipes(app: Flask, config: Config, people: dict[str, Person]) -> dict[str, Callable[[], Any]]:
    """One recipe per state-changing route, in an order that builds what the next ones need."""
    apis: dict[str, Api] = {}
    state: dict[str, Any] = {}

    def login(role: str) -> Api:
        apis[role] = logged_in(app, people[role])
        return apis[role]

    def publish_and_certify() -> None:
        members = {}
        for role in ("volunteer", "coordinator"):
            _response, keys, _blob = publish_keys(apis.setdefault(role, logged_in(app, people[role])), people[role])
            team = b64url_decode(apis[role].get("/api/v1/me").get_json()["person"]["team_id"])
            entry = roster.sign_roster_entry_as_admin(
                ASSOCIATION, user_id=keys.user_id, serial=1, role=roster.Role[role.upper()], team_id=team,
                encryption_public=keys.encryption_public, signing_public=keys.signing_public)
            members[role] = Member(people[role], apis[role], keys, entry, os.urandom(16))
        state["members"] = members

    def roster_entries() -> None:
        for member in state["members"].values():
            ok(apis["admin"].post("/api/v1/roster", {"entry": b64url_encode(member.entry.raw)}))

    def put_measures() -> None:
        coordinator = state["members"]["coordinator"]
        table = sign_measures_table_as_coordinator(
            coordinator.keys, coordinator.entry, team_id=coordinator.entry.team_id, version=1,
            rows=[MeasureRow("OQTF", "OQTF sans délai", 48, Unit.HOURS)])
        ok(apis["coordinator"].call("PUT", f"/api/v1/teams/{b64url_encode(coordinator.entry.team_id)}/measures",
                                    {"table": b64url_encode(table.raw)}))

    def invite() -> None:
        path = "/admin/invite"
        team = re.search(r'<option[^>]*value="([^"]+)"[^>]*>Prisons', apis["admin"].client.get(path).get_data(as_text=True))
        html = ok(apis["admin"].client.post(path, data={"csrf_token": form_token(apis["admin"], path),
                                                        "email": "new@example.org", "role": "volunteer",
                                                        "team": team.group(1)})).get_data(as_text=True)
        state["token"] = re.search(r"#token=([A-Za-z0-9_-]+)", html).group(1)

    def enrol_start() -> None:
        state["newcomer"] = Api(app.test_client())
        state["kdf"] = ok(state["newcomer"].post("/api/v1/enrolment/start", {"token": state["token"]})).get_json()["kdf"]

    def enrol_finish() -> None:
        auth = derive_account_secrets("a newcomer's passphrase", KdfParams.from_json(state["kdf"])).auth
        body = ok(state["newcomer"].post("/api/v1/enrolment/finish", {
            "token": state["token"], "display_name": "Nour", "auth": b64url_encode(auth)})).get_json()
        state["newcomer_id"] = body["person"]["id"]

    def change_person() -> None:
        path = f"/admin/people/{state['newcomer_id']}"
        html = apis["admin"].client.get(path).get_data(as_text=True)
        team = re.search(r'<option[^>]*value="([^"]+)"[^>]*>Prisons', html).group(1)
        ok(apis["admin"].client.post(path, data={"csrf_token": form_token(apis["admin"], path),
                                                 "role": "coordinator", "team": team}))

    def set_status() -> None:
        path = f"/admin/people/{state['newcomer_id']}"
        ok(apis["admin"].client.post(path + "/status", data={"csrf_token": form_token(apis["admin"], path),
                                                             "status": "disabled"}))

    def end_sessions_as_admin() -> None:
        path = f"/admin/people/{people['coordinator'].id}"
        ok(apis["admin"].client.post(path + "/sessions/end", data={"csrf_token": form_token(apis["admin"], path)}))

    def end_one_session() -> None:
        other = logged_in(app, people["volunteer"])
        handles = [s["handle"] for s in other.get("/api/v1/me/sessions").get_json()["sessions"] if not s["current"]]
        ok(other.call("DELETE", f"/api/v1/me/sessions/{handles[0]}"))

    def issue_reset() -> None:
        path = f"/admin/people/{people['auditor'].id}"
        html = ok(apis["admin"].client.post(path + "/reset", data={"csrf_token": form_token(apis["admin"], path)}))
        state["reset_token"] = re.search(r"#token=([A-Za-z0-9_-]+)", html.get_data(as_text=True)).group(1)

    def complete_reset() -> None:
        person = Api(app.test_client())
        kdf = ok(person.post("/api/v1/enrolment/start", {"token": state["reset_token"]})).get_json()["kdf"]
        auth = derive_account_secrets(people["auditor"].passphrase, KdfParams.from_json(kdf)).auth
        ok(person.post("/api/v1/enrolment/reset", {"token": state["reset_token"], "auth": b64url_encode(auth)}))

    def create_team() -> None:
        path = "/admin/teams"
        ok(apis["admin"].client.post(path, data={"csrf_token": form_token(apis["admin"], path), "name": "Nouvelle",
                                                 "retention": "30", "rotation": ""}))

    def upgrade_kdf() -> None:
        stronger = create_app(replace(config, kdf_iterations=700_000))
        auditor = Api(stronger.test_client())
        offered = ok(auditor.login(people["auditor"].email, people["auditor"].passphrase)).get_json()["kdf_upgrade"]
        auth = derive_account_secrets(people["auditor"].passphrase, KdfParams.from_json(offered)).auth
        ok(auditor.post("/api/v1/me/kdf", {"auth": b64url_encode(auth)}))

    def change_passphrase() -> None:
        # The coordinator's keys are escrowed (publish_and_certify): the blob moves with the passphrase.
        from tests.test_auth import change_body
        coordinator = logged_in(app, people["coordinator"])
        ok(coordinator.post("/api/v1/me/passphrase",
                            change_body(coordinator, people["coordinator"], "une autre phrase secrète")[0]))

    # The second factor (tests/test_factors.py); after the auditor's sessions ended, before the
    # reset that ends them again.
    def renew_codes() -> None:
        state["codes"] = ok(apis["admin"].post("/api/v1/me/recovery-codes")).get_json()["recovery_codes"]

    def second_factor_by_code() -> None:
        admin = Api(app.test_client())
        ok(admin.post("/api/v1/auth/login", {"email": people["admin"].email, "auth": auth_for(people["admin"].passphrase)}))
        ok(admin.post("/api/v1/auth/second-factor", {"recovery_code": state["codes"][0]}))

    def add_factor() -> None:
        options = ok(state["volunteer"].post("/api/v1/me/factors/options")).get_json()["options"]
        state["factor"] = ok(state["volunteer"].post("/api/v1/me/factors", {
            "name": "Phone", "credential": SoftAuthenticator(ORIGIN).register(options)})).get_json()["factor"]

    def register_options() -> None:
        state["pending"] = Api(app.test_client())
        # The auditor's KDF was strengthened above (upgrade_kdf): derived with what the server says.
        email = people["auditor"].email
        kdf = KdfParams.from_json(ok(state["pending"].post("/api/v1/auth/params", {"email": email})).get_json()["kdf"])
        auth = derive_account_secrets(people["auditor"].passphrase, kdf).auth
        ok(state["pending"].post("/api/v1/auth/login", {"email": email, "auth": b64url_encode(auth)}))
        state["options"] = ok(state["pending"].post("/api/v1/auth/second-factor/register-options")).get_json()["options"]

    def register_first() -> None:
        ok(state["pending"].post("/api/v1/auth/second-factor/register", {
            "name": "Key", "credential": SoftAuthenticator(ORIGIN).register(state["options"])}))

    def reset_factors_by_page() -> None:
        path = f"/admin/people/{people['auditor'].id}"
        ok(apis["admin"].client.post(path + "/factors/reset", data={"csrf_token": form_token(apis["admin"], path)}))

    return {
        "auth.api_login_params": lambda: ok(Api(app.test_client()).post("/api/v1/auth/params",
                                                                         {"email": people["admin"].email})),
        "auth.api_login": lambda: [login(role) for role in ("admin", "volunteer", "coordinator", "auditor")]
        + [apis.setdefault("leaving", logged_in(app, people["volunteer"]))],
        "keys.set_up_association": lambda: ok(set_up_association(apis["admin"], people["admin"])),
        "keys.put_my_keys": publish_and_certify,
        "keys.post_roster_entry": roster_entries,
        "measures.put_measures": put_measures,
        "sync.push": lambda: ok(apis["volunteer"].post("/api/v1/sync/push", {"entries": [
            b64url_encode(e) for e in new_case(state["members"])[1]]})),
        "pages.set_language": lambda: ok(apis["volunteer"].client.post("/language", data={
            "language": "ar", "next": "/home", "csrf_token": apis["volunteer"].token})),
        "admin.invite": invite,
        "auth.api_enrolment_start": enrol_start,
        "auth.api_enrolment_finish": enrol_finish,
        "admin.person": change_person,
        "admin.set_status": set_status,
        "admin.end_sessions": end_sessions_as_admin,
        "auth.api_end_session": end_one_session,
        "auth.api_upgrade_kdf": upgrade_kdf,
        "auth.api_change_passphrase": change_passphrase,

        "auth.api_end_all_sessions": lambda: ok(apis["auditor"].post("/api/v1/me/sessions/end-all")),
        "auth.api_logout": lambda: ok(apis["leaving"].post("/api/v1/auth/logout")),
        "factors.api_renew_recovery_codes": renew_codes,
        "factors.api_second_factor": second_factor_by_code,
        "factors.api_factor_options": lambda: ok(state.setdefault("volunteer", logged_in(app, people["volunteer"]))
                                                 .post("/api/v1/me/factors/options")),
        "factors.api_add_factor": add_factor,
        "factors.api_remove_factor": lambda: ok(state["volunteer"].call("DELETE",
                                                                        f"/api/v1/me/factors/{state['factor']['id']}")),
        "factors.api_reset_factors": lambda: ok(apis["admin"].post(f"/api/v1/admin/people/{people['auditor'].id}/factors/reset")),
        "factors.api_register_options": register_options,
        "factors.api_register_first": register_first,
        "admin.reset_factors": reset_factors_by_page,
        "admin.teams": create_team,
        # Last: a completed reset ends every session of the person.
        "admin.issue_reset": issue_reset,
        "auth.api_enrolment_reset": complete_reset,
    }


def writing_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & STATE_CHANGING}


def test_every_route_that_writes_appends_an_audit_record(app: Flask, config: Config,
                                                         people: dict[str, Person]) -> None:
    recipes = route_recipes(app, config, people)
    missing = writing_endpoints(app) - set(recipes)
    assert not missing, f"state-changing routes without a recipe in this test: {sorted(missing)}"
    watch = Watch(lambda: config.database)
    for endpoint, recipe in recipes.items():
        watch.run(endpoint, recipe)
    # The recipes did write where a write was meant (a recipe that silently failed proves nothing).
    for endpoint in ("keys.set_up_association", "sync.push", "admin.invite", "auth.api_enrolment_finish",
                     "auth.api_end_session", "auth.api_logout", "pages.set_language", "admin.issue_reset",
                     "auth.api_enrolment_reset", "admin.teams", "factors.api_renew_recovery_codes",
                     "factors.api_second_factor", "factors.api_add_factor", "factors.api_remove_factor",
                     "factors.api_reset_factors", "factors.api_register_options", "factors.api_register_first",
                     "admin.reset_factors"):
        assert watch.seen[endpoint] != "wrote nothing", endpoint


def test_no_get_route_writes(app: Flask, config: Config, people: dict[str, Person]) -> None:
    admin, auditor, volunteer = (logged_in(app, people[r]) for r in ("admin", "auditor", "volunteer"))
    args = {"user_id": people["volunteer"].id, "case_id": "AAAAAAAAAAAAAAAAAAAAAA", "language": "fr",
            "handle": "x", "filename": "css/app.css",
            "team_id": volunteer.get("/api/v1/me").get_json()["person"]["team_id"]}
    watch = Watch(lambda: config.database)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.build({k: args[k] for k in rule.arguments}, append_unknown=False)[1]
        for api in (admin, auditor, volunteer, Api(app.test_client())):
            watch.run(f"GET {path}", lambda: api.client.get(path))
    assert all(v == "wrote nothing" for v in watch.seen.values()), watch.seen


# The command line -------------------------------------------------------------------------------

def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))
        else:
            yield prefix + (name,)


def test_every_command_that_writes_appends_an_audit_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          postgres: pg.PostgresServer) -> None:
    instance = tmp_path / "instance"
    monkeypatch.setenv("CARNET_INSTANCE", str(instance))
    write_secrets_if_missing(instance)
    app = create_app(Config.from_env())
    initialise_database(config_of(app))
    runner = app.test_cli_runner()
    backup = tmp_path / "backup.db"
    found: dict[str, str] = {}

    def database() -> db.DatabaseSettings:
        stored = json.loads((instance / "secrets.json").read_text())
        return db.DatabaseSettings(instance / "carnet.db", bytes.fromhex(stored["database_key"]))

    def cli(*args: str, input: str | None = None) -> str:
        result = runner.invoke(args=list(args), input=input)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.output

    def init() -> None:
        plugin = entry_points(group="flask.commands")["init"].load()
        result = runner.invoke(plugin, obj=ScriptInfo(create_app=lambda: app))
        assert result.exit_code == 0, result.output

    def back_up() -> None:
        found["key"] = re.search(r"[0-9a-f]{64}", cli("backup", str(backup))).group(0)

    recipes: dict[tuple[str, ...], Callable[[], Any]] = {
        ("init",): init,
        ("demo",): lambda: cli("demo"),
        ("team", "add"): lambda: cli("team", "add", "Nouvelle"),
        ("team", "policy"): lambda: cli("team", "policy", "Nouvelle", "--retention", "30", "--rotation", "90"),
        ("invite",): lambda: cli("invite", "someone@example.org", "--role", "auditor"),
        ("sessions", "end"): lambda: cli("sessions", "end", "admin@demo.carnet.test"),
        ("people", "list"): lambda: cli("people", "list"),
        ("people", "set"): lambda: cli("people", "set", "benevole@demo.carnet.test", "--role", "coordinator",
                                       "--team", "Nouvelle"),
        ("people", "disable"): lambda: cli("people", "disable", "benevole@demo.carnet.test"),
        ("people", "enable"): lambda: cli("people", "enable", "benevole@demo.carnet.test"),
        ("people", "reset"): lambda: cli("people", "reset", "benevole@demo.carnet.test"),
        ("audit", "export"): lambda: cli("audit", "export", str(tmp_path / "bundle.json")),
        # Reads the instance's database only: the copy's audit log is the instance's, record for record.
        ("database", "copy"): lambda: cli("database", "copy", postgres.create_database()),
        ("backup",): back_up,
        ("restore",): lambda: cli("restore", str(backup), "--force", input=found["key"] + "\n"),
        ("rekey",): lambda: cli("rekey"),
    }
    builtin = {("routes",), ("shell",), ("run",)}
    plugins = {(ep.name,) for ep in entry_points(group="flask.commands")}
    commands = (set(all_commands(app.cli)) | plugins) - builtin
    assert not commands - set(recipes), f"commands without a recipe in this test: {sorted(commands - set(recipes))}"

    # A session to end: the demo admin logs in once the demo exists.
    def demo_then_login() -> None:
        cli("demo")
        from tests.sync_client import derived_secrets
        from webapp.cli import DEMO_PEOPLE
        email, passphrase = DEMO_PEOPLE[0][0], DEMO_PEOPLE[0][4]
        api = Api(app.test_client())
        kdf = KdfParams.from_json(api.post("/api/v1/auth/params", {"email": email}).get_json()["kdf"])
        ok(api.post("/api/v1/auth/login", {"email": email, "auth": b64url_encode(derived_secrets(passphrase, kdf).auth)}))
        # The demo admin has no security key yet: the login registers the first one.
        options = ok(api.post("/api/v1/auth/second-factor/register-options")).get_json()["options"]
        ok(api.post("/api/v1/auth/second-factor/register",
                    {"name": "Key", "credential": SoftAuthenticator(ORIGIN).register(options)}))

    recipes[("demo",)] = demo_then_login
    watch = Watch(database)
    for command, recipe in recipes.items():
        watch.run(" ".join(command), recipe)
    # restore and rekey replace the file with the same rows (and their own record).
    for command in ("demo", "team add", "team policy", "invite", "sessions end", "people set", "people disable",
                    "people enable", "people reset"):
        assert watch.seen[command] != "wrote nothing", command
