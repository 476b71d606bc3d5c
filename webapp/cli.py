"""Command line: ``flask --app webapp init | invite | people | team | demo | sessions``."""

import json
import os
from datetime import datetime, timezone

import click
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext

from crypto import roster
from crypto.encoding import b64url_decode
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.keys import (
    generate_account_keys,
    generate_association_key,
    unwrap_association_key_with_kek,
    wrap_account_keys_with_kek,
    wrap_association_key_with_kek,
)
from crypto.audit import Action
from sync import accounts, audit, db, directory, sessions, validation
from sync.errors import DomainError
from sync.db import Connection
from webapp import audit_cli
from webapp.config import add_audit_key_if_missing, config_of, current_config, instance_path_from_env, write_secrets_if_missing
from webapp.database import get_db, initialise_database

DEMO_TEAMS = ("Prisons", "Violences", "CRA")
# Demo people: (email, display name, role, team, passphrase). For a demonstration only: the
# passphrases are printed and public, so `demo` refuses to run where real people are enrolled.
DEMO_PEOPLE = (
    ("admin@demo.carnet.test", "Alice Admin", "admin", None, "demo admin carnet lanterne"),
    ("coordination@demo.carnet.test", "Camille Coordination", "coordinator", "Prisons",
     "demo coordination carnet boussole"),
    ("benevole@demo.carnet.test", "Bastien Bénévole", "volunteer", "Prisons", "demo benevole carnet cerf-volant"),
    ("audit@demo.carnet.test", "Aurore Audit", "auditor", None, "demo audit carnet sextant"),
)
DEMO_DOMAIN = "@demo.carnet.test"


@click.command("init")
@click.pass_context
def init_command(ctx: click.Context) -> None:
    """Create the secrets file (0600) and the database, and apply migrations. Safe to run again."""
    instance = instance_path_from_env(os.environ)
    created = write_secrets_if_missing(instance)
    click.echo(("Created" if created else "Kept") + f" the secrets in {instance}")
    if add_audit_key_if_missing(instance):
        click.echo("Added the server's audit key to the secrets")
    # The app can only be built once the secrets exist, so it is loaded here, not before.
    app = ctx.ensure_object(ScriptInfo).load_app()
    applied = initialise_database(config_of(app))
    click.echo(f"Database ready ({'applied migrations ' + str(applied) if applied else 'up to date'}).")


def person_or_fail(conn: Connection, email: str) -> dict:
    user = accounts.user_by_email(conn, email.strip().lower())
    if user is None:
        raise click.ClickException(f"nobody with the email {email}; 'flask people list' shows everyone")
    return user


def team_or_fail(conn: Connection, role: str, team: str | None) -> str | None:
    """The team's id for a role that needs one; a clear message when it is missing or unknown."""
    if role not in accounts.TEAM_ROLES:
        if team:
            raise click.ClickException(f"a {role} belongs to no team: leave out --team")
        return None
    if not team:
        raise click.ClickException(f"a {role} belongs to a team: add --team NAME (teams: {team_names(conn)})")
    team_id = accounts.team_by_name(conn, team)
    if team_id is None:
        raise click.ClickException(f"no team named {team!r} (teams: {team_names(conn)}); "
                                   "create it with 'flask team add'")
    return team_id


def team_names(conn: Connection) -> str:
    return ", ".join(t["name"] for t in accounts.list_teams(conn)) or "none yet"


def checked_email(value: str) -> str:
    try:
        return validation.email(value.strip())
    except ValueError:
        raise click.ClickException(f"{value!r} is not an email address") from None


def refused(error: DomainError) -> click.ClickException:
    """A refusal from the accounts module, said in words on the terminal (never a traceback)."""
    messages = {
        "account-exists": "this address already has an account; if the person lost their passphrase, "
                          "issue a reset link with 'flask people reset EMAIL'",
        "last-admin": "this would leave the association without an active administrator",
        "team-exists": "a team with this name exists already",
    }
    return click.ClickException(messages.get(error.code, f"refused: {error.code}"))


