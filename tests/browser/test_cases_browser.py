"""Cases shared with the right people: grants to compared keys only, removal with rotation,
full re-encryption that resumes, and what a removed member can still open (nothing new)."""

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from crypto import roster
from crypto.caselog import verify_case_log
from crypto.encoding import b64url_decode, b64url_encode
from crypto.entry import Kind, open_entry_body
from crypto.errors import CarnetCryptoError
from crypto.kdf import KdfParams, derive_account_secrets
from crypto.keys import (
    generate_account_keys,
    spoken_fingerprint,
    unwrap_account_keys_with_kek,
    unwrap_association_key_with_kek,
)
from sync import db
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import PASSPHRASE, set_up_device, unlock, wait_for_service_worker
from tests.browser.test_intake import enrol_and_certify
from tests.conftest import LiveServer, running_demo
from tests.sync_client import demo_writer, log_in

DEMO = {role: (email, passphrase) for email, _n, role, _t, passphrase in DEMO_PEOPLE}
STATE = "(await import('/static/js/app/session.js')).unlocked()"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def app(page: Page, call: str, *args):
    """Run one call of the app's modules in the unlocked page: `call` is `floor/module:expression`, where the
    expression uses `m` (the module, e.g. `store/cases`) and `s` (the unlocked state)."""
    module, expression = call.split(":", 1)
    return page.evaluate(f"async (args) => {{ const m = await import('/static/js/{module}.js');"
                         f" const s = {STATE}; return {expression}; }}", list(args))


def sync(page: Page) -> int:
    """Sync now, then draw the home screen; returns how many refused entries wait on the device."""
    refused = app(page, "sync/engine:(await m.syncNow(s)).refused")
    home(page)
    return refused


def home(page: Page) -> None:
    """Draw the home screen again (through the settings), as after any change."""
    if not page.locator("#open-settings").count():
        page.get_by_role("button", name="Retour").last.click()
    page.click("#open-settings")
    page.get_by_role("button", name="Annuler").click()
    expect(page.locator("#sync-now")).to_be_visible()


def new_case(page: Page, alias: str, notes: str) -> str:
    app(page, "app/session:s.rosterRefresh")
    return app(page, "store/cases:m.createCase(s, {alias: args[0], notes: args[1]}, [])", alias, notes)


def open_case(page: Page, case_id: str) -> None:
    page.locator(f'#case-list li[data-case="{case_id}"] button').click()
    expect(page.locator("#edit-case")).to_be_visible()


def second_volunteer(server: LiveServer, browser: Browser) -> tuple[Page, str]:
    """A volunteer enrolled in the browser and certified by the demo admin; returns (page, spoken)."""
    page = browser.new_context(locale="fr-FR", **PHONE).new_page()
    spoken = enrol_and_certify(server, browser, page)
    app(page, "sync/directory:m.refreshRoster(s)")
    return page, spoken


def compare_in_person(coordinator: Page, user_id: str, spoken: str) -> None:
    coordinator.click("#open-team")
    coordinator.locator(f'#team-people li[data-person="{user_id}"] button').click()
    assert coordinator.locator("#compare-fingerprint").inner_text() == spoken
    coordinator.click("#mark-verified")
    expect(coordinator.locator(f'#team-people li[data-person="{user_id}"]')).to_have_attribute("data-standing", "verified")
    coordinator.get_by_role("button", name="Retour").click()


def grant(desk: Page, case_id: str, user_id: str, spoken: str) -> None:
    """The coordinator compares the person's fingerprint, gives them the case, and syncs."""
    compare_in_person(desk, user_id, spoken)
    open_case(desk, case_id)
    desk.select_option("#add-member-choice", user_id)
    desk.click("#add-member")
    expect(desk.locator(f'#case-members li[data-member="{user_id}"]')).to_be_visible()
    sync(desk)


def device_keys(page: Page, case_id: str, passphrase: str):
    """The account keys and case keys a device holds, taken out of its store as a thief with the passphrase would."""
    held = app(page, "store/records:(async () => { const r = await m.caseRecords.get(s.vault, args[0]); const d = s.vault.device;"
                     " return {keys: r.keys, blob: Array.from(d.accountKeyBlob), kdf: d.kdf, user: d.userId}; })()", case_id)
    kek = derive_account_secrets(passphrase, KdfParams.from_json(held["kdf"])).kek
    account = unwrap_account_keys_with_kek(bytes(held["blob"]), kek, user_id=b64url_decode(held["user"]))
    return account, {int(epoch): b64url_decode(key) for epoch, key in held["keys"].items()}


