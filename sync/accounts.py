"""People, teams and invitations; login verification and throttling: their tables' storage.

The server never sees a passphrase: it stores the client's KDF parameters and an Argon2id hash of
the ``auth`` secret the browser derives from the passphrase (see ``crypto.kdf``).
"""

import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crypto.encoding import b64url_encode
from crypto.kdf import SALT_BYTES, SECRET_BYTES, KdfParams
from crypto.keys import association_fingerprint
from crypto.audit import Action
from sync import audit, directory, factors
from sync.db import Connection, IntegrityError, row_to_dict, transaction
from sync.errors import Conflict, InvalidInput, InvitationUnusable, LoginRefused, NotFound, TooManyRequests

ROLES = ("volunteer", "coordinator", "auditor", "admin")
# Roles whose work is inside one team; auditors and admins see across teams.
TEAM_ROLES = ("volunteer", "coordinator")
_hasher = PasswordHasher()  # Argon2id with the library's RFC 9106 "low memory" defaults.


class AccountSettings(Protocol):
    """The settings accounts are kept under (the web app's configuration has them all)."""

    @property
    def secret_key(self) -> bytes: ...
    @property
    def kdf_iterations(self) -> int: ...
    @property
    def invitation_ttl_seconds(self) -> int: ...
    @property
    def login_slow_after(self) -> int: ...
    @property
    def login_lock_after(self) -> int: ...
    @property
    def login_lock_seconds(self) -> int: ...


@functools.cache
def dummy_hash() -> str:
    """Verifying against this hash when the email is unknown keeps both paths equally slow."""
    return _hasher.hash(b"\0" * SECRET_BYTES)


def new_id() -> str:
    return b64url_encode(secrets.token_bytes(16))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_kdf_params(config: AccountSettings) -> KdfParams:
    return KdfParams(iterations=config.kdf_iterations, salt=secrets.token_bytes(SALT_BYTES))


def hash_auth_secret(auth: bytes) -> str:
    return _hasher.hash(auth)


# Teams ------------------------------------------------------------------------------------------

def create_team(conn: Connection, name: str, now: int, actor: str | None = None) -> str:
    team_id = new_id()
    try:
        with audit.within_transaction(conn):
            conn.execute("INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)", (team_id, name, now))
            audit.record(conn, Action.TEAM_CHANGED, now, actor=actor, digest=audit.digest_of(team_id.encode()))
    except IntegrityError as exc:
        raise Conflict("team-exists") from exc
    return team_id


def list_teams(conn: Connection) -> list[dict[str, Any]]:
    return [dict(id=r["id"], name=r["name"]) for r in conn.execute("SELECT id, name FROM teams ORDER BY name")]


def team_by_name(conn: Connection, name: str) -> str | None:
    row = conn.execute("SELECT id FROM teams WHERE name = ?", (name,)).fetchone()
    return row["id"] if row else None


def team_policy(conn: Connection, team_id: str) -> dict[str, Any]:
    """How long volunteers' devices keep synced cases, and how often case keys rotate (days;
    None: always kept, rotated only on removal or demand)."""
    row = conn.execute("SELECT id, name, retention_days, rotation_days, second_factor FROM teams WHERE id = ?",
                       (team_id,)).fetchone()
    if row is None:
        raise LookupError(team_id)
    # second_factor: whether the team's volunteers and coordinators log in with a second factor.
    return dict(row, second_factor=bool(row["second_factor"]))


def set_team_policy(conn: Connection, team_id: str, *, retention_days: int | None,
                    rotation_days: int | None, now: int, actor: str | None = None,
                    second_factor: bool | None = None) -> None:
    """Set a team's policies; ``second_factor`` None leaves that one as it is."""
    if retention_days is not None and retention_days < 0:
        raise ValueError("retention_days must be 0 or more, or None")
    if rotation_days is not None and rotation_days < 1:
        raise ValueError("rotation_days must be 1 or more, or None")
    with transaction(conn):
        conn.execute("UPDATE teams SET retention_days = ?, rotation_days = ? WHERE id = ?",
                     (retention_days, rotation_days, team_id))
        if second_factor is not None:
            conn.execute("UPDATE teams SET second_factor = ? WHERE id = ?", (int(second_factor), team_id))
        audit.record(conn, Action.TEAM_CHANGED, now, actor=actor, digest=audit.digest_of(team_id.encode()))


