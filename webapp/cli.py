"""Command line: ``flask --app webapp init | invite | demo | sessions``."""

import os

import click
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext

from crypto.kdf import derive_account_secrets
from sync import db
from webapp import accounts, sessions
from webapp.config import current_config, instance_path_from_env, write_secrets_if_missing
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
    # The app can only be built once the secrets exist, so it is loaded here, not before.
    app = ctx.ensure_object(ScriptInfo).load_app()
    applied = initialise_database(app.extensions["carnet_config"])
    click.echo(f"Database ready ({'applied migrations ' + str(applied) if applied else 'up to date'}).")


@click.command("invite")
@click.argument("email")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.option("--team", default=None, help="Team name (volunteers and coordinators).")
@with_appcontext
def invite_command(email: str, role: str, team: str | None) -> None:
    """Invite a person and print their one-time enrolment link."""
    conn = get_db()
    team_id = None
    if team:
        team_id = accounts.team_by_name(conn, team)
        if team_id is None:
            names = ", ".join(t["name"] for t in accounts.list_teams(conn)) or "none yet"
            raise click.ClickException(f"no team named {team!r} (teams: {names}); create it with 'flask team add'")
    token = accounts.invite(conn, current_config(), email=email.strip().lower(), role=role, team_id=team_id,
                            created_by=None, now=current_config().now())
    click.echo(accounts.enrolment_link(current_config().base_url, token))


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


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create a demo association: three teams and one person per role; print their logins."""
    conn = get_db()
    others = conn.execute("SELECT count(*) FROM users WHERE email NOT LIKE ?", ("%" + DEMO_DOMAIN,)).fetchone()[0]
    if others:
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
            accounts.create_user(conn, email=email, display_name=name, role=role,
                                 team_id=accounts.team_by_name(conn, team) if team else None,
                                 kdf=params, auth_hash=accounts.hash_auth_secret(auth), now=now)
    click.echo(f"Demo association ready at {current_config().base_url}/login")
    for email, name, role, team, passphrase in DEMO_PEOPLE:
        click.echo(f"  {role:<12} {email:<32} passphrase: {passphrase}")


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
    ended = sessions.end_all_sessions(user["id"])
    click.echo(f"Ended {ended} session(s).")


def init_app(app: Flask) -> None:
    for command in (invite_command, team_group, demo_command, sessions_group):
        app.cli.add_command(command)

