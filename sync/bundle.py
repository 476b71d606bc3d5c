"""The audit bundle: everything an outside auditor needs, in one JSON file (PROTOCOL section 14).

It holds ciphertext and metadata only: envelopes (whose control entries carry the wrapped case
keys), the roster, the audit log with a freshly signed head, the database's cipher settings,
the app version and the hashes of the static files served. No key that opens anything.
"""

import hashlib
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.audit import Action
from crypto.encoding import b64url_encode
from sync import audit, db, directory
from sync.db import Connection

BUNDLE_FORMAT = "carnet-audit-bundle"
BUNDLE_VERSION = 1


def app_version() -> str:
    try:
        return metadata.version("carnet")
    except metadata.PackageNotFoundError:  # pragma: no cover - only when run from a bare checkout
        return "unknown"


def static_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 (hex) of every file under the static folder, by path relative to it."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def cases_of(conn: Connection) -> list[dict[str, Any]]:
    found = []
    for case in conn.execute("SELECT id, team_id FROM cases ORDER BY id").fetchall():
        rows = conn.execute("SELECT envelope FROM entries WHERE case_id = ? ORDER BY seq", (case["id"],))
        found.append({"case_id": case["id"], "team_id": case["team_id"],
                      "entries": [b64url_encode(bytes(row["envelope"])) for row in rows]})
    return found


def export_bundle(conn: Connection, key: Ed25519PrivateKey, static_folder: Path,
                  now: int) -> dict[str, Any]:
    """Record the export, then read everything and sign the head, all in one transaction."""
    with db.transaction(conn):
        audit.record(conn, Action.EXPORT, now)
        association = directory.association_public_key(conn)
        roster = [b64url_encode(bytes(row["raw"]))
                  for row in conn.execute("SELECT raw FROM roster_entries ORDER BY user_id, serial")]
        bundle = {
            "format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "created_at": now * 1000,
            "app_version": app_version(),
            "association_public_key": b64url_encode(association) if association else None,
            "audit_public_key": b64url_encode(key.public_key().public_bytes_raw()),
            "database": db.cipher_settings(conn),
            "static_files": static_hashes(static_folder),
            "roster": roster,
            "cases": cases_of(conn),
            "audit_log": [b64url_encode(raw) for raw in audit.all_records(conn)],
            "audit_head": b64url_encode(audit.signed_head(conn, key, now).to_bytes()),
        }
    return bundle