def server_log(server: LiveServer, case_id: str):
    coordinator = demo_writer(server.url, "coordinator")
    envelopes = coordinator.pull_all()
    log = verify_case_log(b64url_decode(case_id), [e for e in envelopes if _case_of(e) == b64url_decode(case_id)],
                          coordinator.association)
    return log


def _case_of(envelope: bytes) -> bytes:
    from crypto.entry import parse_entry
    return parse_entry(envelope).header.case_id


def test_a_removed_member_is_refused_and_opens_nothing_sealed_after_the_rotation(server: LiveServer,
                                                                                browser: Browser) -> None:
    first, later, from_desk = (f"CANARY-{secrets.token_hex(6)}" for _ in range(3))
    volunteer_a = browser.new_context(locale="fr-FR", **PHONE).new_page()
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800}).new_page()
    volunteer_b, spoken_b = second_volunteer(server, browser)
    b_id = app(volunteer_b, "app/session:s.vault.userId")
    try:
        set_up_device(volunteer_a, server, *DEMO["volunteer"])
        case_id = new_case(volunteer_a, "Dossier partagé", first)
        assert sync(volunteer_a) == 0

        set_up_device(desk, server, *DEMO["coordinator"])
        sync(desk)
        # No grant before the fingerprint is compared in person.
        open_case(desk, case_id)
        desk.select_option("#add-member-choice", b_id)
        desk.click("#add-member")
        expect(desk.locator("#members-error")).to_contain_text("comparez-la")
        desk.get_by_role("button", name="Retour").click()
        grant(desk, case_id, b_id, spoken_b)

        # The new member reads the history written before the grant.
        sync(volunteer_b)
        open_case(volunteer_b, case_id)
        expect(volunteer_b.locator("dl").first).to_contain_text(first)
        volunteer_b.get_by_role("button", name="Retour").click()

        open_case(desk, case_id)
        desk.locator(f'#case-members li[data-member="{b_id}"] button').click()
        expect(desk.locator(f'#case-members li[data-member="{b_id}"]')).to_have_count(0)
        sync(desk)

        sync(volunteer_a)
        app(volunteer_a, "store/cases:m.editCase(s, args[0], {notes: args[1]})", case_id, later)
        sync(volunteer_a)
        app(desk, "store/cases:m.editCase(s, args[0], {next_actions: args[1]})", case_id, from_desk)
        sync(desk)

        # The removed member, still holding the old state, is refused by the server.
        app(volunteer_b, "store/cases:m.editCase(s, args[0], {notes: 'écrit après le retrait'})", case_id)
        assert sync(volunteer_b) == 1
        refused = app(volunteer_b, "store/records:(await m.caseRecords.get(s.vault, args[0])).refused", case_id)
        assert [r["code"] for r in refused] == ["not-a-member"]
        account_b, held_b = device_keys(volunteer_b, case_id, PASSPHRASE)

        # The remaining members read everything, both epochs.
        sync(volunteer_a)
        open_case(volunteer_a, case_id)
        for canary in (first, later, from_desk):
            expect(volunteer_a.locator("dl").first).to_contain_text(canary)
    finally:
        for page in (volunteer_a, desk, volunteer_b):
            page.context.close()

    log = server_log(server, case_id)
    removal_epoch = next(v.entry.header.epoch for v in log.entries if v.entry.header.kind == Kind.REMOVE)
    reachable = {**held_b, **log.recover_case_keys_as_member(account_b)}
    assert reachable and max(reachable) < removal_epoch
    sealed_after = [v.entry for v in log.entries
                    if v.entry.header.kind == Kind.CONTENT and v.entry.header.epoch >= removal_epoch]
    assert len(sealed_after) == 2
    for entry in sealed_after:
        for key in reachable.values():
            with pytest.raises((CarnetCryptoError, InvalidTag)):
                open_entry_body(entry.header, entry.body, key)


