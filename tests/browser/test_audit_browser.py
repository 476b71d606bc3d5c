"""The auditor's screens: the inventory, the audit log, its alerts, and "Verify everything" run in
the auditor's browser with the JavaScript protocol (docs/PROTOCOL.md 14.5). The auditor never
receives a case key or a word of content, and a byte changed in the server's database is found."""

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from crypto.encoding import b64url_encode
from crypto.writer import remove_member_as_coordinator, rotate_case_key_as_coordinator
from sync import db
from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import LOCALES, PHONE, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_app import set_up_device
from tests.conftest import LiveServer, free_port
from tests.sync_client import demo_writer

AUDITOR = next((e, p) for e, _n, r, _t, p in DEMO_PEOPLE if r == "auditor")
CANARY = "CANARY-audit-5d1c-only-members-may-read-this"
CHECKS = ["roster_signatures", "roster_completeness", "envelope_format", "device_sequences", "hash_links",
          "removed_members", "revoked_members", "case_logs", "ciphertext_entropy", "audit_chain", "audit_head",
          "kept_head", "audit_coverage"]


@dataclass
class DemoCases:
    case_ids: list[str]
    case_keys: list[bytes]


def start_server(folder: Path) -> LiveServer:
    live = LiveServer(instance=folder / "instance", port=free_port(), log_path=folder / "server.log")
    live.flask("init")
    live.flask("demo")
    live.start()
    return live


