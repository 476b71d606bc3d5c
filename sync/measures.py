"""Each team's table of measures, as stored by the server (docs/PROTOCOL.md 6.11).

The server checks a new table with the same rule as every device (crypto.measures): signed by
the coordinator who sends it, certified by the roster as a coordinator of the team, newer than
the table stored. It serves the latest table to the team's members, who verify it again.
"""

from typing import Any

from crypto.audit import Action
from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import CarnetCryptoError, TableRollback
from crypto.measures import MeasuresTable, accept_measures_table, parse_measures_table
from sync import audit, directory
from sync.db import Connection, IntegrityError, transaction
from sync.errors import Conflict, InvalidInput

# A table of 100 rows of the longest code and label: 50 + 100 × 238 + 64 bytes.
MAX_TABLE_BYTES = 24 * 1024


def latest(conn: Connection, team_id: str) -> bytes | None:
    row = conn.execute("SELECT raw FROM team_measures WHERE team_id = ? ORDER BY version DESC LIMIT 1",
                       (team_id,)).fetchone()
    return bytes(row["raw"]) if row else None


def table_json(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        return {"table": None, "version": None}
    return {"table": b64url_encode(raw), "version": parse_measures_table(raw).version}


def _known(raw: bytes | None) -> MeasuresTable | None:
    # Stored tables were accepted once; only their version and bytes matter to the rule here.
    return parse_measures_table(raw) if raw is not None else None


def store(conn: Connection, team_id: str, raw: bytes, coordinator_id: str, now: int) -> dict[str, Any]:
    """Keep a table the coordinator signed for their team, if it passes the one rule."""
    latest_entry = directory.latest_roster_entry(conn, coordinator_id)
    if latest_entry is None:
        raise InvalidInput("measures-invalid", detail="the coordinator has no roster entry")
    with transaction(conn):
        known = _known(latest(conn, team_id))
        try:
            signer = directory.stored_entry(conn, latest_entry["raw"])
            table = accept_measures_table(raw, signer, team_id=b64url_decode(team_id), known=known)
        except TableRollback as exc:
            raise Conflict("measures-stale", latest_version=known.version if known else None) from exc
        except CarnetCryptoError as exc:
            raise InvalidInput("measures-invalid", detail=str(exc)) from exc
        if table is known:
            return table_json(raw)
        try:
            conn.execute("INSERT INTO team_measures (team_id, version, raw, signed_by, created_at) VALUES (?, ?, ?, ?, ?)",
                         (team_id, table.version, raw, coordinator_id, now))
        except IntegrityError as exc:
            raise Conflict("measures-stale", latest_version=table.version) from exc
        audit.record(conn, Action.MEASURES_CHANGED, now, actor=coordinator_id, digest=audit.digest_of(raw))
    return table_json(raw)