def test_full_reencryption_interrupted_halfway_resumes_and_loses_nothing(server: LiveServer, browser: Browser) -> None:
    desk = browser.new_context(locale="fr-FR", **PHONE).new_page()
    try:
        set_up_device(desk, server, *DEMO["coordinator"])
        case_id = new_case(desk, "Clé compromise", "note 0")
        for index in range(1, 24):
            app(desk, "store/cases:m.editCase(s, args[0], {notes: args[1]})", case_id, f"note {index}")
        sync(desk)
        # A crash part-way: the progress callback throws once half the entries are resealed.
        with pytest.raises(PlaywrightError, match="interrupted"):
            app(desk, "sync/membership:m.reencryptCase(s, args[0], {progress: (done, total) => {"
                      " if (done >= total / 2) throw new Error('interrupted'); }})", case_id)
        left = app(desk, "protocol/index:m.pendingReseals((await (await import('/static/js/store/cases.js'))"
                         ".openCaseLog(s, args[0])).log).length", case_id)
        assert 0 < left < 24
        open_case(desk, case_id)
        expect(desk.locator("#reencrypt")).to_contain_text(f"{left} entrées restantes")
        desk.click("#reencrypt")
        expect(desk.locator("#reencrypt")).to_have_text("Rechiffrer tout le dossier")
        sync(desk)
        keys = app(desk, "store/records:(await m.caseRecords.get(s.vault, args[0])).keys", case_id)

        # The review works with no network on what was last synced.
        wait_for_service_worker(desk)
        desk.context.set_offline(True)
        desk.reload()
        unlock(desk, DEMO["coordinator"][1])
        open_case(desk, case_id)
        expect(desk.locator("dl").first).to_contain_text("note 23")
    finally:
        desk.context.close()

    log = server_log(server, case_id)
    contents = [v for v in log.entries if v.entry.header.kind == Kind.CONTENT]
    reseals = [v for v in log.entries if v.entry.header.kind == Kind.RESEAL]
    assert len(contents) == 24 and log.state.full_epoch == log.state.epoch == 2
    assert sorted(v.ref for v in reseals) == sorted(v.hash for v in contents)
    # The new key alone opens every entry, with the words it had.
    bodies = log.open_with({2: b64url_decode(keys["2"])})
    notes = {json.loads(bodies[v.hash])["fields"]["notes"] for v in contents}
    assert notes == {f"note {index}" for index in range(24)}


def tamper_roster(server: LiveServer, user_id: str, change) -> None:
    """Change, as a hostile server would, the latest roster entry the directory serves for a person."""
    key = bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["database_key"])
    conn = db.connect(server.instance / "carnet.db", key)
    try:
        row = conn.execute("SELECT serial, raw FROM roster_entries WHERE user_id = ? ORDER BY serial DESC LIMIT 1",
                           (user_id,)).fetchone()
        change(conn, row["serial"], bytes(row["raw"]))
    finally:
        conn.close()


def test_a_substituted_key_is_refused_before_any_grant_and_a_changed_key_is_shown(server: LiveServer,
                                                                                 browser: Browser) -> None:
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800}).new_page()
    volunteer_b, spoken_b = second_volunteer(server, browser)
    b_id = app(volunteer_b, "app/session:s.vault.userId")
    volunteer_b.context.close()
    try:
        set_up_device(desk, server, *DEMO["coordinator"])
        case_id = new_case(desk, "Dossier à confier", "rien")
        compare_in_person(desk, b_id, spoken_b)
        before = app(desk, "store/records:(await m.caseRecords.get(s.vault, args[0])).envelopes.length", case_id)

        # 1. Another key under B's name, without the association's signature: the roster is refused.
        flipped = {}

        def flip(conn, serial, raw):
            flipped["raw"] = raw
            forged = raw[:40] + bytes([raw[40] ^ 1]) + raw[41:]
            conn.execute("UPDATE roster_entries SET raw = ? WHERE user_id = ? AND serial = ?", (forged, b_id, serial))

        tamper_roster(server, b_id, flip)
        assert app(desk, "sync/directory:m.refreshRoster(s).then(() => 'kept', (e) => e.name)") != "kept"
        home(desk)
        open_case(desk, case_id)
        expect(desk.locator(".members .status-warning")).to_contain_text("ne se vérifie pas")
        desk.select_option("#add-member-choice", b_id)
        desk.click("#add-member")
        expect(desk.locator("#members-error")).to_contain_text("ne se vérifie pas")

        # 2. A new key for B that the association did sign (a duped admin): shown loudly, no grant.
        def recertify(conn, serial, _raw):
            conn.execute("UPDATE roster_entries SET raw = ? WHERE user_id = ? AND serial = ?", (flipped["raw"], b_id, serial))
            entry = signed_entry_with_new_keys(server, b_id, serial + 1)
            conn.execute("INSERT INTO roster_entries (user_id, serial, raw, signed_by, created_at) VALUES (?, ?, ?, ?, 0)",
                         (b_id, serial + 1, entry.raw, b_id))
            conn.execute("UPDATE account_keys SET encryption_public = ?, signing_public = ? WHERE user_id = ?",
                         (entry.encryption_public, entry.signing_public, b_id))

        tamper_roster(server, b_id, recertify)
        assert app(desk, "sync/directory:m.refreshRoster(s).then(() => 'kept')") == "kept"
        home(desk)
        desk.click("#open-team")
        changed = desk.locator(f'#team-people li[data-person="{b_id}"]')
        expect(changed).to_have_attribute("data-standing", "changed")
        expect(changed.locator("[role=alert]")).to_contain_text("ont changé")
        desk.get_by_role("button", name="Retour").click()
        open_case(desk, case_id)
        desk.select_option("#add-member-choice", b_id)
        desk.click("#add-member")
        expect(desk.locator("#members-error")).to_contain_text("ont changé")
        after = app(desk, "store/records:(await m.caseRecords.get(s.vault, args[0])).envelopes.length", case_id)
        assert after == before
    finally:
        desk.context.close()


