"""The device store in IndexedDB: sealed records, unlock, failed-unlock wipe, nothing in the clear."""

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import LiveServer

PASSPHRASE = "phrase secrète du coffre de test"
KDF = {"v": 1, "alg": "PBKDF2-HMAC-SHA256", "iterations": 600000, "salt": "c2FsdHNhbHRzYWx0c2FsdA"}
CREATE = """async ({ passphrase, kdf, records }) => {
    const vault = await import('/static/js/store/vault.js');
    const { deriveAccountSecrets } = await import('/static/js/protocol/index.js');
    await vault.wipeDevice();
    const secrets = await deriveAccountSecrets(passphrase, kdf);
    const v = await vault.createDevice({ userId: 'user-1', kdf, kek: secrets.kek,
        accountKeyBlob: new Uint8Array([1, 2, 3]), association: null });
    for (const [kind, id, value] of records) await v.put(kind, id, value);
    return true;
}"""
# The store takes the kek the passphrase gives under the device's KDF parameters, never the passphrase.
KEK = """async (passphrase) => {
    const vault = await import('/static/js/store/vault.js');
    const { deriveAccountSecrets } = await import('/static/js/protocol/index.js');
    const device = await vault.readDevice();
    // No device: the store itself says so (NoDevice), whatever it is given.
    return device ? (await deriveAccountSecrets(passphrase, device.kdf)).kek : null;
}"""
UNLOCK_AND_READ = """async ({ passphrase, kind, id }) => {
    const vault = await import('/static/js/store/vault.js');
    try {
        const kek = await (""" + KEK + """)(passphrase);
        const v = await vault.unlockDevice(kek);
        return { ok: true, value: await v.get(kind, id), listed: (await v.list(kind)).length };
    } catch (e) {
        return { ok: false, error: e.constructor.name, remaining: e.remaining ?? null };
    }
}"""


@pytest.fixture
def app_page(live_server: LiveServer, page: Page) -> Page:
    page.goto(live_server.url + "/login")
    return page


def test_records_are_sealed_and_reopen_after_unlock(app_page: Page) -> None:
    app_page.evaluate(CREATE, {"passphrase": PASSPHRASE, "kdf": KDF,
                               "records": [["case", "c1", {"name": "Amina", "place": "CRA"}], ["case", "c2", {}]]})
    result = app_page.evaluate(UNLOCK_AND_READ, {"passphrase": PASSPHRASE, "kind": "case", "id": "c1"})
    assert result == {"ok": True, "value": {"name": "Amina", "place": "CRA"}, "listed": 2}


def test_wrong_passphrase_counts_down_then_wipes_the_device(app_page: Page) -> None:
    app_page.evaluate(CREATE, {"passphrase": PASSPHRASE, "kdf": KDF, "records": [["case", "c1", {"n": 1}]]})
    app_page.evaluate("""async () => {
        const { readDevice } = await import('/static/js/store/vault.js');
        const device = await readDevice();
        return device.maxFailedUnlocks;
    }""")
    for remaining in range(9, 0, -1):
        result = app_page.evaluate(UNLOCK_AND_READ, {"passphrase": "not it", "kind": "case", "id": "c1"})
        assert result == {"ok": False, "error": "WrongPassphrase", "remaining": remaining}
    assert app_page.evaluate(UNLOCK_AND_READ, {"passphrase": "not it", "kind": "case", "id": "c1"})["error"] == "VaultWiped"
    databases = app_page.evaluate("async () => (await indexedDB.databases()).map(d => d.name)")
    assert "carnet" not in databases
    assert app_page.evaluate(UNLOCK_AND_READ, {"passphrase": PASSPHRASE, "kind": "case", "id": "c1"})["error"] == "NoDevice"


def test_a_successful_unlock_resets_the_failure_count(app_page: Page) -> None:
    app_page.evaluate(CREATE, {"passphrase": PASSPHRASE, "kdf": KDF, "records": [["case", "c1", {"n": 1}]]})
    app_page.evaluate(UNLOCK_AND_READ, {"passphrase": "not it", "kind": "case", "id": "c1"})
    assert app_page.evaluate(UNLOCK_AND_READ, {"passphrase": PASSPHRASE, "kind": "case", "id": "c1"})["ok"]
    again = app_page.evaluate(UNLOCK_AND_READ, {"passphrase": "not it", "kind": "case", "id": "c1"})
    assert again["remaining"] == 9


def test_records_swapped_in_the_database_do_not_open(app_page: Page) -> None:
    app_page.evaluate(CREATE, {"passphrase": PASSPHRASE, "kdf": KDF,
                               "records": [["case", "c1", {"n": 1}], ["case", "c2", {"n": 2}]]})
    error = app_page.evaluate("""async (passphrase) => {
        const vault = await import('/static/js/store/vault.js');
        const { openDB } = await import('/static/vendor/idb.js');
        const db = await openDB('carnet', 1);
        const one = await db.get('records', 'case:c1');
        const two = await db.get('records', 'case:c2');
        await db.put('records', { ...one, nonce: two.nonce, sealed: two.sealed });
        db.close();
        const v = await vault.unlockDevice(await (""" + KEK + """)(passphrase));
        try { await v.get('case', 'c1'); return 'opened'; } catch (e) { return e.constructor.name; }
    }""", PASSPHRASE)
    assert error == "RecordTampered"


