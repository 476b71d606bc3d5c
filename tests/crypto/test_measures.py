"""A team's signed table of measures (docs/PROTOCOL.md 6.11): its one encoding, who may sign it,
and the version that only grows."""

import pytest

from crypto import labels
from crypto.errors import (
    InvalidEncoding,
    InvalidSignature,
    OversizedInput,
    RevokedUser,
    TableRollback,
    TrailingBytes,
    TruncatedInput,
    Unauthorized,
    UnknownUser,
    UnsupportedVersion,
    WrongFormat,
    WrongTeam,
)
from crypto.measures import (
    MAX_ROWS,
    MeasureRow,
    Unit,
    accept_measures_table,
    parse_measures_table,
    sign_measures_table_as_coordinator,
    verify_measures_table,
)
from crypto.roster import Status, sign_roster_entry_as_admin
from tests.crypto.scenario import World

T0 = 1_800_000_000_000
ROWS = [
    MeasureRow("OQTF", "OQTF sans délai de départ", 48, Unit.HOURS),
    MeasureRow("OQTF", "OQTF avec délai de départ", 30, Unit.DAYS, checked=True),
    MeasureRow("house_arrest", "Assignation à résidence", 48, Unit.HOURS),
]


def signed(world: World, *, version: int = 1, rows: list[MeasureRow] | None = None, name: str = "carol",
           team_id: bytes | None = None):
    person = world[name]
    return sign_measures_table_as_coordinator(person.keys, person.roster, team_id=team_id or person.roster.team_id,
                                              version=version, rows=ROWS if rows is None else rows, now=T0)


def test_a_coordinator_signs_a_table_that_verifies_and_reads_back(world: World) -> None:
    table = signed(world)
    again = verify_measures_table(table.raw, world["carol"].roster, team_id=world.team_id)
    assert again == table
    assert [(r.code, r.label) for r in table.rows] == [
        ("OQTF", "OQTF avec délai de départ"), ("OQTF", "OQTF sans délai de départ"),
        ("house_arrest", "Assignation à résidence")]
    assert table.rows[0].checked and not table.rows[1].checked and table.rows[2].unit == Unit.HOURS
    assert (table.version, table.signer, table.issued_at) == (1, world["carol"].user_id, T0)
    assert table.raw[:4] == b"CNM\x01" and len(table.raw) == 50 + sum(
        1 + len(r.code) + 1 + len(r.label.encode()) + 4 for r in ROWS) + 64
    assert parse_measures_table(table.raw).rows == table.rows


def test_an_empty_table_and_the_signing_time_now(world: World) -> None:
    carol = world["carol"]
    table = sign_measures_table_as_coordinator(carol.keys, carol.roster, team_id=world.team_id, version=3, rows=[])
    assert table.rows == () and table.issued_at > T0 - 10**12


def test_the_signature_covers_every_byte_under_its_own_label(world: World) -> None:
    table = signed(world)
    carol = world["carol"]
    carol.roster.signing_key.verify(table.signature, labels.SIGN_MEASURES + table.raw[:-64])
    for offset in (5, 22, 30, 45, 49, 60, len(table.raw) - 70, len(table.raw) - 1):
        changed = bytearray(table.raw)
        changed[offset] ^= 0x01
        with pytest.raises((InvalidSignature, InvalidEncoding, WrongTeam, UnknownUser)):
            verify_measures_table(bytes(changed), carol.roster, team_id=world.team_id)
    # The same body signed as an entry is not a table signature.
    forged = table.raw[:-64] + carol.keys.signing_private.sign(labels.SIGN_ENTRY + table.raw[:-64])
    with pytest.raises(InvalidSignature):
        verify_measures_table(forged, carol.roster, team_id=world.team_id)


def test_only_an_active_coordinator_of_the_team_signs_it(world: World) -> None:
    table = signed(world)
    with pytest.raises(WrongTeam):
        verify_measures_table(table.raw, world["carol"].roster, team_id=world.other_team_id)
    with pytest.raises(UnknownUser):
        verify_measures_table(table.raw, world["dan"].roster, team_id=world.team_id)
    with pytest.raises(Unauthorized):
        signed(world, name="alice")
    with pytest.raises(Unauthorized):
        signed(world, name="oscar", team_id=world.team_id)
    carol = world["carol"]
    revoked = sign_roster_entry_as_admin(world.association, user_id=carol.user_id, serial=2, role=carol.roster.role,
                                         team_id=world.team_id, encryption_public=carol.keys.encryption_public,
                                         signing_public=carol.keys.signing_public, status=Status.REVOKED, now=T0)
    with pytest.raises(RevokedUser):
        verify_measures_table(table.raw, revoked, team_id=world.team_id)


def test_versions_only_grow(world: World) -> None:
    carol, dan = world["carol"], world["dan"]
    first = accept_measures_table(signed(world).raw, carol.roster, team_id=world.team_id, known=None)
    assert accept_measures_table(first.raw, carol.roster, team_id=world.team_id, known=first) is first
    second = signed(world, version=2, name="dan", rows=ROWS[:1])
    assert accept_measures_table(second.raw, dan.roster, team_id=world.team_id, known=first) == second
    with pytest.raises(TableRollback):
        accept_measures_table(first.raw, carol.roster, team_id=world.team_id, known=second)
    # Another table under the same version: two coordinators offline; the second redoes theirs.
    rival = signed(world, version=2, rows=ROWS[1:])
    with pytest.raises(TableRollback):
        accept_measures_table(rival.raw, carol.roster, team_id=world.team_id, known=second)


