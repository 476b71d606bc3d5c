"""The browser half of the protocol (static/js/protocol/) against the vectors and the Python reference.

Every section of tests/vectors/protocol-v1.json, positive and negative, runs through the
JavaScript code in Chromium: positive rows must reproduce the exact bytes, negative rows must throw
exactly the error class they name. Then the two implementations talk to each other: keys made and
wrapped in the browser unwrap in Python, a case log written in the browser verifies and opens with
crypto/, a case log written by crypto/ opens in the browser for a key pair only the browser holds.
Last, the private keys the browser holds cannot be exported.

One page of the live server serves the whole module; the test-only harness
(tests/browser/js/protocol_harness.js) is evaluated into it once and imports the production modules
from /static/js/protocol/. Bytes cross between Python and JavaScript as base64url.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PageError

from crypto.caselog import Checkpoint, open_case_log_as_member, verify_case_log
from crypto.casekeys import WrappedCaseKey, new_case_key, wrap_case_key_for_member
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import Kind, check_json_body, parse_entry
from crypto.errors import CarnetCryptoError, DecryptionFailed
from crypto.keys import AccountKeys, generate_account_keys, new_id, unwrap_account_keys_with_kek, \
    wrap_account_keys_with_kek
from crypto.keys import check_ed25519_public_key
from crypto.roster import Role, RosterEntry, RosterView, Status, sign_roster_entry_as_admin, verify_roster_entry
from crypto.writer import (
    create_case_as_member,
    reencrypt_case_as_coordinator,
    remove_member_as_coordinator,
    rotate_case_key_as_coordinator,
    seal_entry_as_author,
    stub_of,
)
from tests.conftest import LiveServer
from tests.crypto.scenario import World, body, craft, make_world, replay

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "protocol-v1.json"
HARNESS = Path(__file__).resolve().parent / "js" / "protocol_harness.js"
# One test per section of the vectors file; the metadata keys carry no vector.
GROUPS = ("labels", "derivation", "hkdf", "padding", "public_keys", "fingerprints", "key_blobs", "roster", "wraps",
          "seals", "history", "commitments", "people", "case_log", "reencrypted_case_log", "measures")
NEGATIVE_TARGETS = ("case_log", "roster_entry", "wrapped_key", "kdf_params", "base64url", "entry")
METADATA = {"protocol", "version", "generator", "encoding"}


def b64(data: bytes) -> str:
    return b64url_encode(data)


def call(page: Page, method: str, *args: Any) -> Any:
    """Call one function of the harness with JSON arguments; a JavaScript exception fails the test."""
    return page.evaluate(f"args => window.carnetTest.{method}(...args)", list(args))


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text("utf-8"))


@pytest.fixture(scope="module")
def protocol_page(browser: Browser, live_server: LiveServer, vectors: dict[str, Any]) -> Iterator[Page]:
    """A page of the live server (a secure context) with the harness installed once for the module."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/login")
    installed = page.evaluate(HARNESS.read_text("utf-8"), {"vectors": vectors})
    assert installed == {"groups": list(GROUPS), "negativeTargets": list(NEGATIVE_TARGETS)}
    yield page
    context.close()


@pytest.fixture(scope="module")
def world() -> World:
    return make_world()


def failures_report(result: dict[str, Any]) -> str:
    return "\n".join(f"{f['vector']}: {f['error']}" for f in result["failures"])


def test_every_section_of_the_vectors_file_is_run(vectors: dict[str, Any]) -> None:
    # Given the vectors file, then each of its sections is one group below and every negative
    # target is run: a section added to the file without a browser runner fails here.
    assert set(vectors) - METADATA == set(GROUPS) | {"negative", "acceptance"}
    assert {row["target"] for row in vectors["negative"]} == set(NEGATIVE_TARGETS)


@pytest.mark.parametrize("group", GROUPS)
def test_positive_vectors_reproduce_the_exact_bytes_in_the_browser(protocol_page: Page, group: str) -> None:
    result = call(protocol_page, "runGroup", group)
    assert result["count"] > 0
    assert not result["failures"], failures_report(result)


@pytest.mark.parametrize("target", NEGATIVE_TARGETS)
def test_negative_vectors_throw_exactly_the_named_error_in_the_browser(
        protocol_page: Page, vectors: dict[str, Any], target: str) -> None:
    result = call(protocol_page, "runNegative", target)
    assert result["count"] == sum(row["target"] == target for row in vectors["negative"])
    assert not result["failures"], failures_report(result)


