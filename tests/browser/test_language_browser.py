"""The app's language: counts in the catalog's plural forms, dates and numbers through Intl, typed
text isolated from the text around it, and the choices a list could miss."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from webapp.cli import DEMO_PEOPLE

from tests.browser.conftest import ARTIFACTS, LOCALES, PHONE, assert_no_iso_date
from tests.browser.test_app import set_up_device
from tests.browser.test_cases_browser import new_case
from tests.conftest import LiveServer, running_demo

DEMO = {role: (email, passphrase) for email, _n, role, _t, passphrase in DEMO_PEOPLE}
COUNTS = [0, 1, 2, 3, 11, 100]
RLO = "\u202e"


@pytest.fixture
def open_app(browser: Browser) -> Iterator:
    """open_app(server, language, **context options) -> a page on the app's first screen."""
    contexts: list[BrowserContext] = []

    def opening(server: LiveServer, language: str, **options) -> Page:
        context = browser.new_context(locale=LOCALES[language], **PHONE, **options)
        contexts.append(context)
        page = context.new_page()
        page.goto(server.url + "/app")
        expect(page.locator("#setup-form")).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == language
        return page

    yield opening
    for context in contexts:
        context.close()


def i18n(page: Page, expression: str, *args):
    """Evaluate `expression` with `m`, the app's own i18n module (the catalog it loaded), and `args`."""
    return page.evaluate(f"async (args) => {{ const m = await import('/static/js/i18n.js'); return {expression}; }}",
                         list(args))


def counted(page: Page, singular: str, plural: str) -> list[str]:
    return i18n(page, "args[2].map((n) => m.ngettext(args[0], args[1], n))", singular, plural, COUNTS)


PLURALS = {
    "fr": (["0 version", "1 version", "2 versions", "3 versions", "11 versions", "100 versions"],
           ["0 entretien attend d’être envoyé.", "1 entretien attend d’être envoyé.",
            "2 entretiens attendent d’être envoyés.", "3 entretiens attendent d’être envoyés.",
            "11 entretiens attendent d’être envoyés.", "100 entretiens attendent d’être envoyés."]),
    "en": (["0 versions", "1 version", "2 versions", "3 versions", "11 versions", "100 versions"],
           ["0 interviews wait to be sent.", "1 interview waits to be sent.", "2 interviews wait to be sent.",
            "3 interviews wait to be sent.", "11 interviews wait to be sent.", "100 interviews wait to be sent."]),
    # zero, one, two, few (3-10), many (11-99), other (100-102): six forms.
    "ar": (["لا نسخ", "نسخة واحدة", "نسختان", "3 نسخ", "11 نسخةً", "100 نسخة"],
           ["لا مقابلة تنتظر الإرسال.", "مقابلة واحدة تنتظر الإرسال.", "مقابلتان تنتظران الإرسال.",
            "3 مقابلات تنتظر الإرسال.", "11 مقابلةً تنتظر الإرسال.", "100 مقابلة تنتظر الإرسال."]),
}


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_the_app_counts_in_the_catalog_s_plural_forms(live_server: LiveServer, open_app, language: str) -> None:
    page = open_app(live_server, language)
    versions, waiting = PLURALS[language]
    assert counted(page, "%(count)s version", "%(count)s versions") == versions
    assert counted(page, "%(count)s interview waits to be sent.", "%(count)s interviews wait to be sent.") == waiting
    if language == "ar":
        # 101 and 102 share 100's form, 12 and 99 share 11's; 10 is still "few".
        more = i18n(page, "[101, 102, 12, 99, 10].map((n) => m.ngettext('%(count)s version', '%(count)s versions', n))")
        assert more == ["101 نسخة", "102 نسخة", "12 نسخةً", "99 نسخةً", "10 نسخ"]
    # A message the catalog lacks falls back on the English rule.
    assert i18n(page, "[1, 2].map((n) => m.ngettext('%(count)s unknown thing', '%(count)s unknown things', n))") == [
        "1 unknown thing", "2 unknown things"]


