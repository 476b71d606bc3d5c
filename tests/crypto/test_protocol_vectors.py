"""tests/vectors/protocol-v1.json, checked against the Python reference.

The browser suite runs the same file. Exact constructions are recomputed from their inputs and
compared byte for byte; HPKE-wrapped keys and the case logs that contain them are checked by
opening and verifying. Every negative vector must fail with exactly the error class it names.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto import labels
from crypto.acceptance import accept_entry
from crypto.caselog import Checkpoint, open_case_log_as_member, verify_case_log
from crypto.casekeys import (
    WrappedCaseKey,
    case_key_commitment,
    open_previous_case_key,
    seal_previous_case_key,
    unwrap_case_key_as_member,
)
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import EntryHeader, Kind, entry_key, make_entry_as_author, pad_body, padded_size, parse_entry, \
    seal_entry_body
from crypto.errors import CarnetCryptoError, InvalidPublicKey
from crypto.kdf import KdfParams, derive_master_secret, hkdf_sha256, split_master_secret
from crypto.keys import (
    AccountKeys,
    association_fingerprint,
    check_ed25519_public_key,
    check_x25519_public_key,
    generate_account_keys,
    generate_association_key,
    spoken_fingerprint,
    unwrap_account_keys_with_kek,
    unwrap_association_key_with_kek,
    user_fingerprint,
    wrap_account_keys_with_kek,
    wrap_association_key_with_kek,
)
from crypto.measures import MeasureRow, Unit, accept_measures_table, parse_measures_table, \
    sign_measures_table_as_coordinator
from crypto.roster import Role, Status, sign_roster_entry_as_admin, verify_roster_entry
from tests.vectors import generate_protocol_vectors

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "protocol-v1.json"
# Sections whose bytes do not depend on HPKE randomness: a fresh run must reproduce them exactly.
EXACT_SECTIONS = ("labels", "derivation", "hkdf", "padding", "public_keys", "fingerprints", "key_blobs", "roster",
                  "seals", "history", "commitments", "people", "measures")


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def account(person: dict[str, Any]) -> AccountKeys:
    return generate_account_keys(h(person["user_id"]), encryption_seed=h(person["encryption_private"]),
                                 signing_seed=h(person["signing_private"]))


def association_key(data: dict[str, Any]) -> Ed25519PublicKey:
    return check_ed25519_public_key(h(data["roster"]["association_public"]))


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text("utf-8"))


def test_header_names_the_protocol_and_its_labels(vectors) -> None:
    assert vectors["protocol"] == "carnet" and vectors["version"] == 1
    assert vectors["labels"] == {k: v.decode() for k, v in labels.ALL_LABELS.items()}


def test_derivation(vectors) -> None:
    for row in vectors["derivation"]:
        master = derive_master_secret(row["passphrase"], KdfParams.from_json(row["kdf"]))
        secrets = split_master_secret(master)
        assert (master.hex(), secrets.auth.hex(), secrets.kek.hex()) == (row["master"], row["auth"], row["kek"])
        assert hkdf_sha256(secrets.kek, labels.KEY_BLOB_WRAP).hex() == row["key_blob_key"]
    for row in vectors["hkdf"]:
        assert hkdf_sha256(h(row["ikm"]), h(row["info"])).hex() == row["okm"], row["name"]


def test_padding(vectors) -> None:
    for row in vectors["padding"]["sizes"]:
        assert padded_size(row["json_length"]) == row["padded_size"]
    example = vectors["padding"]["example"]
    assert pad_body(example["body_json"].encode()).hex() == example["padded"]


def test_public_key_checks(vectors) -> None:
    keys = vectors["public_keys"]
    for raw in keys["x25519_invalid"]:
        with pytest.raises(InvalidPublicKey):
            check_x25519_public_key(h(raw))
    for raw in keys["ed25519_invalid"]:
        with pytest.raises(InvalidPublicKey):
            check_ed25519_public_key(h(raw))
    for raw in keys["x25519_valid"]:
        check_x25519_public_key(h(raw))
    for raw in keys["ed25519_valid"]:
        check_ed25519_public_key(h(raw))


def test_fingerprints(vectors) -> None:
    association, user = vectors["fingerprints"]
    digest = association_fingerprint(h(association["signing_public"]))
    assert (b64url_encode(digest), spoken_fingerprint(digest)) == (association["fingerprint"], association["spoken"])
    digest = user_fingerprint(h(user["user_id"]), h(user["encryption_public"]), h(user["signing_public"]))
    assert (b64url_encode(digest), spoken_fingerprint(digest)) == (user["fingerprint"], user["spoken"])


def test_key_blobs(vectors) -> None:
    account_blob, association_blob = vectors["key_blobs"]
    keys = generate_account_keys(h(account_blob["user_id"]), encryption_seed=h(account_blob["encryption_private"]),
                                 signing_seed=h(account_blob["signing_private"]))
    blob = b64url_decode(account_blob["blob"])
    assert wrap_account_keys_with_kek(keys, h(account_blob["kek"]), nonce=h(account_blob["nonce"])) == blob
    assert unwrap_account_keys_with_kek(blob, h(account_blob["kek"]), user_id=keys.user_id).signing_public == \
        keys.signing_public
    association = generate_association_key(seed=h(association_blob["signing_private"]))
    blob = b64url_decode(association_blob["blob"])
    assert wrap_association_key_with_kek(association, h(association_blob["user_id"]), h(association_blob["kek"]),
                                         nonce=h(association_blob["nonce"])) == blob
    assert unwrap_association_key_with_kek(blob, h(association_blob["kek"]),
                                           admin_id=h(association_blob["user_id"])).public == association.public


def test_roster_entries(vectors) -> None:
    roster = vectors["roster"]
    association = generate_association_key(seed=h(roster["association_seed"]))
    assert association.public.hex() == roster["association_public"]
    for row in roster["entries"]:
        entry = sign_roster_entry_as_admin(
            association, user_id=h(row["user_id"]), serial=row["serial"], role=Role(row["role"]),
            team_id=h(row["team_id"]), encryption_public=h(row["encryption_public"]),
            signing_public=h(row["signing_public"]), status=Status(row["status"]), now=row["issued_at"])
        assert b64url_encode(entry.raw) == row["raw"], row["name"]
        verify_roster_entry(entry.raw, association.public_key)


def test_wrapped_keys_open_to_the_case_key(vectors) -> None:
    for row in vectors["wraps"]:
        wrapped = WrappedCaseKey.from_bytes(b64url_decode(row["wrapped"]))
        assert (labels.HPKE_CASE_KEY + wrapped.context()).hex() == row["info"]
        private = X25519PrivateKey.from_private_bytes(h(row["recipient_private"]))
        member = AccountKeys(h(row["recipient"]), private, generate_account_keys(h(row["recipient"])).signing_private)
        assert unwrap_case_key_as_member(wrapped, member, case_id=h(row["case_id"]), epoch=row["epoch"]).hex() == \
            row["case_key"]


def test_seals_are_exact(vectors) -> None:
    for row in vectors["seals"]:
        fields = dict(row["header"])
        header = EntryHeader(**{k: (h(v) if isinstance(v, str) else v) for k, v in fields.items()
                                if k != "kind"}, kind=Kind(fields["kind"]))
        assert header.raw.hex() == row["header_bytes"]
        key = h(row["case_key"])
        assert entry_key(key, header).hex() == row["entry_key"]
        ref = h(row["ref"]) if row["ref"] else None
        sealed = seal_entry_body(header, row["body_json"].encode(), key, nonce=h(row["nonce"]), ref=ref)
        assert sealed.hex() == row["body"] and pad_body(row["body_json"].encode()).hex() == row["padded"]
        author = generate_account_keys(header.author, signing_seed=h(row["author_signing_seed"]))
        entry = make_entry_as_author(header, sealed, author)
        assert (entry.signature.hex(), entry.body_digest.hex(), entry.hash.hex()) == \
            (row["signature"], row["body_digest"], row["entry_hash"])
        assert b64url_encode(entry.to_bytes()) == row["envelope"]
        assert b64url_encode(entry.stub().to_bytes()) == row["stub"]
        parse_entry(b64url_decode(row["stub"])).verify_signature(h(row["author_signing_public"]))


def test_history_boxes_and_commitments(vectors) -> None:
    for row in vectors["history"]:
        box = seal_previous_case_key(h(row["previous_key"]), h(row["new_key"]), case_id=h(row["case_id"]),
                                     new_epoch=row["new_epoch"], nonce=h(row["nonce"]))
        assert box.hex() == row["box"]
        assert open_previous_case_key(box, h(row["new_key"]), case_id=h(row["case_id"]),
                                      new_epoch=row["new_epoch"]).hex() == row["previous_key"]
    for row in vectors["commitments"]:
        assert case_key_commitment(h(row["case_key"]), case_id=h(row["case_id"]), epoch=row["epoch"]).hex() == \
            row["commitment"]


def epoch_keys(row: dict[str, str]) -> dict[int, bytes]:
    return {int(epoch): h(key) for epoch, key in row.items()}


def test_case_log_verifies_and_opens(vectors) -> None:
    data, association = vectors["case_log"], association_key(vectors)
    envelopes = [b64url_decode(e) for e in data["envelopes"]]
    log = verify_case_log(h(data["case_id"]), envelopes, association, case_keys=epoch_keys(data["epoch_keys"]))
    expect = data["expect"]
    checkpoint = log.checkpoint()
    assert b64url_encode(checkpoint.to_bytes()) == expect["checkpoint"]
    assert (checkpoint.head().hex(), checkpoint.spoken_head()) == (expect["head"], expect["spoken_head"])
    assert log.state.epoch == expect["epoch"] and sorted(m.hex() for m in log.state.members) == expect["members"]
    verify_case_log(h(data["case_id"]), envelopes, association,
                    checkpoint=Checkpoint.from_bytes(b64url_decode(expect["checkpoint"])))
    bodies = {k.hex(): v.decode() for k, v in log.open_with(epoch_keys(data["epoch_keys"])).items()}
    assert bodies == {b["entry_hash"]: b["body_json"] for b in expect["bodies"]}
    for name, epochs in expect["recovered_epochs"].items():
        _, keys, opened = open_case_log_as_member(h(data["case_id"]), envelopes, association,
                                                  account(vectors["people"][name]))
        assert sorted(keys) == epochs, name
        assert all(keys[e].hex() == data["epoch_keys"][str(e)] for e in epochs)


def test_reencrypted_case_log_verifies_and_opens_with_the_new_key_alone(vectors) -> None:
    data, association = vectors["reencrypted_case_log"], association_key(vectors)
    envelopes = [b64url_decode(e) for e in data["envelopes"]]
    log = verify_case_log(h(data["case_id"]), envelopes, association)
    assert log.checkpoint().head().hex() == data["expect"]["head"]
    assert {k.hex(): v.decode() for k, v in log.open_with(epoch_keys(data["epoch_keys"])).items()} == \
        {b["entry_hash"]: b["body_json"] for b in data["expect"]["bodies"]}
    assert sum(parse_entry(e).is_stub for e in envelopes) == 2
    full = [b64url_decode(e) for e in data["unstubbed_envelopes"]]
    assert [parse_entry(e).hash for e in full] == [parse_entry(e).hash for e in envelopes]


def apply_ops(envelopes: list[bytes], ops: list[dict[str, Any]]) -> list[bytes]:
    """The operations negative log vectors apply, in order, to a copy of their base log."""
    result = list(envelopes)
    for op in ops:
        name = op["op"]
        if name == "drop":
            del result[op["index"]]
        elif name == "swap":
            result[op["i"]], result[op["j"]] = result[op["j"]], result[op["i"]]
        elif name == "replace":
            result[op["index"]] = b64url_decode(op["envelope"])
        elif name == "append":
            result.append(b64url_decode(op["envelope"]))
        elif name == "truncate":
            result = result[:op["length"]]
        elif name == "append_bytes":
            result[op["index"]] += h(op["data"])
        elif name == "truncate_bytes":
            result[op["index"]] = result[op["index"]][:op["length"]]
        else:
            changed = bytearray(result[op["index"]])
            if name == "flip":
                changed[op["offset"]] ^= op["mask"]
            else:
                assert name == "set_byte"
                changed[op["offset"]] = op["value"]
            result[op["index"]] = bytes(changed)
    return result


def run_negative(vectors: dict[str, Any], row: dict[str, Any]) -> None:
    target = row["target"]
    if target == "case_log":
        base = vectors[row["base"]]
        envelopes = apply_ops([b64url_decode(e) for e in base["envelopes"]], row["ops"])
        association = check_ed25519_public_key(h(row.get("association_public", vectors["roster"]["association_public"])))
        checkpoint = Checkpoint.from_bytes(b64url_decode(row["checkpoint"])) if "checkpoint" in row else None
        keys = epoch_keys(row["case_keys"]) if "case_keys" in row else None
        verify_case_log(h(row.get("case_id", base["case_id"])), envelopes, association, checkpoint=checkpoint,
                        case_keys=keys)
    elif target == "roster_entry":
        verify_roster_entry(b64url_decode(row["raw"]), association_key(vectors))
    elif target == "wrapped_key":
        unwrap_case_key_as_member(WrappedCaseKey.from_bytes(b64url_decode(row["raw"])),
                                  account(vectors["people"][row["member"]]), case_id=h(row["case_id"]),
                                  epoch=row["epoch"])
    elif target == "kdf_params":
        KdfParams.from_json(row["json"])
    elif target == "base64url":
        b64url_decode(row["text"])
    else:
        assert target == "entry"
        parse_entry(b64url_decode(row["raw"]))


def test_negative_vectors_fail_with_exactly_the_named_error(vectors) -> None:
    assert len(vectors["negative"]) >= 40
    for row in vectors["negative"]:
        with pytest.raises(CarnetCryptoError) as raised:
            run_negative(vectors, row)
        assert type(raised.value).__name__ == row["error"], row["name"]


def offer(vectors: dict[str, Any], row: dict[str, Any]) -> None:
    base = vectors[row["base"]]
    association = check_ed25519_public_key(h(vectors["roster"]["association_public"]))
    log = verify_case_log(h(base["case_id"]), [b64url_decode(e) for e in base["envelopes"]], association)
    for envelope in row.get("before", []):
        accept_entry(log, b64url_decode(envelope), now_ms=row["now_ms"])
    accept_entry(log, b64url_decode(row["offered"]), now_ms=row["now_ms"])


def test_acceptance_vectors_give_the_named_verdict(vectors) -> None:
    # Given the whole case log, when each row's entry is offered at the row's server time, then
    # it is accepted exactly when the row names no error, and refused with exactly that error.
    assert len(vectors["acceptance"]) >= 10
    for row in vectors["acceptance"]:
        if row["error"] is None:
            offer(vectors, row)
            continue
        with pytest.raises(CarnetCryptoError) as raised:
            offer(vectors, row)
        assert type(raised.value).__name__ == row["error"], row["name"]


def roster_entry_of(vectors: dict[str, Any], name: str) -> Any:
    raw = next(e["raw"] for e in vectors["roster"]["entries"] if e["name"] == name)
    return verify_roster_entry(b64url_decode(raw), association_key(vectors))


def test_measures_tables_are_exact_and_refused_with_the_named_error(vectors) -> None:
    for row in vectors["measures"]["tables"]:
        signer = roster_entry_of(vectors, row["signer"])
        rows = [MeasureRow(r["code"], r["label"], r["amount"], Unit(r["unit"]), r["checked"]) for r in row["rows"]]
        table = sign_measures_table_as_coordinator(account(vectors["people"][row["signer"]]), signer,
                                                   team_id=h(row["team_id"]), version=row["version"], rows=rows,
                                                   now=row["issued_at"])
        assert b64url_encode(table.raw) == row["raw"], row["name"]
        parsed = parse_measures_table(b64url_decode(row["raw"]))
        assert [(r.code, r.label, r.amount, int(r.unit), r.checked) for r in parsed.rows] == [
            (r["code"], r["label"], r["amount"], r["unit"], r["checked"]) for r in row["sorted_rows"]]
    for row in vectors["measures"]["negative"]:
        signer = roster_entry_of(vectors, row["signer"])
        known = None
        if row["known"]:
            known = parse_measures_table(b64url_decode(row["known"]))
        with pytest.raises(CarnetCryptoError) as raised:
            accept_measures_table(b64url_decode(row["raw"]), signer, team_id=h(row["team_id"]), known=known)
        assert type(raised.value).__name__ == row["error"], row["name"]


def test_generator_reproduces_the_exact_sections_and_a_file_that_passes_the_same_checks(vectors) -> None:
    # Given a fresh run of the generator, then every section without HPKE randomness is
    # identical to the committed one, and the randomised sections pass the same checks.
    fresh = json.loads(json.dumps(generate_protocol_vectors.build()))
    for section in EXACT_SECTIONS:
        assert fresh[section] == vectors[section], section
    for check in (test_wrapped_keys_open_to_the_case_key, test_case_log_verifies_and_opens,
                  test_reencrypted_case_log_verifies_and_opens_with_the_new_key_alone,
                  test_negative_vectors_fail_with_exactly_the_named_error,
                  test_acceptance_vectors_give_the_named_verdict):
        check(fresh)