def write_demo_cases(server: LiveServer) -> DemoCases:
    """Two cases by the demo volunteer, with the canary in their notes: in the first the coordinator
    removes the volunteer (a rotation) and writes on; in the second the coordinator rotates the key."""
    volunteer, coordinator = demo_writer(server.url), demo_writer(server.url, "coordinator")
    case_ids, case_keys = [], []
    for step in ("remove", "rotate"):
        log, key, envelopes = volunteer.new_case(f"{CANARY} {step}")
        assert [r["status"] for r in volunteer.push(envelopes)] == ["stored", "stored"]
        if step == "remove":
            change, new_key = remove_member_as_coordinator(log, coordinator.keys, device_id=coordinator.device,
                                                           user_id=volunteer.keys.user_id, case_key=key)
            coordinator.push([change, coordinator.seal(log, new_key, f"{CANARY} after removal")])
        else:
            change, new_key = rotate_case_key_as_coordinator(log, coordinator.keys, device_id=coordinator.device,
                                                             case_key=key)
            coordinator.push([change])
            volunteer.push([volunteer.seal(log, new_key, f"{CANARY} after rotation")])
        case_ids.append(b64url_encode(log.case_id))
        case_keys += [key, new_key]
    return DemoCases(case_ids, case_keys)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("audit-browser"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def cases(server: LiveServer) -> DemoCases:
    return write_demo_cases(server)


def verify_everything(page: Page) -> dict:
    """Click "Verify everything", wait for the report, and return the JSON the auditor downloads."""
    page.click("#verify-everything")
    expect(page.locator("#audit-report")).to_be_visible(timeout=120_000)
    with page.expect_download() as download:
        page.click("#audit-report-download")
    return json.loads(Path(download.value.path()).read_text())


def checks_of(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


def forms_of(secret: bytes) -> list[bytes]:
    return [secret, b64url_encode(secret).encode(), base64.b64encode(secret), secret.hex().encode()]


def test_the_auditors_browser_session_receives_no_case_key_and_no_plaintext_canary(
        server: LiveServer, cases: DemoCases, page: Page) -> None:
    # Given an auditor's browser, every response it receives recorded at the HTTP layer,
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    # when the auditor sets up the app, reads the inventory and the log, and verifies everything,
    set_up_device(page, server, *AUDITOR)
    expect(page.locator("#audit-inventory")).to_be_visible()
    expect(page.locator("#audit-log li").first).to_be_visible()
    page.select_option("#audit-action", "entry_stored")
    expect(page.locator("#audit-log li[data-action=entry_stored]")).to_have_count(4)
    report = verify_everything(page)
    assert report["ok"], report
    # then the auditor did see every case and entry, as ciphertext,
    assert {f"/api/v1/sync/cases/{case_id}/entries" for case_id in cases.case_ids} <= {
        r.url.split("?")[0].removeprefix(server.url) for r in responses}
    # (A worker's script, the store's key file worker, keeps no body in Chromium: the app's own
    # static code, which holds no case data, is left out.)
    responses = [r for r in responses if not 300 <= r.status < 400
                 and not r.url.removeprefix(server.url).startswith("/static/")]
    bodies = [r.body() for r in responses]
    assert sum(len(body) for body in bodies) > 0
    # but no body holds the canary, nor any case key in any encoding.
    assert not [r.url for r, body in zip(responses, bodies) if CANARY.encode() in body]
    for key in cases.case_keys:
        assert not [r.url for r, body in zip(responses, bodies) if any(form in body for form in forms_of(key))]


def test_verify_everything_passes_every_check_on_a_demo_with_rotations_and_removals(
        server: LiveServer, cases: DemoCases, page: Page) -> None:
    # Given the demo cases (a removal and a rotation among them), seen by the auditor's app,
    set_up_device(page, server, *AUDITOR)
    # when the auditor verifies everything twice,
    first = verify_everything(page)
    second = verify_everything(page)
    # then every check is named, counted and holds, the second run also against the kept head.
    for report in (first, second):
        checks = checks_of(report)
        assert list(checks) == CHECKS
        assert report["ok"] and all(check["failed"] == 0 for check in checks.values()), report
        assert all(check["checked"] > 0 for name, check in checks.items() if name != "kept_head"), report
        assert checks["case_logs"]["checked"] >= len(cases.case_ids)
        assert checks["removed_members"]["checked"] >= 2
    assert checks_of(first)["kept_head"]["checked"] == 0
    assert checks_of(second)["kept_head"]["checked"] == 2
    rows = page.locator("#audit-report tbody tr")
    expect(rows).to_have_count(len(CHECKS))
    expect(page.locator("#audit-report tbody tr[data-failed='0']")).to_have_count(len(CHECKS))


def test_a_byte_flipped_in_the_database_fails_verification_for_that_case(tmp_path: Path, browser: Browser) -> None:
    # Given a server with two cases, one of whose stored envelopes has one byte flipped in the
    # SQLCipher database, as someone with the database key could,
    server = start_server(tmp_path)
    try:
        cases = write_demo_cases(server)
        key = bytes.fromhex(json.loads((server.instance / "secrets.json").read_text())["database_key"])
        conn = db.connect(server.instance / "carnet.db", key)
        row = conn.execute("SELECT seq, envelope FROM entries WHERE case_id = ? ORDER BY seq DESC LIMIT 1",
                           (cases.case_ids[0],)).fetchone()
        envelope = bytearray(row["envelope"])
        envelope[len(envelope) // 2] ^= 0x01
        conn.execute("UPDATE entries SET envelope = ? WHERE seq = ?", (bytes(envelope), row["seq"]))
        conn.close()
        page = browser.new_context(locale="fr-FR", **PHONE).new_page()
        set_up_device(page, server, *AUDITOR)
        # when the auditor verifies everything,
        report = verify_everything(page)
        # then the report fails, naming that case in the case log check, and only that case.
        checks = checks_of(report)
        assert not report["ok"]
        assert checks["case_logs"]["checked"] == 2 and checks["case_logs"]["failed"] == 1
        assert cases.case_ids[0] in checks["case_logs"]["failures"][0]
        assert checks["audit_coverage"]["failed"] >= 1
        expect(page.locator("#audit-report tr[data-check=case_logs]")).to_have_attribute("data-failed", "1")
        expect(page.locator("#audit-report [data-failures=case_logs]")).to_contain_text(cases.case_ids[0])
        # The server's own inventory raises the same alarm among the alerts.
        expect(page.locator("#audit-alerts li[data-alert=case-log-fails-verification]")).to_contain_text(
            cases.case_ids[0])
        page.context.close()
    finally:
        server.stop()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_the_audit_screens_are_accessible_at_phone_and_desk_widths(server: LiveServer, cases: DemoCases,
                                                                   browser: Browser, language: str, width: int) -> None:
    size = PHONE if width == 360 else {"viewport": {"width": width, "height": 800}}
    context = browser.new_context(locale=LOCALES[language], **size)
    try:
        page = context.new_page()
        set_up_device(page, server, *AUDITOR)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        expect(page.locator("#audit-inventory")).to_be_visible()
        expect(page.locator("#audit-log li").first).to_be_visible()
        verify_everything(page)
        for details in page.locator("#audit-inventory details").all():
            details.locator("summary").click()
        found = serious_violations(page)
        screenshot(page, f"audit-home-{language}-{width}")
        assert found == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()

