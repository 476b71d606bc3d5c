"""A team's table of measures: for each kind of measure, the delay of appeal the intake suggests.

The table is the association's policy, not anything about a person, and much of it restates
public law; what matters is that nobody but a coordinator of the team can change it and that an
older table cannot be served again, since a wrong delay can make a person miss an appeal. So the
table is signed by a certified coordinator of the team, under their account signing key, and
carries a version that only grows (docs/PROTOCOL.md 6.11). It is not encrypted: the protocol has
no team key, and the server reads nothing in it that it could use against anyone.
"""

from dataclasses import dataclass, field
from enum import IntEnum

from cryptography.exceptions import InvalidSignature as _BadSignature

from crypto import labels
from crypto.encoding import Reader, Writer
from crypto.errors import (
    InvalidEncoding,
    InvalidSignature,
    RevokedUser,
    TableRollback,
    Unauthorized,
    UnknownUser,
    WrongTeam,
)
from crypto.keys import ID_BYTES, AccountKeys
from crypto.roster import NO_TEAM, SIGNATURE_BYTES, Role, RosterEntry, now_ms

MEASURES_TAG = b"CNM"
MAX_ROWS = 100
CODE_BYTES = (1, 32)
LABEL_BYTES = (1, 200)
AMOUNT = (1, 999)
CODE_CHARACTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# Characters that change how the text around them is drawn, or are controls: refused in labels.
REFUSED_IN_LABELS = frozenset([*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
                               *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


class Unit(IntEnum):
    HOURS = 1
    DAYS = 2


@dataclass(frozen=True)
class MeasureRow:
    """One kind of measure: its code (the intake's value), a label, and the delay of appeal."""

    code: str
    label: str
    amount: int
    unit: Unit
    # True once the association's lawyers have checked the delay; the shipped examples are not.
    checked: bool = False

    def sort_key(self) -> tuple[bytes, bytes]:
        return self.code.encode(), self.label.encode()


@dataclass(frozen=True)
class MeasuresTable:
    """A verified table; only this module's functions make them."""

    team_id: bytes
    version: int
    signer: bytes
    issued_at: int
    rows: tuple[MeasureRow, ...]
    signature: bytes
    raw: bytes = field(repr=False)


def _check_code(code: str) -> bytes:
    data = code.encode("utf-8") if isinstance(code, str) else b""
    if not CODE_BYTES[0] <= len(data) <= CODE_BYTES[1] or not set(data) <= CODE_CHARACTERS:
        raise InvalidEncoding("a measure code is 1 to 32 ASCII letters, digits, '_' or '-'")
    return data


def _check_label(data: bytes) -> str:
    try:
        label = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEncoding("a measure label is UTF-8") from exc
    if any(ord(c) in REFUSED_IN_LABELS for c in label):
        raise InvalidEncoding("a measure label holds no control or text-direction character")
    return label


def _label_bytes(label: str) -> bytes:
    if not isinstance(label, str):
        raise InvalidEncoding("a measure label is text")
    data = label.encode("utf-8", "surrogatepass")
    if not LABEL_BYTES[0] <= len(data) <= LABEL_BYTES[1]:
        raise InvalidEncoding("a measure label is 1 to 200 bytes")
    _check_label(data)
    return data


def _row_bytes(row: MeasureRow) -> tuple[tuple[bytes, bytes], bytes]:
    """A row's sort key and its bytes, every field checked."""
    code = _check_code(row.code)
    label = _label_bytes(row.label)
    amount = row.amount
    if not isinstance(amount, int) or isinstance(amount, bool) or not AMOUNT[0] <= amount <= AMOUNT[1]:
        raise InvalidEncoding("a delay is 1 to 999 hours or days")
    if row.unit not in Unit._value2member_map_:
        raise InvalidEncoding(f"unknown unit {row.unit!r}")
    data = (Writer().u8(len(code)).raw(code).u8(len(label)).raw(label).u8(row.unit).u16(amount)
            .u8(1 if row.checked else 0).getvalue())
    return (code, label), data


def _read_row(reader: Reader) -> MeasureRow:
    code = reader.take(reader.uint(1, *CODE_BYTES))
    if not set(code) <= CODE_CHARACTERS:
        raise InvalidEncoding("a measure code is ASCII letters, digits, '_' or '-'")
    label = _check_label(reader.take(reader.uint(1, *LABEL_BYTES)))
    unit = reader.u8()
    if unit not in Unit._value2member_map_:
        raise InvalidEncoding(f"unknown unit {unit}")
    amount = reader.u16(*AMOUNT)
    checked = reader.u8()
    if checked > 1:
        raise InvalidEncoding("checked is 0 or 1")
    return MeasureRow(code.decode("ascii"), label, amount, Unit(unit), bool(checked))


def _check_order(rows: tuple[MeasureRow, ...]) -> None:
    keys = [row.sort_key() for row in rows]
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise InvalidEncoding("rows are sorted by code then label, without duplicates")


def _body(*, team_id: bytes, version: int, signer: bytes, issued_at: int, rows: list[MeasureRow]) -> bytes:
    if len(rows) > MAX_ROWS:
        raise InvalidEncoding(f"at most {MAX_ROWS} rows")
    if team_id == NO_TEAM:
        raise InvalidEncoding("a table belongs to a team")
    encoded = sorted(_row_bytes(row) for row in rows)
    if any(a[0] == b[0] for a, b in zip(encoded, encoded[1:])):
        raise InvalidEncoding("two rows with the same code and label")
    writer = (Writer().prefix(MEASURES_TAG).fixed(team_id, ID_BYTES).u32(version).fixed(signer, ID_BYTES)
              .u64(issued_at).u16(len(rows)))
    for _key, data in encoded:
        writer.raw(data)
    return writer.getvalue()


def parse_measures_table(raw: bytes) -> MeasuresTable:
    """The fields of a table, its signature not checked: for display of what a server holds."""
    reader = Reader(raw, "measures table")
    reader.prefix(MEASURES_TAG)
    team_id = reader.take(ID_BYTES)
    if team_id == NO_TEAM:
        raise InvalidEncoding("a table belongs to a team")
    version = reader.u32(minimum=1)
    signer = reader.take(ID_BYTES)
    issued_at = reader.u64()
    count = reader.u16(maximum=MAX_ROWS)
    rows = tuple(_read_row(reader) for _ in range(count))
    _check_order(rows)
    signature = reader.take(SIGNATURE_BYTES)
    reader.finish()
    return MeasuresTable(team_id, version, signer, issued_at, rows, signature, raw)


def check_signer(table: MeasuresTable, signer: RosterEntry, *, team_id: bytes) -> None:
    """The table is the expected team's, and the signer an active coordinator of that team."""
    if table.team_id != team_id:
        raise WrongTeam("this table belongs to another team")
    if signer.user_id != table.signer:
        raise UnknownUser("this roster entry is not the signer's")
    if not signer.active:
        raise RevokedUser("the signer's roster entry is revoked")
    if signer.role != Role.COORDINATOR or signer.team_id != table.team_id:
        raise Unauthorized("only a coordinator of the team signs its table")


def verify_measures_table(raw: bytes, signer: RosterEntry, *, team_id: bytes) -> MeasuresTable:
    """Parse a table and check who signed it (``signer``: their roster entry, verified under the
    association key by the caller) and the signature; raise on anything else."""
    table = parse_measures_table(raw)
    check_signer(table, signer, team_id=team_id)
    try:
        signer.signing_key.verify(table.signature, labels.SIGN_MEASURES + raw[:-SIGNATURE_BYTES])
    except _BadSignature as exc:
        raise InvalidSignature("the table is not signed by its signer") from exc
    return table


def accept_measures_table(raw: bytes, signer: RosterEntry, *, team_id: bytes,
                          known: MeasuresTable | None) -> MeasuresTable:
    """The one rule of a server and of every device: a table that verifies, newer than the one
    known; the same bytes again are the known table, anything else not newer is refused."""
    table = verify_measures_table(raw, signer, team_id=team_id)
    if known is not None and table.raw == known.raw:
        return known
    if known is not None and table.version <= known.version:
        raise TableRollback(f"version {table.version} is not newer than {known.version}")
    return table


def sign_measures_table_as_coordinator(keys: AccountKeys, signer: RosterEntry, *, team_id: bytes, version: int,
                                       rows: list[MeasureRow], now: int | None = None) -> MeasuresTable:
    """A coordinator signs their team's table; ``rows`` are sorted here."""
    body = _body(team_id=team_id, version=version, signer=keys.user_id,
                 issued_at=now_ms() if now is None else now, rows=rows)
    raw = body + keys.signing_private.sign(labels.SIGN_MEASURES + body)
    return verify_measures_table(raw, signer, team_id=team_id)