# People -----------------------------------------------------------------------------------------

def get_user(conn: Connection, user_id: str) -> dict[str, Any] | None:
    return row_to_dict(conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())


def user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    return row_to_dict(conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone())


def count_people_outside(conn: Connection, domain: str) -> int:
    """How many accounts have an address outside ``domain`` (such as the demo's)."""
    return conn.execute("SELECT count(*) FROM users WHERE email NOT LIKE ?", ("%" + domain,)).fetchone()[0]


def list_people(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT u.id, u.email, u.display_name, u.role, u.status, u.team_id, t.name AS team_name"
        " FROM users u LEFT JOIN teams t ON t.id = u.team_id ORDER BY lower(u.display_name), u.created_at, u.id"
    ).fetchall()
    return [row_to_dict(r) for r in rows]  # type: ignore[misc]


def people_overview(conn: Connection) -> list[dict[str, Any]]:
    """Everyone, with where their certification stands (``directory.certification``)."""
    return [dict(p, certification=directory.certification(conn, p["id"])) for p in list_people(conn)]


def check_role_and_team(role: str, team_id: str | None) -> None:
    if role not in ROLES:
        raise InvalidInput("validation-failed", fields={"role": "unknown role"})
    if role in TEAM_ROLES and not team_id:
        raise InvalidInput("validation-failed", fields={"team": "volunteers and coordinators belong to a team"})


def create_user(conn: Connection, *, email: str, display_name: str, role: str,
                team_id: str | None, kdf: KdfParams, auth_hash: str, now: int) -> str:
    check_role_and_team(role, team_id)
    user_id = new_id()
    try:
        conn.execute(
            "INSERT INTO users (id, email, display_name, role, team_id, kdf, auth_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, email, display_name, role, team_id if role in TEAM_ROLES else None,
             json.dumps(kdf.to_json()), auth_hash, now, now),
        )
    except IntegrityError as exc:
        # The unique constraint decides, not a check before the insert (no race).
        raise Conflict("email-taken") from exc
    return user_id


def check_an_admin_remains(conn: Connection) -> None:
    """Run inside the transaction of a change: refuse it if no active admin would be left, as
    nobody could then invite, change roles or sign the roster (the admin themselves included)."""
    if conn.execute("SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active'").fetchone()[0] == 0:
        raise Conflict("last-admin")


def update_person(conn: Connection, user_id: str, *, role: str, team_id: str | None, now: int,
                  actor: str | None = None) -> None:
    check_role_and_team(role, team_id)
    with transaction(conn):
        conn.execute("UPDATE users SET role = ?, team_id = ?, updated_at = ? WHERE id = ?",
                     (role, team_id if role in TEAM_ROLES else None, now, user_id))
        check_an_admin_remains(conn)
        audit.record(conn, Action.ACCOUNT_CHANGED, now, actor=actor, subject=user_id)


def set_status(conn: Connection, user_id: str, status: str, now: int, actor: str | None = None) -> None:
    with transaction(conn):
        conn.execute("UPDATE users SET status = ?, updated_at = ? WHERE id = ?", (status, now, user_id))
        check_an_admin_remains(conn)
        audit.record(conn, Action.ACCOUNT_CHANGED, now, actor=actor, subject=user_id)
        if status == "disabled":
            # A disabled account loses every session at once, not at their next expiry.
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


def set_locale(conn: Connection, user_id: str, locale: str, now: int) -> None:
    with transaction(conn):
        if conn.execute("UPDATE users SET locale = ? WHERE id = ? AND (locale IS NULL OR locale <> ?)",
                        (locale, user_id, locale)).rowcount:
            audit.record(conn, Action.ACCOUNT_CHANGED, now, actor=user_id, subject=user_id)