def signed_entry_with_new_keys(server: LiveServer, user_id: str, serial: int):
    http, admin_id, kek = log_in(server.url, "admin")
    blob = b64url_decode(http.request("GET", "/api/v1/association/escrow").json()["wrapped_key"])
    association = unwrap_association_key_with_kek(blob, kek, admin_id=b64url_decode(admin_id))
    team = b64url_decode(next(p["team_id"] for p in http.request("GET", "/api/v1/directory").json()["people"]
                              if p["user_id"] == user_id))
    other = generate_account_keys(b64url_decode(user_id))
    return roster.sign_roster_entry_as_admin(association, user_id=b64url_decode(user_id), serial=serial,
                                             role=roster.Role.VOLUNTEER, team_id=team,
                                             encryption_public=other.encryption_public,
                                             signing_public=other.signing_public)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_demo(tmp_path_factory.mktemp("coordinator-screens")) as live:
        yield live


TEAM_CASES = {"fr": "Dossiers de l’équipe", "en": "Team cases", "ar": "ملفات الفريق"}


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_coordinator_screens_are_translated_accessible_and_fit(shared_server: LiveServer, browser: Browser,
                                                               language: str, width: int) -> None:
    context = browser.new_context(locale=LOCALES[language], viewport={"width": width, "height": 800},
                                  has_touch=width == 360)
    try:
        page = context.new_page()
        set_up_device(page, shared_server, *DEMO["coordinator"])
        case_id = new_case(page, "Écran du dossier", "accessibilité")
        page.click("#open-settings")
        page.locator("#settings-form button[type=button]").click()
        expect(page.locator("h1")).to_have_text(TEAM_CASES[language])
        assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
        found = {"review": serious_violations(page)}
        screenshot(page, f"app-review-{language}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        open_case(page, case_id)
        expect(page.locator("#case-members li")).to_have_count(1)
        found["case"] = serious_violations(page)
        screenshot(page, f"app-coordinator-case-{language}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator(".case-view .actions button").last.click()
        page.click("#open-team")
        found["team"] = serious_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert {screen: v for screen, v in found.items() if v} == {}
    finally:
        context.close()


def spoken_of(server: LiveServer, role: str) -> tuple[str, str]:
    """A demo person's id and spoken fingerprint, from the directory, as they would read it aloud."""
    writer = demo_writer(server.url, role)
    return b64url_encode(writer.keys.user_id), spoken_fingerprint(writer.keys.fingerprint())


def test_case_keys_rotate_on_the_teams_schedule_and_a_member_added_later_reads_the_history(
        server: LiveServer, browser: Browser) -> None:
    server.flask("team", "policy", "Prisons", "--rotation", "90")
    desk = browser.new_context(locale="fr-FR", **PHONE).new_page()
    volunteer = browser.new_context(locale="fr-FR", **PHONE).new_page()
    try:
        set_up_device(desk, server, *DEMO["coordinator"])
        case_id = new_case(desk, "Clé à renouveler", "avant")
        sync(desk)  # the key is new: nothing is due
        epoch = "store/cases:(await m.listCases(s)).find((c) => c.id === args[0]).epoch"
        assert app(desk, epoch, case_id) == 1
        day = 24 * 3600 * 1000
        assert app(desk, "sync/membership:m.rotateDueCases(s, 90, Date.now() + 89 * args[0])", day) == 0
        assert app(desk, "sync/membership:m.rotateDueCases(s, 90, Date.now() + 91 * args[0])", day) == 1
        assert app(desk, epoch, case_id) == 2
        assert app(desk, "sync/membership:m.rotateDueCases(s, 90, Date.now() + args[0])", day) == 0
        assert sync(desk) == 0
        rotated = server_log(server, case_id)
        assert rotated.state.epoch == 2 and rotated.entries[-1].entry.header.kind == Kind.ROTATE

        # Added after the rotation, the volunteer reads what was sealed before it (history box).
        grant(desk, case_id, *spoken_of(server, "volunteer"))
        set_up_device(volunteer, server, *DEMO["volunteer"])
        sync(volunteer)
        open_case(volunteer, case_id)
        expect(volunteer.locator("dl").first).to_contain_text("avant")
    finally:
        desk.context.close()
        volunteer.context.close()


# A case record's envelopes changed in the store under the unlocked app: the last entry's
# signature spoilt (a character of its base64url text changed, far from either end).
SPOIL_LAST_ENTRY = """(async () => {
    const { caseRecords } = await import('/static/js/store/records.js');
    const record = await caseRecords.get(s.vault, args[0]);
    const last = record.envelopes.pop();
    const at = last.length - 20;
    record.envelopes.push(last.slice(0, at) + (last[at] === 'A' ? 'B' : 'A') + last.slice(at + 1));
    await caseRecords.put(s.vault, args[0], record);
    const P = await import('/static/js/protocol/index.js');
    try { await m.openCase(s, args[0]); return 'opened'; } catch (e) { return e instanceof P.CarnetCryptoError ? 'refused' : String(e); }
})()"""


def test_an_append_extends_the_verified_log_kept_while_unlocked_and_a_changed_record_is_verified_again(
        server: LiveServer, page: Page) -> None:
    set_up_device(page, server, *DEMO["volunteer"])
    case_id = new_case(page, "Dossier gardé en mémoire", "première note")
    kept = ("store/cases:(async () => { const before = s.logs.get(args[0]).log;"
            " await m.editCase(s, args[0], {notes: 'deuxième note'}); await m.openCase(s, args[0]);"
            " await m.editCase(s, args[0], {notes: 'troisième note'}); await m.openCase(s, args[0]);"
            " const after = s.logs.get(args[0]); const record = await (await import('/static/js/store/records.js')).caseRecords.get(s.vault, args[0]);"
            " return [after.log === before, after.log.entries.length, record.envelopes.length]; })()")
    # The log verified when the case was written is extended by each edit, never verified again.
    assert app(page, kept, case_id) == [True, 4, 4]
    assert app(page, "store/cases:(await m.openCase(s, args[0])).fields.notes", case_id) == "troisième note"
    # A record that is no longer exactly the kept log's is verified whole again, and refused.
    assert app(page, "store/cases:" + SPOIL_LAST_ENTRY, case_id) == "refused"


# The raw sealed record of a case's first page of envelopes, as IndexedDB holds it: kept in the
# page ("keep"), or put back over the current one ("put back").
RAW_PAGE = """async ([caseId, action]) => {
    const db = await new Promise((ok, ko) => { const r = indexedDB.open('carnet'); r.onsuccess = () => ok(r.result); r.onerror = ko; });
    const store = db.transaction('records', 'readwrite').objectStore('records');
    const request = action === 'keep' ? store.get('entries:' + caseId + ':0') : store.put(window.olderPage);
    const found = await new Promise((ok) => { request.onsuccess = () => ok(request.result); });
    db.close();
    if (action === 'keep') window.olderPage = found;
    return Boolean(found);
}"""


def test_an_older_page_of_a_case_put_back_in_the_store_is_refused(server: LiveServer, page: Page) -> None:
    set_up_device(page, server, *DEMO["volunteer"])
    case_id = new_case(page, "Dossier à rembobiner", "première note")
    assert page.evaluate(RAW_PAGE, [case_id, "keep"])
    app(page, "store/cases:m.editCase(s, args[0], {notes: 'deuxième note'})", case_id)
    # The page as it was before the edit, sealed under the same key and name: it opens, but it is
    # not the page the case record names (its stamp), so the rolled-back case is not read.
    assert page.evaluate(RAW_PAGE, [case_id, "put back"])
    page.click("#lock-now")
    unlock(page, DEMO["volunteer"][1])
    expect(page.locator("#lock-now")).to_be_visible()
    error = app(page, "store/cases:m.openCase(s, args[0]).then(() => 'opened', (e) => e.constructor.name)", case_id)
    assert error == "RecordTampered"