def expiry_text(expires_at: int) -> str:
    return datetime.fromtimestamp(expires_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


ROLE_OPTION = click.option("--role", type=click.Choice(accounts.ROLES), required=True)
TEAM_OPTION = click.option("--team", default=None, help="Team name (volunteers and coordinators).")


@click.command("invite")
@click.argument("email")
@ROLE_OPTION
@TEAM_OPTION
@with_appcontext
def invite_command(email: str, role: str, team: str | None) -> None:
    """Invite a person and print their one-time enrolment link."""
    conn, config = get_db(), current_config()
    address = checked_email(email)
    team_id = team_or_fail(conn, role, team)
    try:
        token = accounts.invite(conn, config, email=address, role=role, team_id=team_id, created_by=None,
                                now=config.now())
    except DomainError as error:
        raise refused(error) from None
    click.echo(accounts.enrolment_link(conn, config.base_url, token))
    click.echo(f"Valid until {expiry_text(config.now() + config.invitation_ttl_seconds)}, for one use.", err=True)


@click.group("people")
def people_group() -> None:
    """List people; disable, enable, change role and team; issue passphrase reset links."""


@people_group.command("list")
@with_appcontext
def people_list() -> None:
    """Everyone with their role, team, status and certification; then the pending links."""
    conn = get_db()
    teams = {t["id"]: t["name"] for t in accounts.list_teams(conn)}
    for person in accounts.people_overview(conn):
        click.echo(f"{person['email']:<36} {person['role']:<12} {teams.get(person['team_id'], '-'):<16} "
                   f"{person['status']:<9} {person['certification']}")
    pending = accounts.pending_invitations(conn, current_config().now())
    click.echo(f"Pending links: {len(pending)}")
    for link in pending:
        click.echo(f"  {link['email']:<34} {link['kind']:<6} {link['role']:<12} {link['team_name'] or '-':<16} "
                   f"until {expiry_text(link['expires_at'])}")


def set_person_status(email: str, status: str) -> None:
    conn = get_db()
    person = person_or_fail(conn, email)
    try:
        accounts.set_status(conn, person["id"], status, current_config().now())
    except DomainError as error:
        raise refused(error) from None
    click.echo(f"{person['email']}: {status}.")


@people_group.command("disable")
@click.argument("email")
@with_appcontext
def people_disable(email: str) -> None:
    """Disable an account: its sessions end at once and it can no longer log in."""
    set_person_status(email, "disabled")


@people_group.command("enable")
@click.argument("email")
@with_appcontext
def people_enable(email: str) -> None:
    """Enable a disabled account again."""
    set_person_status(email, "active")


@people_group.command("set")
@click.argument("email")
@ROLE_OPTION
@TEAM_OPTION
@with_appcontext
def people_set(email: str, role: str, team: str | None) -> None:
    """Change a person's role and team (the admin's app then certifies them again)."""
    conn = get_db()
    person = person_or_fail(conn, email)
    team_id = team_or_fail(conn, role, team)
    try:
        accounts.update_person(conn, person["id"], role=role, team_id=team_id, now=current_config().now())
    except DomainError as error:
        raise refused(error) from None
    click.echo(f"{person['email']}: {role}" + (f" in {team}" if team_id else "") + ".")


@people_group.command("reset")
@click.argument("email")
@with_appcontext
def people_reset(email: str) -> None:
    """Print a one-time passphrase reset link for a person (any earlier one stops working)."""
    conn, config = get_db(), current_config()
    person = person_or_fail(conn, email)
    token = accounts.issue_reset(conn, config, user_id=person["id"], created_by=None, now=config.now())
    click.echo(accounts.enrolment_link(conn, config.base_url, token))
    click.echo(f"Valid until {expiry_text(config.now() + config.invitation_ttl_seconds)}, for one use. "
               "With it the person chooses a new passphrase and their app makes new keys; entries never "
               "synced from a device they cannot open are lost. Certify their new keys in the admin's app.",
               err=True)


@click.group("team")
def team_group() -> None:
    """Manage teams."""


@team_group.command("add")
@click.argument("name")
@with_appcontext
def team_add(name: str) -> None:
    conn = get_db()
    if accounts.team_by_name(conn, name):
        click.echo(f"Team {name!r} exists already.")
        return
    accounts.create_team(conn, name, current_config().now())
    click.echo(f"Team {name!r} created.")


def days_option(value: str, *, never: str) -> int | None:
    """``never``/``always`` (None), or a number of days."""
    if value == never:
        return None
    if value == "none":
        return 0
    try:
        return int(value.removesuffix("d"))
    except ValueError:
        raise click.BadParameter(f"{value!r}: a number of days, 'none' or '{never}'") from None


@team_group.command("policy")
@click.argument("name")
@click.option("--retention", default=None,
              help="How long volunteers' devices keep synced cases: 'none', a number of days, or 'always'.")
@click.option("--rotation", default=None, help="Rotate case keys every N days, or 'never' (removal and demand only).")
@click.option("--second-factor", "second_factor", type=click.Choice(["on", "off"]), default=None,
              help="Whether the team's volunteers and coordinators log in with a security key.")
@with_appcontext
def team_policy(name: str, retention: str | None, rotation: str | None, second_factor: str | None) -> None:
    """Show a team's policies, or change them."""
    conn = get_db()
    team_id = accounts.team_by_name(conn, name)
    if team_id is None:
        raise click.ClickException(f"no team named {name!r}")
    policy = accounts.team_policy(conn, team_id)
    kept = policy["retention_days"] if retention is None else days_option(retention, never="always")
    rotated = policy["rotation_days"] if rotation is None else days_option(rotation, never="never")
    try:
        accounts.set_team_policy(conn, team_id, retention_days=kept, rotation_days=rotated, now=current_config().now(),
                                 second_factor=None if second_factor is None else second_factor == "on")
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    required = accounts.team_policy(conn, team_id)["second_factor"]
    click.echo(f"Team {name!r}: synced cases kept on volunteers' devices "
               f"{'always' if kept is None else f'{kept} days'}; case keys rotated "
               f"{'on removal and on demand' if rotated is None else f'every {rotated} days'}; "
               f"security key {'required' if required else 'not required'}.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create a demo association: three teams and one person per role; print their logins."""
    conn = get_db()
    if accounts.count_people_outside(conn, DEMO_DOMAIN):
        raise click.ClickException("real people are enrolled here; the demo would add public passphrases")
    now = current_config().now()
    with db.transaction(conn):
        for name in DEMO_TEAMS:
            if accounts.team_by_name(conn, name) is None:
                accounts.create_team(conn, name, now)
    for email, name, role, team, passphrase in DEMO_PEOPLE:
        if accounts.user_by_email(conn, email) is None:
            params = accounts.new_kdf_params(current_config())
            auth = derive_account_secrets(passphrase, params).auth
            with db.transaction(conn):
                user_id = accounts.create_user(conn, email=email, display_name=name, role=role,
                                               team_id=accounts.team_by_name(conn, team) if team else None,
                                               kdf=params, auth_hash=accounts.hash_auth_secret(auth), now=now)
                audit.record(conn, Action.ACCOUNT_CREATED, now, subject=user_id)
    set_up_demo_keys(conn, now)
    base = current_config().base_url
    click.echo(f"Demo association ready: the app at {base}/app, the admin pages at {base}/login")
    for email, name, role, team, passphrase in DEMO_PEOPLE:
        click.echo(f"  {role:<12} {email:<32} passphrase: {passphrase}")


def set_up_demo_keys(conn: Connection, now: int) -> None:
    """Give the demo people what their apps would have made: keys, escrow, signed roster entries.

    A real association makes all of this in its members' browsers; the demo does it here, from
    the public demo passphrases, so that the demo is usable at once.
    """
    people = {role: (accounts.user_by_email(conn, email), passphrase)
              for email, _name, role, _team, passphrase in DEMO_PEOPLE}

    def kek_of(user: dict, passphrase: str) -> bytes:
        return derive_account_secrets(passphrase, KdfParams.from_json(json.loads(user["kdf"]))).kek

    admin, admin_passphrase = people["admin"]
    admin_id = b64url_decode(admin["id"])
    public_key = directory.association_public_key(conn)
    with_keys = directory.count_account_keys(conn)
    if public_key is not None and with_keys >= len(people):
        return
    admin_kek = kek_of(admin, admin_passphrase)
    if public_key is None:
        association = generate_association_key()
        directory.set_up_association(conn, admin["id"], association.public,
                                     wrap_association_key_with_kek(association, admin_id, admin_kek), now)
    else:
        association = unwrap_association_key_with_kek(directory.association_escrow(conn, admin["id"]),
                                                      admin_kek, admin_id=admin_id)
    for user, passphrase in people.values():
        if directory.has_account_keys(conn, user["id"]):
            continue
        keys = generate_account_keys(b64url_decode(user["id"]))
        directory.store_account_keys(conn, user["id"], directory.AccountPublicKeys(keys.encryption_public,
                                     keys.signing_public), wrap_account_keys_with_kek(keys, kek_of(user, passphrase)), now)
        entry = roster.sign_roster_entry_as_admin(
            association, user_id=keys.user_id, serial=1, role=directory.ROLE_CODES[user["role"]],
            team_id=b64url_decode(user["team_id"]) if user["team_id"] else roster.NO_TEAM,
            encryption_public=keys.encryption_public, signing_public=keys.signing_public, now=now * 1000)
        directory.accept_roster_entry(conn, entry.raw, admin["id"], now)


@click.group("sessions")
def sessions_group() -> None:
    """End people's sessions."""


@sessions_group.command("end")
@click.argument("email")
@with_appcontext
def sessions_end(email: str) -> None:
    """End every session of one person at once."""
    user = accounts.user_by_email(get_db(), email.strip().lower())
    if user is None:
        raise click.ClickException(f"nobody with the email {email}")
    ended = sessions.end_all_sessions(get_db(), user["id"], actor=None, now=current_config().now())
    click.echo(f"Ended {ended} session(s).")


def init_app(app: Flask) -> None:
    audit_cli.init_app(app)
    for command in (invite_command, people_group, team_group, demo_command, sessions_group):
        app.cli.add_command(command)

