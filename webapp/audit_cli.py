"""Command line for auditors and for the server at rest: ``audit export``, ``backup``, ``restore``,
``rekey``, ``database copy``.

Backup, restore and rekey are recorded in the audit log; they are the SQLCipher file's (a
PostgreSQL database is backed up with ``pg_dump``: docs/OPERATIONS.md). ``restore``, ``rekey`` and
``database copy`` refuse to run while a server holds the instance (webapp.serving).
"""

import json
import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from crypto.encoding import b64url_decode
from crypto.verify import fingerprint
from sync import backup, db, faults, postgres, transfer
from sync.bundle import export_bundle
from sync.context import current_context
from webapp.config import SECRETS_FILE, current_config, stage_secrets
from webapp.database import get_db
from webapp.serving import ServerRunning, server_stopped


@click.group("audit")
def audit_group() -> None:
    """The audit log and the audit bundle."""


@audit_group.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def audit_export(out: Path) -> None:
    """Write the audit bundle (ciphertext and metadata only) to OUT; check it with python -m crypto.verify."""
    if out.exists():
        raise click.ClickException(f"{out} exists already")
    bundle = export_bundle(get_db(), current_context().audit_key,
                           Path(current_app.static_folder or "static"), current_config().now())
    out.write_text(json.dumps(bundle, indent=1), "utf-8")
    cases = len(bundle["cases"])
    click.echo(f"Audit bundle written to {out}: {cases} case(s), {len(bundle['audit_log'])} audit record(s).")
    # Pinned at the first export, the fingerprint shows any later bundle signed under another key.
    click.echo(f"Audit key fingerprint: {fingerprint(b64url_decode(bundle['audit_public_key']))}")
    click.echo("Keep it and this bundle; check the next one with"
               " python -m crypto.verify NEXT --audit-key FINGERPRINT --previous THIS.")


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out: Path) -> None:
    """Write an encrypted copy of the database to OUT, under a new key printed once."""
    sqlcipher_only("backup")
    try:
        key = backup.back_up(get_db(), out, current_config().now())
    except db.DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {out}.")
    click.echo(f"Backup key (keep it apart from the backup and from secrets.json): {key.hex()}")


def sqlcipher_only(action: str) -> None:
    if current_config().database_url:
        raise click.ClickException(f"{action} works on the SQLCipher file; this instance uses PostgreSQL"
                                   " (CARNET_DATABASE_URL): use pg_dump and pg_restore (docs/OPERATIONS.md)")


def read_backup_key(key_file: str) -> bytes:
    """The backup key from a file, or from standard input ("-"): never from the command line,
    where ``ps`` and the shell's history would show it to others."""
    if key_file == "-":
        if os.isatty(0):
            text = click.prompt("Backup key (hex)", hide_input=True, err=True)
        else:
            text = sys.stdin.readline()
    else:
        try:
            text = Path(key_file).read_text("utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot read the key file: {exc.strerror}") from exc
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        raise click.ClickException("the backup was not restored: the key is not hexadecimal") from None


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--key-file", default="-", show_default=True,
              help="A file holding the backup key that 'backup' printed (hex); '-' reads it from standard input.")
@click.option("--force", is_flag=True, help="Replace the existing database.")
@with_appcontext
def restore_command(source: Path, key_file: str, force: bool) -> None:
    """Replace the database by the backup SOURCE (refused while a server runs)."""
    sqlcipher_only("restore")
    config = current_config()
    if config.database_path.exists() and not force:
        raise click.ClickException(f"{config.database_path} exists: add --force to replace it by the backup")
    key = read_backup_key(key_file)
    try:
        with server_stopped(config.instance_path):
            backup.restore(source, key, config.database_path, config.database_key, config.now())
    except ServerRunning as exc:
        raise click.ClickException(f"the backup was not restored: {exc}") from exc
    except (ValueError, db.DatabaseError) as exc:
        raise click.ClickException(f"the backup was not restored: {exc}") from exc
    click.echo(f"Restored {config.database_path} from {source}.")


@click.command("rekey")
@with_appcontext
def rekey_command() -> None:
    """Re-encrypt the database under a new key and store the key in secrets.json (refused while a server runs)."""
    sqlcipher_only("rekey")
    config = current_config()
    new_key = secrets.token_bytes(db.KEY_BYTES)
    try:
        with server_stopped(config.instance_path):
            # The new key is on disk before the database needs it: a crash in between leaves it
            # in secrets.json.new, next to the file it replaces.
            staged = stage_secrets(config.instance_path, {"database_key": new_key.hex()})
            faults.point("before-rekey")
            backup.rekey(config.database_path, config.database_key, new_key, config.now())
            os.replace(staged, config.instance_path / SECRETS_FILE)
    except ServerRunning as exc:
        raise click.ClickException(f"the database was not rekeyed: {exc}") from exc
    click.echo("The database is under a new key; secrets.json holds it. Restart the server.")


@click.group("database")
def database_group() -> None:
    """The database itself."""


@database_group.command("copy")
@click.argument("url")
@with_appcontext
def database_copy(url: str) -> None:
    """Copy this instance's SQLCipher database into the PostgreSQL database URL, and check every row.

    The target must be empty (a new database); the SQLCipher file is only read. Then set
    CARNET_DATABASE_URL to URL and start the servers (docs/OPERATIONS.md).
    """
    sqlcipher_only("database copy")
    if not url.startswith(("postgresql://", "postgres://")):
        raise click.ClickException("URL must be a PostgreSQL URL: postgresql://user@host/database")
    config = current_config()
    try:
        with server_stopped(config.instance_path):
            source = db.connect(config.database_path, config.database_key)
            target = postgres.connect(url)
            try:
                copies = transfer.copy_to_postgres(source, target)
            finally:
                source.close()
                target.close()
    except ServerRunning as exc:
        raise click.ClickException(f"nothing was copied: {exc}") from exc
    except db.DatabaseError as exc:
        raise click.ClickException(f"nothing was copied: {exc}") from exc
    for copy in copies:
        click.echo(f"{copy.name}: {copy.rows} row(s), checked")
    click.echo(f"Every row of {len(copies)} tables arrived. Set CARNET_DATABASE_URL to this database"
               " and start the servers.")


def init_app(app: Flask) -> None:
    for command in (audit_group, backup_command, restore_command, rekey_command, database_group):
        app.cli.add_command(command)