@pytest.mark.parametrize("row", [
    MeasureRow("", "x", 1, Unit.DAYS),
    MeasureRow("a" * 33, "x", 1, Unit.DAYS),
    MeasureRow("OQTF sans", "x", 1, Unit.DAYS),
    MeasureRow("OQTF-é", "x", 1, Unit.DAYS),
    MeasureRow(7, "x", 1, Unit.DAYS),  # type: ignore[arg-type]
    MeasureRow("OQTF", "", 1, Unit.DAYS),
    MeasureRow("OQTF", "é" * 101, 1, Unit.DAYS),
    MeasureRow("OQTF", None, 1, Unit.DAYS),  # type: ignore[arg-type]
    MeasureRow("OQTF", "a\nb", 1, Unit.DAYS),
    MeasureRow("OQTF", "a\u202eb", 1, Unit.DAYS),
    MeasureRow("OQTF", "a\u0085b", 1, Unit.DAYS),
    MeasureRow("OQTF", "a\ud800b", 1, Unit.DAYS),
    MeasureRow("OQTF", "x", 0, Unit.DAYS),
    MeasureRow("OQTF", "x", 1000, Unit.DAYS),
    MeasureRow("OQTF", "x", True, Unit.DAYS),  # type: ignore[arg-type]
    MeasureRow("OQTF", "x", 1.5, Unit.DAYS),  # type: ignore[arg-type]
    MeasureRow("OQTF", "x", 1, 3),  # type: ignore[arg-type]
])
def test_a_row_that_has_no_encoding_is_refused(world: World, row: MeasureRow) -> None:
    with pytest.raises(InvalidEncoding):
        signed(world, rows=[row])


def test_a_list_without_one_order_or_too_long_or_a_table_of_no_team_is_refused(world: World) -> None:
    with pytest.raises(InvalidEncoding):
        signed(world, rows=[ROWS[0], ROWS[0]])
    with pytest.raises(InvalidEncoding):
        signed(world, rows=[MeasureRow("M", f"row {i:03}", 1, Unit.DAYS) for i in range(MAX_ROWS + 1)])
    with pytest.raises(InvalidEncoding):
        signed(world, team_id=bytes(16))
    assert len(signed(world, rows=[MeasureRow("M", f"row {i:03}", 1, Unit.DAYS) for i in range(MAX_ROWS)]).rows) == MAX_ROWS


def with_row_bytes(table_raw: bytes, row: bytes, count: int = 1) -> bytes:
    """The table's header with another row list; the signature is left as it was (parsing fails first)."""
    return table_raw[:48] + count.to_bytes(2, "big") + row + table_raw[-64:]


def row_bytes(code: bytes = b"OQTF", label: bytes = b"x", unit: int = 1, amount: int = 48, checked: int = 0) -> bytes:
    return bytes([len(code)]) + code + bytes([len(label)]) + label + bytes([unit]) + amount.to_bytes(2, "big") + bytes(
        [checked])


@pytest.mark.parametrize(("change", "error"), [
    (lambda raw: b"CNX" + raw[3:], WrongFormat),
    (lambda raw: raw[:3] + b"\x02" + raw[4:], UnsupportedVersion),
    (lambda raw: raw[:4] + bytes(16) + raw[20:], InvalidEncoding),
    (lambda raw: raw[:20] + bytes(4) + raw[24:], InvalidEncoding),
    (lambda raw: raw[:-1], TruncatedInput),
    (lambda raw: raw + b"\x00", TrailingBytes),
    (lambda raw: with_row_bytes(raw, b"", MAX_ROWS + 1), OversizedInput),
    (lambda raw: with_row_bytes(raw, row_bytes(code=b"")), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(code=b"a b")), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(label=b"\xff")), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(label=b"a\x00")), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(unit=0)), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(unit=3)), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(amount=0)), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(amount=1000)), OversizedInput),
    (lambda raw: with_row_bytes(raw, row_bytes(checked=2)), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes(label=b"b") + row_bytes(label=b"a"), 2), InvalidEncoding),
    (lambda raw: with_row_bytes(raw, row_bytes() + row_bytes(), 2), InvalidEncoding),
])
def test_bytes_that_are_not_the_one_encoding_are_refused(world: World, change, error) -> None:
    raw = change(signed(world).raw)
    with pytest.raises(error):
        parse_measures_table(raw)


def test_a_well_formed_row_list_parses_before_the_signature_fails(world: World) -> None:
    raw = with_row_bytes(signed(world).raw, row_bytes(code=b"IRTF", label="Interdiction de retour".encode(), unit=2,
                                                      amount=30, checked=1))
    assert parse_measures_table(raw).rows == (MeasureRow("IRTF", "Interdiction de retour", 30, Unit.DAYS, True),)
    with pytest.raises(InvalidSignature):
        verify_measures_table(raw, world["carol"].roster, team_id=world.team_id)
