"""Case summaries kept many to a sealed record (shelves): a list of hundreds of cases opens a few
dozen records, a store written with one summary record per case is moved onto shelves at
unlock without losing a case, and a shelf changed by another writer is read again, never
overwritten."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_app import set_up_device, unlock
from tests.browser.test_cases_browser import DEMO, STATE, app, new_case
from tests.conftest import LiveServer, running_demo

VOLUNTEER = DEMO["volunteer"]

# `count` cases written through the store's own calls (a record, its summary, no entries), their
# ids random like the protocol's, or all beginning with `first`; returns the ids.
MAKE_CASES = """async ({ count, first }) => {
    const { caseRecords } = await import('/static/js/store/records.js');
    const { b64urlEncode } = await import('/static/js/protocol/index.js');
    const s = """ + STATE + """;
    const ids = [];
    for (let i = 0; i < count; i += 1) {
        const random = b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
        const id = first ? first + random.slice(1) : random;
        const now = Date.now();
        await caseRecords.create(s.vault, id, { id, keys: {}, envelopes: [], pending: 0, refused: [], created: now,
            updated: now, summary: { title: 'Personne ' + i, status: 'open', text: 'Personne ' + i } });
        ids.push(id);
    }
    return ids;
}"""

# The records a listing opens, counted through the store's own opening of a sealed record.
COUNT_OPENED = """async (fresh) => {
    const { listCases } = await import('/static/js/store/cases.js');
    const s = """ + STATE + """;
    if (fresh) s.vault.kept?.clear();  // as at unlock: nothing opened yet
    const opened = [];
    const open = s.vault.openRecord;
    s.vault.openRecord = (record) => { opened.push(record.kind); return open.call(s.vault, record); };
    try {
        return { listed: (await listCases(s)).length, opened };
    } finally {
        s.vault.openRecord = open;
    }
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with running_demo(tmp_path) as live:
        yield live


def offline_volunteer(page: Page, server: LiveServer) -> None:
    """The demo volunteer's phone, set up, then offline: no sync touches the cases written here."""
    set_up_device(page, server, *VOLUNTEER)
    app(page, "app/session:s.rosterRefresh")
    page.context.set_offline(True)


def test_listing_hundreds_of_cases_opens_a_few_dozen_records(server: LiveServer, page: Page) -> None:
    offline_volunteer(page, server)
    page.evaluate(MAKE_CASES, {"count": 300, "first": None})
    first = page.evaluate(COUNT_OPENED, True)
    # One record per case would be 300 opened; ids spread over at most 64 shelves.
    assert first["listed"] == 300
    assert 20 <= len(first["opened"]) <= 64 and set(first["opened"]) == {"shelf"}
    # Listed again, nothing changed: no shelf is opened again.
    assert page.evaluate(COUNT_OPENED, False) == {"listed": 300, "opened": []}
    # What was opened goes at lock with the keys; the home screen, drawn again at unlock, lists
    # every case from the shelves.
    page.evaluate("async () => { window.lockedVault = " + STATE + ".vault; }")
    page.click("#lock-now")
    expect(page.locator("#unlock-form")).to_be_visible()
    assert page.evaluate("() => [window.lockedVault.kept.size, window.lockedVault.localKey]") == [0, None]
    unlock(page, VOLUNTEER[1])
    expect(page.locator("#case-count")).to_have_text("300 sur 300 dossiers")
    expect(page.locator("#case-list li")).to_have_count(100)


# The store as it was before shelves: one summary record per case (none for the last case, kept
# before summaries existed), no shelf. Written with the store's generic calls, as the old code did.
OLD_LAYOUT = """async () => {
    const { caseSummaries } = await import('/static/js/store/records.js');
    const s = """ + STATE + """;
    const summaries = await caseSummaries(s.vault);
    const shelves = await s.vault.ids('shelf');
    await s.vault.putTogether(summaries.slice(1).map((summary) => ['summary', summary.id, { ...summary }]),
        shelves.map((key) => ['shelf', key]));
    return [await s.vault.ids('summary'), await s.vault.ids('shelf')];
}"""


def test_a_store_with_a_summary_record_per_case_is_moved_onto_shelves_at_unlock(server: LiveServer,
                                                                                page: Page) -> None:
    offline_volunteer(page, server)
    aliases = ["Amina Rangée", "Bilal Rangé", "Chaïma Rangée"]
    ids = [new_case(page, alias, "note d’entretien") for alias in aliases]
    old, shelves = page.evaluate(OLD_LAYOUT)
    assert len(old) == 2 and shelves == []
    page.click("#lock-now")
    unlock(page, VOLUNTEER[1])
    for alias in aliases:
        expect(page.locator("#case-list li", has_text=alias)).to_have_count(1)
    expect(page.locator("#case-count")).to_have_text("3 sur 3 dossiers")
    # The per-case records are gone; every case is on its shelf, with what the list shows of it.
    assert app(page, "store/records:s.vault.ids('summary')") == []
    shelved = app(page, "store/records:(await Promise.all((await s.vault.ids('shelf'))"
                        ".map((key) => s.vault.get('shelf', key)))).flat().map((c) => [c.id, c.title])")
    assert sorted(map(tuple, shelved)) == sorted(zip(ids, aliases))
    # The search reads the shelves too.
    page.fill("#case-search", "bilal")
    expect(page.locator("#case-count")).to_have_text("1 sur 3 dossiers")


def shelf_of(page: Page, key: str) -> list[str] | None:
    return app(page, "store/records:s.vault.get('shelf', args[0]).then((shelf) => shelf?.map((c) => c.id) ?? null)", key)


def test_a_shelf_another_writer_changed_is_read_again_and_a_removed_case_leaves_it(server: LiveServer,
                                                                                 page: Page) -> None:
    offline_volunteer(page, server)
    first, second = page.evaluate(MAKE_CASES, {"count": 2, "first": "Q"})
    assert sorted(shelf_of(page, "Q")) == sorted([first, second])
    # Another tab: the same store unlocked again, with nothing of this one's kept shelves. It
    # writes a third case on the same shelf; this tab then changes the first case.
    third = page.evaluate("""async () => {
        const { unlockDevice } = await import('/static/js/store/vault.js');
        const { caseRecords } = await import('/static/js/store/records.js');
        const other = await unlockDevice(""" + STATE + """.kek);
        const id = 'Q' + 'x'.repeat(21);
        await caseRecords.create(other, id, { id, keys: {}, envelopes: [], pending: 0, refused: [], created: 1,
            updated: 1, summary: { title: 'Autre onglet' } });
        return id;
    }""")
    app(page, "store/records:m.caseRecords.get(s.vault, args[0]).then((r) => m.caseRecords.put(s.vault, args[0],"
              " { ...r, updated: Date.now(), summary: { title: 'Changé ici' } }))", first)
    titles = app(page, "store/records:(await m.caseSummaries(s.vault)).map((c) => c.title)")
    assert sorted(titles) == ["Autre onglet", "Changé ici", "Personne 1"]
    assert sorted(shelf_of(page, "Q")) == sorted([first, second, third])

    # A write checks, in its transaction, that the shelf is still the one it read: not, nothing is written.
    outcome = app(page, """store/records:(async () => {
        const before = await s.vault.getSealed('shelf', 'Q');
        await m.caseRecords.put(s.vault, args[0], await m.caseRecords.get(s.vault, args[0]));
        try {
            await s.vault.putTogether([['case', 'Qstale', {}]], [], [['shelf', 'Q', before.nonce]]);
            return 'written';
        } catch (error) {
            return [error.constructor.name, (await s.vault.ids('case')).includes('Qstale')];
        }
    })()""", second)
    assert outcome == ["RecordChanged", False]

    # A case removed leaves its shelf in the same transaction; the last one takes the shelf away.
    app(page, "store/records:m.caseRecords.deleteMany(s.vault, [args[0], args[1]])", first, third)
    assert shelf_of(page, "Q") == [second]
    app(page, "store/records:m.caseRecords.delete(s.vault, args[0])", second)
    assert shelf_of(page, "Q") is None
    assert app(page, "store/records:(await m.caseSummaries(s.vault)).length") == 0


# The upkeep of a sync, with the case records it opens counted.
UPKEEP_OPENS = """async () => {
    const { keepMembershipUp } = await import('/static/js/sync/upkeep.js');
    const s = """ + STATE + """;
    const opened = [];
    const open = s.vault.openRecord;
    s.vault.openRecord = (record) => { if (record.kind === 'case') opened.push(record.id); return open.call(s.vault, record); };
    try {
        return { changes: await keepMembershipUp(s), opened: opened.length };
    } finally {
        s.vault.openRecord = open;
    }
}"""


def test_the_upkeep_opens_only_the_cases_whose_summary_says_it_may_have_work(server: LiveServer, page: Page) -> None:
    offline_volunteer(page, server)
    ids = [new_case(page, alias, "note") for alias in ("Dina Suivie", "Elias Suivi")]
    # Every case is shared with the team's coordinators from the start: nothing to do, nothing opened.
    assert page.evaluate(UPKEEP_OPENS) == {"changes": 0, "opened": 0}
    # A summary that does not name a coordinator as a member: that case is opened (and found up to date).
    app(page, """store/records:(async () => {
        const record = await m.caseRecords.get(s.vault, args[0]);
        const roles = Object.fromEntries(Object.entries(record.summary.roles).filter(([, role]) => role !== 2));
        await m.caseRecords.put(s.vault, args[0], { ...record, summary: { ...record.summary, roles } });
    })()""", ids[0])
    assert page.evaluate(UPKEEP_OPENS) == {"changes": 0, "opened": 1}
    # A summary kept before members' roles were: opened too.
    app(page, """store/records:(async () => {
        const record = await m.caseRecords.get(s.vault, args[0]);
        const { roles, left, ...summary } = record.summary;
        await m.caseRecords.put(s.vault, args[0], { ...record, summary });
    })()""", ids[1])
    assert page.evaluate(UPKEEP_OPENS) == {"changes": 0, "opened": 2}