def test_acceptance_vectors_give_the_same_verdicts_in_the_browser(protocol_page: Page, vectors: dict[str, Any]) -> None:
    # The acceptance rule (docs/PROTOCOL.md 9.1) replayed by the browser: every offered entry is
    # accepted or refused with exactly the error the Python reference gave when it wrote the row.
    result = call(protocol_page, "runAcceptance")
    assert result["count"] == len(vectors["acceptance"]) >= 10
    assert not result["failures"], failures_report(result)


# Differential checks: the same bytes get the same verdict from both implementations.

def mutations(raw: bytes, *, head: int = 200, tail: int = 70) -> list[bytes]:
    """The message, cut at every length of its head, extended, and with bits flipped near both ends."""
    cut = [raw[:n] for n in range(0, min(len(raw), head))] + [raw[:n] for n in range(head, len(raw), 37)]
    offsets = sorted(set(range(min(len(raw), head))) | set(range(max(0, len(raw) - tail), len(raw))))
    flipped = []
    for offset in offsets:
        for mask in (0x01, 0x80):
            changed = bytearray(raw)
            changed[offset] ^= mask
            flipped.append(bytes(changed))
    return [raw, raw + b"\x00", raw[:-1], *cut, *flipped]


def with_u64(raw: bytes, offset: int, value: int) -> bytes:
    return raw[:offset] + value.to_bytes(8, "big") + raw[offset + 8:]


def nested(levels: int) -> bytes:
    return b'{"a":' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


JSON_BODIES = [
    b"{}", b'{"a":1}', b' {"a":1}\n', b'{"a":1,"a":2}', b'{"a":1,"\\u0061":2}', b'{"a":{"a":1},"b":{"a":2}}',
    b'{"a":[{"b":1,"b":2}]}', b'{"a":NaN}', b'{"a":Infinity}', b'{"a":-Infinity}', b'{"a":1e999}', b'{"a":-0}',
    b'{"a":1.5e+3}', b'{"a":.5}', b'{"a":01}', b'{"a":1,}', b"{'a':1}", b'{"a":"\x01"}', b'{"a":1}x', b"",
    b"\xef\xbb\xbf{\"a\":1}", b'{"a":"\xff"}', b'{"a":"\xed\xa0\x80"}', b'{"a":"\\ud800"}', b"[]", b'"x"', b"1",
    b"null", b'{"__proto__":1,"__proto__":2}', b'{"__proto__":{}}', b'{"a":"\\u00e9","\xc3\xa9":1}',
    b'{"\\u00e9":1,"\xc3\xa9":2}', b'{"a\\"b":1,"a\\u0022b":2}', b'{"a":"}{\\"","b":["{","]"]}',
    nested(64), nested(65), nested(5000),
    b'{"a":"' + b"x" * (2**20 - 8) + b'"}', b'{"a":"' + b"x" * (2**20 - 7) + b'"}',  # 1 MiB, and one byte more
]


def python_verdict(parse: Any, raw: bytes) -> dict[str, str]:
    """What crypto/ says of some bytes, in the harness's terms: re-encoded to itself, or an error."""
    try:
        out = parse(raw)
        return {"ok": "same" if out == raw else b64(out)}
    except CarnetCryptoError as error:
        return {"error": type(error).__name__}


