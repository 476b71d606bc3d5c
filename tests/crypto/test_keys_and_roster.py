"""Account keys, key blobs, fingerprints and the signed roster."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto.caselog import CaseLog
from crypto.errors import (
    AccountKeyMismatch,
    DecryptionFailed,
    InvalidEncoding,
    InvalidPublicKey,
    InvalidSignature,
    RevokedUser,
    RosterConflict,
    RosterRollback,
    TrailingBytes,
    TruncatedInput,
    UnknownUser,
    UntrustedAssociationKey,
)
from crypto.keys import (
    ED25519_SMALL_ORDER,
    X25519_SMALL_ORDER,
    association_fingerprint,
    check_account_keys_match,
    check_ed25519_public_key,
    check_x25519_public_key,
    fresh_bytes,
    generate_account_keys,
    generate_association_key,
    new_id,
    pin_association_key,
    rewrap_key_blob,
    spoken_fingerprint,
    unwrap_account_keys_with_kek,
    unwrap_association_key_with_kek,
    user_fingerprint,
    wrap_account_keys_with_kek,
    wrap_association_key_with_kek,
)
from crypto.roster import (
    NO_TEAM,
    Role,
    RosterView,
    Status,
    check_account_keys_match_roster_entry,
    sign_roster_entry_as_admin,
    verify_roster_entry,
)
from tests.crypto.scenario import T0, World, person, seed

KEK = seed("kek")


def test_small_order_ed25519_keys_would_let_anyone_forge() -> None:
    # Given each blocked key, a signature with R = identity and S = 0 verifies for some
    # message: the blocklist holds exactly the keys that would allow universal forgery.
    forgery = bytes.fromhex("01" + "00" * 31) + bytes(32)
    for raw in ED25519_SMALL_ORDER:
        key = Ed25519PublicKey.from_public_bytes(raw)
        verified = 0
        for i in range(64):
            try:
                key.verify(forgery, b"message %d" % i)
                verified += 1
            except Exception:
                pass
        assert verified > 0, raw.hex()
        with pytest.raises(InvalidPublicKey):
            check_ed25519_public_key(raw)


@pytest.mark.parametrize("raw", [
    b"\x00" * 31,
    bytes.fromhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  # y = p
    bytes.fromhex("0100000000000000000000000000000000000000000000000000000000000080"),  # x = 0, sign set
    bytes.fromhex("0200000000000000000000000000000000000000000000000000000000000000"),  # y = 2: off the curve
])
def test_ed25519_key_check_refuses_non_canonical_and_off_curve(raw: bytes) -> None:
    with pytest.raises(InvalidPublicKey):
        check_ed25519_public_key(raw)


def test_x25519_key_check_refuses_every_small_order_point_and_bad_lengths() -> None:
    for raw in [*X25519_SMALL_ORDER, b"\x09" * 31, "x" * 32]:
        with pytest.raises(InvalidPublicKey):
            check_x25519_public_key(raw)  # type: ignore[arg-type]
    with pytest.raises(InvalidPublicKey):
        check_ed25519_public_key("x" * 32)  # type: ignore[arg-type]


def test_injected_randomness_must_have_the_right_size() -> None:
    assert len(fresh_bytes(None, 12)) == 12 and fresh_bytes(b"a" * 12, 12) == b"a" * 12
    assert len(new_id()) == 16
    for bad in (b"a" * 11, bytearray(12), "a" * 12):
        with pytest.raises(InvalidEncoding):
            fresh_bytes(bad, 12)  # type: ignore[arg-type]


def test_ids_are_sixteen_bytes() -> None:
    for bad in (b"short", bytearray(16), "x" * 16):
        with pytest.raises(InvalidEncoding):
            generate_account_keys(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidEncoding):
        CaseLog(b"short", generate_association_key().public_key)


def test_account_keys_round_trip_through_a_key_blob() -> None:
    keys = generate_account_keys(new_id())
    blob = wrap_account_keys_with_kek(keys, KEK)
    assert len(blob) == 113
    back = unwrap_account_keys_with_kek(blob, KEK, user_id=keys.user_id)
    assert (back.encryption_public, back.signing_public) == (keys.encryption_public, keys.signing_public)
    check_account_keys_match(back, keys.encryption_public, keys.signing_public)
    with pytest.raises(AccountKeyMismatch):
        check_account_keys_match(back, keys.signing_public, keys.encryption_public)


def test_key_blob_refuses_wrong_kek_owner_purpose_and_shape() -> None:
    keys = generate_account_keys(new_id())
    blob = wrap_account_keys_with_kek(keys, KEK, nonce=bytes(12))
    with pytest.raises(DecryptionFailed):
        unwrap_account_keys_with_kek(blob, seed("another kek"), user_id=keys.user_id)
    with pytest.raises(DecryptionFailed):
        unwrap_account_keys_with_kek(blob, KEK, user_id=new_id())
    with pytest.raises(InvalidEncoding):
        unwrap_association_key_with_kek(blob, KEK, admin_id=keys.user_id)
    with pytest.raises(TruncatedInput):
        unwrap_account_keys_with_kek(blob[:-1], KEK, user_id=keys.user_id)
    with pytest.raises(TrailingBytes):
        unwrap_account_keys_with_kek(blob + b"\x00", KEK, user_id=keys.user_id)
    with pytest.raises(InvalidEncoding):
        unwrap_account_keys_with_kek(blob, KEK[:16], user_id=keys.user_id)
    tampered = bytearray(blob)
    tampered[40] ^= 1
    with pytest.raises(DecryptionFailed):
        unwrap_account_keys_with_kek(bytes(tampered), KEK, user_id=keys.user_id)


def test_association_key_round_trips_through_the_admins_key_blob() -> None:
    association = generate_association_key()
    admin = new_id()
    blob = wrap_association_key_with_kek(association, admin, KEK)
    assert len(blob) == 81
    assert unwrap_association_key_with_kek(blob, KEK, admin_id=admin).public == association.public


def test_a_key_blob_moves_to_a_new_kek_with_its_purpose_and_owner() -> None:
    keys = generate_account_keys(new_id())
    stronger = seed("the kek of a stronger KDF")
    moved = rewrap_key_blob(wrap_account_keys_with_kek(keys, KEK), KEK, stronger, owner_id=keys.user_id)
    assert unwrap_account_keys_with_kek(moved, stronger, user_id=keys.user_id).signing_public == keys.signing_public
    with pytest.raises(DecryptionFailed):
        unwrap_account_keys_with_kek(moved, KEK, user_id=keys.user_id)
    association, admin = generate_association_key(), new_id()
    moved = rewrap_key_blob(wrap_association_key_with_kek(association, admin, KEK), KEK, stronger, owner_id=admin)
    assert unwrap_association_key_with_kek(moved, stronger, admin_id=admin).public == association.public
    with pytest.raises(DecryptionFailed):
        rewrap_key_blob(moved, KEK, stronger, owner_id=admin)  # the old kek no longer opens it
    unknown = bytearray(moved)
    unknown[4] = 9
    with pytest.raises(InvalidEncoding):
        rewrap_key_blob(bytes(unknown), stronger, KEK, owner_id=admin)


def test_fingerprints_are_labelled_hashes_and_spoken_as_six_groups(world: World) -> None:
    alice = world["alice"]
    fingerprint = alice.roster.fingerprint()
    assert fingerprint == alice.keys.fingerprint() == user_fingerprint(
        alice.user_id, alice.keys.encryption_public, alice.keys.signing_public)
    spoken = spoken_fingerprint(fingerprint)
    groups = spoken.split(" ")
    assert len(groups) == 6 and all(len(g) == 5 and g.isdigit() for g in groups)
    assert spoken_fingerprint(bytes(32)) == "00000 00000 00000 00000 00000 00000"
    assert spoken_fingerprint(b"\xff" * 32) == " ".join([f"{(2**40 - 1) % 100000:05d}"] * 6)
    with pytest.raises(InvalidEncoding):
        spoken_fingerprint(bytes(31))


def test_enrolment_link_pins_the_association_key(world: World) -> None:
    # Given the fingerprint from an enrolment link, when the server offers the real key, it is
    # pinned; when it offers another key, the new member's app refuses it.
    public = world.association.public
    fingerprint = association_fingerprint(public)
    assert pin_association_key(public, fingerprint).public_bytes_raw() == public
    with pytest.raises(UntrustedAssociationKey):
        pin_association_key(generate_association_key().public, fingerprint)
    with pytest.raises(UntrustedAssociationKey):
        pin_association_key(public, "not bytes")  # type: ignore[arg-type]


def test_roster_entry_is_178_bytes_and_verifies_under_the_association_key(world: World) -> None:
    carol = world["carol"]
    entry = verify_roster_entry(carol.roster.raw, world.association.public_key)
    assert len(entry.raw) == 178 and entry == carol.roster
    assert entry.role == Role.COORDINATOR and entry.team_id == world.team_id and entry.active
    check_account_keys_match_roster_entry(carol.keys, entry)
    with pytest.raises(UnknownUser):
        check_account_keys_match_roster_entry(world["alice"].keys, entry)
    with pytest.raises(InvalidSignature):
        verify_roster_entry(carol.roster.raw, generate_association_key().public_key)


def test_roster_entry_refuses_teams_that_do_not_fit_the_role_and_unknown_values(world: World) -> None:
    keys = world["alice"].keys
    common = dict(user_id=keys.user_id, serial=1, encryption_public=keys.encryption_public,
                  signing_public=keys.signing_public, now=T0)
    with pytest.raises(InvalidEncoding):
        sign_roster_entry_as_admin(world.association, role=Role.VOLUNTEER, team_id=NO_TEAM, **common)
    with pytest.raises(InvalidEncoding):
        sign_roster_entry_as_admin(world.association, role=Role.AUDITOR, team_id=world.team_id, **common)
    raw = bytearray(world["alice"].roster.raw)
    for offset, value in ((24, 9), (25, 9)):
        bad = bytearray(raw)
        bad[offset] = value
        with pytest.raises(InvalidEncoding):
            verify_roster_entry(bytes(bad), world.association.public_key)
    entry = sign_roster_entry_as_admin(world.association, role=Role.ADMIN, team_id=NO_TEAM,
                                       **{**common, "now": None})
    assert entry.issued_at > T0 - 10**12


def test_roster_view_refuses_rollbacks_and_equivocation(world: World) -> None:
    view = RosterView(world.association.public_key)
    alice = world["alice"]
    newer = person(world.association, "alice", Role.VOLUNTEER, world.team_id, serial=2, now=T0 + 1)
    assert view.accept(newer.roster.raw) == newer.roster
    assert view.accept(newer.roster.raw) == newer.roster and len(view) == 1
    with pytest.raises(RosterRollback):
        view.accept(alice.roster.raw)
    conflicting = person(world.association, "alice", Role.COORDINATOR, world.team_id, serial=2, now=T0 + 1)
    with pytest.raises(RosterConflict):
        view.accept(conflicting.roster.raw)
    assert view.current(alice.user_id) == newer.roster
    with pytest.raises(UnknownUser):
        view.current(world["bob"].user_id)
    revoked = sign_roster_entry_as_admin(world.association, user_id=alice.user_id, serial=3,
                                         role=Role.VOLUNTEER, team_id=world.team_id,
                                         encryption_public=alice.keys.encryption_public,
                                         signing_public=alice.keys.signing_public, status=Status.REVOKED, now=T0)
    view.accept(revoked.raw)
    with pytest.raises(RevokedUser):
        view.current(alice.user_id)