# Invitations and enrolment ----------------------------------------------------------------------

def invite(conn: Connection, config: AccountSettings, *, email: str, role: str, team_id: str | None,
           created_by: str | None, now: int) -> str:
    """Record an invitation and return its one-time token (only its hash is stored).

    An address that already has an account is refused: that person needs a reset link
    (``issue_reset``), not a second account they could never create."""
    check_role_and_team(role, team_id)
    if team_id is not None and conn.execute("SELECT 1 FROM teams WHERE id = ?", (team_id,)).fetchone() is None:
        raise InvalidInput("validation-failed", fields={"team": "no such team"})
    if user_by_email(conn, email) is not None:
        raise Conflict("account-exists")
    token = secrets.token_urlsafe(32)
    with audit.within_transaction(conn):
        insert_invitation(conn, config, token, email=email, role=role, team_id=team_id, created_by=created_by,
                          now=now)
        audit.record(conn, Action.INVITED, now, actor=created_by, digest=bytes.fromhex(hash_token(token)))
    return token


def insert_invitation(conn: Connection, config: AccountSettings, token: str, *, email: str, role: str,
                      team_id: str | None, created_by: str | None, now: int, kind: str = "enrol",
                      user_id: str | None = None) -> None:
    conn.execute(
        "INSERT INTO invitations (token_hash, email, role, team_id, kdf, created_by, created_at, expires_at, kind,"
        " user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (hash_token(token), email, role, team_id if role in TEAM_ROLES else None,
         json.dumps(new_kdf_params(config).to_json()), created_by, now, now + config.invitation_ttl_seconds,
         kind, user_id),
    )


def pending_invitations(conn: Connection, now: int) -> list[dict[str, Any]]:
    """Invitations and reset links neither used nor expired, soonest to expire first."""
    rows = conn.execute(
        "SELECT i.email, i.role, i.kind, i.expires_at, t.name AS team_name FROM invitations i"
        " LEFT JOIN teams t ON t.id = i.team_id WHERE i.used_at IS NULL AND i.expires_at > ?"
        " ORDER BY i.expires_at", (now,)).fetchall()
    return [dict(r) for r in rows]


def issue_reset(conn: Connection, config: AccountSettings, *, user_id: str, created_by: str | None,
                now: int) -> str:
    """Make a one-time passphrase reset link's token for an existing person; any earlier unused
    reset link of theirs stops working at once."""
    person = get_user(conn, user_id)
    if person is None:
        raise NotFound("not-found")
    token = secrets.token_urlsafe(32)
    with audit.within_transaction(conn):
        conn.execute("UPDATE invitations SET expires_at = ? WHERE kind = 'reset' AND user_id = ?"
                     " AND used_at IS NULL AND expires_at > ?", (now, user_id, now))
        insert_invitation(conn, config, token, email=person["email"], role=person["role"],
                          team_id=person["team_id"], created_by=created_by, now=now, kind="reset", user_id=user_id)
        audit.record(conn, Action.RESET_ISSUED, now, actor=created_by, subject=user_id,
                     digest=bytes.fromhex(hash_token(token)))
    return token


def complete_reset(conn: Connection, *, token: str, auth: bytes, now: int) -> str:
    """Use a reset link once: the new passphrase's KDF parameters and auth replace the old ones,
    the keys under the old passphrase become former keys (the app makes new ones at the next
    sign-in), and every session ends."""
    auth_hash = hash_auth_secret(auth)
    with transaction(conn):
        invitation = open_invitation(conn, token, now, kind="reset")
        claim_invitation(conn, invitation["token_hash"], now)
        user_id = invitation["user_id"]
        conn.execute("UPDATE users SET kdf = ?, auth_hash = ?, updated_at = ? WHERE id = ?",
                     (invitation["kdf"], auth_hash, now, user_id))
        directory.retire_account_keys(conn, user_id, now)
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        audit.record(conn, Action.RESET_COMPLETED, now, actor=user_id, subject=user_id)
    return user_id