@pytest.mark.parametrize("what", ("entry", "roster", "wrapped", "checkpoint", "keyblob", "body"))
def test_both_implementations_give_the_same_verdict_on_the_same_bytes(
        protocol_page: Page, vectors: dict[str, Any], what: str) -> None:
    # Given valid messages of each format and many near misses (every truncation of the head,
    # one extra byte, single-bit flips near both ends, u64 values around 2**53, JSON edge cases),
    association = check_ed25519_public_key(bytes.fromhex(vectors["roster"]["association_public"]))
    if what == "entry":
        seal, reseal = vectors["seals"]
        envelope = b64url_decode(seal["envelope"])
        messages = [m for e in (seal["envelope"], reseal["envelope"], seal["stub"], vectors["case_log"]["envelopes"][0],
                                vectors["case_log"]["envelopes"][7]) for m in mutations(b64url_decode(e))]
        messages += [with_u64(envelope, 4 + offset, value) for offset in (73, 145, 153)
                     for value in (2**53 - 1, 2**53, 2**64 - 1)]
        parse = lambda raw: parse_entry(raw).to_bytes()  # noqa: E731
    elif what == "roster":
        entries = [b64url_decode(e["raw"]) for e in vectors["roster"]["entries"]]
        messages = [m for raw in (entries[0], entries[-1]) for m in mutations(raw)]
        messages += [with_u64(entries[0], 106, value) for value in (2**53 - 1, 2**53)]
        parse = lambda raw: verify_roster_entry(raw, association).raw  # noqa: E731
    elif what == "wrapped":
        messages = mutations(b64url_decode(vectors["wraps"][0]["wrapped"]))
        parse = lambda raw: WrappedCaseKey.from_bytes(raw).to_bytes()  # noqa: E731
    elif what == "checkpoint":
        messages = mutations(b64url_decode(vectors["case_log"]["expect"]["checkpoint"]))
        parse = lambda raw: Checkpoint.from_bytes(raw).to_bytes()  # noqa: E731
    elif what == "keyblob":
        row = vectors["key_blobs"][0]
        messages = mutations(b64url_decode(row["blob"]))
        parse = lambda raw: unwrap_account_keys_with_kek(  # noqa: E731
            raw, bytes.fromhex(row["kek"]), user_id=bytes.fromhex(row["user_id"])) and raw
    else:
        messages = JSON_BODIES
        parse = lambda raw: check_json_body(raw) or raw  # noqa: E731
    # when Python and the browser each parse them, then every verdict (the re-encoded bytes, or
    # the error class) is the same: neither accepts what the other refuses.
    expected = [python_verdict(parse, raw) for raw in messages]
    actual = call(protocol_page, "parseVerdicts", what, [b64(raw) for raw in messages])
    differences = [(raw.hex()[:120], e, a) for raw, e, a in zip(messages, expected, actual) if e != a]
    assert not differences, differences[:10]
    assert {"ok": "same"} in expected and any("error" in v for v in expected)


