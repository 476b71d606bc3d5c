"""Write tests/vectors/protocol-v1.json: vectors for every construction of protocol version 1.

Run from the repository root: ``python -m tests.vectors.generate_protocol_vectors``. The file is
committed; the Python suite (tests/crypto/test_protocol_vectors.py) and the browser suite check
their implementations against it, and docs/PROTOCOL.md section 12 says how to read it.

Everything is derived from fixed seeds, so a second run writes the same bytes except inside
HPKE-wrapped keys (the library draws the ephemeral keys) and what hashes or signs them: the
case logs. Those parts are checked by verifying and opening, never by comparing bytes.
"""

import json
from pathlib import Path
from typing import Any

from crypto import labels
from crypto.acceptance import MAX_CLOCK_AHEAD_MS
from crypto.caselog import MAX_LAMPORT_STEP, open_case_log_as_member, verify_case_log
from crypto.casekeys import (
    case_key_commitment,
    seal_previous_case_key,
    wrap_case_key_for_member,
)
from crypto.control import AddMember, MemberGrant
from crypto.encoding import b64url_encode
from crypto.entry import (
    EntryHeader,
    Kind,
    entry_key,
    make_entry_as_author,
    pad_body,
    padded_size,
    parse_entry,
    seal_entry_body,
)
from crypto.kdf import KdfParams, derive_master_secret, hkdf_sha256, split_master_secret
from crypto.keys import (
    ED25519_SMALL_ORDER,
    X25519_SMALL_ORDER,
    association_fingerprint,
    generate_account_keys,
    generate_association_key,
    spoken_fingerprint,
    wrap_account_keys_with_kek,
    wrap_association_key_with_kek,
)
from crypto.measures import MeasureRow, Unit, sign_measures_table_as_coordinator
from crypto.roster import Role
from crypto.writer import (
    add_member_as_coordinator,
    reencrypt_case_as_coordinator,
    remove_member_as_coordinator,
    seal_entry_as_author,
    stub_of,
)
from tests.crypto.scenario import (
    T0,
    World,
    body,
    craft,
    craft_genesis,
    make_world,
    open_case,
    person,
    replay,
    seed,
    standard_case,
)

OUT = Path(__file__).with_name("protocol-v1.json")


def hx(data: bytes) -> str:
    return data.hex()


def b64(data: bytes) -> str:
    return b64url_encode(data)


def header_json(header: EntryHeader) -> dict[str, Any]:
    return {"kind": int(header.kind), "case_id": hx(header.case_id), "entry_id": hx(header.entry_id),
            "epoch": header.epoch, "author": hx(header.author), "device_id": hx(header.device_id),
            "device_seq": header.device_seq, "prev_hash": hx(header.prev_hash),
            "control_head": hx(header.control_head), "lamport": header.lamport, "time": header.time}


def derivation() -> list[dict[str, Any]]:
    params = KdfParams(iterations=600_000, salt=seed("salt", 16))
    master = derive_master_secret("mot de passe \u00e0 rallonge", params)
    secrets = split_master_secret(master)
    return [{"passphrase": "mot de passe \u00e0 rallonge", "kdf": params.to_json(), "master": hx(master),
             "auth": hx(secrets.auth), "kek": hx(secrets.kek),
             "key_blob_key": hx(hkdf_sha256(secrets.kek, labels.KEY_BLOB_WRAP))}]


def hkdf_vectors() -> list[dict[str, Any]]:
    case_id, key = seed("hkdf case", 16), seed("hkdf epoch key")
    entry_id = seed("hkdf entry", 16)
    epoch = (7).to_bytes(4, "big")
    rows = [
        ("entry key", key, labels.ENTRY_KEY + case_id + entry_id + epoch),
        ("history key", key, labels.HISTORY_KEY + case_id + epoch),
        ("key commitment", key, labels.KEY_COMMITMENT + case_id + epoch),
        ("key blob key", seed("a kek"), labels.KEY_BLOB_WRAP),
    ]
    return [{"name": name, "ikm": hx(ikm), "info": hx(info), "okm": hx(hkdf_sha256(ikm, info))}
            for name, ikm, info in rows]


def padding() -> dict[str, Any]:
    sizes = [0, 1, 100, 252, 253, 268, 269, 1000, 4096, 65_536, 100_000, 1_048_576]
    example = body("note", text="Rendez-vous au greffe \u00e0 9 h.")
    return {"sizes": [{"json_length": n, "padded_size": padded_size(n)} for n in sizes],
            "example": {"body_json": example.decode(), "padded": hx(pad_body(example))}}