DATES = {
    "fr": ("12 mars 1994", "4 décembre 2026 à 14:30", "12\u202f345,5"),
    "en": ("March 12, 1994", "December 4, 2026 at 2:30 PM", "12,345.5"),
    "ar": ("12 مارس 1994", "4 ديسمبر 2026 في 2:30 م", "12,345.5"),
}


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
@pytest.mark.parametrize("zone", ["Pacific/Honolulu", "Pacific/Kiritimati"])
def test_dates_times_and_numbers_are_written_in_the_person_s_language(live_server: LiveServer, open_app,
                                                                     language: str, zone: str) -> None:
    page = open_app(live_server, language, timezone_id=zone)
    day, time, number = DATES[language]
    # A calendar day is that day in every time zone, ten hours behind UTC or fourteen ahead.
    assert i18n(page, "m.formatDate('1994-03-12')") == day
    assert i18n(page, "m.formatDateTime('1994-03-12')") == day
    # Spaces and marks around the time vary with the browser's version of CLDR.
    written = i18n(page, "m.formatDateTime('2026-12-04T14:30')")
    assert " ".join(written.replace("\u200f", "").replace("\u202f", " ").split()) == time
    assert i18n(page, "m.formatDate(new Date(1994, 2, 12, 23, 59))") == day
    assert i18n(page, "m.formatDate(new Date(1994, 2, 12, 0, 1).getTime())") == day
    assert i18n(page, "m.formatNumber(12345.5)") == number
    assert i18n(page, "m.formatDate('not a date')") == "not a date"
    joined = i18n(page, "m.formatList(['Awa', 'Moussa K.', 'نور'])")
    assert joined == {"fr": "Awa, Moussa K. et نور", "en": "Awa, Moussa K., and نور"}.get(language, joined)
    assert language != "ar" or " و" in joined