def test_locked_vault_refuses_to_read(app_page: Page) -> None:
    app_page.evaluate(CREATE, {"passphrase": PASSPHRASE, "kdf": KDF, "records": [["case", "c1", {"n": 1}]]})
    error = app_page.evaluate("""async (passphrase) => {
        const vault = await import('/static/js/store/vault.js');
        const v = await vault.unlockDevice(await (""" + KEK + """)(passphrase));
        v.lock();
        try { await v.get('case', 'c1'); return 'read'; } catch (e) { return e.constructor.name; }
    }""", PASSPHRASE)
    assert error == "VaultError"


def test_no_canary_rests_in_the_browser_profile(live_server: LiveServer, playwright: Playwright,
                                                tmp_path: Path) -> None:
    canary = "CANARY-" + secrets.token_hex(8)
    # A second canary written in the clear, on purpose, proves the search can find what is there
    # (IndexedDB's files compress, so a search that finds nothing must be shown able to find).
    control = "CONTROL-" + secrets.token_hex(8)
    profile = tmp_path / "profile"
    context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM,
                                                            args=CHROMIUM_ARGS)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.evaluate(CREATE, {"passphrase": PASSPHRASE, "kdf": KDF,
                               "records": [["case", "c1", {"notes": canary, "name": canary}]]})
        assert page.evaluate(UNLOCK_AND_READ, {"passphrase": PASSPHRASE, "kind": "case", "id": "c1"})["ok"]
        page.evaluate("""async (control) => {
            const { openDB } = await import('/static/vendor/idb.js');
            const db = await openDB('control', 1, { upgrade(d) { d.createObjectStore('s'); } });
            await db.put('s', { text: control }, 'k');
            db.close();
        }""", control)
    finally:
        context.close()
    assert profile_hits(profile, control) != [], "the search cannot find a string stored in the clear"
    assert profile_hits(profile, canary) == []
    assert profile_hits(profile, PASSPHRASE) == []


def profile_hits(profile: Path, text: str) -> list[str]:
    needles = (text.encode(), text.encode("utf-16-le"))
    return [str(p.relative_to(profile)) for p in profile.rglob("*")
            if p.is_file() and any(n in p.read_bytes() for n in needles)]


# A store from before the sealed part and the key file: the key blobs, the device id, the pinned
# association and the wrapped store key in the device record itself.
LEGACY = """async ({ passphrase, kdf }) => {
    const { openDB } = await import('/static/vendor/idb.js');
    const p = await import('/static/js/protocol/index.js');
    const { kek } = await p.deriveAccountSecrets(passphrase, kdf);
    const wrapping = await p.deviceStoreWrappingKey(kek);
    const local = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
    const localKeyNonce = crypto.getRandomValues(new Uint8Array(12));
    const wrappedLocalKey = new Uint8Array(await crypto.subtle.wrapKey('raw', local, wrapping,
        { name: 'AES-GCM', iv: localKeyNonce, additionalData: p.deviceStoreKeyAad(1, 'user-1') }));
    const db = await openDB('carnet', 1, { upgrade(db) {
        db.createObjectStore('device');
        db.createObjectStore('records', { keyPath: 'id' }).createIndex('kind', 'kind');
    } });
    await db.put('device', { deviceId: new Uint8Array(16).fill(7), format: 1, userId: 'user-1', kdf, wrappedLocalKey,
        localKeyNonce, accountKeyBlob: new Uint8Array([1, 2, 3]), association: { public_key: 'pinned' },
        associationKeyBlob: null, failedUnlocks: 0, maxFailedUnlocks: 10, settings: {} }, 'device');
    db.close();
    const vault = await import('/static/js/store/vault.js');
    const opened = await vault.unlockDevice(kek);
    const stored = await vault.readDevice();
    const again = await vault.unlockDevice(kek);
    return { inRecord: Object.keys(stored).filter((name) => ['deviceId', 'accountKeyBlob', 'association',
                'associationKeyBlob', 'wrappedLocalKey', 'localKeyNonce'].includes(name)),
             keyFile: stored.keyFile, blob: Array.from(opened.device.accountKeyBlob),
             deviceId: Array.from(again.device.deviceId), association: again.device.association };
}"""


def test_a_store_from_before_moves_its_keys_out_of_the_clear_record_at_unlock(app_page: Page) -> None:
    moved = app_page.evaluate(LEGACY, {"passphrase": PASSPHRASE, "kdf": KDF})
    assert moved == {"inRecord": [], "keyFile": True, "blob": [1, 2, 3], "deviceId": [7] * 16,
                     "association": {"public_key": "pinned"}}