def public_keys(world: World) -> dict[str, Any]:
    return {
        "x25519_invalid": sorted(hx(k) for k in X25519_SMALL_ORDER) + [
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",   # top bit set
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"],  # u = p
        "ed25519_invalid": sorted(hx(k) for k in ED25519_SMALL_ORDER) + [
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",   # y = p
            "0100000000000000000000000000000000000000000000000000000000000080",   # x = 0 with sign bit
            "0200000000000000000000000000000000000000000000000000000000000000"],  # not on the curve
        "x25519_valid": [hx(world[n].keys.encryption_public) for n in ("alice", "bob")],
        "ed25519_valid": [hx(world[n].keys.signing_public) for n in ("alice", "bob")],
    }


def fingerprints(world: World) -> list[dict[str, Any]]:
    association = association_fingerprint(world.association.public)
    alice = world["alice"].roster
    return [
        {"kind": "association", "signing_public": hx(world.association.public), "fingerprint": b64(association),
         "spoken": spoken_fingerprint(association)},
        {"kind": "user", "user_id": hx(alice.user_id), "encryption_public": hx(alice.encryption_public),
         "signing_public": hx(alice.signing_public), "fingerprint": b64(alice.fingerprint()),
         "spoken": spoken_fingerprint(alice.fingerprint())},
    ]


def key_blobs(world: World) -> list[dict[str, Any]]:
    kek = seed("alice kek")
    alice = world["alice"].keys
    admin_id = seed("admin user id", 16)
    return [
        {"purpose": 1, "kek": hx(kek), "user_id": hx(alice.user_id), "nonce": hx(seed("blob nonce", 12)),
         "encryption_private": hx(alice.encryption_private.private_bytes_raw()),
         "signing_private": hx(alice.signing_private.private_bytes_raw()),
         "blob": b64(wrap_account_keys_with_kek(alice, kek, nonce=seed("blob nonce", 12)))},
        {"purpose": 2, "kek": hx(kek), "user_id": hx(admin_id), "nonce": hx(seed("admin blob nonce", 12)),
         "signing_private": hx(world.association.signing_private.private_bytes_raw()),
         "blob": b64(wrap_association_key_with_kek(world.association, admin_id, kek,
                                                   nonce=seed("admin blob nonce", 12)))},
    ]


def roster(world: World) -> dict[str, Any]:
    entries = []
    for name in ("alice", "bob", "carol", "dan", "olga", "audrey"):
        entry = world[name].roster
        entries.append({"name": name, "user_id": hx(entry.user_id), "serial": entry.serial, "role": int(entry.role),
                        "status": int(entry.status), "team_id": hx(entry.team_id),
                        "encryption_public": hx(entry.encryption_public), "signing_public": hx(entry.signing_public),
                        "issued_at": entry.issued_at, "raw": b64(entry.raw)})
    return {"association_seed": hx(seed("association ed25519")), "association_public": hx(world.association.public),
            "entries": entries}


def wraps(world: World) -> list[dict[str, Any]]:
    case_id, key = seed("wrap case", 16), seed("wrap case key")
    alice = world["alice"]
    wrapped = wrap_case_key_for_member(key, case_id=case_id, epoch=5, recipient=alice.roster)
    return [{"case_id": hx(case_id), "epoch": 5, "recipient": hx(alice.user_id),
             "recipient_private": hx(alice.keys.encryption_private.private_bytes_raw()),
             "recipient_public": hx(alice.keys.encryption_public), "case_key": hx(key),
             "info": hx(labels.HPKE_CASE_KEY + wrapped.context()), "wrapped": b64(wrapped.to_bytes())}]


def seals(world: World) -> list[dict[str, Any]]:
    alice, carol = world["alice"], world["carol"]
    key = seed("seal epoch key")
    rows = []
    for kind, who, ref in ((Kind.CONTENT, alice, None), (Kind.RESEAL, carol, seed("resealed entry hash"))):
        header = EntryHeader(kind=kind, case_id=seed("seal case", 16), entry_id=seed(f"seal entry {kind}", 16),
                             epoch=4, author=who.user_id, device_id=who.device_id, device_seq=12,
                             prev_hash=seed("seal previous"), control_head=seed("seal control"), lamport=77,
                             time=T0 + 5)
        body_json = body("intake", alias="R. A.", measures=["OQTF"], appeal_deadline="2027-01-15")
        nonce = seed(f"seal nonce {kind}", 12)
        sealed = seal_entry_body(header, body_json, key, nonce=nonce, ref=ref)
        entry = make_entry_as_author(header, sealed, who.keys)
        rows.append({"kind": int(kind), "case_key": hx(key), "header": header_json(header),
                     "header_bytes": hx(header.raw), "body_json": body_json.decode(), "nonce": hx(nonce),
                     "ref": hx(ref) if ref else None, "entry_key": hx(entry_key(key, header)),
                     "padded": hx(pad_body(body_json)), "body": hx(sealed),
                     "author_signing_seed": hx(who.keys.signing_private.private_bytes_raw()),
                     "author_signing_public": hx(who.keys.signing_public),
                     "body_digest": hx(entry.body_digest), "signature": hx(entry.signature),
                     "envelope": b64(entry.to_bytes()), "entry_hash": hx(entry.hash),
                     "stub": b64(entry.stub().to_bytes())})
    return rows


def history_and_commitments() -> dict[str, Any]:
    case_id, old, new = seed("history case", 16), seed("epoch 2 key"), seed("epoch 3 key")
    nonce = seed("history nonce", 12)
    return {
        "history": [{"case_id": hx(case_id), "new_epoch": 3, "previous_key": hx(old), "new_key": hx(new),
                     "nonce": hx(nonce), "box": hx(seal_previous_case_key(old, new, case_id=case_id, new_epoch=3,
                                                                          nonce=nonce))}],
        "commitments": [{"case_id": hx(case_id), "epoch": epoch, "case_key": hx(key),
                         "commitment": hx(case_key_commitment(key, case_id=case_id, epoch=epoch))}
                        for epoch, key in ((2, old), (3, new))],
    }


def people_json(world: World) -> dict[str, Any]:
    return {name: {"user_id": hx(p.user_id), "role": int(p.roster.role),
                   "encryption_private": hx(p.keys.encryption_private.private_bytes_raw()),
                   "signing_private": hx(p.keys.signing_private.private_bytes_raw()),
                   "device_id": hx(p.device_id)} for name, p in world.people.items()}


MEASURE_ROWS = [MeasureRow("OQTF", "OQTF sans délai de départ", 48, Unit.HOURS),
                MeasureRow("OQTF", "OQTF avec délai de départ", 30, Unit.DAYS, checked=True),
                MeasureRow("house_arrest", "Assignation à résidence", 48, Unit.HOURS)]


def measure_row_json(row: MeasureRow) -> dict[str, Any]:
    return {"code": row.code, "label": row.label, "amount": row.amount, "unit": int(row.unit), "checked": row.checked}


def measures(world: World) -> dict[str, Any]:
    """Team tables (6.11): exact bytes, and tables each reader refuses with the named error."""
    carol, dan, alice = world["carol"], world["dan"], world["alice"]

    def table(who: Any, version: int, rows: list[MeasureRow]) -> Any:
        return sign_measures_table_as_coordinator(who.keys, who.roster, team_id=world.team_id, version=version,
                                                  rows=rows, now=T0)

    first, second = table(carol, 1, MEASURE_ROWS), table(dan, 2, MEASURE_ROWS[:1])
    tables = [{"name": name, "signer": signer, "team_id": hx(world.team_id), "version": t.version,
               "issued_at": t.issued_at, "rows": [measure_row_json(r) for r in MEASURE_ROWS[:len(t.rows)]],
               "sorted_rows": [measure_row_json(r) for r in t.rows], "raw": b64(t.raw)}
              for name, signer, t in (("three rows by carol", "carol", first), ("one row by dan", "dan", second))]
    body = first.raw[:-64]
    by_alice = body[:24] + alice.user_id + body[40:]
    flipped = first.raw[:-1] + bytes([first.raw[-1] ^ 1])
    unsorted = body[:48] + (2).to_bytes(2, "big") + b"".join(
        bytes([len(c)]) + c + bytes([len(lb)]) + lb + b"\x01\x00\x30\x00" for c, lb in ((b"M", b"b"), (b"M", b"a")))

    def refuse(name: str, raw: bytes, signer: str, error: str, *, team_id: bytes = world.team_id,
               known: bytes | None = None) -> dict[str, Any]:
        return {"name": name, "raw": b64(raw), "signer": signer, "team_id": hx(team_id),
                "known": b64(known) if known else None, "error": error}

    negative = [
        refuse("another team's table", first.raw, "carol", "WrongTeam", team_id=world.other_team_id),
        refuse("checked against another person", first.raw, "dan", "UnknownUser"),
        refuse("signed by a volunteer", by_alice + alice.keys.signing_private.sign(labels.SIGN_MEASURES + by_alice),
               "alice", "Unauthorized"),
        refuse("a flipped signature", flipped, "carol", "InvalidSignature"),
        refuse("signed as an entry", body + carol.keys.signing_private.sign(labels.SIGN_ENTRY + body), "carol",
               "InvalidSignature"),
        refuse("an older version", first.raw, "carol", "TableRollback", known=second.raw),
        refuse("another table under a known version", table(carol, 2, MEASURE_ROWS[1:]).raw, "carol", "TableRollback",
               known=second.raw),
        refuse("another tag", b"CNX" + first.raw[3:], "carol", "WrongFormat"),
        refuse("version 2 of the format", first.raw[:3] + b"\x02" + first.raw[4:], "carol", "UnsupportedVersion"),
        refuse("cut short", first.raw[:-1], "carol", "TruncatedInput"),
        refuse("a byte too many", first.raw + b"\x00", "carol", "TrailingBytes"),
        refuse("rows out of order", unsorted + first.raw[-64:], "carol", "InvalidEncoding"),
    ]
    return {"tables": tables, "negative": negative}


def case_log(world: World) -> tuple[dict[str, Any], Any]:
    case = standard_case(world)
    log = verify_case_log(case.case_id, case.envelopes, world.association.public_key, case_keys=case.keys)
    checkpoint = log.checkpoint()
    recovered = {}
    for name in ("alice", "bob", "carol", "dan"):
        _, keys, _ = open_case_log_as_member(case.case_id, case.envelopes, world.association.public_key,
                                             world[name].keys)
        recovered[name] = sorted(keys)
    bodies = log.open_with(case.keys)
    return {
        "case_id": hx(case.case_id), "steps": case.steps, "envelopes": [b64(e) for e in case.envelopes],
        "epoch_keys": {str(e): hx(k) for e, k in case.keys.items()},
        "expect": {"epoch": log.state.epoch, "members": sorted(hx(m) for m in log.state.members),
                   "checkpoint": b64(checkpoint.to_bytes()), "head": hx(checkpoint.head()),
                   "spoken_head": checkpoint.spoken_head(), "recovered_epochs": recovered,
                   "bodies": [{"entry_hash": hx(h), "body_json": b.decode()} for h, b in bodies.items()]},
    }, case


def reencrypted_case_log(world: World) -> dict[str, Any]:
    case = open_case(world, members=("alice", "bob", "carol"), case_id=seed("re-encrypted case id", 16))
    case.write("alice", body("intake", alias="S."), "alice: intake")
    case.rotate("carol")
    case.write("bob", body("edit", field="release_date", value="2027-03-01"), "bob: edit in epoch 2")
    carol = world["carol"]
    reseals, key = reencrypt_case_as_coordinator(case.log, carol.keys, device_id=carol.device_id,
                                                 case_keys=case.keys, new_key=seed("re-encryption key"), now=T0)
    kinds = [parse_entry(e).header.kind for e in case.envelopes]
    stored = [stub_of(e) if kind == Kind.CONTENT else e for e, kind in zip(case.envelopes, kinds)] + reseals
    log = verify_case_log(case.case_id, stored, world.association.public_key, case_keys={3: key})
    return {"case_id": hx(case.case_id), "envelopes": [b64(e) for e in stored], "epoch_keys": {"3": hx(key)},
            "unstubbed_envelopes": [b64(e) for e in case.envelopes + reseals],
            "expect": {"epoch": 3, "head": hx(log.checkpoint().head()),
                       "bodies": [{"entry_hash": hx(h), "body_json": b.decode()}
                                  for h, b in log.open_with({3: key}).items()]}}


def negative(world: World, case: Any, reencrypted: dict[str, Any]) -> list[dict[str, Any]]:
    envelopes = case.envelopes
    keys = {str(e): hx(k) for e, k in case.keys.items()}
    first_key = {"1": keys["1"]}
    log = replay(world, envelopes)
    alice, bob, carol, dan = (world[n] for n in ("alice", "bob", "carol", "dan"))
    intake = parse_entry(envelopes[1])
    rows: list[dict[str, Any]] = []

    def log_vector(name: str, error: str, ops: list[dict[str, Any]], **extra: Any) -> None:
        rows.append({"name": name, "target": "case_log", "base": extra.pop("base", "case_log"), "ops": ops,
                     "error": error, **extra})

    def before(index: int) -> Any:
        return replay(world, envelopes[:index])

    at1 = before(1)
    log_vector("ciphertext bit flip", "InvalidSignature",
               [{"op": "flip", "index": 1, "offset": len(envelopes[1]) - 64 - 20, "mask": 1}])
    log_vector("ciphertext bit flip re-signed by the author", "DecryptionFailed",
               [{"op": "truncate", "length": 2}, {"op": "replace", "index": 1, "envelope": b64(craft(
                   at1, alice, Kind.CONTENT, bytes([intake.body[0] ^ 1]) + intake.body[1:],
                   entry_id=intake.header.entry_id, lamport=intake.header.lamport, time=intake.header.time))}],
               case_keys=first_key)
    log_vector("header bit flip (time)", "InvalidSignature", [{"op": "flip", "index": 1, "offset": 4 + 160, "mask": 1}])
    log_vector("header changed and re-signed by the author", "DecryptionFailed",
               [{"op": "truncate", "length": 2}, {"op": "replace", "index": 1, "envelope": b64(craft(
                   at1, alice, Kind.CONTENT, intake.body, entry_id=intake.header.entry_id,
                   lamport=intake.header.lamport, time=intake.header.time + 1))}], case_keys=first_key)
    other_case = reencrypted["envelopes"][0]
    log_vector("entry moved to another case", "WrongCase", [{"op": "append", "envelope": other_case}])
    log_vector("entry replayed later in the log", "ReplayedEntry", [{"op": "append", "envelope": b64(envelopes[1])}])
    replayed = craft(log, alice, Kind.CONTENT, intake.body, entry_id=seed("replayed into epoch 3", 16))
    log_vector("ciphertext replayed into another epoch, re-signed", "DecryptionFailed",
               [{"op": "append", "envelope": b64(replayed)}], case_keys=keys)
    log_vector("entry from a member removed before that epoch", "NotAMember",
               [{"op": "append", "envelope": b64(craft(log, bob, Kind.CONTENT, case_key=case.keys[3],
                                                        body_json=body("after removal")))}])
    log_vector("backdated entry from a removed member", "NotAMember",
               [{"op": "append", "envelope": b64(craft(log, bob, Kind.CONTENT, case_key=case.keys[2],
                                                        body_json=body("backdated"), epoch=2,
                                                        control_head=log.states[2].entry_hash))}])
    log_vector("signature by a key not in the roster", "InvalidSignature",
               [{"op": "append", "envelope": b64(craft(log, alice, Kind.CONTENT, case_key=case.keys[3],
                                                        body_json=body("forged"),
                                                        signer=generate_account_keys(alice.user_id,
                                                                                     signing_seed=seed("forger"))))}])
    impostor = person(generate_association_key(seed=seed("impostor association")), "mallory", Role.VOLUNTEER,
                      world.team_id)
    wrapped = wrap_case_key_for_member(case.keys[3], case_id=case.case_id, epoch=3, recipient=impostor.roster)
    log_vector("member whose roster entry is not signed by the association", "InvalidSignature",
               [{"op": "append", "envelope": b64(craft(log, carol, Kind.ADD,
                                                        AddMember(MemberGrant(impostor.roster, wrapped)).to_bytes()))}])
    to_bob = wrap_case_key_for_member(case.keys[3], case_id=case.case_id, epoch=3, recipient=bob.roster)
    log_vector("volunteer adds a volunteer", "Unauthorized",
               [{"op": "append", "envelope": b64(craft(log, alice, Kind.ADD,
                                                        AddMember(MemberGrant(bob.roster, to_bob)).to_bytes()))}])
    audrey = world["audrey"]
    to_audrey = wrap_case_key_for_member(case.keys[3], case_id=case.case_id, epoch=3, recipient=audrey.roster)
    log_vector("volunteer adds an auditor", "Unauthorized",
               [{"op": "append", "envelope": b64(craft(log, alice, Kind.ADD,
                                                        AddMember(MemberGrant(audrey.roster, to_audrey)).to_bytes()))}])
    log_vector("new member's key wrapped to someone else", "InvalidControlEntry",
               [{"op": "append", "envelope": b64(craft(log, carol, Kind.ADD,
                                                        AddMember(MemberGrant(dan.roster, to_bob)).to_bytes()))}])
    log_vector("writer's entry dropped from the middle", "BrokenChain", [{"op": "drop", "index": 1}])
    log_vector("two entries of one writer reordered", "BrokenChain", [{"op": "swap", "i": 6, "j": 8}])
    log_vector("entry served before the control entry it builds on", "BrokenChain", [{"op": "swap", "i": 5, "j": 6}])
    full_checkpoint = b64(log.checkpoint().to_bytes())
    log_vector("rollback to an older head the client had seen", "RollbackDetected",
               [{"op": "truncate", "length": 7}], checkpoint=full_checkpoint)
    twin = craft(before(9), carol, Kind.CONTENT, case_key=case.keys[3], body_json=body("the other version"))
    forked = replay(world, envelopes[:9])
    forked.append(twin)
    log_vector("fork: another member was shown a different entry at the same place", "ForkDetected", [],
               checkpoint=b64(forked.checkpoint().to_bytes()))
    log_vector("fork: two entries at the same place of one device chain", "ForkDetected",
               [{"op": "append", "envelope": b64(twin)}])
    log_vector("entry sealed under an old epoch key after a rotation", "StaleEpoch",
               [{"op": "append", "envelope": b64(craft(log, alice, Kind.CONTENT, case_key=case.keys[2],
                                                        body_json=body("stale"), epoch=2,
                                                        control_head=log.states[2].entry_hash))}])
    log_vector("old epoch claimed on the new control entry", "EpochMismatch",
               [{"op": "append", "envelope": b64(craft(log, alice, Kind.CONTENT, case_key=case.keys[2],
                                                        body_json=body("stale"), epoch=2))}])
    log_vector("control entry that does not extend the latest one", "ForkDetected",
               [{"op": "append", "envelope": b64(craft(
                   log, carol, Kind.ADD, AddMember(MemberGrant(dan.roster, wrap_case_key_for_member(
                       case.keys[2], case_id=case.case_id, epoch=2, recipient=dan.roster))).to_bytes(),
                   epoch=2, control_head=log.states[2].entry_hash, device_id=seed("carol's tablet", 16),
                   device_seq=1, prev_hash=bytes(32)))}])
    log_vector("trailing byte after an envelope", "TrailingBytes", [{"op": "append_bytes", "index": 1, "data": "00"}])
    log_vector("truncated envelope", "TruncatedInput", [{"op": "truncate_bytes", "index": 1, "length": 200}])
    envelope = envelopes[1]
    huge = envelope[:165] + (2**24).to_bytes(4, "big") + envelope[169:]
    log_vector("body length above the maximum", "OversizedInput", [{"op": "replace", "index": 1, "envelope": b64(huge)}])
    longer = envelope[:165] + (len(intake.body) + 1).to_bytes(4, "big") + envelope[169:-64] + b"\x00" + envelope[-64:]
    log_vector("sealed body whose size is not a padded size", "InvalidEncoding",
               [{"op": "replace", "index": 1, "envelope": b64(longer)}])
    genesis = parse_entry(envelopes[0]).body
    unsorted = genesis[:50] + genesis[50 + 298:] + genesis[50:50 + 298]
    log_vector("genesis members not sorted (re-signed)", "InvalidEncoding",
               [{"op": "replace", "index": 0, "envelope": b64(craft_genesis(alice, unsorted, case.case_id))}])
    too_many = genesis[:48] + (1001).to_bytes(2, "big") + genesis[50:]
    log_vector("genesis with more members than allowed (re-signed)", "OversizedInput",
               [{"op": "replace", "index": 0, "envelope": b64(craft_genesis(alice, too_many, case.case_id))}])
    for version in (0, 2):
        log_vector(f"envelope version {version}", "UnsupportedVersion",
                   [{"op": "set_byte", "index": 1, "offset": 3, "value": version}])
        log_vector(f"header version {version}", "UnsupportedVersion",
                   [{"op": "set_byte", "index": 1, "offset": 7, "value": version}])
    log_vector("unknown entry kind", "InvalidEncoding", [{"op": "set_byte", "index": 1, "offset": 8, "value": 5}])
    log_vector("Lamport clock past the bound over the log", "CounterOutOfRange",
               [{"op": "append", "envelope": b64(craft(log, alice, Kind.CONTENT, case_key=case.keys[3],
                                                        body_json=body("far ahead"),
                                                        lamport=log.max_lamport + MAX_LAMPORT_STEP + 1))}])
    log_vector("content entry stubbed without a reseal", "IncompleteLog",
               [{"op": "replace", "index": 1, "envelope": b64(stub_of(envelopes[1]))}])
    log_vector("log verified under another association key", "InvalidSignature", [],
               association_public=hx(generate_association_key(seed=seed("impostor association")).public))
    log_vector("log verified as another case", "WrongCase", [], case_id=hx(seed("another case", 16)))

    # Single values outside any log.
    association = world.association
    swapped = alice.roster.raw[:42] + bob.keys.encryption_public + alice.roster.raw[74:]
    rows.append({"name": "public key substituted by the server", "target": "roster_entry", "raw": b64(swapped),
                 "error": "InvalidSignature"})
    rows.append({"name": "roster entry not signed by the association", "target": "roster_entry",
                 "raw": b64(impostor.roster.raw), "error": "InvalidSignature"})
    zero_body = alice.roster.raw[:42] + bytes(32) + alice.roster.raw[74:114]
    rows.append({"name": "all-zero X25519 key in a signed roster entry", "target": "roster_entry",
                 "raw": b64(zero_body + association.signing_private.sign(labels.SIGN_ROSTER + zero_body)),
                 "error": "InvalidPublicKey"})
    for version in (0, 2):
        raw = bytearray(alice.roster.raw)
        raw[3] = version
        rows.append({"name": f"roster entry version {version}", "target": "roster_entry", "raw": b64(bytes(raw)),
                     "error": "UnsupportedVersion"})
    genesis_payload = replay(world, envelopes[:1]).entries[0].payload
    carols = next(g.wrapped for g in genesis_payload.grants if g.roster.user_id == carol.user_id)
    rows.append({"name": "wrapped key addressed to someone else", "target": "wrapped_key", "member": "alice",
                 "case_id": hx(case.case_id), "epoch": 1, "raw": b64(carols.to_bytes()), "error": "WrongRecipient"})
    relabelled = type(carols)(carols.case_id, 1, alice.user_id, carols.sealed)
    rows.append({"name": "wrapped key relabelled for another member", "target": "wrapped_key", "member": "alice",
                 "case_id": hx(case.case_id), "epoch": 1, "raw": b64(relabelled.to_bytes()),
                 "error": "DecryptionFailed"})
    rows.append({"name": "weaker KDF parameters", "target": "kdf_params", "error": "InvalidKdfParameters",
                 "json": {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 100000, "salt": "AAECAwQFBgcICQoLDA0ODw"}})
    rows.append({"name": "unknown KDF version", "target": "kdf_params", "error": "InvalidKdfParameters",
                 "json": {"v": 2, "alg": "PBKDF2-HMAC-SHA256", "iterations": 600000, "salt": "AAECAwQFBgcICQoLDA0ODw"}})
    rows.append({"name": "non-canonical base64url", "target": "base64url", "text": "AB", "error": "InvalidEncoding"})
    rows.append({"name": "stub of a control entry", "target": "entry", "error": "InvalidEncoding",
                 "raw": b64(b"CNS\x01" + parse_entry(envelopes[2]).header.raw + bytes(96))})
    return rows


def acceptance(world: World, case: Any) -> list[dict[str, Any]]:
    """What a server may add to the case log (docs/PROTOCOL.md 9.1): each row offers one entry to
    the whole case log at the server time `now_ms`; `error` is null when it is accepted."""
    log = replay(world, case.envelopes)
    alice, bob = world["alice"], world["bob"]
    now = T0 + 3_600_000
    rows: list[dict[str, Any]] = []

    def offer(name: str, error: str | None, envelope: bytes) -> None:
        rows.append({"name": name, "base": "case_log", "now_ms": now, "offered": b64(envelope), "error": error})

    def content(**overrides: Any) -> bytes:
        return craft(log, alice, Kind.CONTENT, case_key=case.keys[3], body_json=body("offered"), **overrides)

    offer("an honest member's next entry", None, content())
    offer("Lamport clock at the bound over the log", None, content(lamport=log.max_lamport + MAX_LAMPORT_STEP))
    offer("Lamport clock one past the bound", "CounterOutOfRange",
          content(lamport=log.max_lamport + MAX_LAMPORT_STEP + 1))
    offer("Lamport clock at 2**53 - 1", "CounterOutOfRange", content(lamport=2**53 - 1))
    offer("a stub offered without its body", "IncompleteLog", stub_of(content()))
    offer("time a day ahead of the server's clock", None, content(time=now + MAX_CLOCK_AHEAD_MS))
    offer("time a day and a millisecond ahead", "ClockOutOfRange", content(time=now + MAX_CLOCK_AHEAD_MS + 1))
    offer("time at 2**53 - 1", "ClockOutOfRange", content(time=2**53 - 1))
    offer("time long past (written offline)", None, content(time=T0 - 30 * 86_400_000))
    offer("an entry from a removed member, on the state before the removal", "NotAMember",
          craft(log, bob, Kind.CONTENT, case_key=case.keys[2], body_json=body("backdated"), epoch=2,
                control_head=log.states[2].entry_hash))
    for name, error in (("dan", None), ("bob", "Unauthorized")):
        role = "coordinator of the case's team" if error is None else "volunteer"
        grant = AddMember(MemberGrant(world[name].roster, wrap_case_key_for_member(
            case.keys[3], case_id=case.case_id, epoch=3, recipient=world[name].roster))).to_bytes()
        offer(f"a volunteer member adds a {role}", error, craft(log, alice, Kind.ADD, grant))
    rows.extend(membership_traces(world, case, now))
    return rows


def membership_traces(world: World, case: Any, now: int) -> list[dict[str, Any]]:
    """Orders of events the convergence state machine exercises (PROTOCOL 8.8 item 4): `before`
    holds entries the server stored first, in order, then `offered` comes."""
    alice, bob, carol = world["alice"], world["bob"], world["carol"]
    rows: list[dict[str, Any]] = []

    def offer(name: str, error: str | None, before: list[bytes], envelope: bytes) -> None:
        rows.append({"name": name, "base": "case_log", "now_ms": now, "before": [b64(e) for e in before],
                     "offered": b64(envelope), "error": error})

    # Bob, removed at epoch 3, is added back; his device chain goes on from its frozen head.
    log = replay(world, case.envelopes)
    readd = add_member_as_coordinator(log, carol.keys, device_id=carol.device_id, new_member=bob.roster,
                                      case_key=case.keys[3], now=T0)
    offer("a member added back writes on the new base, continuing the frozen device chain", None, [readd],
          seal_entry_as_author(log, bob.keys, device_id=bob.device_id, case_key=case.keys[3],
                               body_json=body("back"), now=T0))
    offer("a member added back still cannot write on a base before the removal", "NotAMember", [readd],
          craft(replay(world, [*case.envelopes, readd]), bob, Kind.CONTENT, case_key=case.keys[2],
                body_json=body("old base"), epoch=2, control_head=log.states[2].entry_hash))
    # The coordinator removes alice on a view that lacks the entry she pushed meanwhile.
    stale = replay(world, case.envelopes)
    removal, _ = remove_member_as_coordinator(stale, carol.keys, device_id=carol.device_id, user_id=alice.user_id,
                                              case_key=case.keys[3], now=T0)
    pushed_meanwhile = seal_entry_as_author(replay(world, case.envelopes), alice.keys, device_id=alice.device_id,
                                            case_key=case.keys[3], body_json=body("meanwhile"), now=T0)
    offer("a removal whose frozen heads miss an entry the server stored first", "InvalidControlEntry",
          [pushed_meanwhile], removal)
    again, _ = remove_member_as_coordinator(replay(world, [*case.envelopes, pushed_meanwhile]), carol.keys,
                                            device_id=carol.device_id, user_id=alice.user_id,
                                            case_key=case.keys[3], now=T0)
    offer("the same removal written again on the new view", None, [pushed_meanwhile], again)
    return rows


def build() -> dict[str, Any]:
    world = make_world()
    log_vectors, case = case_log(world)
    reencrypted = reencrypted_case_log(world)
    return {
        "protocol": "carnet", "version": 1,
        "generator": "python -m tests.vectors.generate_protocol_vectors",
        "encoding": "bytes are lowercase hex unless the field holds a whole message, which is base64url "
                    "without padding; integers are JSON numbers",
        "labels": {name: value.decode("ascii") for name, value in sorted(labels.ALL_LABELS.items())},
        "derivation": derivation(),
        "hkdf": hkdf_vectors(),
        "padding": padding(),
        "public_keys": public_keys(world),
        "fingerprints": fingerprints(world),
        "key_blobs": key_blobs(world),
        "roster": roster(world),
        "wraps": wraps(world),
        "seals": seals(world),
        **history_and_commitments(),
        "people": people_json(world),
        "measures": measures(world),
        "case_log": log_vectors,
        "reencrypted_case_log": reencrypted,
        "negative": negative(world, case, reencrypted),
        "acceptance": acceptance(world, case),
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()