def enrolment_link(conn: Connection, base_url: str, token: str) -> str:
    """The one-time link, carrying the association key's fingerprint when there is one.

    Both travel in the fragment: browsers never send it to the server, so the token appears in
    no access log and no Referer, and the fingerprint reaches the new member's app by a path
    the server does not control (the admin sends the link), which lets the app pin the
    association key without trusting the server.
    """
    link = f"{base_url}/enrol#token={token}"
    public_key = directory.association_public_key(conn)
    if public_key is not None:
        link += "&association=" + b64url_encode(association_fingerprint(public_key))
    return link


def open_invitation(conn: Connection, token: str, now: int, kind: str | None = None) -> dict[str, Any]:
    """The invitation behind a token, if it can still be used (and is of ``kind``, when given)."""
    row = conn.execute("SELECT * FROM invitations WHERE token_hash = ?", (hash_token(token),)).fetchone()
    if row is None or (kind is not None and row["kind"] != kind):
        raise InvitationUnusable("invitation-invalid")
    if row["used_at"] is not None:
        raise InvitationUnusable("invitation-used")
    if row["expires_at"] <= now:
        raise InvitationUnusable("invitation-expired")
    return row_to_dict(row)  # type: ignore[return-value]


def claim_invitation(conn: Connection, token_hash: str, now: int) -> None:
    """Mark an invitation used, only if nobody did before: the update's condition decides, not
    an earlier read, so two requests that both saw it open cannot both use it."""
    claimed = conn.execute("UPDATE invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                           (now, token_hash)).rowcount
    if claimed != 1:
        raise InvitationUnusable("invitation-used")


def enrol(conn: Connection, *, token: str, display_name: str, auth: bytes, now: int) -> str:
    """Use an invitation once: create the person with the KDF parameters it carried."""
    auth_hash = hash_auth_secret(auth)
    with transaction(conn):
        invitation = open_invitation(conn, token, now, kind="enrol")
        claim_invitation(conn, invitation["token_hash"], now)
        user_id = create_user(conn, email=invitation["email"], display_name=display_name,
                              role=invitation["role"], team_id=invitation["team_id"],
                              kdf=KdfParams.from_json(json.loads(invitation["kdf"])),
                              auth_hash=auth_hash, now=now)
        conn.execute("UPDATE invitations SET user_id = ? WHERE token_hash = ?", (user_id, invitation["token_hash"]))
        audit.record(conn, Action.ENROLLED, now, actor=user_id, subject=user_id)
    return user_id


# Login ------------------------------------------------------------------------------------------

def kdf_is_outdated(user: dict[str, Any], config: AccountSettings) -> bool:
    stored = KdfParams.from_json(json.loads(user["kdf"]))
    return stored.version < KdfParams.version or stored.iterations < config.kdf_iterations


def change_kdf(conn: Connection, user_id: str, params: KdfParams, auth: bytes, now: int, *,
               wrapped_private: bytes | None = None, association_wrapped: bytes | None = None) -> None:
    """Replace the KDF parameters, the auth hash and the key blobs wrapped under the kek, together
    (a stronger KDF, or a new passphrase)."""
    auth_hash = hash_auth_secret(auth)
    with audit.within_transaction(conn):
        conn.execute("UPDATE users SET kdf = ?, auth_hash = ?, updated_at = ? WHERE id = ?",
                     (json.dumps(params.to_json()), auth_hash, now, user_id))
        if wrapped_private is not None:
            conn.execute("UPDATE account_keys SET wrapped_private = ? WHERE user_id = ?", (wrapped_private, user_id))
        if association_wrapped is not None:
            conn.execute("UPDATE association_escrow SET wrapped_key = ? WHERE admin_id = ?",
                         (association_wrapped, user_id))
        audit.record(conn, Action.KDF_CHANGED, now, actor=user_id, subject=user_id)


def change_passphrase(conn: Connection, config: AccountSettings, user: dict[str, Any], *, old_auth: bytes,
                      params: KdfParams, auth: bytes, address: str, now: int,
                      wrapped_private: bytes | None = None, association_wrapped: bytes | None = None) -> None:
    """A new passphrase chosen on a device: the current one is checked as a login checks it
    (throttled, a failure audited), then the KDF parameters, the auth hash and the escrowed key
    blobs change together (``change_kdf``). Until that transaction commits, the old passphrase
    is the only one the server knows; after it, the only one is the new."""
    if params.iterations < config.kdf_iterations:
        raise InvalidInput("validation-failed", fields={"kdf": "fewer iterations than the server's policy"})
    if params.salt == KdfParams.from_json(json.loads(user["kdf"])).salt:
        raise InvalidInput("validation-failed", fields={"kdf": "a new passphrase takes a new salt"})
    throttle = Throttle(config, conn)
    keys = throttle_keys(user["email"], address)
    throttle.check_and_record_attempt(keys, now)
    try:
        _hasher.verify(user["auth_hash"], old_auth)
    except (VerificationError, InvalidHashError):
        with audit.within_transaction(conn):
            audit.record(conn, Action.LOGIN_FAILED, now, subject=user["id"])
        raise LoginRefused("passphrase-wrong") from None
    with transaction(conn):
        throttle.give_back(keys)
    change_kdf(conn, user["id"], params, auth, now, wrapped_private=wrapped_private,
               association_wrapped=association_wrapped)


def login_kdf_params(conn: Connection, config: AccountSettings, email: str) -> KdfParams:
    """The account's KDF parameters; for an unknown email, stable made-up ones (no enumeration).

    Made-up parameters copy those of a real account, picked by a keyed hash of the email: under
    any policy, and after any change of it, an unknown email gets parameters drawn from the same
    set as the known ones (a fixed choice, the policy's own, would single out every account
    enrolled before a change until its next login).
    """
    user = user_by_email(conn, email)
    if user is not None:
        return KdfParams.from_json(json.loads(user["kdf"]))
    keyed = hmac.new(config.secret_key, b"carnet/v1/fake-kdf/" + email.lower().encode(), "sha256").digest()
    iterations = config.kdf_iterations
    count = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    if count:
        pick = int.from_bytes(keyed[SALT_BYTES:], "big") % count
        row = conn.execute("SELECT kdf FROM users ORDER BY id LIMIT 1 OFFSET ?", (pick,)).fetchone()
        iterations = KdfParams.from_json(json.loads(row["kdf"])).iterations
    return KdfParams(iterations=iterations, salt=keyed[:SALT_BYTES])


@dataclass(frozen=True)
class Throttle:
    config: AccountSettings
    conn: Connection

    def check(self, keys: list[str], now: int, waits: bool = True) -> None:
        for key in keys:
            row = self.conn.execute("SELECT * FROM login_throttle WHERE key = ?", (key,)).fetchone()
            if row is None or now - row["last_failure_at"] > self.config.login_lock_seconds:
                continue
            if row["locked_until"] > now:
                raise self._refuse("login-locked", row["locked_until"] - now)
            if not waits:
                continue
            wait = self.delay(row["failures"])
            if now < row["last_failure_at"] + wait:
                raise self._refuse("login-throttled", row["last_failure_at"] + wait - now)

    def delay(self, failures: int) -> int:
        """No wait for the first few failures, then 1, 2, 4 ... seconds, at most a minute."""
        if failures < self.config.login_slow_after:
            return 0
        return min(2 ** (failures - self.config.login_slow_after), 60)

    def check_and_record_attempt(self, keys: list[str], now: int, waits: bool = True) -> None:
        """Refuse the attempt, or count it as a failure before the secret is checked, in one
        transaction: concurrent attempts (threads or processes) each see those before them, so
        no more are evaluated than if they came one by one. A success gives its count back.
        ``waits`` False: only a lock refuses (see check_second_factor_attempt)."""
        with transaction(self.conn):
            self.check(keys, now, waits)
            self.record_failure(keys, now)

    def give_back(self, keys: list[str]) -> None:
        """A successful login: it was counted as a failure in advance; it was not one."""
        self.conn.execute("DELETE FROM login_throttle WHERE key = ?", (keys[0],))
        self.conn.execute("UPDATE login_throttle SET failures = failures - 1 WHERE key = ? AND failures > 0",
                          (keys[1],))

    def take_back_attempt(self, keys: list[str]) -> None:
        """An attempt counted in advance that was not a failure, the earlier ones left counted."""
        for key in keys:
            self.conn.execute("UPDATE login_throttle SET failures = failures - 1 WHERE key = ? AND failures > 0",
                              (key,))

    def record_failure(self, keys: list[str], now: int) -> None:
        for key in keys:
            row = self.conn.execute("SELECT * FROM login_throttle WHERE key = ?", (key,)).fetchone()
            stale = row is None or now - row["last_failure_at"] > self.config.login_lock_seconds
            failures = 1 if stale else row["failures"] + 1
            locked_until = now + self.config.login_lock_seconds if failures >= self.config.login_lock_after else 0
            self.conn.execute(
                "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
                " last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
                (key, failures, now, locked_until),
            )

    @staticmethod
    def _refuse(code: str, retry_after: int) -> TooManyRequests:
        return TooManyRequests(code, retry_after=retry_after)


def throttle_keys(email: str, address: str) -> list[str]:
    # Keys are hashed so the table does not keep a readable list of who tried to log in.
    account = hashlib.sha256(b"account:" + email.lower().encode()).hexdigest()
    origin = hashlib.sha256(b"address:" + address.encode()).hexdigest()
    return [account, origin]


def verify_login(conn: Connection, config: AccountSettings, *, email: str, auth: bytes,
                 address: str, now: int) -> dict[str, Any]:
    throttle = Throttle(config, conn)
    keys = throttle_keys(email, address)
    # Counted before Argon2 runs, never after: see Throttle.check_and_record_attempt.
    throttle.check_and_record_attempt(keys, now)
    user = user_by_email(conn, email)
    try:
        _hasher.verify(user["auth_hash"] if user else dummy_hash(), auth)
        if user is None:
            raise VerificationError("unknown account")
    except (VerificationError, InvalidHashError):
        with audit.within_transaction(conn):
            audit.record(conn, Action.LOGIN_FAILED, now, subject=user["id"] if user else None)
        raise LoginRefused("login-failed") from None
    if user["status"] != "active":
        with audit.within_transaction(conn):
            audit.record(conn, Action.LOGIN_FAILED, now, subject=user["id"])
        raise LoginRefused("account-disabled")
    rehashed = hash_auth_secret(auth) if _hasher.check_needs_rehash(user["auth_hash"]) else None
    pending = factors.required(conn, user)
    with audit.within_transaction(conn):
        if pending:
            # Half a login: this attempt was no failure, but the earlier failures stay counted
            # until the second factor too is given (complete_login), so a stolen passphrase
            # cannot clear the count of failed second factors.
            throttle.take_back_attempt(keys)
        else:
            throttle.give_back(keys)
            audit.record(conn, Action.LOGIN, now, actor=user["id"], subject=user["id"])
        if rehashed:
            conn.execute("UPDATE users SET auth_hash = ? WHERE id = ?", (rehashed, user["id"]))
    return dict(user, second_factor_pending=pending)


def check_second_factor_attempt(conn: Connection, config: AccountSettings, *, email: str, address: str,
                                now: int) -> list[str]:
    """Count a second-factor attempt in advance, as a passphrase attempt is (the same keys and
    counts, the same lock); the keys are returned for ``complete_login``. It does not wait out
    the delay after failures: the passphrase just given waited it, each pending login allows one
    try, and waiting again would refuse the person who has just been let through."""
    keys = throttle_keys(email, address)
    Throttle(config, conn).check_and_record_attempt(keys, now, waits=False)
    return keys


def complete_login(conn: Connection, config: AccountSettings, user_id: str, keys: list[str], now: int) -> None:
    """The second factor verified: the login is complete (its count given back, audited)."""
    with audit.within_transaction(conn):
        Throttle(config, conn).give_back(keys)
        audit.record(conn, Action.LOGIN, now, actor=user_id, subject=user_id)