def log_mutations(envelopes: list[bytes]) -> list[list[bytes]]:
    """Every prefix, every single drop, every swap of two entries, every entry duplicated."""
    n = len(envelopes)
    logs = [envelopes[:k] for k in range(n + 1)]
    logs += [envelopes[:i] + envelopes[i + 1:] for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            swapped = list(envelopes)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            logs.append(swapped)
    logs += [envelopes[:i + 1] + [envelopes[i]] + envelopes[i + 1:] for i in range(n)]
    return logs


@pytest.mark.parametrize("base", ("case_log", "reencrypted_case_log"))
def test_both_implementations_give_the_same_verdict_on_reordered_logs(
        protocol_page: Page, vectors: dict[str, Any], world: World, base: str) -> None:
    # Given a valid log and every prefix, drop, swap and duplication of its entries (and, for the
    # re-encrypted log, each whole envelope in place of its stub and each stub in place of a whole
    # reseal), verified then opened with the keys of the epochs each reaches, so that every check
    # of section 9 runs,
    data = vectors[base]
    envelopes = [b64url_decode(e) for e in data["envelopes"]]
    logs = log_mutations(envelopes)
    if base == "reencrypted_case_log":
        whole = [b64url_decode(e) for e in data["unstubbed_envelopes"]]
        logs += [envelopes[:i] + [whole[i]] + envelopes[i + 1:] for i in range(len(envelopes))]
        logs += [envelopes[:i] + [stub_of(envelopes[i])] + envelopes[i + 1:] for i in range(len(envelopes))
                 if parse_entry(envelopes[i]).header.kind in (Kind.CONTENT, Kind.RESEAL)
                 and not parse_entry(envelopes[i]).is_stub]
    else:
        # After carol's rotation: carol's device writes on the control entry before it (StaleEpoch:
        # it already built on the rotation), alice's device, which never saw the rotation, writes
        # on the genesis (accepted), and the same under the new epoch's key (DecryptionFailed).
        log = replay(world, envelopes[:6])
        keys = {int(e): bytes.fromhex(k) for e, k in data["epoch_keys"].items()}
        carol, alice = world["carol"], world["alice"]
        on_genesis = {"epoch": 1, "control_head": log.states[0].entry_hash}
        logs += [envelopes[:6] + [craft(log, carol, Kind.CONTENT, case_key=keys[1], body_json=body("stale"),
                                        **on_genesis)],
                 envelopes[:6] + [craft(log, alice, Kind.CONTENT, case_key=keys[1], body_json=body("offline"),
                                        **on_genesis)],
                 envelopes[:6] + [craft(log, alice, Kind.CONTENT, case_key=keys[2], body_json=body("wrong key"),
                                        **on_genesis)]]
    association = check_ed25519_public_key(bytes.fromhex(vectors["roster"]["association_public"]))
    keys = {int(e): bytes.fromhex(k) for e, k in data["epoch_keys"].items()}
    expected = []
    for envelopes_of_log in logs:
        try:
            verified = verify_case_log(bytes.fromhex(data["case_id"]), envelopes_of_log, association)
            bodies = verified.open_with({e: k for e, k in keys.items() if e <= verified.state.epoch})
            expected.append({"ok": b64(verified.checkpoint().to_bytes()),
                             "bodies": {h.hex(): b.decode() for h, b in bodies.items()}})
        except CarnetCryptoError as error:
            expected.append({"error": type(error).__name__})
    # when both implementations verify and open them, then they reach the same checkpoint and
    # bodies, or fail with the same first error.
    actual = call(protocol_page, "logVerdicts", data["case_id"], [[b64(e) for e in log] for log in logs],
                  data["epoch_keys"])
    differences = [(i, e, a) for i, (e, a) in enumerate(zip(expected, actual)) if e != a]
    assert not differences, differences[:10]
    assert len({v.get("error") for v in expected}) >= 4


# Outside vectors: Project Wycheproof, through the browser's checks and WebCrypto wrappers.

WYCHEPROOF = ROOT / "tests" / "vectors" / "outside" / "wycheproof"


def wycheproof(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    data = json.loads((WYCHEPROOF / name).read_text("utf-8"))
    return [(group, test) for group in data["testGroups"] for test in group["tests"]]


def test_x25519_public_key_check_refuses_exactly_what_wycheproof_flags(protocol_page: Page) -> None:
    # Given every public key of the Wycheproof X25519 file, when the browser's check runs, then
    # it refuses (InvalidPublicKey) exactly those flagged low-order or non-canonical.
    cases = wycheproof("x25519_test.json")
    verdicts = call(protocol_page, "x25519KeyVerdicts", [test["public"] for _, test in cases])
    expected = ["InvalidPublicKey" if {"LowOrderPublic", "NonCanonicalPublic"} & set(test["flags"]) else "accepted"
                for _, test in cases]
    assert verdicts == expected
    assert verdicts.count("InvalidPublicKey") > 30


def test_ed25519_verification_in_the_browser_agrees_with_wycheproof(protocol_page: Page) -> None:
    # Given every Wycheproof EdDSA case (its key passes the protocol's key check), when the
    # browser verifies through WebCrypto, then exactly the valid signatures verify and every
    # other one throws InvalidSignature (never returns false, never another error).
    cases = wycheproof("ed25519_test.json")
    verdicts = call(protocol_page, "ed25519Verdicts",
                    [{"pk": group["publicKey"]["pk"], "sig": test["sig"], "msg": test["msg"]} for group, test in cases])
    expected = ["valid" if test["result"] == "valid" else "InvalidSignature" for _, test in cases]
    assert [(test["tcId"], v, e) for (_, test), v, e in zip(cases, verdicts, expected) if v != e] == []
    assert len(verdicts) == len(cases) == 151


def test_aes_256_gcm_in_the_browser_agrees_with_wycheproof(protocol_page: Page) -> None:
    # Given the Wycheproof AES-GCM cases the protocol can meet (256-bit key, 96-bit nonce,
    # 128-bit tag), when the browser's wrappers open and seal, then valid cases match byte for
    # byte and invalid ones throw DecryptionFailed.
    cases = [test for group, test in wycheproof("aes_gcm_test.json")
             if group["keySize"] == 256 and group["ivSize"] == 96 and group["tagSize"] == 128]
    verdicts = call(protocol_page, "aesGcmVerdicts", [
        {k: test[k] for k in ("key", "iv", "aad", "msg", "ct", "tag")} for test in cases])
    expected = [{"open": test["msg"], "seal": test["ct"] + test["tag"]} if test["result"] == "valid"
                else {"open": "DecryptionFailed"} for test in cases]
    assert verdicts == expected
    assert len(cases) > 40


# Interoperability.

def sign_roster(world: World, user_id: bytes, role: Role, public: dict[str, str]) -> RosterEntry:
    """The admin (here, Python) certifies keys the browser made."""
    return sign_roster_entry_as_admin(world.association, user_id=user_id, serial=1, role=role, team_id=world.team_id,
                                      encryption_public=b64url_decode(public["encryptionPublic"]),
                                      signing_public=b64url_decode(public["signingPublic"]))


def test_account_keys_made_in_the_browser_unwrap_in_python_and_python_blobs_unwrap_in_the_browser(
        protocol_page: Page) -> None:
    # Given a kek and keys generated in the browser (CSPRNG seeds, wrapped, imported non-extractable),
    kek, user_id = os.urandom(32), new_id()
    made = call(protocol_page, "generateAccount", "blob-test", b64(user_id), b64(kek))
    blob = b64url_decode(made["blob"])
    # when Python unwraps the blob, then it holds the keys whose public halves the browser reported,
    keys = unwrap_account_keys_with_kek(blob, kek, user_id=user_id)
    assert (b64(keys.encryption_public), b64(keys.signing_public)) == (made["encryptionPublic"], made["signingPublic"])
    assert len(blob) == 113 and blob[:5] == b"CNK\x01\x01"
    with pytest.raises(DecryptionFailed):
        unwrap_account_keys_with_kek(blob, os.urandom(32), user_id=user_id)
    # and a blob Python wraps unwraps in the browser to the same public keys.
    python_keys = generate_account_keys(user_id)
    python_blob = wrap_account_keys_with_kek(python_keys, kek)
    opened = call(protocol_page, "unwrapAccount", "blob-test", b64(user_id), b64(kek), b64(python_blob))
    assert opened == {"encryptionPublic": b64(python_keys.encryption_public),
                      "signingPublic": b64(python_keys.signing_public)}


def test_case_log_written_in_the_browser_verifies_and_opens_with_the_python_reference(
        protocol_page: Page, world: World) -> None:
    # Given a volunteer and a coordinator whose keys live only in the browser, certified by the
    # association (Python), and two members whose keys only Python holds (alice, bob),
    kek = os.urandom(32)
    ids = {name: new_id() for name in ("vera", "cora")}
    devices = {name: new_id() for name in ("vera", "cora")}
    made = {name: call(protocol_page, "generateAccount", name, b64(ids[name]), b64(kek)) for name in ids}
    browser_keys = {name: unwrap_account_keys_with_kek(b64url_decode(made[name]["blob"]), kek, user_id=ids[name])
                    for name in ids}
    roster = {"vera": sign_roster(world, ids["vera"], Role.VOLUNTEER, made["vera"]),
              "cora": sign_roster(world, ids["cora"], Role.COORDINATOR, made["cora"]),
              "alice": world["alice"].roster, "bob": world["bob"].roster}
    steps = [
        {"do": "create", "by": "vera", "members": ["vera", "cora", "alice"]},
        {"do": "write", "by": "vera", "body": {"t": "intake", "alias": "Y. B.", "place": "CRA 1"}},
        {"do": "add", "by": "cora", "member": "bob"},
        {"do": "write", "by": "cora", "body": {"t": "note", "text": "Audience fixée, interprète arabe."}},
        {"do": "rotate", "by": "cora"},
        {"do": "write", "by": "vera", "body": {"t": "edit", "field": "appeal_deadline", "value": "2027-04-01"}},
        {"do": "remove", "by": "cora", "member": "alice"},
        {"do": "write", "by": "vera", "body": {"t": "status", "value": "released"}},
    ]
    # when the browser writes the case (genesis, entries, a grant, a rotation, a removal),
    case = call(protocol_page, "writeCase", {
        "association": b64(world.association.public), "roster": {n: b64(e.raw) for n, e in roster.items()},
        "teamId": b64(world.team_id), "devices": {n: b64(d) for n, d in devices.items()}, "steps": steps})
    case_id = b64url_decode(case["caseId"])
    envelopes = [b64url_decode(e) for e in case["envelopes"]]
    keys = {int(epoch): b64url_decode(key) for epoch, key in case["keys"].items()}
    # then Python verifies every rule, opens every entry with the epoch keys, and has the same view,
    log = verify_case_log(case_id, envelopes, world.association.public_key, case_keys=keys,
                          checkpoint=Checkpoint.from_bytes(b64url_decode(case["checkpoint"])))
    assert b64(log.checkpoint().to_bytes()) == case["checkpoint"]
    assert log.checkpoint().head().hex() == case["head"]
    assert log.state.epoch == 3
    assert sorted(log.state.members) == sorted([ids["vera"], ids["cora"], world["bob"].user_id])
    written = {w["hash"]: w["body"] for w in case["written"]}
    assert {h.hex(): b.decode() for h, b in log.open_with(keys).items()} == written
    assert all(parse_entry(e).to_bytes() == e for e in envelopes)
    # and each Python-held member recovers exactly the epochs they were given, by HPKE from the browser.
    for name, epochs in (("bob", [1, 2, 3]), ("alice", [1, 2])):
        _, recovered, bodies = open_case_log_as_member(case_id, envelopes, world.association.public_key,
                                                       world[name].keys)
        assert sorted(recovered) == epochs and all(recovered[e] == keys[e] for e in epochs), name
    _, recovered, _ = open_case_log_as_member(case_id, envelopes, world.association.public_key, browser_keys["cora"])
    assert recovered == keys

    # Given Python (bob) writing on the same log, when the browser reads it back from its checkpoint,
    bob, note = world["bob"], body("note", text="Écrit par Python, lu par le navigateur.")
    extra = seal_entry_as_author(log, bob.keys, device_id=bob.device_id, case_key=keys[3], body_json=note)
    opened = call(protocol_page, "openCaseAs", "cora", {
        "caseId": case["caseId"], "association": b64(world.association.public),
        "envelopes": case["envelopes"] + [b64(extra)], "checkpoint": case["checkpoint"]})
    # then the browser verifies Python's entry, opens it, and reaches Python's new view.
    assert opened["bodies"][parse_entry(extra).hash.hex()] == note.decode()
    assert opened["checkpoint"] == b64(log.checkpoint().to_bytes())
    assert opened["epochs"] == [1, 2, 3]


def test_full_reencryption_written_in_the_browser_verifies_in_python_with_the_new_key_alone(
        protocol_page: Page, world: World) -> None:
    # Given a case written in the browser by a coordinator and a volunteer, with a rotation,
    kek = os.urandom(32)
    ids = {name: new_id() for name in ("rita", "remy")}
    made = {name: call(protocol_page, "generateAccount", name, b64(ids[name]), b64(kek)) for name in ids}
    roster = {"rita": sign_roster(world, ids["rita"], Role.COORDINATOR, made["rita"]),
              "remy": sign_roster(world, ids["remy"], Role.VOLUNTEER, made["remy"])}
    steps = [
        {"do": "create", "by": "rita", "members": ["rita", "remy"]},
        {"do": "write", "by": "remy", "body": {"t": "intake", "alias": "F. S."}},
        {"do": "write", "by": "rita", "body": {"t": "note", "text": "Appel interjeté."}},
        {"do": "rotate", "by": "rita"},
        {"do": "write", "by": "remy", "body": {"t": "status", "value": "hearing"}},
        {"do": "reencrypt", "by": "rita"},
    ]
    # when the coordinator's browser re-encrypts it fully (an unlinked rotation, then a reseal of
    # every content entry) and the server replaces the content envelopes by their stubs,
    case = call(protocol_page, "writeCase", {
        "association": b64(world.association.public), "roster": {n: b64(e.raw) for n, e in roster.items()},
        "teamId": b64(world.team_id), "devices": {n: b64(new_id()) for n in ids}, "steps": steps})
    stored = [b64url_decode(e) for e in case["stored"]]
    keys = {int(epoch): b64url_decode(key) for epoch, key in case["keys"].items()}
    # then Python verifies the stored log and opens every body with the key of epoch 3 alone,
    log = verify_case_log(b64url_decode(case["caseId"]), stored, world.association.public_key,
                          case_keys={3: keys[3]})
    assert log.state.epoch == 3 and log.state.full_epoch == 3
    assert sum(parse_entry(e).is_stub for e in stored) == 3
    assert {h.hex(): b.decode() for h, b in log.open_with({3: keys[3]}).items()} == \
        {w["hash"]: w["body"] for w in case["written"]}
    # and stubs hash like the envelopes they replace, so every chain still verifies.
    assert [parse_entry(e).hash for e in stored] == [parse_entry(b64url_decode(e)).hash for e in case["envelopes"]]
    assert log.checkpoint().head().hex() == case["head"]


@pytest.fixture(scope="module")
def jill(protocol_page: Page, world: World) -> tuple[RosterEntry, AccountKeys]:
    """A volunteer whose keys the browser made and holds; Python sees only her public keys (and,
    for comparison, a copy of her keys unwrapped from her blob)."""
    kek, user_id = os.urandom(32), new_id()
    made = call(protocol_page, "generateAccount", "jill", b64(user_id), b64(kek))
    copy = unwrap_account_keys_with_kek(b64url_decode(made["blob"]), kek, user_id=user_id)
    return sign_roster(world, user_id, Role.VOLUNTEER, made), copy


def test_roster_view_refuses_rollbacks_conflicts_and_revoked_users_as_python_does(
        protocol_page: Page, world: World, jill: tuple[RosterEntry, AccountKeys]) -> None:
    # Given a sequence of roster entries signed by the association: a key reset (serial 2), the
    # old entry replayed, a second different serial 2, a revocation, another user, a forgery,
    roster, _ = jill
    alice, bob = world["alice"], world["bob"]

    def signed(serial: int, *, status: Status = Status.ACTIVE, role: Role = Role.VOLUNTEER,
               now: int = 1_800_000_000_000) -> bytes:
        return sign_roster_entry_as_admin(world.association, user_id=alice.user_id, serial=serial, role=role,
                                          team_id=world.team_id, encryption_public=alice.keys.encryption_public,
                                          signing_public=alice.keys.signing_public, status=status, now=now).raw

    forged = bytearray(bob.roster.raw)
    forged[-1] ^= 1
    steps = [{"current": alice.user_id}, {"accept": signed(1)}, {"accept": signed(1)}, {"accept": signed(2)},
             {"accept": signed(1)}, {"accept": signed(2, role=Role.COORDINATOR)}, {"current": alice.user_id},
             {"accept": signed(3, status=Status.REVOKED)}, {"current": alice.user_id}, {"accept": bob.roster.raw},
             {"current": bob.user_id}, {"accept": bytes(forged)}, {"accept": roster.raw}]
    # when the browser's RosterView and crypto/'s take them in order,
    view = RosterView(world.association.public_key)
    expected = []
    for step in steps:
        try:
            entry = view.accept(step["accept"]) if "accept" in step else view.current(step["current"])
            expected.append({"serial": entry.serial})
        except CarnetCryptoError as error:
            expected.append({"error": type(error).__name__})
    outcomes = call(protocol_page, "rosterScenario", b64(world.association.public),
                    [{k: b64(v) for k, v in step.items()} for step in steps])
    # then they accept and refuse the same entries with the same errors.
    assert outcomes == expected
    assert [o.get("error") for o in outcomes] == [
        "UnknownUser", None, None, None, "RosterRollback", "RosterConflict", None, None, "RevokedUser", None, None,
        "InvalidSignature", None]
    # And the browser's account matches its own roster entry and no one else's.
    association = b64(world.association.public)
    assert call(protocol_page, "checkAccountAgainstRoster", "jill", b64(roster.raw), association) == "match"
    assert call(protocol_page, "checkAccountAgainstRoster", "jill", b64(alice.roster.raw), association) == "UnknownUser"
    swapped = sign_roster_entry_as_admin(world.association, user_id=roster.user_id, serial=2, role=Role.VOLUNTEER,
                                         team_id=world.team_id, encryption_public=alice.keys.encryption_public,
                                         signing_public=roster.signing_public)
    assert call(protocol_page, "checkAccountAgainstRoster", "jill", b64(swapped.raw), association) == \
        "AccountKeyMismatch"


def test_case_key_wrapped_by_python_opens_with_the_key_pair_only_the_browser_holds(
        protocol_page: Page, jill: tuple[RosterEntry, AccountKeys]) -> None:
    # Given a case key Python wraps with HPKE to the public key the browser made,
    roster, _ = jill
    case_id, key = new_id(), new_case_key()
    wrapped = wrap_case_key_for_member(key, case_id=case_id, epoch=7, recipient=roster)
    # when the browser opens it with its non-extractable private key, then it gets the same key.
    assert call(protocol_page, "unwrapAs", "jill", b64(wrapped.to_bytes()), b64(case_id), 7) == b64(key)
    # And a wrap relabelled for another epoch does not open (the info binds the context).
    relabelled = WrappedCaseKey(case_id, 8, roster.user_id, wrapped.sealed)
    with pytest.raises(PageError, match="DecryptionFailed"):
        call(protocol_page, "unwrapAs", "jill", b64(relabelled.to_bytes()), b64(case_id), 8)


def test_case_log_written_in_python_opens_in_the_browser(
        protocol_page: Page, world: World, jill: tuple[RosterEntry, AccountKeys]) -> None:
    # Given a case written by crypto/ in which the browser's volunteer is a member, with a linked
    # rotation, a removal, and a full re-encryption whose originals the server replaced by stubs,
    roster, jill_copy = jill
    carol, alice = world["carol"], world["alice"]
    new = create_case_as_member(carol.keys, association_key=world.association.public_key, team_id=world.team_id,
                                device_id=carol.device_id, members=[carol.roster, alice.roster, roster])
    log, keys, envelopes = new.log, {1: new.case_key}, [new.envelope]

    def write(who: str, data: bytes) -> None:
        person = world[who]
        envelopes.append(seal_entry_as_author(log, person.keys, device_id=person.device_id,
                                              case_key=keys[log.state.epoch], body_json=data))

    write("alice", body("intake", alias="N. D.", measures=["OQTF", "IRTF"]))
    write("carol", body("note", text="Rendez-vous au greffe à 9 h."))
    envelope, keys[2] = rotate_case_key_as_coordinator(log, carol.keys, device_id=carol.device_id, case_key=keys[1])
    envelopes.append(envelope)
    write("alice", body("edit", field="consent", value="écrit"))
    envelope, keys[3] = remove_member_as_coordinator(log, carol.keys, device_id=carol.device_id,
                                                     user_id=alice.user_id, case_key=keys[2])
    envelopes.append(envelope)
    write("carol", body("status", value="transféré"))
    reseals, keys[4] = reencrypt_case_as_coordinator(log, carol.keys, device_id=carol.device_id, case_keys=keys)
    kinds = [parse_entry(e).header.kind for e in envelopes]
    stored = [stub_of(e) if kind == Kind.CONTENT else e for e, kind in zip(envelopes, kinds)] + reseals
    _, expected_keys, expected_bodies = open_case_log_as_member(new.case_id, stored, world.association.public_key,
                                                                jill_copy)
    expected_checkpoint = verify_case_log(new.case_id, stored, world.association.public_key).checkpoint()
    # when the browser's volunteer verifies and opens what the server stores,
    opened = call(protocol_page, "openCaseAs", "jill", {
        "caseId": b64(new.case_id), "association": b64(world.association.public),
        "envelopes": [b64(e) for e in stored], "checkpoint": None})
    # then it recovers every epoch key she was given (by her own HPKE private key), reads every
    # body (the stubbed ones through their reseals), and reaches the same checkpoint.
    assert opened["epochs"] == sorted(expected_keys) == [1, 2, 3, 4]
    assert opened["keys"] == {str(e): b64(k) for e, k in keys.items()}
    assert opened["bodies"] == {h.hex(): b.decode() for h, b in expected_bodies.items()}
    assert len(opened["bodies"]) == 4
    assert opened["checkpoint"] == b64(expected_checkpoint.to_bytes())
    assert opened["head"] == expected_checkpoint.head().hex()
    # And a single Python-sealed envelope opens in the browser with its epoch key.
    assert call(protocol_page, "openEntryBody", b64(envelopes[-1]), b64(keys[3])) == \
        body("status", value="transféré").decode()


def test_private_keys_held_by_the_browser_cannot_be_exported(protocol_page: Page) -> None:
    # Given keys the browser generated, unwrapped from key blobs, derived from a passphrase or
    # from a case key, when any export is attempted in any format,
    report = call(protocol_page, "extractability", b64(new_id()), b64(os.urandom(32)))
    # then every one is a CryptoKey that says it is not extractable and gives nothing out,
    assert report.pop("unwrappedKeysWork") is True
    assert len(report) == 9
    for name, key in report.items():
        assert key["isCryptoKey"] and key["extractable"] is False and key["exported"] == [], name
    # and each can do only its one job.
    assert report["kek"]["usages"] == report["derived kek"]["usages"] == ["deriveKey"]
    assert report["unwrapped encryption key"]["usages"] == ["deriveBits"]
    assert report["unwrapped signing key"]["usages"] == ["sign"]
    assert report["unwrapped association key"]["usages"] == ["sign"]
    assert report["entry key"]["usages"] == ["decrypt", "encrypt"]
    assert {key["type"] for name, key in report.items() if "kek" in name or name == "entry key"} == {"secret"}
    assert {key["type"] for name, key in report.items() if "kek" not in name and name != "entry key"} == {"private"}