def intake(page: Page, fields: dict[int, dict[str, str]]) -> None:
    """A new intake through the form: {step: {field: value}}, a select when its value is a choice."""
    page.click("#new-intake")
    for step in range(1, 6):
        for name, value in fields.get(step, {}).items():
            control = page.locator(f"#f-{name}")
            if control.evaluate("e => e.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        if step < 5:
            page.click("#step-next")
    page.click("#intake-save")
    expect(page.locator("#edit-case")).to_be_visible()


def characters(page: Page, locator) -> list[tuple[str, float, int]]:
    """Each character drawn inside the element but spaces, in the text's order, with where it is
    drawn: the middle of its box across the line, and the top of the line."""
    return locator.evaluate(r"""(element) => {
      const drawn = [];
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length; i += 1) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const box = range.getBoundingClientRect();
          if (box.width && !/\s/.test(node.data[i])) drawn.push([node.data[i], box.left + box.width / 2, Math.round(box.top)]);
        }
      }
      return drawn;
    }""")


def left_to_right(drawn: list[tuple[str, float, int]]) -> bool:
    """Each character is drawn to the right of the one before it, or on a line below."""
    return all(top > top_before or (top == top_before and x > x_before)
               for (_c, x_before, top_before), (_d, x, top) in zip(drawn, drawn[1:]))


def follows(later: list[tuple[str, float, int]], earlier: list[tuple[str, float, int]]) -> bool:
    """The first of `later` is drawn after every one of `earlier`, reading left to right."""
    _c, x, top = later[0]
    return all(top > t or (top == t and x > e) for _d, e, t in earlier)


def test_a_latin_name_in_the_arabic_interface_reads_in_order(live_server: LiveServer, open_app) -> None:
    page = open_app(live_server, "ar")
    set_up_device(page, live_server, *DEMO["volunteer"])
    intake(page, {1: {"alias": "Moussa K."}, 2: {"place_name": "CRA de Lyon"}})
    title = page.locator("h1 bdi")
    expect(title).to_have_text("Moussa K.")
    assert title.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
    drawn = characters(page, title)
    assert "".join(c for c, *_ in drawn) == "MoussaK." and left_to_right(drawn), drawn

    page.locator("#app button").filter(has_text="رجوع").last.click()
    row = page.locator("#case-list li").filter(has_text="Moussa K.").first
    for text in ("Moussa K.", "CRA de Lyon"):
        name = row.locator("bdi", has_text=text)
        assert name.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
        assert left_to_right(characters(page, name))
    # In the right-to-left row the name comes first, at the right, then the place at its left.
    _c, place_right, place_top = characters(page, row.locator("bdi", has_text="CRA de Lyon"))[-1]
    _d, name_left, name_top = characters(page, row.locator("bdi", has_text="Moussa K."))[0]
    assert place_top > name_top or (place_top == name_top and place_right < name_left)
    assert_no_iso_date(page)


def test_an_override_character_in_typed_text_cannot_reorder_what_follows(live_server: LiveServer, open_app) -> None:
    page = open_app(live_server, "fr")
    set_up_device(page, live_server, *DEMO["volunteer"])
    intake(page, {1: {"alias": f"Nadia{RLO} H."}, 2: {"place_name": "CRA de Lyon"},
                  5: {"notes": f"Rappeler{RLO} l’avocate"}})
    page.click("#edit-case")
    for _ in range(4):
        page.click("#step-next")
    page.fill("#f-notes", f"Appel{RLO} reçu")
    page.click("#intake-save")
    notes = page.locator('dd[data-field="notes"]')
    notes.locator("summary").click()
    # Each version is the note, isolated, then " · " and its time: the time reads left to right.
    for version in notes.locator("li").all():
        note = version.locator("bdi").first
        assert note.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
        time = version.locator(".version-time")
        after = time.inner_text()
        assert time.evaluate("e => e.previousSibling.data") == " · " and any(c.isdigit() for c in after)
        drawn = characters(page, time)
        assert "".join(c for c, *_ in drawn) == "".join(after.split()) and left_to_right(drawn), drawn
        assert follows(drawn, characters(page, note))

    page.get_by_role("button", name="Retour").click()
    row = page.locator("#case-list li").filter(has_text="CRA de Lyon").first
    place = row.locator("bdi", has_text="CRA de Lyon")
    drawn = characters(page, place)
    assert "".join(c for c, *_ in drawn) == "CRAdeLyon" and left_to_right(drawn), drawn
    # The place stays after the name, to its right, although the name holds a right-to-left override.
    name = row.locator("strong bdi")
    assert follows(drawn, characters(page, name))
    assert_no_iso_date(page)


def test_the_new_choices_are_saved_and_shown(live_server: LiveServer, open_app) -> None:
    page = open_app(live_server, "fr")
    set_up_device(page, live_server, *DEMO["volunteer"])
    page.click("#new-intake")
    expect(page.locator("#f-alias")).to_have_attribute("dir", "auto")
    page.fill("#f-alias", "Awa Choix")
    page.fill("#f-birth_date", "1994-03-12")
    page.click("#step-next")
    page.select_option("#f-place_type", "victim_support")
    expect(page.locator("#f-place_type_other")).to_be_hidden()
    page.fill("#f-place_name", "France Victimes 69")
    page.click("#step-next")
    expect(page.locator("#f-measure_other")).to_be_hidden()
    page.select_option("#f-measure", "other")
    expect(page.locator("label[for=f-measure_other]")).to_have_text("Quelle mesure ?")
    page.fill("#f-measure_other", "Arrêté de transfert")
    page.select_option("#f-residence_status", "other")
    page.fill("#f-residence_status_other", "Visa étudiant expiré")
    page.click("#step-next")
    page.select_option("#f-protection_order", "requested")
    page.click("#step-next")
    page.click("#intake-save")

    shown = {"birth_date": "12 mars 1994", "place_type": "Permanence d’aide aux victimes", "measure": "Autre",
             "measure_other": "Arrêté de transfert", "residence_status": "Autre",
             "residence_status_other": "Visa étudiant expiré", "protection_order": "Demandée"}
    for name, text in shown.items():
        expect(page.locator(f'dd[data-field="{name}"]')).to_have_text(text)
    expect(page.locator('dd[data-field="place_type_other"]')).to_have_count(0)
    assert_no_iso_date(page)

    # "Other" given up: its words go with it.
    page.click("#edit-case")
    page.click("#step-next")
    page.click("#step-next")
    expect(page.locator("#f-measure_other")).to_have_value("Arrêté de transfert")
    page.select_option("#f-measure", "OQTF")
    expect(page.locator("#f-measure_other")).to_be_hidden()
    page.click("#step-next")
    page.click("#step-next")
    page.click("#intake-save")
    expect(page.locator('dd[data-field="measure"]')).to_contain_text("OQTF2 versions")
    expect(page.locator('dd[data-field="measure_other"]')).to_have_count(0)
    expect(page.locator('dd[data-field="residence_status_other"]')).to_have_text("Visa étudiant expiré")


def test_figures_count_every_other_measure_in_one_row(live_server: LiveServer, open_app) -> None:
    page = open_app(live_server, "fr")
    rows = page.evaluate("""async () => {
      const f = await import('/static/js/app/figures.js');
      const opened = (fields, time) => ({ fields, history: { alias: [{ id: `1:${time}`, time, value: 'x' }] } });
      const day = Date.UTC(2026, 5, 10, 12);
      const cases = [opened({ measure: 'other', measure_other: 'Arrêté de transfert' }, day),
        opened({ measure: 'other', measure_other: 'Assignation' }, day + 1), opened({ measure: 'OQTF' }, day + 2)];
      const year = f.computeFigures(cases, 2026).periods[0];
      return year.measure.map((row) => [row.value, row.people]);
    }""")
    assert rows == [["other", 2], ["OQTF", 1]]


SCREENS = ["home", "intake", "case", "list", "print"]


@pytest.fixture
def quiet_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own: its lists hold only this test's cases."""
    with running_demo(tmp_path) as server:
        yield server


def keep(page: Page, language: str, screen: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{language}-{screen}.png"), full_page=True)
    assert_no_iso_date(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, screen


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_screens_at_360_px_write_no_iso_date(quiet_server: LiveServer, open_app, language: str) -> None:
    name = {"fr": "نور الهدى", "ar": "Moussa K."}[language]
    volunteer = open_app(quiet_server, language)
    set_up_device(volunteer, quiet_server, *DEMO["volunteer"])
    intake(volunteer, {1: {"alias": name, "birth_date": "1994-03-12"}, 2: {"place_name": "CRA de Lyon"},
                       3: {"measure": "other", "measure_other": "Arrêté de transfert"},
                       5: {"notes": "Rencontrée au parloir.\nRappeler l’avocate."}})
    keep(volunteer, language, "case")
    volunteer.emulate_media(media="print")
    expect(volunteer.locator("#print-history")).to_be_visible()
    keep(volunteer, language, "print")
    volunteer.emulate_media(media="screen")
    volunteer.locator("#app .actions button").last.click()
    expect(volunteer.locator("#case-list li")).to_have_count(1)
    keep(volunteer, language, "home")
    volunteer.click("#new-intake")
    volunteer.click("#step-next")
    volunteer.click("#step-next")
    volunteer.select_option("#f-measure", "other")
    keep(volunteer, language, "intake")

    desk = open_app(quiet_server, language)
    set_up_device(desk, quiet_server, *DEMO["coordinator"])
    new_case(desk, name, "note")
    desk.click("#open-settings")
    desk.locator("#settings-form button[type=button]").click()
    expect(desk.locator("#case-count")).to_contain_text("1")
    keep(desk, language, "list")
    assert sorted(path.name for path in ARTIFACTS.glob(f"{language}-*.png")) == sorted(
        f"{language}-{screen}.png" for screen in SCREENS)
