"""Realistic entries written with the reference protocol, and the same rows written raw."""

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from crypto.encoding import b64url_encode
from crypto.entry import Kind, parse_entry
from sync.db import Connection, connect, migrate, transaction
from tests.sync_client import DemoWriter

# An intake's notes as volunteers write them: a few hundred characters of French prose.
NOTES = ("Entretien en détention. Personne arrivée en France en 2019, demande d'asile rejetée, "
         "OQTF notifiée le 3 du mois, délai de recours de 48 heures. Souhaite un avocat, parle "
         "arabe et un peu de français, besoin d'un interprète. Famille à Lyon (sœur). Problème de "
         "santé signalé, traitement interrompu depuis l'arrivée au centre. ")


def build_cases(writer: DemoWriter, cases: int, per_case: int) -> list[list[bytes]]:
    """``cases`` new cases of ``per_case`` entries each (a genesis, then intake and edits)."""
    built = []
    for index in range(cases):
        log, key, envelopes = writer.new_case(f"{NOTES} #{index}")
        envelopes += [writer.seal(log, key, f"{NOTES} #{index}.{n}") for n in range(per_case - 2)]
        built.append(envelopes)
    return built


def in_rounds(cases: list[list[bytes]], batch: int) -> list[list[bytes]]:
    """A first sync with the first half of every case, then a second that appends the rest."""
    first = [e for case in cases for e in case[: len(case) // 2]]
    second = [e for case in cases for e in case[len(case) // 2:]]
    return [chunk for part in (first, second) for chunk in chunks(part, batch)]


def chunks(items: list[bytes], size: int) -> list[list[bytes]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def push_all(writer: DemoWriter, batches: list[list[bytes]]) -> float:
    """Seconds to push every batch; every entry must come back stored."""
    start = time.perf_counter()
    for batch in batches:
        results = writer.push(batch, timeout=300)
        bad = [r for r in results if r["status"] != "stored"]
        if bad:
            raise RuntimeError(f"push refused entries: {bad[:3]}")
    return time.perf_counter() - start


def entry_row(raw: bytes, now: int) -> tuple:
    entry = parse_entry(raw)
    header = entry.header
    return (b64url_encode(header.case_id), b64url_encode(header.entry_id), entry.hash, int(header.kind),
            header.epoch, b64url_encode(header.author), b64url_encode(header.device_id), header.device_seq,
            raw, now)


INSERT_ENTRY = ("INSERT INTO entries (case_id, entry_id, entry_hash, kind, epoch, author, device_id, device_seq,"
                " envelope, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_CASE = ("INSERT INTO cases (id, team_id, epoch, entry_count, created_at, updated_at)"
               " VALUES (?, 'team', 1, 0, ?, ?)")


def raw_database(folder: Path) -> Connection:
    """A fresh database with the server's schema and settings (SQLCipher, WAL, synchronous FULL)."""
    path = folder / f"raw-{os.urandom(4).hex()}.db"
    conn = connect(path, os.urandom(32))
    migrate(conn)
    return conn


def raw_insert(conn: Connection, batches: list[list[tuple]]) -> float:
    """Seconds to insert the rows straight into SQLCipher, one transaction per batch."""
    start = time.perf_counter()
    for batch in batches:
        with transaction(conn):
            for row in batch:
                if row[3] == Kind.GENESIS:
                    conn.execute(INSERT_CASE, (row[0], row[9], row[9]))
                conn.execute(INSERT_ENTRY, row)
    return time.perf_counter() - start


def raw_read(conn: Connection, after: int, page: int = 500) -> tuple[int, float]:
    """Rows read back in pages the way a pull reads them; returns (rows, seconds)."""
    start, count, cursor = time.perf_counter(), 0, after
    while True:
        rows = conn.execute("SELECT seq, case_id, envelope FROM entries WHERE seq > ? ORDER BY seq LIMIT ?",
                            (cursor, page)).fetchall()
        if not rows:
            return count, time.perf_counter() - start
        count += len(rows)
        cursor = rows[-1]["seq"]
        for row in rows:
            bytes(row["envelope"])


def fill(conn: Connection, count: int, envelope_size: int, per_case: int = 10) -> None:
    """Other teams' cases written straight into the database: realistic sizes, random ciphertext.

    They are never verified again (no one pushes to them), so they need not be valid entries; they
    give the tables and indexes the size a server reaches after years.
    """
    member = b64url_encode(os.urandom(16))
    now = int(time.time())
    done = 0
    while done < count:
        with transaction(conn):
            for _ in range(min(1000, count - done) // per_case or 1):
                case_id = b64url_encode(os.urandom(16))
                conn.execute(INSERT_CASE, (case_id, now, now))
                conn.execute("INSERT INTO case_members (case_id, user_id, joined_seq) VALUES (?, ?, 0)",
                             (case_id, member))
                for row in filler_rows(case_id, member, per_case, envelope_size, now):
                    conn.execute(INSERT_ENTRY, row)
                done += per_case


def filler_rows(case_id: str, author: str, count: int, size: int, now: int) -> Iterable[tuple]:
    device = b64url_encode(os.urandom(16))
    for seq in range(1, count + 1):
        yield (case_id, b64url_encode(os.urandom(16)), os.urandom(32), int(Kind.CONTENT), 1, author, device, seq,
               os.urandom(size), now)


def mean_size(cases: list[list[bytes]]) -> int:
    sizes = [len(e) for case in cases for e in case]
    return sum(sizes) // len(sizes)


def dumps(value: object) -> str:
    return json.dumps(value, indent=1)
