"""Configuration: one immutable object, built from the environment and the files ``init`` made.

Secrets never come from the repository. Outside tests the app refuses to start without a database
key and a session secret: a random per-process secret would log everyone out at each restart and
differ between workers.
"""

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from sync.context import context_of, current_context

from crypto.kdf import MAX_ITERATIONS, MIN_ITERATIONS
from sync.db import KEY_BYTES, DatabaseSettings

SECRETS_FILE = "secrets.json"
DATABASE_FILE = "carnet.db"
DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


class ConfigError(Exception):
    """The configuration is incomplete or wrong; the message says what to do."""


@dataclass(frozen=True)
class Config:
    instance_path: Path
    database_key: bytes
    secret_key: bytes
    testing: bool = False
    base_url: str = "http://localhost:5000"
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 3600
    invitation_ttl_seconds: int = 72 * 3600
    max_body_bytes: int = 1024 * 1024
    kdf_iterations: int = 600_000
    login_slow_after: int = 3
    login_lock_after: int = 10
    login_lock_seconds: int = 15 * 60
    behind_proxy: bool = False
    sync_requests_per_minute: int = 600
    # Requests per address and minute to what anonymous visitors can reach (pages, login,
    # enrolment), static files and the app shell apart.
    anonymous_requests_per_minute: int = 120
    clock: Callable[[], float] = field(default=time.time, compare=False)
    # The seed of the server's Ed25519 audit key (signs the audit log's head); tests may leave
    # it empty and get a fresh key per app.
    audit_key: bytes = field(default=b"", repr=False)
    # A PostgreSQL database (``CARNET_DATABASE_URL``) instead of the SQLCipher file of the
    # instance folder; its password, if any, is in the URL, never logged (docs/OPERATIONS.md).
    database_url: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not MIN_ITERATIONS <= self.kdf_iterations <= MAX_ITERATIONS:
            raise ConfigError(f"CARNET_KDF_ITERATIONS must be {MIN_ITERATIONS} to {MAX_ITERATIONS}")
        if len(self.database_key) != KEY_BYTES:
            raise ConfigError("the database key must be 32 bytes")
        if len(self.secret_key) < 32:
            raise ConfigError("the session secret must be at least 32 bytes")
        if len(self.audit_key) != KEY_BYTES and (self.audit_key or not self.testing):
            raise ConfigError("the audit key must be 32 bytes: run 'flask --app webapp init' to add it")

    @property
    def database_path(self) -> Path:
        return self.instance_path / DATABASE_FILE

    @property
    def database(self) -> DatabaseSettings:
        if self.database_url:
            return DatabaseSettings(url=self.database_url)
        return DatabaseSettings(path=self.database_path, key=self.database_key)

    def now(self) -> int:
        return int(self.clock())

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Config":
        """Read ``CARNET_INSTANCE`` (folder) and the secrets file that ``init`` wrote there."""
        env = os.environ if environ is None else environ
        instance = instance_path_from_env(env)
        stored = read_secrets(instance)
        return cls(
            instance_path=instance,
            database_key=bytes.fromhex(stored["database_key"]),
            secret_key=bytes.fromhex(stored["secret_key"]),
            audit_key=bytes.fromhex(stored.get("audit_key", "")),
            base_url=env.get("CARNET_BASE_URL", cls.base_url).rstrip("/"),
            kdf_iterations=int(env.get("CARNET_KDF_ITERATIONS", cls.kdf_iterations)),
            behind_proxy=env.get("CARNET_BEHIND_PROXY", "") == "1",
            sync_requests_per_minute=int(env.get("CARNET_SYNC_REQUESTS_PER_MINUTE", cls.sync_requests_per_minute)),
            anonymous_requests_per_minute=int(env.get("CARNET_ANONYMOUS_REQUESTS_PER_MINUTE",
                                                      cls.anonymous_requests_per_minute)),
            database_url=env.get("CARNET_DATABASE_URL") or None,
        )


def current_config() -> Config:
    """The configuration of the app handling the current request or command."""
    return current_context().config


def config_of(app: Flask) -> Config:
    return context_of(app).config


def instance_path_from_env(env: dict[str, str] | os._Environ) -> Path:
    return Path(env.get("CARNET_INSTANCE", DEFAULT_INSTANCE)).resolve()


def read_secrets(instance: Path) -> dict[str, str]:
    path = instance / SECRETS_FILE
    try:
        stored = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"no secrets in {instance}: run 'flask --app webapp init' first "
            "(or set CARNET_INSTANCE to an initialised folder)"
        ) from exc
    if not isinstance(stored, dict) or not {"database_key", "secret_key"} <= set(stored):
        raise ConfigError(f"{path} lacks database_key or secret_key")
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} must be readable by its owner only (chmod 600)")
    return stored


def write_secrets_if_missing(instance: Path) -> bool:
    """Create the instance folder and a fresh secrets file (0600); keep an existing one."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = instance / SECRETS_FILE
    if path.exists():
        return False
    payload = json.dumps({"database_key": secrets.token_hex(KEY_BYTES),
                          "secret_key": secrets.token_hex(32), "audit_key": secrets.token_hex(KEY_BYTES)})
    # O_EXCL with mode 0600: the file is never readable by others, not even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(payload)
    return True


def stage_secrets(instance: Path, changes: dict[str, str]) -> Path:
    """Write the changed secrets to ``secrets.json.new`` (0600, synced); the old file stays in force."""
    path = instance / SECRETS_FILE
    stored = json.loads(path.read_text("utf-8"))
    stored.update(changes)
    staged = path.with_name(SECRETS_FILE + ".new")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(stored))
        out.flush()
        os.fsync(out.fileno())
    return staged


def replace_secrets(instance: Path, changes: dict[str, str]) -> None:
    """Change some secrets atomically: a new file, then renamed over the old one."""
    os.replace(stage_secrets(instance, changes), instance / SECRETS_FILE)


def add_audit_key_if_missing(instance: Path) -> bool:
    """Secrets made before the audit log existed get their audit key at the next ``init``."""
    if "audit_key" in read_secrets(instance):
        return False
    replace_secrets(instance, {"audit_key": secrets.token_hex(KEY_BYTES)})
    return True

